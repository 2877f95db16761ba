//===- GroupUtils.h - building and naming kernel groups -------------------===//

#ifndef SSMC_PASSES_GROUPUTILS_H
#define SSMC_PASSES_GROUPUTILS_H

#include "mlir/IR/Block.h"
#include "llvm/ADT/DenseSet.h"

#include <string>
#include <vector>

namespace ssmc {

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

} // namespace ssmc

#endif // SSMC_PASSES_GROUPUTILS_H
