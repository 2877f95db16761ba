//===- ScanTiling.cpp - what a scan kernel stages --------------------------===//

#include "ScanTiling.h"

#include <algorithm>

using namespace mlir;

namespace ssmc {

LinearOp stagedDeltaProjection(SelectiveScanOp scan) {
  Value delta = scan.getDelta();
  if (!scan.getChannelsLast()) {
    auto p = delta.getDefiningOp<PermuteOp>();
    if (!p || p.getPerm() != ArrayRef<int64_t>{0, 2, 1})
      return {};
    delta = p.getInput();
  }
  auto linear = delta.getDefiningOp<LinearOp>();
  if (!linear || linear->getBlock() != scan->getBlock())
    return {};
  auto x = cast<RankedTensorType>(linear.getInput().getType());
  auto w = cast<RankedTensorType>(linear.getWeight().getType());
  if (x.getRank() != 3 || w.getRank() != 2 || w.getDimSize(1) > kMaxStagedDeltaInputs)
    return {};
  return linear;
}

int64_t stagedDeltaInputs(SelectiveScanOp scan) {
  LinearOp linear = stagedDeltaProjection(scan);
  return linear ? cast<RankedTensorType>(linear.getWeight().getType()).getDimSize(1) : 0;
}

int64_t scanChannels(SelectiveScanOp scan) {
  return cast<RankedTensorType>(scan.getU().getType()).getDimSize(scan.getChannelsLast() ? 2 : 1);
}

int64_t scanLength(SelectiveScanOp scan) {
  return cast<RankedTensorType>(scan.getU().getType()).getDimSize(scan.getChannelsLast() ? 1 : 2);
}

ScanTilingAttr chooseScanTiling(SelectiveScanOp scan, int64_t chunk, int64_t channels) {
  const int64_t steps = std::clamp<int64_t>(chunk, 1, std::max<int64_t>(1, scanLength(scan)));
  const int64_t perBlock =
      std::clamp<int64_t>(channels, 1, std::clamp<int64_t>(scanChannels(scan), 1, 1024));
  const int64_t states = cast<RankedTensorType>(scan.getA().getType()).getDimSize(1);
  return ScanTilingAttr::get(scan.getContext(), steps, perBlock,
                             scanSharedBytes(states, stagedDeltaInputs(scan), steps));
}

} // namespace ssmc
