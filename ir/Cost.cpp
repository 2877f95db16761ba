//===- Cost.cpp - FLOPs and minimum bytes of ssmc ops ---------------------===//

#include "Cost.h"
#include "SsmcOps.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace ssmc {
namespace {
int64_t elements(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }
} // namespace

int64_t tensorBytes(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
}

OpCost estimateCost(Operation *op) {
  OpCost cost;
  if (isa<WeightOp>(op))
    return cost;
  for (Value v : op->getOperands())
    cost.bytes += tensorBytes(v);
  for (Value v : op->getResults())
    cost.bytes += tensorBytes(v);
  cost.flops = llvm::TypeSwitch<Operation *, int64_t>(op)
                   .Case<LinearOp>([](LinearOp o) {
                     auto w = cast<RankedTensorType>(o.getWeight().getType()).getShape();
                     return 2 * elements(o.getResult()) * w[1];
                   })
                   .Case<Conv2dOp>([](Conv2dOp o) {
                     auto w = cast<RankedTensorType>(o.getWeight().getType()).getShape();
                     return 2 * elements(o.getResult()) * w[1] * w[2] * w[3];
                   })
                   .Case<DepthwiseConv2dOp>([](DepthwiseConv2dOp o) {
                     auto w = cast<RankedTensorType>(o.getWeight().getType()).getShape();
                     return 2 * elements(o.getResult()) * w[2] * w[3];
                   })
                   .Case<CausalConv1dOp>([](CausalConv1dOp o) {
                     auto w = cast<RankedTensorType>(o.getWeight().getType()).getShape();
                     return 2 * elements(o.getResult()) * w[2];
                   })
                   .Case<SelectiveScanOp>([](SelectiveScanOp o) {
                     // Per (b, d, t, n): exp, 2 mul + add for the state, mul-add for y.
                     auto a = cast<RankedTensorType>(o.getA().getType()).getShape();
                     return 6 * elements(o.getOut()) * a[1];
                   })
                   .Case<LayerNormOp, RmsNormOp>(
                       [](Operation *o) { return 5 * elements(o->getResult(0)); })
                   .Case<SplitOp, SliceOp, ConcatOp, PermuteOp, ReshapeOp, FlipOp>(
                       [](Operation *) { return int64_t{0}; })
                   .Case<ReduceMeanOp>([](ReduceMeanOp o) { return elements(o.getInput()); })
                   .Default([](Operation *o) {
                     return o->getNumResults() ? elements(o->getResult(0)) : int64_t{0};
                   });
  // A reshape moves nothing.
  if (isa<ReshapeOp>(op))
    cost.bytes = 0;
  return cost;
}

} // namespace ssmc
