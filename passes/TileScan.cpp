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
      auto u = cast<RankedTensorType>(scan.getU().getType());
      auto a = cast<RankedTensorType>(scan.getA().getType());
      const bool nlc = scan.getChannelsLast(); // u is [B, L, D], else [B, D, L]
      const int64_t d = u.getShape()[nlc ? 2 : 1], l = u.getShape()[nlc ? 1 : 2];
      const int64_t n = a.getShape()[1];
      const int64_t steps = std::min<int64_t>(chunk, l);
      const int64_t perBlock = std::min<int64_t>(channels, d);
      // What the scan kernel stages per step of a chunk: B, C and the
      // delta projection's inputs, fp32 (the emitter's own formula).
      const int64_t deltaInputs = stagedDeltaInputs(scan);
      const int64_t smem = scanSharedBytes(n, deltaInputs, steps);
      if (smem > *limit) {
        scan.emitError() << "tiling chunk " << steps << " (d_state " << n << ") needs " << smem
                         << " bytes of shared memory per block for B and C"
                         << (deltaInputs ? " and dt_proj's inputs" : "") << ", more than the "
                         << *limit << " bytes of " << arch << ": use a smaller chunk";
        return WalkResult::interrupt();
      }
      Builder b(scan);
      scan->setAttr("tiling", b.getDictionaryAttr({
                                  b.getNamedAttr("chunk", b.getI64IntegerAttr(steps)),
                                  b.getNamedAttr("channels", b.getI64IntegerAttr(perBlock)),
                                  b.getNamedAttr("smem_bytes", b.getI64IntegerAttr(smem)),
                                  b.getNamedAttr("state_in_registers", b.getUnitAttr()),
                              }));
      return WalkResult::advance();
    });
    if (r.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
