//===- GroupUtils.cpp - building, merging and naming kernel groups --------===//

#include "GroupUtils.h"
#include "SsmcOps.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/StringMap.h"

#include <fmt/format.h>

#include <map>
#include <set>

using namespace mlir;

namespace ssmc {

Role roleOf(Operation *op) {
  if (isa<LinearOp>(op))
    return Role::Gemm;
  if (isa<Conv2dOp, DepthwiseConv2dOp, CausalConv1dOp, SelectiveScanOp, ReduceMeanOp>(op))
    return Role::Anchor;
  if (isa<LayerNormOp, RmsNormOp>(op))
    return Role::Norm;
  if (isa<GeluOp, SiluOp, SoftplusOp, ExpOp, NegOp, ScaleOp, AddOp, MulOp>(op))
    return Role::Elementwise;
  if (isa<SplitOp, SliceOp, ConcatOp, PermuteOp, ReshapeOp, FlipOp>(op))
    return Role::View;
  if (isa<WeightOp>(op))
    return Role::Weight;
  return Role::Other;
}

std::string kernelGroupName(unsigned index, Block &body) {
  std::vector<std::string> names;
  for (Operation &op : body.without_terminator()) {
    if (roleOf(&op) == Role::Weight || roleOf(&op) == Role::View)
      continue;
    std::string n = op.getName().stripDialect().str();
    if (names.empty() || names.back() != n)
      names.push_back(n);
  }
  if (names.empty())
    names.push_back("copy");
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i)
    joined += (i ? "__" : "") + names[i];
  return fmt::format("g{:02}_{}", index, joined);
}

LogicalResult buildKernelGroups(Block &block, const std::vector<GroupPlan> &plans,
                                const llvm::DenseSet<Operation *> &rematerialized) {
  std::map<Operation *, size_t> position;
  for (Operation &op : block)
    position[&op] = position.size();
  std::map<Operation *, size_t> groupOf;
  for (size_t g = 0; g < plans.size(); ++g)
    for (Operation *op : plans[g].ops)
      groupOf[op] = g;

  // Each group's members: its planned ops plus the recomputed views it needs.
  std::vector<std::vector<Operation *>> members(plans.size());
  std::vector<std::set<size_t>> dependsOn(plans.size());
  for (size_t g = 0; g < plans.size(); ++g) {
    llvm::SetVector<Operation *> set(plans[g].ops.begin(), plans[g].ops.end());
    for (size_t i = 0; i < set.size(); ++i)
      for (Value v : set[i]->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (!def || isa<WeightOp>(def))
          continue;
        if (rematerialized.count(def))
          set.insert(def);
        else if (groupOf.count(def) && groupOf[def] != g)
          dependsOn[g].insert(groupOf[def]);
      }
    members[g].assign(set.begin(), set.end());
    std::sort(members[g].begin(), members[g].end(),
              [&](Operation *a, Operation *b) { return position[a] < position[b]; });
  }

  // Dependency order; ties keep program order.
  std::vector<size_t> order;
  std::vector<bool> placed(plans.size(), false);
  while (order.size() < plans.size()) {
    int next = -1;
    for (size_t g = 0; g < plans.size(); ++g) {
      if (placed[g] || !llvm::all_of(dependsOn[g], [&](size_t d) { return placed[d]; }))
        continue;
      if (next < 0 || position[members[g].front()] < position[members[next].front()])
        next = g;
    }
    if (next < 0)
      return block.getParentOp()->emitError("kernel groups would depend on each other in a cycle");
    placed[next] = true;
    order.push_back(next);
  }

  Operation *terminator = block.getTerminator();
  OpBuilder builder(terminator);
  IRMapping outer;
  for (auto [index, g] : llvm::enumerate(order)) {
    llvm::DenseSet<Operation *> inGroup(members[g].begin(), members[g].end());
    llvm::SetVector<Value> inputs, outputs;
    for (Operation *op : members[g]) {
      for (Value v : op->getOperands()) {
        Operation *def = v.getDefiningOp();
        if (def && (inGroup.count(def) || isa<WeightOp>(def)))
          continue;
        inputs.insert(v);
      }
      for (Value r : op->getResults())
        for (Operation *user : r.getUsers())
          if (!inGroup.count(user) && !(rematerialized.count(user) && rematerialized.count(op)))
            outputs.insert(r);
    }
    // A recomputed view's result is never an output: consumers recompute it.
    outputs.remove_if([&](Value v) { return rematerialized.count(v.getDefiningOp()); });

    SmallVector<Value> groupInputs;
    SmallVector<Type> inputTypes, outputTypes;
    for (Value v : inputs) {
      groupInputs.push_back(outer.lookupOrDefault(v));
      inputTypes.push_back(v.getType());
    }
    for (Value v : outputs)
      outputTypes.push_back(v.getType());
    auto group = builder.create<KernelGroupOp>(terminator->getLoc(), outputTypes,
                                               builder.getStringAttr(""), groupInputs);
    Block *body = new Block();
    group.getBody().push_back(body);
    IRMapping inner;
    for (auto [v, t] : llvm::zip(inputs, inputTypes))
      inner.map(v, body->addArgument(t, v.getLoc()));
    OpBuilder b = OpBuilder::atBlockEnd(body);
    for (Operation *op : members[g]) {
      for (Value v : op->getOperands())
        if (auto w = v.getDefiningOp<WeightOp>(); w && !inner.contains(v))
          inner.map(v, b.clone(*w)->getResult(0));
      b.clone(*op, inner);
    }
    SmallVector<Value> yielded;
    for (Value v : outputs)
      yielded.push_back(inner.lookup(v));
    b.create<YieldOp>(terminator->getLoc(), yielded);
    group.setName(kernelGroupName(index, *body));
    for (auto [v, r] : llvm::zip(outputs, group.getResults()))
      outer.map(v, r);
  }

  for (OpOperand &operand : terminator->getOpOperands())
    operand.set(outer.lookupOrDefault(operand.get()));
  // The originals are now unused: erase them, users before definitions.
  std::vector<Operation *> old;
  for (Operation &op : block)
    if (&op != terminator && !isa<KernelGroupOp>(op))
      old.push_back(&op);
  for (Operation *op : llvm::reverse(old))
    op->erase();
  return success();
}

/// One group doing the work of both (b may read a's results: they are then
/// taken from inside); inputs deduplicated, outputs concatenated.
KernelGroupOp mergeGroups(KernelGroupOp a, KernelGroupOp b) {
  OpBuilder builder(b);
  auto fromA = [&](Value v) { return v.getDefiningOp() == a.getOperation(); };
  llvm::SetVector<Value> inputs;
  inputs.insert(a.getInputs().begin(), a.getInputs().end());
  for (Value v : b.getInputs())
    if (!fromA(v))
      inputs.insert(v);
  SmallVector<Type> resultTypes(a.getResultTypes());
  llvm::append_range(resultTypes, b.getResultTypes());
  auto merged = builder.create<KernelGroupOp>(a.getLoc(), resultTypes, a.getNameAttr(),
                                              inputs.getArrayRef());
  for (NamedAttribute attr : a->getDiscardableAttrs())
    merged->setAttr(attr.getName(), attr.getValue());
  Block *body = new Block();
  merged.getBody().push_back(body);
  llvm::DenseMap<Value, Value> argFor;
  for (Value v : inputs)
    argFor[v] = body->addArgument(v.getType(), v.getLoc());
  OpBuilder inner = OpBuilder::atBlockEnd(body);
  SmallVector<Value> yielded;
  llvm::StringMap<Value> weights; // each parameter read once per kernel
  for (KernelGroupOp g : {a, b}) {
    IRMapping map;
    for (auto [input, arg] : llvm::zip(g.getInputs(), g.getBody().front().getArguments()))
      map.map(arg, fromA(input) ? yielded[cast<OpResult>(input).getResultNumber()]
                                : argFor[input]);
    for (Operation &op : g.getBody().front()) {
      if (auto y = dyn_cast<YieldOp>(op)) {
        for (Value v : y.getValues())
          yielded.push_back(map.lookup(v));
        continue;
      }
      if (auto w = dyn_cast<WeightOp>(op)) {
        auto [it, fresh] = weights.try_emplace(w.getName(), Value());
        if (!fresh && it->second.getType() == w.getType()) {
          map.map(w.getResult(), it->second);
          continue;
        }
        it->second = inner.clone(op, map)->getResult(0);
        continue;
      }
      inner.clone(op, map);
    }
  }
  inner.create<YieldOp>(a.getLoc(), yielded);
  a.replaceAllUsesWith(merged.getResults().take_front(a.getNumResults()));
  b.replaceAllUsesWith(merged.getResults().drop_front(a.getNumResults()));
  a.erase();
  b.erase();
  return merged;
}

namespace {
/// A group writes only what someone reads.
void dropUnusedResultsOf(KernelGroupOp g) {
  SmallVector<unsigned> kept;
  for (OpResult r : g->getResults())
    if (!r.use_empty())
      kept.push_back(r.getResultNumber());
  if (kept.size() == g.getNumResults())
    return;
  auto yield = cast<YieldOp>(g.getBody().front().getTerminator());
  SmallVector<Value> values;
  SmallVector<Type> types;
  for (unsigned i : kept) {
    values.push_back(yield.getValues()[i]);
    types.push_back(g.getResult(i).getType());
  }
  OpBuilder b(g);
  auto slim = b.create<KernelGroupOp>(g.getLoc(), types, g.getNameAttr(), g.getInputs());
  slim.getBody().takeBody(g.getBody());
  OpBuilder y(yield);
  y.create<YieldOp>(yield.getLoc(), values);
  yield.erase();
  for (auto [n, i] : llvm::enumerate(kept))
    g.getResult(i).replaceAllUsesWith(slim.getResult(n));
  g.erase();
}

} // namespace

void dropUnusedResults(Block &block) {
  for (KernelGroupOp g : llvm::make_early_inc_range(block.getOps<KernelGroupOp>()))
    dropUnusedResultsOf(g);
}

void renameGroups(Block &block) {
  unsigned index = 0;
  for (KernelGroupOp g : block.getOps<KernelGroupOp>())
    g.setName(kernelGroupName(index++, g.getBody().front()));
}

void foldElementwiseGroups(Block &block,
                           llvm::function_ref<bool(KernelGroupOp, KernelGroupOp)> accept) {
  for (bool changed = true; changed;) {
    changed = false;
    for (KernelGroupOp g : llvm::make_early_inc_range(block.getOps<KernelGroupOp>())) {
      if (!anchorKey(llvm::make_pointer_range(g.getBody().front())).empty() ||
          g.getInputs().empty())
        continue;
      auto producer = g.getInputs()[0].getDefiningOp<KernelGroupOp>();
      if (!producer || !accept(producer, g) || !llvm::all_of(g.getInputs(), [&](Value v) {
            return v.getDefiningOp() == producer.getOperation();
          }))
        continue;
      // The producer keeps all its results (others may use them) and adds g's.
      mergeGroups(producer, g);
      (void)sortTopologically(&block); // the producer's other users follow it
      changed = true;
      break;
    }
  }
}

} // namespace ssmc
