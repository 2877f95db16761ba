//===- TileScan.cpp - tile the selective scan into shared memory ----------===//

#include "Passes.h"
#include "ScanTiling.h"
#include "SsmcOps.h"

#include "Support/Arch.h"

namespace ssmc {
#define GEN_PASS_DEF_TILESCAN
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc;

namespace {

struct TileScanPass : ssmc::impl::TileScanBase<TileScanPass> {
  using TileScanBase::TileScanBase;

  void runOnOperation() override {
    auto limit = rt::sharedMemoryPerBlock(arch);
    if (!limit) {
      std::string known;
      for (const rt::ArchLimits &a : rt::kArchs)
        known += (known.empty() ? "" : ", ") + std::string(a.arch);
      getOperation().emitError() << "ssmc-tile-scan: unknown architecture '" << arch
                                 << "' (known: " << known << ")";
      return signalPassFailure();
    }
    if (chunk < 0 || channels < 1 || splits < 0 || sms < 0) {
      // Options print as characters unless read as numbers first.
      getOperation().emitError() << "ssmc-tile-scan: channels " << int64_t(channels)
                                 << " must be positive, chunk " << int64_t(chunk) << ", splits "
                                 << int64_t(splits) << " and sms " << int64_t(sms)
                                 << " not negative";
      return signalPassFailure();
    }
    const int64_t smCount = sms ? int64_t(sms) : *rt::typicalSmCount(arch);
    WalkResult r = getOperation().walk([&](SelectiveScanOp scan) {
      auto [perBlock, parts] = splits ? std::pair<int64_t, int64_t>(channels, splits)
                                      : chooseScanSplit(scan, channels, smCount);
      // A split chosen here stages its parts whole where they fit
      // (chooseSplitChunk), else short chunks; one asked for stages what
      // was asked; without a split the chunk is chosen for the waves
      // (chooseScanChunk) unless one is asked for.
      const int64_t steps = !splits && parts > 1
                                ? (chunk ? std::min<int64_t>(chunk, kSplitScanChunk)
                                         : chooseSplitChunk(scan, perBlock, parts, *limit))
                            : chunk     ? chunk
                            : parts > 1 ? kDefaultScanChunk
                                        : chooseScanChunk(scan, perBlock, smCount, *limit);
      ScanTilingAttr tiling = chooseScanTiling(scan, steps, perBlock, parts);
      if (tiling.getSmemBytes() > *limit) {
        const int64_t states = cast<RankedTensorType>(scan.getA().getType()).getDimSize(1);
        scan.emitError() << "tiling chunk " << tiling.getChunk() << " (d_state " << states
                         << ") needs " << tiling.getSmemBytes()
                         << " bytes of shared memory per block for B and C"
                         << (stagedDeltaInputs(scan) ? " and dt_proj's inputs" : "")
                         << (scanSequenceTiles(scan) ? ", u, delta and z along time" : "")
                         << (tiling.getSplits() > 1
                                 ? " in " + std::to_string(tiling.getSplits()) + " parts"
                                 : std::string())
                         << ", more than the " << *limit << " bytes of " << arch
                         << ": use a smaller chunk";
        return WalkResult::interrupt();
      }
      scan.setTilingAttr(tiling);
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
