//===- Codegen.cpp - one CUDA C++ kernel per kernel group -----------------===//

#include "Codegen.h"
#include "Kernels.h"
#include "SsmcOps.h"

#include "Support/Arch.h"

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
  // An unknown target gets the smallest limit of the known ones.
  return rt::sharedMemoryPerBlock(arch).value_or(99 * 1024);
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
    auto attr = module ? module->getAttrOfType<StringAttr>(ssmc::kDtypeAttr) : StringAttr();
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
  // Outputs that are inputs: the artifact's outputs live in the arena, so a
  // kernel copies them there.
  auto dtype = resolveDType(entry, options);
  if (!dtype)
    return dtype.status();
  auto ret = cast<func::ReturnOp>(entry.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto arg = dyn_cast<BlockArgument>(v);
    if (!arg)
      continue;
    auto outName = entry.getResultAttrOfType<StringAttr>(i, kNameAttr);
    auto inName = entry.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr);
    std::string out = outName ? outName.getValue().str() : fmt::format("{}", i);
    std::string in = inName ? inName.getValue().str() : fmt::format("{}", arg.getArgNumber());
    auto type = cast<RankedTensorType>(v.getType());
    const int64_t n = type.getNumElements();
    KernelPlan p;
    p.kind = "generic";
    p.source.name = fmt::format("g{:02}_copy_{}", plans.size(), identifier(out));
    p.source.entry = p.source.name;
    p.copyFromArgument = arg.getArgNumber();
    p.copyToResult = i;
    p.tunables = {"BLOCK"};
    for (KernelParam::Kind kind : {KernelParam::Kind::Input, KernelParam::Kind::Output}) {
      KernelParam q;
      q.kind = kind;
      q.index = 0;
      q.name = kind == KernelParam::Kind::Input ? "in0" : "out0";
      q.shape.assign(type.getShape().begin(), type.getShape().end());
      q.dtype = dtypeName(*dtype);
      q.bytes = n * dtypeBytes(*dtype);
      p.params.push_back(q);
    }
    for (int64_t block : {256, 128, 512})
      p.configs.push_back(gridStrideConfig(n, block));
    std::string T = *dtype == DType::F32    ? "typedef float T;\n"
                    : *dtype == DType::BF16 ? "#include <cuda_bf16.h>\ntypedef __nv_bfloat16 T;\n"
                                            : "#include <cuda_fp16.h>\ntypedef __half T;\n";
    p.source.source = fmt::format(
        "// ssmc kernel {0} (generic: a copy)\n"
        "// Model output '{1}' is model input '{2}' ({3} elements): outputs live in the arena, so\n"
        "// this kernel copies the input there.\n\n"
        "{4}typedef {5} idx_t;\n\n#ifndef SSMC_BLOCK\n#define SSMC_BLOCK 256\n#endif\n\n"
        "extern \"C\" __global__ void __launch_bounds__(SSMC_BLOCK) {0}(\n"
        "    const T *__restrict__ in0,\n    T *__restrict__ out0) {{\n"
        "  const idx_t stride = (idx_t)gridDim.x * SSMC_BLOCK;\n"
        "  for (idx_t e = (idx_t)blockIdx.x * SSMC_BLOCK + (idx_t)threadIdx.x; e < {3}; e += "
        "stride)\n    out0[e] = in0[e];\n}}\n",
        p.source.entry, out, in, n, T, n >= (int64_t(1) << 30) ? "long long" : "int");
    plans.push_back(std::move(p));
  }
  return plans;
}

} // namespace ssmc::codegen
