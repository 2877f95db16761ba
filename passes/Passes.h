//===- Passes.h - ssmc passes and the default pipeline --------------------===//

#ifndef SSMC_PASSES_PASSES_H
#define SSMC_PASSES_PASSES_H

#include "ScanTiling.h"

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

/// What the whole pipeline needs to know about the target.
struct PipelineOptions {
  std::string arch = "sm_90"; ///< for the shared-memory limits of tiling
  int64_t sms = 0;            ///< the target GPU's SMs (0: arch's usual GPU), for scan splits
};

/// The stages `ssmc compile` runs, in order. The only place that orders passes.
std::vector<PipelineStage> ssmcPipelineStages(const PipelineOptions &options = {});

/// All stages into one pass manager (`ssmc-opt --ssmc-default-pipeline`).
void buildSsmcPipeline(mlir::OpPassManager &pm, const PipelineOptions &options = {});

/// Registers `ssmc-default-pipeline` with the pass registry.
void registerSsmcPipelines();

} // namespace ssmc

#endif // SSMC_PASSES_PASSES_H
