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

/// Marks the groups this pass made, while it runs.
constexpr llvm::StringLiteral kMergedTwinsAttr = "ssmc.merged_twins";

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
          mergeGroups(a, b)->setAttr(kMergedTwinsAttr, UnitAttr::get(&getContext()));
          changed = true;
        }
      // Users of the first twin may sit before the merged group: reorder.
      if (changed && !sortTopologically(&block)) {
        getOperation().emitError("merging kernel groups made a cycle");
        return signalPassFailure();
      }
    }
    // The join of merged twins (Vim's forward + backward sum) reads one
    // group now: it becomes that group's epilogue.
    foldElementwiseGroups(block, [](KernelGroupOp producer, KernelGroupOp) {
      return producer->hasAttr(kMergedTwinsAttr);
    });
    for (KernelGroupOp g : block.getOps<KernelGroupOp>())
      g->removeAttr(kMergedTwinsAttr);
    dropUnusedResults(block);
    renameGroups(block);
  }
};
} // namespace
