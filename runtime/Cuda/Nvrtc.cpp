//===- Cuda/Nvrtc.cpp - NVRTC compilation of generated kernels ------------===//
//
// Built without the CUDA toolkit (SSMC_HAVE_NVRTC unset), every compile fails
// saying so. Exceptions stay inside: each public function catches them.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Nvrtc.h"
#include "Cuda/KernelCache.h"
#include "Support/AtomicFile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <regex>
#include <thread>

#ifndef SSMC_HAVE_NVRTC
#define SSMC_HAVE_NVRTC 0
#endif
#ifndef SSMC_CUDA_INCLUDE_DIR
#define SSMC_CUDA_INCLUDE_DIR ""
#endif

#if SSMC_HAVE_NVRTC
#include <nvrtc.h>
#endif

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace {

std::string displayName(const KernelSource &src) { return src.name.empty() ? src.entry : src.name; }

/// \p Name with anything but [A-Za-z0-9_.-] replaced, usable as a file name:
/// at most 100 characters (NVRTC's automatic PCH names a file after the
/// program, and a file name has at most 255 bytes).
std::string fileNameFor(std::string name) {
  if (name.size() > 100)
    name.resize(100);
  for (char &c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      c = '_';
  if (name.empty() || name[0] == '.')
    name.insert(0, "kernel");
  return name;
}

/// Saves a failing kernel's source; says where, or why it could not.
std::string saveFailedSource(const KernelSource &src, const NvrtcOptions &opts) {
  std::error_code ec;
  fs::path dir;
  if (opts.failureDir.empty()) {
    // A directory of its own (mode 0700, a fresh name): a predictable file
    // in a shared /tmp could be a link planted to make us overwrite another.
    const fs::path tmp = fs::temp_directory_path(ec);
    std::string pattern = (tmp / "ssmc-nvrtc-XXXXXX").string();
    if (!ec && ::mkdtemp(pattern.data()))
      dir = pattern;
    else if (!ec)
      ec = std::error_code(errno, std::generic_category());
  } else {
    dir = opts.failureDir;
    fs::create_directories(dir, ec);
  }
  fs::path path = dir / (fileNameFor(displayName(src)) + ".cu");
  if (!ec && writeFileAtomically(path.string(), src.source).ok())
    return "source saved to " + path.string();
  return fmt::format("source could not be saved to {}{}", path.string(),
                     ec ? " (" + ec.message() + ")" : std::string());
}

/// NVRTC's log says which warnings fired; CI treats any as an error.
Status warningsError(const KernelSource &src, const NvrtcOptions &opts, const std::string &log) {
  return Status::error(
      fmt::format("kernel {}: NVRTC reported warnings (warnings are errors)\n{}\n{}",
                  displayName(src), log, saveFailedSource(src, opts)));
}

#if SSMC_HAVE_NVRTC
/// Owns an nvrtcProgram.
class Program {
public:
  Program() = default;
  Program(const Program &) = delete;
  Program &operator=(const Program &) = delete;
  ~Program() {
    if (p)
      nvrtcDestroyProgram(&p);
  }
  nvrtcProgram p = nullptr;
};

std::string programLog(nvrtcProgram p) {
  size_t size = 0;
  if (nvrtcGetProgramLogSize(p, &size) != NVRTC_SUCCESS || size == 0)
    return {};
  std::string log(size, '\0');
  if (nvrtcGetProgramLog(p, log.data()) != NVRTC_SUCCESS)
    return {};
  log.resize(log.find('\0') == std::string::npos ? log.size() : log.find('\0'));
  // Automatic PCH's notes ("creating/using precompiled header file
  // /tmp/...") say nothing about the kernel and name a file of this process.
  std::string kept;
  bool dropped = false; // the blank line after a note goes with it
  for (size_t at = 0; at < log.size();) {
    size_t end = log.find('\n', at);
    end = end == std::string::npos ? log.size() : end + 1;
    const std::string line = log.substr(at, end - at);
    const bool note = line.find("precompiled header") != std::string::npos;
    if (!note && !(dropped && line == "\n"))
      kept += line;
    dropped = note;
    at = end;
  }
  log = kept;
  while (!log.empty() && (log.back() == '\n' || log.back() == ' '))
    log.pop_back();
  return log;
}

/// Whether NVRTC has automatic precompiled headers (12.8 and later).
bool nvrtcHasAutomaticPch() {
  static const bool has = [] {
    int major = 0, minor = 0;
    return ::nvrtcVersion(&major, &minor) == NVRTC_SUCCESS &&
           (major > 12 || (major == 12 && minor >= 8));
  }();
  return has;
}

Expected<CompiledKernel> runNvrtc(const KernelSource &src, const NvrtcOptions &opts,
                                  const std::vector<std::string> &commandLine) {
  auto fail = [&](nvrtcResult r, const std::string &log) {
    return Status::error(fmt::format("kernel {}: NVRTC failed ({})\n{}\n{}", displayName(src),
                                     nvrtcGetErrorString(r), log, saveFailedSource(src, opts)));
  };
  Program prog;
  std::string fileName = fileNameFor(displayName(src)) + ".cu";
  if (nvrtcResult r =
          nvrtcCreateProgram(&prog.p, src.source.c_str(), fileName.c_str(), 0, nullptr, nullptr);
      r != NVRTC_SUCCESS)
    return fail(r, "");

  std::vector<const char *> args;
  for (const std::string &a : commandLine)
    args.push_back(a.c_str());
  // Automatic PCH: the headers every kernel includes (cuda_bf16.h,
  // cuda_fp16.h) are parsed once a process, not once a kernel. It changes
  // no output, so it is not part of the command line the cache keys on.
  if (nvrtcHasAutomaticPch())
    args.push_back("-pch");
  nvrtcResult r = nvrtcCompileProgram(prog.p, int(args.size()), args.data());
  CompiledKernel k;
  k.name = src.name;
  k.entry = src.entry;
  k.log = programLog(prog.p);
  if (r != NVRTC_SUCCESS)
    return fail(r, k.log);

  size_t size = 0;
  if (r = nvrtcGetCUBINSize(prog.p, &size); r != NVRTC_SUCCESS)
    return fail(r, k.log);
  if (size == 0)
    return Status::error(
        fmt::format("kernel {}: NVRTC produced no cubin\n{}", displayName(src), k.log));
  k.cubin.resize(size);
  if (r = nvrtcGetCUBIN(prog.p, k.cubin.data()); r != NVRTC_SUCCESS)
    return fail(r, k.log);

  // A misspelt entry would otherwise surface only when the GPU loads it.
  std::vector<std::string> entries = ptxasEntryFunctions(k.log);
  if (!entries.empty() && std::find(entries.begin(), entries.end(), src.entry) == entries.end())
    return Status::error(fmt::format(
        "kernel {}: no entry function '{}' in the compiled code (it has: {}); "
        "is it extern \"C\" __global__?\n{}",
        displayName(src), src.entry, fmt::join(entries, ", "), saveFailedSource(src, opts)));
  k.resources = parsePtxasInfo(k.log, src.entry);
  return k;
}
#endif

Expected<CompiledKernel> compileImpl(const KernelSource &src, const NvrtcOptions &opts,
                                     KernelCache *cache, bool warningsAsErrors) {
  if (!nvrtcAvailable())
    return Status::error(
        fmt::format("kernel {}: ssmc was built without the CUDA toolkit, so it cannot "
                    "compile CUDA kernels (rebuild with the toolkit, e.g. "
                    "/usr/local/cuda, installed)",
                    displayName(src)));
  static const std::regex realArch(R"(sm_[0-9]+[a-z]?)");
  if (!std::regex_match(opts.arch, realArch))
    return Status::error(
        fmt::format("kernel {}: arch '{}' is not a real GPU architecture such as sm_80 or "
                    "sm_90 (a cubin needs one)",
                    displayName(src), opts.arch));

  std::vector<std::string> commandLine = nvrtcCommandLine(opts);
  std::string key;
  if (cache && cache->enabled()) {
    key = nvrtcCacheKey(src, opts);
    if (auto hit = cache->lookup(key, src)) {
      if (warningsAsErrors && logHasWarnings(hit->log))
        return warningsError(src, opts, hit->log);
      return std::move(*hit);
    }
  }
#if SSMC_HAVE_NVRTC
  auto k = runNvrtc(src, opts, commandLine);
  if (!k.ok())
    return k;
  // ptxas's register allocation without a limit of its own sometimes
  // spills well under what __launch_bounds__ allows (NVRTC 13: a 128-thread
  // f32 GEMM at 128 registers, 40 spilled bytes; 96 registers and none with
  // --maxrregcount=255), and with the limit sometimes where it did not
  // without. A kernel that spills is built both ways; the one that spills
  // less is kept (and cached under the request's key).
  const bool userLimit = std::any_of(opts.extra.begin(), opts.extra.end(), [](const std::string &a) {
    return a.find("maxrregcount") != std::string::npos;
  });
  // Then, for templates that read SSMC_SMEM_BLOCKS (the GEMM's), with
  // __launch_bounds__'s blocks per SM at what the shared memory lets an SM
  // hold: ptxas may budget registers for more blocks than fit (a 128-thread
  // conv at 128 registers, 8 bytes spilled; none at 3 blocks' 168).
  struct Retry {
    const char *option;
    const char *readBy; // the macro the option sets, where only some sources read it
  };
  for (const Retry r :
       {Retry{"--maxrregcount=255", nullptr}, Retry{"-DSSMC_SMEM_BLOCKS", "SSMC_SMEM_BLOCKS"}}) {
    if (k->resources.spillBytes == 0 || userLimit)
      break;
    if (r.readBy && src.source.find(r.readBy) == std::string::npos)
      continue;
    std::vector<std::string> limited = commandLine;
    limited.push_back(r.option);
    auto retry = runNvrtc(src, opts, limited);
    if (retry.ok() && retry->resources.spillBytes < k->resources.spillBytes)
      k = std::move(retry);
  }
  if (!key.empty())
    cache->store(key, *k);
  if (warningsAsErrors && logHasWarnings(k->log))
    return warningsError(src, opts, k->log);
  return k;
#else
  return Status::error("unreachable: NVRTC unavailable");
#endif
}

} // namespace

bool ssmc::rt::nvrtcAvailable() { return SSMC_HAVE_NVRTC; }

std::string ssmc::rt::canonicalSource(const KernelSource &kernel) {
  std::string out;
  size_t pos = 0;
  while (pos < kernel.source.size()) {
    size_t end = kernel.source.find('\n', pos);
    if (end == std::string::npos)
      end = kernel.source.size();
    std::string line = kernel.source.substr(pos, end - pos);
    if (size_t comment = line.find("//"); comment != std::string::npos)
      line.erase(comment);
    if (line.find_first_not_of(' ') != std::string::npos)
      out += line + "\n";
    pos = end + 1;
  }
  if (!kernel.entry.empty())
    for (size_t at = out.find(kernel.entry); at != std::string::npos;
         at = out.find(kernel.entry, at))
      out.replace(at, kernel.entry.size(), "KERNEL");
  return out;
}

std::string ssmc::rt::nvrtcVersion() {
#if SSMC_HAVE_NVRTC
  int major = 0, minor = 0;
  if (::nvrtcVersion(&major, &minor) == NVRTC_SUCCESS)
    return fmt::format("{}.{}", major, minor);
#endif
  return "unavailable";
}

std::vector<std::string> ssmc::rt::nvrtcCommandLine(const NvrtcOptions &opts) {
  // Fast math is not on by default: it changes results (expf, division)
  // beyond what the reference executor's tolerances allow.
  std::vector<std::string> args = {"--gpu-architecture=" + opts.arch, "-std=c++17",
                                   "-default-device"};
  for (const std::string &dir : cudaIncludeDirs())
    args.push_back("-I" + dir);
  args.push_back("--ptxas-options=-v");
  args.insert(args.end(), opts.extra.begin(), opts.extra.end());
  return args;
}

std::string ssmc::rt::nvrtcCacheKey(const KernelSource &src, const NvrtcOptions &opts) {
  // The key names the spill retry (compileImpl), so that entries made
  // before it are not hits.
  std::vector<std::string> keyed = nvrtcCommandLine(opts);
  keyed.push_back("(spill retry: --maxrregcount=255, -DSSMC_SMEM_BLOCKS)");
  return KernelCache::makeKey(src, keyed, opts.arch, nvrtcVersion());
}

Expected<CompiledKernel> ssmc::rt::compileKernel(const KernelSource &src, const NvrtcOptions &opts,
                                                 KernelCache *cache, bool warningsAsErrors) {
  try {
    return compileImpl(src, opts, cache, warningsAsErrors);
  } catch (const std::exception &e) {
    return Status::error(fmt::format("kernel {}: {}", displayName(src), e.what()));
  }
}

std::vector<Expected<CompiledKernel>>
ssmc::rt::compileKernels(const std::vector<KernelSource> &srcs, const NvrtcOptions &opts,
                         KernelCache *cache, unsigned threads, bool warningsAsErrors,
                         const std::function<void(size_t, size_t)> &progress) {
  return compileKernels(srcs, std::vector<NvrtcOptions>(srcs.size(), opts), cache, threads,
                        warningsAsErrors, progress);
}

std::vector<ssmc::rt::Expected<ssmc::rt::CompiledKernel>>
ssmc::rt::compileKernels(const std::vector<KernelSource> &srcs,
                         const std::vector<NvrtcOptions> &perSource, KernelCache *cache,
                         unsigned threads, bool warningsAsErrors,
                         const std::function<void(size_t, size_t)> &progress) {
  std::vector<std::optional<Expected<CompiledKernel>>> slots(srcs.size());
  std::atomic<size_t> next{0};
  std::mutex progressMutex;
  size_t done = 0;
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < srcs.size();) {
      slots[i].emplace(compileKernel(srcs[i], perSource[i], cache, warningsAsErrors));
      std::lock_guard<std::mutex> lock(progressMutex);
      ++done;
      if (progress)
        progress(done, srcs.size());
    }
  };

  if (threads == 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  threads = unsigned(std::min<size_t>(threads, srcs.size()));
  std::vector<std::thread> pool;
  // The calling thread works too; a thread that cannot start is not needed.
  for (unsigned t = 1; t < threads; ++t) {
    try {
      pool.emplace_back(work);
    } catch (const std::exception &) {
      break;
    }
  }
  work();
  for (std::thread &t : pool)
    t.join();

  std::vector<Expected<CompiledKernel>> results;
  results.reserve(srcs.size());
  for (auto &slot : slots)
    results.push_back(std::move(*slot));
  return results;
}

std::vector<std::string> ssmc::rt::cudaIncludeDirs() {
  std::string dirs;
  if (const char *env = std::getenv("SSMC_CUDA_INCLUDE"); env && *env)
    dirs = env;
  else
    dirs = SSMC_CUDA_INCLUDE_DIR;
  std::vector<std::string> out;
  for (size_t begin = 0; begin <= dirs.size();) {
    size_t end = std::min(dirs.find_first_of(":;", begin), dirs.size());
    if (end > begin)
      out.push_back(dirs.substr(begin, end - begin));
    begin = end + 1;
  }
  return out;
}
