//===- ScanTiling.cpp - what a scan kernel stages --------------------------===//

#include "ScanTiling.h"

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

} // namespace ssmc
