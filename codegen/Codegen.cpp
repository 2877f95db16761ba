//===- Codegen.cpp - one CUDA C++ kernel per kernel group -----------------===//

#include "Codegen.h"
#include "Kernels.h"
#include "SsmcOps.h"

#include "Support/Arch.h"

#include "mlir/IR/AsmState.h"

#include <fmt/format.h>

using namespace mlir;

namespace ssmc::codegen {

int64_t sharedMemoryLimit(std::string_view arch) {
  // An unknown target gets the smallest limit of the known ones.
  return rt::sharedMemoryPerBlock(arch).value_or(99 * 1024);
}

rt::Expected<rt::DType> resolveDType(Operation *op, const CodegenOptions &options) {
  std::string name = options.dtype;
  if (name.empty()) {
    auto module = isa<ModuleOp>(op) ? cast<ModuleOp>(op) : op->getParentOfType<ModuleOp>();
    auto attr = module ? module->getAttrOfType<StringAttr>(ssmc::kDtypeAttr) : StringAttr();
    name = attr ? attr.getValue().str() : "f32";
  }
  auto t = rt::parsePlanDType(name);
  if (!t)
    return rt::Status::error(fmt::format("unknown storage type '{}': use f32, bf16 or f16", name));
  return *t;
}

namespace {
rt::Expected<rt::PlanKernel> generate(KernelGroupOp group, const CodegenOptions &options,
                                  AsmState &state) {
  auto dtype = resolveDType(group, options);
  if (!dtype)
    return dtype.status();
  GroupEmitter e(group, *dtype, state);
  if (rt::Status s = e.init(); !s.ok())
    return s;
  bool hasScan = false;
  group.getBody().walk([&](SelectiveScanOp) { hasScan = true; });
  if (hasScan)
    return emitScanKernel(e, options);
  if (options.tensorCoreGemm && isGemmGroup(e))
    return emitGemmKernel(e, options);
  if (isDepthwiseGroup(e))
    return emitDepthwiseKernel(e, options);
  if (isConv1dGroup(e))
    return emitConv1dKernel(e, options);
  if (isRowGroup(e))
    return emitRowKernel(e, options);
  return emitGenericKernel(e, options);
}

Operation *printingRoot(Operation *op) {
  Operation *root = op;
  while (Operation *parent = root->getParentOp())
    root = parent;
  return root;
}
} // namespace

rt::Expected<rt::PlanKernel> generateKernel(KernelGroupOp group, const CodegenOptions &options) {
  AsmState state(printingRoot(group), OpPrintingFlags().elideLargeElementsAttrs());
  return generate(group, options, state);
}

rt::Expected<std::vector<rt::PlanKernel>> generateKernels(func::FuncOp entry,
                                                           const CodegenOptions &options) {
  AsmState state(printingRoot(entry), OpPrintingFlags().elideLargeElementsAttrs());
  std::vector<rt::PlanKernel> plans;
  for (Operation &op : entry.getBody().front()) {
    if (isa<func::ReturnOp, WeightOp>(op))
      continue;
    auto group = dyn_cast<KernelGroupOp>(op);
    if (!group)
      return rt::Status::error(fmt::format(
          "code generation needs every op in a kernel group, but '{}' is not in one: run the "
          "whole pipeline (not --stop-after) first",
          op.getName().getStringRef().str()));
    auto plan = generate(group, options, state);
    if (!plan)
      return plan.status();
    plans.push_back(std::move(*plan));
  }
  return plans;
}

} // namespace ssmc::codegen
