//===- Passes.h - ssmc passes and the default pipeline --------------------===//

#ifndef SSMC_PASSES_PASSES_H
#define SSMC_PASSES_PASSES_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace ssmc {

#define GEN_PASS_DECL
#include "Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "Passes.h.inc"

/// One stage of the default pipeline: the name used in dumps
/// ("ssmc-verify-model", "canonicalize", ...) and how to add it.
struct PipelineStage {
  std::string name;
  std::function<void(mlir::OpPassManager &)> add;
};

/// The stages `ssmc compile` runs, in order. The only place that orders passes.
std::vector<PipelineStage> ssmcPipelineStages();

/// All stages into one pass manager (`ssmc-opt --ssmc-default-pipeline`).
void buildSsmcPipeline(mlir::OpPassManager &pm);

/// Registers `ssmc-default-pipeline` with the pass registry.
void registerSsmcPipelines();

} // namespace ssmc

#endif // SSMC_PASSES_PASSES_H
