//===- Codegen.cpp - one CUDA C++ kernel per kernel group -----------------===//

#include "Codegen.h"
#include "Kernels.h"

#include "mlir/IR/AsmState.h"

#include <fmt/format.h>

using namespace mlir;

namespace ssmc::codegen {

std::optional<DType> parseDType(std::string_view name) {
  if (name == "f32")
    return DType::F32;
  if (name == "bf16")
    return DType::BF16;
  if (name == "f16")
    return DType::F16;
  return std::nullopt;
}

const char *dtypeName(DType t) {
  switch (t) {
  case DType::F32:
    return "f32";
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  }
  return "f32";
}

int64_t dtypeBytes(DType t) { return t == DType::F32 ? 4 : 2; }

const char *paramKindName(KernelParam::Kind k) {
  switch (k) {
  case KernelParam::Kind::Input:
    return "input";
  case KernelParam::Kind::Weight:
    return "weight";
  case KernelParam::Kind::Output:
    return "output";
  case KernelParam::Kind::Workspace:
    return "workspace";
  }
  return "input";
}

int64_t sharedMemoryLimit(std::string_view arch) {
  if (arch == "sm_90" || arch == "sm_90a" || arch == "sm_100" || arch == "sm_100a")
    return 227 * 1024;
  if (arch == "sm_80" || arch == "sm_87")
    return 163 * 1024;
  if (arch == "sm_86" || arch == "sm_89")
    return 99 * 1024;
  return 99 * 1024;
}

std::vector<std::string> configDefines(const LaunchConfig &config) {
  std::vector<std::string> out;
  for (const auto &[name, value] : config.tunables)
    out.push_back(fmt::format("-DSSMC_{}={}", name, value));
  return out;
}

rt::Expected<DType> resolveDType(Operation *op, const CodegenOptions &options) {
  std::string name = options.dtype;
  if (name.empty()) {
    auto module = isa<ModuleOp>(op) ? cast<ModuleOp>(op) : op->getParentOfType<ModuleOp>();
    auto attr = module ? module->getAttrOfType<StringAttr>("ssmc.dtype") : StringAttr();
    name = attr ? attr.getValue().str() : "f32";
  }
  auto t = parseDType(name);
  if (!t)
    return rt::Status::error(fmt::format("unknown storage type '{}': use f32, bf16 or f16", name));
  return *t;
}

std::string canonicalSource(const rt::KernelSource &k) {
  std::string out;
  size_t pos = 0;
  while (pos < k.source.size()) {
    size_t end = k.source.find('\n', pos);
    if (end == std::string::npos)
      end = k.source.size();
    std::string line = k.source.substr(pos, end - pos);
    if (size_t c = line.find("//"); c != std::string::npos)
      line.erase(c);
    if (line.find_first_not_of(' ') != std::string::npos)
      out += line + "\n";
    pos = end + 1;
  }
  if (!k.entry.empty())
    for (size_t at = out.find(k.entry); at != std::string::npos; at = out.find(k.entry, at))
      out.replace(at, k.entry.size(), "KERNEL");
  return out;
}

namespace {
rt::Expected<KernelPlan> generate(KernelGroupOp group, const CodegenOptions &options,
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

rt::Expected<KernelPlan> generateKernel(KernelGroupOp group, const CodegenOptions &options) {
  AsmState state(printingRoot(group), OpPrintingFlags().elideLargeElementsAttrs());
  return generate(group, options, state);
}

rt::Expected<std::vector<KernelPlan>> generateKernels(func::FuncOp entry,
                                                       const CodegenOptions &options) {
  AsmState state(printingRoot(entry), OpPrintingFlags().elideLargeElementsAttrs());
  std::vector<KernelPlan> plans;
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
