//===- MergeSiblingGroups.cpp - one kernel for independent twin groups ----===//

#include "GroupUtils.h"
#include "Passes.h"
#include "SsmcOps.h"

#include "mlir/Analysis/TopologicalSortUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringMap.h"

#include <set>

namespace ssmc {
#define GEN_PASS_DEF_MERGESIBLINGGROUPS
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc;

namespace {

/// The heavy ops a group runs, by name: groups with the same key are twins.
std::multiset<std::string> anchorKey(KernelGroupOp g) {
  return ssmc::anchorKey(llvm::make_pointer_range(g.getBody().front()));
}

/// The ops (or block arguments) that produce a group's inputs.
std::set<void *> producers(KernelGroupOp g) {
  std::set<void *> p;
  for (Value v : g.getInputs())
    p.insert(v.getDefiningOp() ? static_cast<void *>(v.getDefiningOp())
                               : v.getAsOpaquePointer());
  return p;
}

bool reaches(Operation *from, Operation *to) {
  SmallVector<Operation *> work{from};
  llvm::DenseSet<Operation *> seen;
  while (!work.empty()) {
    Operation *cur = work.pop_back_val();
    if (cur == to)
      return true;
    if (!seen.insert(cur).second)
      continue;
    for (Operation *u : cur->getUsers())
      work.push_back(u);
  }
  return false;
}

/// One group doing the work of both (b may read a's results: they are then
/// taken from inside); inputs deduplicated, outputs concatenated.
KernelGroupOp merge(KernelGroupOp a, KernelGroupOp b) {
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

/// A group writes only what someone reads.
void dropUnusedResults(KernelGroupOp g) {
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

/// A group without anchors (elementwise ops and views) whose inputs all come
/// from one group becomes that group's epilogue: it depends on nothing else,
/// so this cannot make a cycle.
void foldElementwiseGroups(Block &block) {
  for (bool changed = true; changed;) {
    changed = false;
    for (KernelGroupOp g : llvm::make_early_inc_range(block.getOps<KernelGroupOp>())) {
      if (!anchorKey(g).empty() || g.getInputs().empty())
        continue;
      auto producer = g.getInputs()[0].getDefiningOp<KernelGroupOp>();
      if (!producer || !llvm::all_of(g.getInputs(), [&](Value v) {
            return v.getDefiningOp() == producer.getOperation();
          }))
        continue;
      // The producer keeps all its results (others may use them) and adds g's.
      merge(producer, g);
      (void)sortTopologically(&block); // the producer's other users follow it
      changed = true;
      break;
    }
  }
}

struct MergeSiblingGroupsPass : ssmc::impl::MergeSiblingGroupsBase<MergeSiblingGroupsPass> {
  void runOnOperation() override {
    Block &block = getOperation().getBody().front();
    for (bool changed = true; changed;) {
      changed = false;
      SmallVector<KernelGroupOp> groups(block.getOps<KernelGroupOp>());
      for (size_t i = 0; i < groups.size() && !changed; ++i)
        for (size_t j = i + 1; j < groups.size() && !changed; ++j) {
          KernelGroupOp a = groups[i], b = groups[j];
          auto key = anchorKey(a);
          if (key.empty() || key != anchorKey(b))
            continue;
          std::set<void *> pa = producers(a), pb = producers(b), common;
          std::set_intersection(pa.begin(), pa.end(), pb.begin(), pb.end(),
                                std::inserter(common, common.begin()));
          if (common.empty() || reaches(a, b) || reaches(b, a))
            continue;
          merge(a, b);
          changed = true;
        }
      // Users of the first twin may sit before the merged group: reorder.
      if (changed && !sortTopologically(&block)) {
        getOperation().emitError("merging kernel groups made a cycle");
        return signalPassFailure();
      }
    }
    foldElementwiseGroups(block);
    for (KernelGroupOp g : llvm::make_early_inc_range(block.getOps<KernelGroupOp>()))
      dropUnusedResults(g);
    unsigned index = 0;
    for (KernelGroupOp g : block.getOps<KernelGroupOp>())
      g.setName(kernelGroupName(index++, g.getBody().front()));
  }
};
} // namespace
