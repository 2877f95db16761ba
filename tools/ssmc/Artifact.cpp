//===- Artifact.cpp - kernels, NVRTC and the -o directory -----------------===//

#include "Artifact.h"
#include "GpuRun.h"
#include "SsmcOps.h"

#include "Cuda/KernelCache.h"
#include "Support/AtomicFile.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>

#include <chrono>
#include <set>
#include <cstdio>
#include <cstdlib>
#include "Support/Arch.h"

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ssmc::cli {

const std::vector<std::string> &supportedArchs() {
  static const std::vector<std::string> archs = [] {
    std::vector<std::string> names;
    for (const rt::ArchLimits &a : rt::kArchs)
      names.emplace_back(a.arch);
    return names;
  }();
  return archs;
}

rt::Status checkArch(const std::string &arch) {
  const auto &archs = supportedArchs();
  if (std::find(archs.begin(), archs.end(), arch) != archs.end())
    return rt::Status::success();
  return rt::Status::error(fmt::format("--arch '{}' is not supported: ssmc generates code for {} "
                                       "(Ampere and newer)",
                                       arch, fmt::join(archs, ", ")));
}

rt::Expected<CompiledModel> generateModel(mlir::ModuleOp module, const Options &o) {
  CompiledModel out;
  codegen::CodegenOptions options;
  options.dtype = o.dtype;
  options.arch = o.arch.empty() ? defaultArch() : o.arch; // the GPU present, else sm_90
  options.exactF32Gemm = o.f32Gemm == "ffma";
  mlir::func::FuncOp entry = getEntryFunction(module);
  if (!entry)
    return rt::Status::error("the module has no entry function");
  auto plans = codegen::generateKernels(entry, options);
  if (!plans)
    return plans.status();
  out.plans = std::move(*plans);

  auto model = module->getAttrOfType<mlir::StringAttr>(ssmc::kModelAttr);
  out.model = model ? model.getValue().str() : o.model;
  out.dtype = o.dtype;
  out.arch = options.arch;
  out.archDefaulted = o.arch.empty();
  out.f32Gemm = o.f32Gemm;
  return out;
}

rt::Expected<CompiledModel> generateAndCompile(mlir::ModuleOp module, const Options &o) {
  auto generated = generateModel(module, o);
  if (!generated)
    return generated.status();
  CompiledModel &out = *generated;
  if (!rt::nvrtcAvailable())
    return rt::Status::error("compiling kernels needs NVRTC, but this ssmc was built without the "
                             "CUDA toolkit (reconfigure with /usr/local/cuda present)");
  out.nvrtcVersion = rt::nvrtcVersion();

  // Kernels equal up to comments and their name (the same block in another
  // layer) compile to the same code: NVRTC sees one of each.
  std::vector<rt::KernelSource> sources;
  std::vector<size_t> sourceOf; // per plan
  std::map<std::string, size_t> seen;
  for (const codegen::KernelPlan &p : out.plans) {
    auto [it, fresh] = seen.try_emplace(codegen::canonicalSource(p.source), sources.size());
    if (fresh)
      sources.push_back(p.source);
    sourceOf.push_back(it->second);
  }
  rt::NvrtcOptions nvrtc;
  nvrtc.arch = out.arch;
  rt::KernelCache cache;
  const bool tty = isatty(2) && !o.quiet;
  const auto start = std::chrono::steady_clock::now();
  auto results = rt::compileKernels(
      sources, nvrtc, &cache, 0, /*WarningsAsErrors=*/false, [&](size_t done, size_t total) {
        if (tty) {
          std::fprintf(stderr, "\r  compiling kernels with NVRTC for %s: %zu/%zu", nvrtc.arch.c_str(),
                       done, total);
          std::fflush(stderr);
        }
      });
  if (tty)
    std::fprintf(stderr, "\r%70s\r", "");
  size_t cached = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    if (!results[i])
      return rt::Status::error(fmt::format("NVRTC could not compile kernel '{}' for {}: {}",
                                           sources[i].name, nvrtc.arch, results[i].message()));
    cached += results[i]->fromCache;
  }
  for (size_t p = 0; p < out.plans.size(); ++p) {
    rt::CompiledKernel k = *results[sourceOf[p]];
    if (k.entry != out.plans[p].source.entry)
      k.cubin.clear(); // another entry's code: only its resources carry over
    k.name = out.plans[p].source.name;
    k.entry = out.plans[p].source.entry;
    out.compiled.push_back(std::move(k));
  }
  if (!o.quiet)
    std::fprintf(stderr,
                 "ssmc: %zu kernels (%zu distinct) compiled for %s in %.1f s (%zu from the "
                 "cache)%s\n",
                 out.plans.size(), sources.size(), nvrtc.arch.c_str(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                 cached,
                 out.archDefaulted ? "; no --arch given: the GPU present, else sm_90" : "");
  return generated;
}

namespace {
/// The plan's record of a generated kernel, without its parameters.
rt::PlanKernel planKernel(const codegen::KernelPlan &kp) {
  rt::PlanKernel pk;
  pk.name = kp.source.name;
  pk.entry = kp.source.entry;
  pk.kind = kp.kind;
  pk.sourceFile = fmt::format("kernels/{}.cu", kp.source.name);
  pk.source = kp.source.source;
  pk.ops = kp.ops;
  pk.tunables = kp.tunables;
  pk.defaultConfig = 0; // codegen lists the default configuration first
  pk.workspaceBytes = kp.workspaceBytes;
  for (const codegen::LaunchConfig &lc : kp.configs)
    pk.configs.push_back({lc.tunables, lc.grid, lc.block, lc.smemBytes});
  return pk;
}

/// A kernel parameter as the plan records it, without the value it binds.
rt::PlanParam planParam(const codegen::KernelParam &p, rt::DType storage) {
  using Kind = codegen::KernelParam::Kind;
  rt::PlanParam pp;
  switch (p.kind) {
  case Kind::Input:
    pp.kind = rt::PlanParam::Kind::Input;
    break;
  case Kind::Weight:
    pp.kind = rt::PlanParam::Kind::Weight;
    break;
  case Kind::Output:
    pp.kind = rt::PlanParam::Kind::Output;
    break;
  case Kind::Workspace:
    pp.kind = rt::PlanParam::Kind::Workspace;
    break;
  }
  pp.index = p.index;
  pp.name = p.name;
  pp.weight = p.weight;
  pp.shape = p.shape;
  pp.dtype = p.kind == Kind::Workspace ? rt::DType::F32 : storage;
  pp.bytes = p.bytes;
  return pp;
}
} // namespace

rt::Expected<rt::Plan> buildPlan(mlir::ModuleOp module, const CompiledModel &c) {
  auto dtype = codegen::parseDType(c.dtype);
  auto planType = rt::parsePlanDType(c.dtype);
  if (!dtype || !planType)
    return rt::Status::error(fmt::format("unknown dtype '{}'", c.dtype));
  mlir::func::FuncOp entry = getEntryFunction(module);
  auto planned = codegen::planMemory(entry, *dtype);
  if (!planned)
    return planned.status();
  codegen::MemoryPlan &memory = *planned;
  mlir::Block &body = entry.getBody().front();

  rt::Plan plan;
  plan.model = c.model;
  plan.dtype = *planType;
  plan.arch = c.arch;
  plan.arenaBytes = memory.arenaBytes;
  plan.metadata["producer"] = "ssmc compile";
  plan.metadata["arch_defaulted"] = c.archDefaulted ? "true" : "false";
  plan.metadata["nvrtc_version"] = c.nvrtcVersion;
  plan.metadata["arena_plan"] = "ssmc-plan-memory";
  if (*planType == rt::DType::F32)
    plan.metadata["f32_gemm"] = c.f32Gemm; // ssmc-rt check-kernels' tolerance
  for (mlir::BlockArgument a : entry.getArguments()) {
    const codegen::BufferInfo &b = memory.buffers[memory.bufferOf[a]];
    plan.inputs.push_back({b.name, b.shape, *planType});
  }
  // Outputs that are inputs get a copy kernel and arena bytes past the plan's.
  std::map<int64_t, int64_t> copyOffset; // result # -> arena offset
  for (const codegen::KernelPlan &kp : c.plans)
    if (kp.copyToResult >= 0) {
      const int64_t at = (plan.arenaBytes + 255) / 256 * 256;
      copyOffset[kp.copyToResult] = at;
      plan.arenaBytes = at + kp.params.back().bytes;
    }
  auto ret = llvm::cast<mlir::func::ReturnOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto it = memory.bufferOf.find(v);
    const codegen::BufferInfo *b = it == memory.bufferOf.end() ? nullptr : &memory.buffers[it->second];
    const bool copied = copyOffset.count(i) != 0;
    if (!b || (b->kind != "activation" && !copied))
      return rt::Status::error(fmt::format("model output #{} is not computed by a kernel", i));
    auto name = entry.getResultAttrOfType<mlir::StringAttr>(i, kNameAttr);
    rt::PlanOutput out;
    out.name = name ? name.getValue().str() : fmt::format("#{}", i);
    out.shape = b->shape;
    out.dtype = *planType;
    out.arenaOffset = copied ? copyOffset[i] : b->offset;
    plan.outputs.push_back(out);
  }
  std::set<std::string> weights;
  size_t k = 0;
  for (auto g : body.getOps<KernelGroupOp>()) {
    if (k >= c.plans.size())
      return rt::Status::error("fewer kernels than kernel groups");
    const codegen::KernelPlan &kp = c.plans[k++];
    rt::PlanKernel pk = planKernel(kp);
    for (const codegen::KernelParam &p : kp.params) {
      rt::PlanParam pp = planParam(p, *planType);
      if (p.kind == codegen::KernelParam::Kind::Input || p.kind == codegen::KernelParam::Kind::Output) {
        mlir::Value v = p.kind == codegen::KernelParam::Kind::Input ? g.getInputs()[p.index]
                                                                   : g->getResult(p.index);
        const codegen::BufferInfo &b = memory.buffers[memory.bufferOf[v]];
        pp.value = b.kind == "input" ? rt::ValueRef::input(b.name) : rt::ValueRef::arena(b.offset);
      }
      if (p.kind == codegen::KernelParam::Kind::Weight && weights.insert(p.weight).second)
        plan.weights.push_back({p.weight, p.shape, *planType});
      pk.params.push_back(pp);
    }
    plan.kernels.push_back(std::move(pk));
  }
  for (; k < c.plans.size(); ++k) {
    const codegen::KernelPlan &kp = c.plans[k];
    if (kp.copyToResult < 0)
      return rt::Status::error("more kernels than kernel groups");
    rt::PlanKernel pk = planKernel(kp);
    const codegen::BufferInfo &in =
        memory.buffers[memory.bufferOf[entry.getArgument(kp.copyFromArgument)]];
    for (const codegen::KernelParam &p : kp.params) {
      rt::PlanParam pp = planParam(p, *planType);
      pp.value = pp.kind == rt::PlanParam::Kind::Input ? rt::ValueRef::input(in.name)
                                                       : rt::ValueRef::arena(copyOffset[kp.copyToResult]);
      pk.params.push_back(pp);
    }
    plan.kernels.push_back(std::move(pk));
  }
  if (rt::Status s = rt::validatePlan(plan, "the generated plan"); !s.ok())
    return s;
  return plan;
}

namespace {
/// A fresh directory next to `path`: "<name>.<tag>-XXXXXX".
rt::Expected<fs::path> siblingTempDir(const fs::path &path, const char *tag) {
  std::string templ = (path.parent_path() / (path.filename().string() + "." + tag + "-XXXXXX"))
                          .string();
  std::vector<char> buf(templ.begin(), templ.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    return rt::Status::error(fmt::format("cannot write -o directory '{}': {}", path.string(),
                                         std::strerror(errno)));
  return fs::path(buf.data());
}

rt::Status writeFile(const fs::path &path, const std::string &text) {
  return rt::writeFileAtomically(path.string(), text);
}
} // namespace

rt::Status checkOutputDir(const std::string &dir) {
  std::error_code ec;
  fs::path target = fs::absolute(dir, ec);
  if (ec || dir.empty())
    return rt::Status::error(fmt::format("bad -o directory '{}'", dir));
  if (target.filename().empty())
    target = target.parent_path();
  // Refuse to replace something that is not an earlier artifact.
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec))
      return rt::Status::error(fmt::format("-o '{}' exists and is not a directory", dir));
    bool empty = fs::is_empty(target, ec);
    bool artifact = fs::exists(target / "plan.json", ec) || fs::exists(target / "model.mlir", ec);
    if (!empty && !artifact)
      return rt::Status::error(fmt::format("-o '{}' is a directory that is neither empty nor an "
                                           "ssmc artifact: choose another -o or remove it",
                                           dir));
  }
  // The nearest existing ancestor must be a directory we may write in.
  fs::path parent = target.parent_path();
  while (!parent.empty() && !fs::exists(parent, ec) && parent != parent.parent_path())
    parent = parent.parent_path();
  if (!fs::is_directory(parent, ec))
    return rt::Status::error(fmt::format("cannot write -o directory '{}': '{}' is not a directory",
                                         dir, parent.string()));
  if (access(parent.c_str(), W_OK | X_OK) != 0)
    return rt::Status::error(fmt::format("cannot write -o directory '{}': '{}' is not writable",
                                         dir, parent.string()));
  return rt::Status::success();
}

rt::Status writeArtifact(const std::string &dir, mlir::ModuleOp module,
                         const CompiledModel &compiled, const ArtifactExtra &extra) {
  if (rt::Status s = checkOutputDir(dir); !s.ok())
    return s;
  std::error_code ec;
  fs::path target = fs::absolute(dir, ec);
  if (target.filename().empty())
    target = target.parent_path();
  fs::create_directories(target.parent_path(), ec);
  if (ec)
    return rt::Status::error(fmt::format("cannot create the parent of -o directory '{}': {}", dir,
                                         ec.message()));
  auto tmp = siblingTempDir(target, "tmp");
  if (!tmp)
    return tmp.status();
  auto cleanup = [&](rt::Status s) {
    std::error_code ignored;
    fs::remove_all(*tmp, ignored);
    return s;
  };

  auto plan = buildPlan(module, compiled);
  if (!plan)
    return cleanup(plan.status());
  if (rt::Status s = rt::writePlan(tmp->string(), *plan); !s.ok())
    return cleanup(s);
  std::string mlirText;
  llvm::raw_string_ostream os(mlirText);
  module.print(os);
  for (auto [path, text] :
       {std::pair<fs::path, std::string>{*tmp / "configs.json",
                                         codegen::configsJson(compiled.plans, compiled.arch)},
        {*tmp / "model.mlir", os.str()}})
    if (rt::Status s = writeFile(path, text); !s.ok())
      return cleanup(s);
  if (extra)
    if (rt::Status s = extra(*tmp); !s.ok())
      return cleanup(s);

  // mkdtemp made the directory private (0700); the artifact gets the mode a
  // plain mkdir would have given it.
  const mode_t mask = umask(0);
  umask(mask);
  fs::permissions(*tmp, static_cast<fs::perms>(0777 & ~mask), ec);

  // Into place: an earlier artifact moves aside first and goes after.
  std::optional<fs::path> old;
  if (fs::exists(target, ec)) {
    auto aside = siblingTempDir(target, "old");
    if (!aside)
      return cleanup(aside.status());
    fs::rename(target, *aside, ec); // replaces the empty placeholder
    if (ec) {
      fs::remove_all(*aside, ec);
      return cleanup(rt::Status::error(fmt::format("cannot replace -o directory '{}': {}", dir,
                                                   ec.message())));
    }
    old = *aside;
  }
  fs::rename(*tmp, target, ec);
  if (ec) {
    std::error_code ignored;
    if (old)
      fs::rename(*old, target, ignored);
    return cleanup(rt::Status::error(fmt::format("cannot write -o directory '{}': {}", dir,
                                                 ec.message())));
  }
  if (old)
    fs::remove_all(*old, ec);
  return rt::Status::success();
}

} // namespace ssmc::cli
