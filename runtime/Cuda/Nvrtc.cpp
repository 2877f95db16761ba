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

std::string displayName(const KernelSource &Src) {
  return Src.name.empty() ? Src.entry : Src.name;
}

/// \p Name with anything but [A-Za-z0-9_.-] replaced, usable as a file name.
std::string fileNameFor(std::string Name) {
  for (char &C : Name)
    if (!std::isalnum(static_cast<unsigned char>(C)) && C != '_' && C != '-' &&
        C != '.')
      C = '_';
  if (Name.empty() || Name[0] == '.')
    Name.insert(0, "kernel");
  return Name;
}

/// Saves a failing kernel's source; says where, or why it could not.
std::string saveFailedSource(const KernelSource &Src,
                             const NvrtcOptions &Opts) {
  std::error_code EC;
  fs::path Dir = Opts.failureDir.empty() ? fs::temp_directory_path(EC)
                                         : fs::path(Opts.failureDir);
  if (!EC)
    fs::create_directories(Dir, EC);
  fs::path Path = Dir / (fileNameFor(displayName(Src)) + ".cu");
  if (!EC && writeFileAtomically(Path.string(), Src.source).ok())
    return "source saved to " + Path.string();
  return fmt::format("source could not be saved to {}{}", Path.string(),
                     EC ? " (" + EC.message() + ")" : std::string());
}


/// NVRTC's log says which warnings fired; CI treats any as an error.
Status warningsError(const KernelSource &Src, const NvrtcOptions &Opts,
                     const std::string &Log) {
  return Status::error(fmt::format(
      "kernel {}: NVRTC reported warnings (warnings are errors)\n{}\n{}",
      displayName(Src), Log, saveFailedSource(Src, Opts)));
}

#if SSMC_HAVE_NVRTC
/// Owns an nvrtcProgram.
class Program {
public:
  Program() = default;
  Program(const Program &) = delete;
  Program &operator=(const Program &) = delete;
  ~Program() {
    if (P)
      nvrtcDestroyProgram(&P);
  }
  nvrtcProgram P = nullptr;
};

std::string programLog(nvrtcProgram P) {
  size_t Size = 0;
  if (nvrtcGetProgramLogSize(P, &Size) != NVRTC_SUCCESS || Size == 0)
    return {};
  std::string Log(Size, '\0');
  if (nvrtcGetProgramLog(P, Log.data()) != NVRTC_SUCCESS)
    return {};
  Log.resize(Log.find('\0') == std::string::npos ? Log.size() : Log.find('\0'));
  while (!Log.empty() && (Log.back() == '\n' || Log.back() == ' '))
    Log.pop_back();
  return Log;
}

Expected<CompiledKernel> runNvrtc(const KernelSource &Src,
                                  const NvrtcOptions &Opts,
                                  const std::vector<std::string> &CommandLine) {
  auto Fail = [&](nvrtcResult R, const std::string &Log) {
    return Status::error(fmt::format("kernel {}: NVRTC failed ({})\n{}\n{}",
                                     displayName(Src), nvrtcGetErrorString(R),
                                     Log, saveFailedSource(Src, Opts)));
  };
  Program Prog;
  std::string FileName = fileNameFor(displayName(Src)) + ".cu";
  if (nvrtcResult R = nvrtcCreateProgram(&Prog.P, Src.source.c_str(),
                                         FileName.c_str(), 0, nullptr, nullptr);
      R != NVRTC_SUCCESS)
    return Fail(R, "");

  std::vector<const char *> Args;
  for (const std::string &A : CommandLine)
    Args.push_back(A.c_str());
  nvrtcResult R = nvrtcCompileProgram(Prog.P, int(Args.size()), Args.data());
  CompiledKernel K;
  K.name = Src.name;
  K.entry = Src.entry;
  K.log = programLog(Prog.P);
  if (R != NVRTC_SUCCESS)
    return Fail(R, K.log);

  size_t Size = 0;
  if (R = nvrtcGetCUBINSize(Prog.P, &Size); R != NVRTC_SUCCESS)
    return Fail(R, K.log);
  if (Size == 0)
    return Status::error(fmt::format("kernel {}: NVRTC produced no cubin\n{}",
                                     displayName(Src), K.log));
  K.cubin.resize(Size);
  if (R = nvrtcGetCUBIN(Prog.P, K.cubin.data()); R != NVRTC_SUCCESS)
    return Fail(R, K.log);

  // A misspelt entry would otherwise surface only when the GPU loads it.
  std::vector<std::string> Entries = ptxasEntryFunctions(K.log);
  if (!Entries.empty() &&
      std::find(Entries.begin(), Entries.end(), Src.entry) == Entries.end())
    return Status::error(fmt::format(
        "kernel {}: no entry function '{}' in the compiled code (it has: {}); "
        "is it extern \"C\" __global__?\n{}",
        displayName(Src), Src.entry, fmt::join(Entries, ", "),
        saveFailedSource(Src, Opts)));
  K.resources = parsePtxasInfo(K.log, Src.entry);
  return K;
}
#endif

Expected<CompiledKernel> compileImpl(const KernelSource &Src,
                                     const NvrtcOptions &Opts,
                                     KernelCache *Cache,
                                     bool WarningsAsErrors) {
  if (!nvrtcAvailable())
    return Status::error(fmt::format(
        "kernel {}: ssmc was built without the CUDA toolkit, so it cannot "
        "compile CUDA kernels (rebuild with the toolkit, e.g. "
        "/usr/local/cuda, installed)",
        displayName(Src)));
  static const std::regex RealArch(R"(sm_[0-9]+[a-z]?)");
  if (!std::regex_match(Opts.arch, RealArch))
    return Status::error(fmt::format(
        "kernel {}: arch '{}' is not a real GPU architecture such as sm_80 or "
        "sm_90 (a cubin needs one)",
        displayName(Src), Opts.arch));

  std::vector<std::string> CommandLine = nvrtcCommandLine(Opts);
  std::string Key;
  if (Cache && Cache->enabled()) {
    Key = KernelCache::makeKey(Src, CommandLine, Opts.arch, nvrtcVersion());
    if (auto Hit = Cache->lookup(Key, Src)) {
      if (WarningsAsErrors && logHasWarnings(Hit->log))
        return warningsError(Src, Opts, Hit->log);
      return std::move(*Hit);
    }
  }
#if SSMC_HAVE_NVRTC
  auto K = runNvrtc(Src, Opts, CommandLine);
  if (!K.ok())
    return K;
  if (!Key.empty())
    Cache->store(Key, *K);
  if (WarningsAsErrors && logHasWarnings(K->log))
    return warningsError(Src, Opts, K->log);
  return K;
#else
  return Status::error("unreachable: NVRTC unavailable");
#endif
}

} // namespace

bool ssmc::rt::nvrtcAvailable() { return SSMC_HAVE_NVRTC; }

std::string ssmc::rt::canonicalSource(const KernelSource &Kernel) {
  std::string Out;
  size_t Pos = 0;
  while (Pos < Kernel.source.size()) {
    size_t End = Kernel.source.find('\n', Pos);
    if (End == std::string::npos)
      End = Kernel.source.size();
    std::string Line = Kernel.source.substr(Pos, End - Pos);
    if (size_t Comment = Line.find("//"); Comment != std::string::npos)
      Line.erase(Comment);
    if (Line.find_first_not_of(' ') != std::string::npos)
      Out += Line + "\n";
    Pos = End + 1;
  }
  if (!Kernel.entry.empty())
    for (size_t At = Out.find(Kernel.entry); At != std::string::npos;
         At = Out.find(Kernel.entry, At))
      Out.replace(At, Kernel.entry.size(), "KERNEL");
  return Out;
}

std::string ssmc::rt::nvrtcVersion() {
#if SSMC_HAVE_NVRTC
  int Major = 0, Minor = 0;
  if (::nvrtcVersion(&Major, &Minor) == NVRTC_SUCCESS)
    return fmt::format("{}.{}", Major, Minor);
#endif
  return "unavailable";
}

std::vector<std::string> ssmc::rt::nvrtcCommandLine(const NvrtcOptions &Opts) {
  // Fast math is not on by default: it changes results (expf, division)
  // beyond what the reference executor's tolerances allow.
  std::vector<std::string> Args = {"--gpu-architecture=" + Opts.arch,
                                   "-std=c++17", "-default-device"};
  for (const std::string &Dir : cudaIncludeDirs())
    Args.push_back("-I" + Dir);
  Args.push_back("--ptxas-options=-v");
  Args.insert(Args.end(), Opts.extra.begin(), Opts.extra.end());
  return Args;
}

Expected<CompiledKernel> ssmc::rt::compileKernel(const KernelSource &Src,
                                                 const NvrtcOptions &Opts,
                                                 KernelCache *Cache,
                                                 bool WarningsAsErrors) {
  try {
    return compileImpl(Src, Opts, Cache, WarningsAsErrors);
  } catch (const std::exception &E) {
    return Status::error(
        fmt::format("kernel {}: {}", displayName(Src), E.what()));
  }
}

std::vector<Expected<CompiledKernel>>
ssmc::rt::compileKernels(const std::vector<KernelSource> &Srcs,
                         const NvrtcOptions &Opts, KernelCache *Cache,
                         unsigned Threads, bool WarningsAsErrors,
                         const std::function<void(size_t, size_t)> &Progress) {
  return compileKernels(Srcs, std::vector<NvrtcOptions>(Srcs.size(), Opts), Cache,
                        Threads, WarningsAsErrors, Progress);
}

std::vector<ssmc::rt::Expected<ssmc::rt::CompiledKernel>>
ssmc::rt::compileKernels(const std::vector<KernelSource> &Srcs,
                         const std::vector<NvrtcOptions> &PerSource,
                         KernelCache *Cache, unsigned Threads,
                         bool WarningsAsErrors,
                         const std::function<void(size_t, size_t)> &Progress) {
  std::vector<std::optional<Expected<CompiledKernel>>> Slots(Srcs.size());
  std::atomic<size_t> Next{0};
  std::mutex ProgressMutex;
  size_t Done = 0;
  auto Work = [&] {
    for (size_t I; (I = Next.fetch_add(1)) < Srcs.size();) {
      Slots[I].emplace(
          compileKernel(Srcs[I], PerSource[I], Cache, WarningsAsErrors));
      std::lock_guard<std::mutex> Lock(ProgressMutex);
      ++Done;
      if (Progress)
        Progress(Done, Srcs.size());
    }
  };

  if (Threads == 0)
    Threads = std::max(1u, std::thread::hardware_concurrency());
  Threads = unsigned(std::min<size_t>(Threads, Srcs.size()));
  std::vector<std::thread> Pool;
  // The calling thread works too; a thread that cannot start is not needed.
  for (unsigned T = 1; T < Threads; ++T) {
    try {
      Pool.emplace_back(Work);
    } catch (const std::exception &) {
      break;
    }
  }
  Work();
  for (std::thread &T : Pool)
    T.join();

  std::vector<Expected<CompiledKernel>> Results;
  Results.reserve(Srcs.size());
  for (auto &Slot : Slots)
    Results.push_back(std::move(*Slot));
  return Results;
}

std::vector<std::string> ssmc::rt::cudaIncludeDirs() {
  std::string Dirs;
  if (const char *Env = std::getenv("SSMC_CUDA_INCLUDE"); Env && *Env)
    Dirs = Env;
  else
    Dirs = SSMC_CUDA_INCLUDE_DIR;
  std::vector<std::string> Out;
  for (size_t Begin = 0; Begin <= Dirs.size();) {
    size_t End = std::min(Dirs.find_first_of(":;", Begin), Dirs.size());
    if (End > Begin)
      Out.push_back(Dirs.substr(Begin, End - Begin));
    Begin = End + 1;
  }
  return Out;
}
