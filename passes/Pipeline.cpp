//===- Pipeline.cpp - the order of ssmc's passes --------------------------===//

#include "Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

namespace ssmc {

std::vector<PipelineStage> ssmcPipelineStages(const PipelineOptions &options) {
  TileScanOptions tiling;
  tiling.arch = options.arch;
  tiling.sms = options.sms;
  return {
      {"ssmc-verify-model", [](OpPassManager &pm) { pm.addPass(createVerifyModel()); }},
      {"canonicalize", [](OpPassManager &pm) { pm.addPass(createCanonicalizerPass()); }},
      {"cse", [](OpPassManager &pm) { pm.addPass(createCSEPass()); }},
      {"ssmc-patch-gemm",
       [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createPatchGemm()); }},
      // Flips first: the backward branch's conv1d and scan then read the same
      // transposes as the forward's, and both turn channels-last.
      {"ssmc-fold-flips",
       [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createFoldFlips()); }},
      // Before the layout: fc2's rows are then whole 16-byte pieces already.
      {"ssmc-align-hidden",
       [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createAlignHidden()); }},
      {"ssmc-layout", [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createLayout()); }},
      // The SMs as given (0 without a target, as in ssmc-opt's pipeline:
      // every convolution that can keeps its norm).
      {"ssmc-form-kernel-groups",
       [sms = options.sms](OpPassManager &pm) {
         pm.addNestedPass<func::FuncOp>(createFormKernelGroups(FormKernelGroupsOptions{sms}));
       }},
      {"ssmc-merge-sibling-groups",
       [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createMergeSiblingGroups()); }},
      {"ssmc-tile-scan",
       [tiling](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createTileScan(tiling)); }},
      {"ssmc-plan-memory",
       [](OpPassManager &pm) { pm.addNestedPass<func::FuncOp>(createPlanMemory()); }},
  };
}

void buildSsmcPipeline(OpPassManager &pm, const PipelineOptions &options) {
  for (const PipelineStage &stage : ssmcPipelineStages(options))
    stage.add(pm);
}

void registerSsmcPipelines() {
  PassPipelineRegistration<>("ssmc-default-pipeline",
                             "The pipeline `ssmc compile` runs, all stages in order",
                             [](OpPassManager &pm) { buildSsmcPipeline(pm); });
}

} // namespace ssmc
