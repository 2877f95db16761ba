//===- Pipeline.cpp - the order of ssmc's passes --------------------------===//

#include "Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace ssmc {

std::vector<PipelineStage> ssmcPipelineStages() {
  return {
      {"ssmc-verify-model", [](OpPassManager &pm) { pm.addPass(createVerifyModel()); }},
      {"canonicalize", [](OpPassManager &pm) { pm.addPass(createCanonicalizerPass()); }},
      {"cse", [](OpPassManager &pm) { pm.addPass(createCSEPass()); }},
      {"ssmc-form-kernel-groups",
       [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createFormKernelGroups()); }},
      {"ssmc-merge-sibling-groups",
       [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createMergeSiblingGroups()); }},
      {"ssmc-tile-scan",
       [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createTileScan()); }},
  };
}

void buildSsmcPipeline(OpPassManager &pm) {
  for (const PipelineStage &stage : ssmcPipelineStages())
    stage.add(pm);
}

void registerSsmcPipelines() {
  PassPipelineRegistration<>("ssmc-default-pipeline",
                             "The pipeline `ssmc compile` runs, all stages in order",
                             buildSsmcPipeline);
}

} // namespace ssmc
