//===- Artifact.cpp - kernels, NVRTC and the -o directory -----------------===//

#include "Artifact.h"
#include "GpuRun.h"
#include "SsmcOps.h"
#include "Tune/TuningDb.h"

#include "Cuda/KernelCache.h"
#include "Exec/CompilePlan.h"
#include "Support/Arch.h"
#include "Support/AtomicFile.h"

#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>

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
  codegen::CodegenOptions options;
  options.dtype = o.dtype;
  options.arch = o.arch.empty() ? defaultArch() : o.arch; // the GPU present, else sm_90
  options.exactF32Gemm = o.f32Gemm == "ffma";
  options.sms = o.sms ? o.sms : presentSmCount(options.arch); // as lowerModel's
  auto plan = codegen::buildPlan(module, options);
  if (!plan)
    return plan.status();
  CompiledModel out;
  out.plan = std::move(*plan);
  if (!module->getAttrOfType<mlir::StringAttr>(ssmc::kModelAttr))
    out.plan.model = o.model;
  out.plan.metadata["arch_defaulted"] = o.arch.empty() ? "true" : "false";
  out.plan.metadata["nvrtc_version"] = rt::nvrtcVersion();
  out.archDefaulted = o.arch.empty();
  out.f32Gemm = o.f32Gemm;
  return out;
}

namespace {
void warn(const std::string &message) {
  std::fprintf(stderr, "ssmc: warning: %s\n", message.c_str());
}
} // namespace

void applyTunedDefaults(rt::Plan &plan, const Options &o) {
  const std::string said = rt::applyDefaultTuning(plan, tuningDevice(plan.arch, o.sms), warn);
  if (!said.empty() && !o.quiet)
    std::fprintf(stderr, "ssmc: %s\n", said.c_str());
}

rt::Status compileModel(CompiledModel &model, const Options &o) {
  if (!rt::nvrtcAvailable())
    return rt::Status::error("compiling kernels needs NVRTC, but this ssmc was built without the "
                             "CUDA toolkit (reconfigure with /usr/local/cuda present)");
  applyTunedDefaults(model.plan, o);
  const rt::Plan &plan = model.plan;
  std::vector<int64_t> defaults;
  for (const rt::PlanKernel &k : plan.kernels)
    defaults.push_back(k.defaultConfig);
  rt::KernelCache cache;
  const bool tty = isatty(2) && !o.quiet;
  const auto start = std::chrono::steady_clock::now();
  auto compiled = rt::compilePlan(plan, defaults, plan.arch, &cache, 0, [&](size_t done, size_t total) {
    if (tty) {
      std::fprintf(stderr, "\r  compiling kernels with NVRTC for %s: %zu/%zu", plan.arch.c_str(),
                   done, total);
      std::fflush(stderr);
    }
  });
  if (tty)
    std::fprintf(stderr, "\r%70s\r", "");
  if (!compiled)
    return rt::Status::error(
        fmt::format("NVRTC could not compile for {}: {}", plan.arch, compiled.message()));
  // A default configuration that spills registers gives way to the first of
  // the next few (the kernel's own order: its next-best tiles) that does not.
  // ptxas decides spills, so only a compile can tell (calls on slow paths,
  // e.g. erff's, save registers to the stack at any register count).
  constexpr size_t kSpillAlternatives = 8;
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const rt::PlanKernel &pk = plan.kernels[k];
    const int64_t spilled = compiled->distinct[compiled->distinctOf[k]].resources.spillBytes;
    if (spilled <= 0)
      continue;
    // The kernels of the same code (a model's repeated blocks) change
    // together: one trial compile and one message for all of them.
    std::vector<size_t> same;
    for (size_t j = k; j < plan.kernels.size(); ++j)
      if (compiled->distinctOf[j] == compiled->distinctOf[k])
        same.push_back(j);
    for (size_t step = 1; step <= kSpillAlternatives; ++step) {
      const int64_t c = (pk.defaultConfig + int64_t(step)) % int64_t(pk.configs.size());
      if (c == pk.defaultConfig)
        break;
      // wgmma's configurations wait for a GPU's check (the tuner's).
      if (auto w = pk.configs[size_t(c)].tunables.find("WGMMA");
          w != pk.configs[size_t(c)].tunables.end() && w->second)
        continue;
      std::vector<int64_t> trial = defaults;
      for (size_t j : same)
        trial[j] = c;
      auto again = rt::compilePlan(plan, trial, plan.arch, &cache, 0);
      if (!again || again->distinct[again->distinctOf[k]].resources.spillBytes > 0)
        continue;
      if (!o.quiet) {
        std::vector<std::string> others; // by their gNN
        for (size_t j : same)
          if (j != k)
            others.push_back(plan.kernels[j].name.substr(0, plan.kernels[j].name.find('_')));
        const std::string also =
            others.empty() ? ""
                           : fmt::format(" (also {}: the same kernel)", fmt::join(others, ", "));
        std::fprintf(stderr,
                     "ssmc: %s%s: its default configuration spills %lld bytes of registers; "
                     "configuration %lld does not and is the default instead\n",
                     pk.name.c_str(), also.c_str(), (long long)spilled, (long long)c);
      }
      for (size_t j : same)
        model.plan.kernels[j].defaultConfig = defaults[j] = c;
      compiled = std::move(again);
      break;
    }
  }
  for (const std::string &w : cache.takeWarnings()) // a cache that is off says so
    warn(w);
  model.compiled.clear();
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    rt::CompiledKernel c = compiled->distinct[compiled->distinctOf[k]];
    if (c.entry != plan.kernels[k].entry)
      c.cubin.clear(); // another kernel's code: only its resources carry over
    c.name = plan.kernels[k].name;
    c.entry = plan.kernels[k].entry;
    model.compiled.push_back(std::move(c));
  }
  if (!o.quiet)
    std::fprintf(stderr,
                 "ssmc: %zu kernels (%zu distinct) compiled for %s in %.1f s (%zu from the "
                 "cache)%s\n",
                 plan.kernels.size(), compiled->distinct.size(), plan.arch.c_str(),
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
                 compiled->fromCache,
                 model.archDefaulted ? "; no --arch given: the GPU present, else sm_90" : "");
  return rt::Status::success();
}

rt::Expected<CompiledModel> generateAndCompile(mlir::ModuleOp module, const Options &o) {
  auto generated = generateModel(module, o);
  if (!generated)
    return generated.status();
  if (rt::Status s = compileModel(*generated, o); !s.ok())
    return s;
  return generated;
}

namespace {
/// A fresh directory next to `path`: "<name>.<tag>-<pid>-XXXXXX".
rt::Expected<fs::path> siblingTempDir(const fs::path &path, const char *tag) {
  std::string templ =
      (path.parent_path() / fmt::format("{}.{}-{}-XXXXXX", path.filename().string(), tag, getpid()))
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

/// Removes what a `ssmc compile -o` of `target` killed before it finished
/// left next to it ("<name>.tmp-<pid>-XXXXXX", "<name>.old-<pid>-XXXXXX"):
/// the directories whose writer process is gone.
void removeDeadWritersDirs(const fs::path &target) {
  const std::string name = target.filename().string();
  std::error_code ec;
  for (fs::directory_iterator it(target.parent_path(), ec), end; !ec && it != end;
       it.increment(ec)) {
    const std::string entry = it->path().filename().string();
    for (const char *tag : {".tmp-", ".old-"}) {
      const std::string prefix = name + tag;
      if (entry.rfind(prefix, 0) != 0)
        continue;
      const std::string rest = entry.substr(prefix.size());
      const size_t dash = rest.find('-');
      const pid_t pid =
          dash == std::string::npos ? 0 : pid_t(std::atol(rest.substr(0, dash).c_str()));
      std::error_code ignored;
      if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH && fs::is_directory(it->path(), ignored))
        fs::remove_all(it->path(), ignored);
    }
  }
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

rt::Status writeArtifact(const std::string &dir, mlir::ModuleOp module, const rt::Plan &plan,
                         const ArtifactExtra &extra) {
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
  removeDeadWritersDirs(target);
  auto tmp = siblingTempDir(target, "tmp");
  if (!tmp)
    return tmp.status();
  auto cleanup = [&](rt::Status s) {
    std::error_code ignored;
    fs::remove_all(*tmp, ignored);
    return s;
  };
  // Until the directory is complete it says so: loading it (ssmc-rt
  // validate/run of a directory a killed compile left) is refused.
  if (rt::Status s = writeFile(*tmp / rt::kIncompleteMarker, "ssmc compile is writing this "
                                                             "artifact\n");
      !s.ok())
    return cleanup(s);

  if (rt::Status s = rt::writePlan(tmp->string(), plan); !s.ok())
    return cleanup(s);
  std::string mlirText;
  llvm::raw_string_ostream os(mlirText);
  module.print(os);
  for (auto [path, text] :
       {std::pair<fs::path, std::string>{*tmp / "configs.json",
                                         codegen::configsJson(plan)},
        {*tmp / "model.mlir", os.str()}})
    if (rt::Status s = writeFile(path, text); !s.ok())
      return cleanup(s);
  if (extra)
    if (rt::Status s = extra(*tmp); !s.ok())
      return cleanup(s);

  fs::remove(*tmp / rt::kIncompleteMarker, ec);
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
