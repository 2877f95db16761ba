//===- AxisMap.cpp - how a result's axes reach a producer's ---------------===//

#include "AxisMap.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace ssmc::codegen {

AxisTracer::AxisTracer(GroupEmitter &e, const llvm::DenseMap<Value, size_t> &targets,
                       std::string why)
    : e_(e), targets_(targets), why_(std::move(why)) {
  for (auto &[v, i] : targets)
    roots_.insert(v);
}

bool AxisTracer::dependsOnTargets(Value v) { return GroupEmitter::dependsOn(v, roots_, memo_); }

AxisMap AxisTracer::identity(const std::vector<int64_t> &shape) {
  AxisMap m(shape.size());
  for (size_t a = 0; a < shape.size(); ++a)
    if (shape[a] != 1)
      m[a] = AxisExpr{int(a), false};
  return m;
}

rt::Status AxisTracer::trace(Value v, const AxisMap &map, std::vector<TargetRead> &reads) {
  if (auto it = targets_.find(v); it != targets_.end()) {
    reads.push_back({it->second, map});
    return rt::Status::success();
  }
  if (!dependsOnTargets(v))
    return rt::Status::success();
  Operation *op = v.getDefiningOp();
  return llvm::TypeSwitch<Operation *, rt::Status>(op)
      .Case<GeluOp, SiluOp, SoftplusOp, ExpOp, NegOp, ScaleOp>(
          [&](Operation *o) { return trace(o->getOperand(0), map, reads); })
      .Case<AddOp, MulOp>([&](Operation *o) -> rt::Status {
        for (Value operand : o->getOperands()) {
          std::vector<int64_t> s = GroupEmitter::shape(operand);
          AxisMap m;
          const size_t offset = map.size() - s.size();
          for (size_t j = 0; j < s.size(); ++j)
            m.push_back(s[j] == 1 ? AxisExpr{} : map[j + offset]);
          if (rt::Status st = trace(operand, m, reads); !st.ok())
            return st;
        }
        return rt::Status::success();
      })
      .Case<PermuteOp>([&](PermuteOp o) {
        AxisMap m(map.size());
        auto perm = o.getPerm();
        for (size_t i = 0; i < perm.size(); ++i)
          m[perm[i]] = map[i];
        return trace(o.getInput(), m, reads);
      })
      .Case<FlipOp>([&](FlipOp o) {
        AxisMap m = map;
        if (m[o.getAxis()].axis >= 0)
          m[o.getAxis()].flip = !m[o.getAxis()].flip;
        return trace(o.getInput(), m, reads);
      })
      .Case<ReshapeOp>([&](ReshapeOp o) -> rt::Status {
        std::vector<int64_t> from = GroupEmitter::shape(o.getInput()),
                             to = GroupEmitter::shape(o.getResult());
        auto axes = unitDimReshape(from, to);
        if (!axes)
          return e_.unsupported(o, why_);
        AxisMap m(from.size());
        for (auto [fromAxis, toAxis] : *axes)
          m[fromAxis] = map[toAxis];
        return trace(o.getInput(), m, reads);
      })
      .Default([&](Operation *o) { return e_.unsupported(o, why_); });
}

} // namespace ssmc::codegen
