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
    if (chunk < 1 || channels < 1) {
      getOperation().emitError() << "ssmc-tile-scan: chunk " << chunk << " and channels "
                                 << channels << " must be positive";
      return signalPassFailure();
    }
    WalkResult r = getOperation().walk([&](SelectiveScanOp scan) {
      ScanTilingAttr tiling = chooseScanTiling(scan, chunk, channels);
      if (tiling.getSmemBytes() > *limit) {
        const int64_t states = cast<RankedTensorType>(scan.getA().getType()).getDimSize(1);
        scan.emitError() << "tiling chunk " << tiling.getChunk() << " (d_state " << states
                         << ") needs " << tiling.getSmemBytes()
                         << " bytes of shared memory per block for B and C"
                         << (stagedDeltaInputs(scan) ? " and dt_proj's inputs" : "")
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
