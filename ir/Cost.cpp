//===- Cost.cpp - FLOPs and minimum bytes of ssmc ops ---------------------===//

#include "Cost.h"
#include "SsmcOps.h"

#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>

using namespace mlir;

namespace ssmc {
namespace {
int64_t elements(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }
int64_t dimOf(Value v, int64_t axis) {
  return cast<RankedTensorType>(v.getType()).getDimSize(unsigned(axis));
}

/// The bytes of a group input its kernel must read: all of it, or, where
/// every use is a split or slice along one axis, the parts that are used
/// (Vision Mamba's conv1d reads the x half of in_proj's x|z result).
int64_t bytesRead(Value input, BlockArgument inside) {
  const int64_t whole = tensorBytes(input);
  std::optional<int64_t> axis;
  std::vector<std::pair<int64_t, int64_t>> parts; // [begin, end) along the axis
  for (Operation *user : inside.getUsers()) {
    int64_t along = -1;
    if (auto split = dyn_cast<SplitOp>(user)) {
      along = split.getAxis();
      int64_t start = 0;
      for (OpResult r : split->getResults()) {
        const int64_t size = dimOf(r, along);
        if (!r.use_empty())
          parts.emplace_back(start, start + size);
        start += size;
      }
    } else if (auto slice = dyn_cast<SliceOp>(user)) {
      along = slice.getAxis();
      parts.emplace_back(slice.getStart(), slice.getStart() + dimOf(slice.getResult(), along));
    } else {
      return whole;
    }
    if (axis && *axis != along)
      return whole;
    axis = along;
  }
  const int64_t size = axis ? dimOf(inside, *axis) : 0;
  if (size <= 0)
    return whole;
  std::sort(parts.begin(), parts.end());
  int64_t used = 0, end = 0;
  for (auto [b, e] : parts) {
    used += std::max<int64_t>(0, e - std::max(b, end));
    end = std::max(end, e);
  }
  return whole / size * std::min(used, size);
}
} // namespace

int64_t storageElementBytes(ModuleOp module, Type elementType) {
  auto dtype = module ? module->getAttrOfType<StringAttr>(ssmc::kDtypeAttr) : StringAttr();
  if (dtype && (dtype.getValue() == "bf16" || dtype.getValue() == "f16") && isa<FloatType>(elementType))
    return 2;
  return (elementType.getIntOrFloatBitWidth() + 7) / 8;
}

int64_t tensorBytes(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  Operation *scope = v.getDefiningOp() ? v.getDefiningOp() : v.getParentBlock()->getParentOp();
  auto module = scope ? (isa<ModuleOp>(scope) ? cast<ModuleOp>(scope)
                                              : scope->getParentOfType<ModuleOp>())
                      : ModuleOp();
  if (isStoredAsF32(v))
    return t.getNumElements() * 4;
  return t.getNumElements() * storageElementBytes(module, t.getElementType());
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
  if (isa<LinearOp, Conv2dOp>(op))
    cost.matmulFlops = cost.flops;
  cost.transcendentals = llvm::TypeSwitch<Operation *, int64_t>(op)
                             .Case<ExpOp>([](ExpOp o) { return elements(o.getResult()); })
                             .Case<SiluOp, SoftplusOp>(
                                 [](Operation *o) { return 2 * elements(o->getResult(0)); })
                             .Case<LayerNormOp, RmsNormOp>([](Operation *o) {
                               auto t = cast<RankedTensorType>(o->getResult(0).getType());
                               return t.getNumElements() / std::max<int64_t>(1, t.getShape().back());
                             })
                             .Case<SelectiveScanOp>([](SelectiveScanOp o) {
                               // exp(delta * A) per state; softplus and silu(z) per step.
                               auto a = cast<RankedTensorType>(o.getA().getType()).getShape();
                               const int64_t steps = elements(o.getOut());
                               return steps * a[1] + (o.getDeltaSoftplus() ? 2 * steps : 0) +
                                      (o.getZ() ? 2 * steps : 0);
                             })
                             .Default([](Operation *) { return int64_t{0}; });
  // A reshape moves nothing.
  if (isa<ReshapeOp>(op))
    cost.bytes = 0;
  return cost;
}

OpCost estimateGroupCost(KernelGroupOp group) {
  OpCost cost;
  for (auto [v, inside] : llvm::zip(group.getInputs(), group.getBody().front().getArguments()))
    cost.bytes += bytesRead(v, inside);
  for (Value v : group->getResults())
    cost.bytes += tensorBytes(v);
  for (Operation &inner : group.getBody().front().without_terminator()) {
    if (auto w = dyn_cast<WeightOp>(inner)) {
      cost.bytes += tensorBytes(w.getResult());
      continue;
    }
    OpCost c = estimateCost(&inner);
    cost.flops += c.flops;
    cost.matmulFlops += c.matmulFlops;
    cost.transcendentals += c.transcendentals;
  }
  return cost;
}

} // namespace ssmc
