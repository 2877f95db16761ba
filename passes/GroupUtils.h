//===- GroupUtils.h - building and naming kernel groups -------------------===//

#ifndef SSMC_PASSES_GROUPUTILS_H
#define SSMC_PASSES_GROUPUTILS_H

#include "SsmcOps.h"

#include "mlir/IR/Block.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/DenseSet.h"

#include <set>
#include <string>
#include <vector>

namespace ssmc {

/// What an op is to fusion. Anchors (GEMMs and the other heavy ops) start
/// kernels; norms, elementwise ops and views attach to them.
enum class Role { Gemm, Anchor, Norm, Elementwise, View, Weight, Other };
Role roleOf(mlir::Operation *op);
inline bool isAnchor(mlir::Operation *op) {
  Role r = roleOf(op);
  return r == Role::Gemm || r == Role::Anchor;
}

/// The names of the anchors among `ops`: groups with equal keys are twins.
template <class Range> std::multiset<std::string> anchorKey(Range &&ops) {
  std::multiset<std::string> key;
  for (auto &&op : ops)
    if (isAnchor(&*op))
      key.insert((&*op)->getName().stripDialect().str());
  return key;
}

struct GroupPlan {
  std::vector<mlir::Operation *> ops;
};

/// Replaces the block's ops by one ssmc.kernel_group per plan, in dependency
/// order. Weights are cloned into the groups that use them; `rematerialized`
/// ops are cloned into every group that consumes them. Fails (with a
/// diagnostic) if the plans depend on each other in a cycle.
mlir::LogicalResult buildKernelGroups(mlir::Block &block, const std::vector<GroupPlan> &plans,
                                      const llvm::DenseSet<mlir::Operation *> &rematerialized);

/// "g03_linear__add": the position and the compute ops it fuses (views and
/// weights left out, repeats collapsed).
std::string kernelGroupName(unsigned index, mlir::Block &body);

/// Every group of the block named after its position and ops.
void renameGroups(mlir::Block &block);

/// One group doing the work of both, where `a` stood (b may read a's
/// results: they are then taken from inside); inputs deduplicated, outputs
/// concatenated (a's, then b's), a's attributes kept. Both are erased.
KernelGroupOp mergeGroups(KernelGroupOp a, KernelGroupOp b);

/// Each group without an anchor (elementwise ops, views, a norm) whose
/// inputs all come from one group becomes that group's epilogue where
/// `accept(producer, group)` says so (it depends on nothing else, so this
/// cannot make a cycle); repeated until nothing changes, so chains fold too.
void foldElementwiseGroups(mlir::Block &block,
                           llvm::function_ref<bool(KernelGroupOp, KernelGroupOp)> accept);

/// A group writes only what someone reads: results nobody uses are dropped.
void dropUnusedResults(mlir::Block &block);

} // namespace ssmc

#endif // SSMC_PASSES_GROUPUTILS_H
