//===- ssmc-rt.cpp - Run, check and benchmark artifacts on a GPU ----------===//
//
// The runtime's own driver: it needs nothing but the CUDA toolkit, so a GPU
// machine without LLVM/MLIR can load an artifact, JIT its kernels and run it.
//
//   ssmc-rt info
//   ssmc-rt validate ARTIFACT
//   ssmc-rt run   ARTIFACT --weights W --inputs I --output O [--graph]
//   ssmc-rt bench ARTIFACT --weights W --inputs I [--iters N] [--warmup N]
//   ssmc-rt check ARTIFACT --weights W --inputs I --expected E [--rtol R]
//                 [--atol A]
//   ssmc-rt check-kernels ARTIFACT [--rtol R] [--atol A] [--only KERNEL]
//
// check-kernels runs each kernel alone on the inputs the CPU reference
// executor gave it and compares its results with the reference's: the files
// `ssmc compile --kernel-refs` writes into ARTIFACT/refs/. check and bench
// take their files from there too when none are given.
//
// Exit status: 0 success, 1 an error (or a mismatch for check), 2 a usage
// error. One message on stderr per error; --output files are written
// atomically, so a failed run leaves none.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Cuda/Nvrtc.h"
#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace {

constexpr int ExitError = 1;
constexpr int ExitUsage = 2;

constexpr const char *Usage = R"(usage: ssmc-rt COMMAND [ARTIFACT] [OPTIONS]

commands:
  info                      the CUDA driver, NVRTC and every GPU
  validate ARTIFACT         check an artifact's plan and kernel files (no GPU)
  run ARTIFACT              run once: --weights W --inputs I --output O [--graph]
  bench ARTIFACT            time forwards: --weights W --inputs I, or --random
                            (weights and inputs drawn from a fixed seed: the
                            time does not depend on the values)
                            [--iters N (100)] [--warmup N (10)] [--per-kernel]
  check ARTIFACT            run and compare: --weights W --inputs I --expected E
                            [--rtol R] [--atol A] [--output O]
  check-kernels ARTIFACT    run each kernel alone on the reference executor's
                            inputs and compare its results (ARTIFACT/refs/,
                            from `ssmc compile --kernel-refs`) [--rtol R]
                            [--atol A] [--only KERNEL (repeatable)]

options of run, bench, check and check-kernels:
  --device N                the CUDA device (default 0)
  --config KERNEL=INDEX     use configuration INDEX of KERNEL (repeatable)
  --cache-dir DIR           the compiled-kernel cache (default: $SSMC_CACHE_DIR,
                            then ~/.cache/ssmc/kernels)
  --no-cache                compile every kernel afresh
  --sync                    synchronise after each kernel, so a fault names it
  --allow-arch-mismatch     run an artifact compiled for another arch
  --quiet                   no progress line

ARTIFACT is a directory written by `ssmc compile MODEL -o DIR`. Inputs and
weights are bound by name; extra tensors in the files are ignored. Outputs are
written as float32. An artifact compiled with --kernel-refs carries its own
weights, inputs and expected outputs (ARTIFACT/refs/): check and bench use
them when no --weights, --inputs or --expected is given. `ssmc run MODEL
--device cpu` runs a model without a GPU.
)";

struct UsageError {
  std::string message;
};

struct Options {
  std::string command;
  std::string artifact;
  std::string weights, inputs, output, expected, cacheDir;
  bool graph = false, noCache = false, sync = false, quiet = false,
       allowArch = false, perKernel = false, random = false;
  int device = 0;
  int iters = 100, warmup = 10;
  std::optional<double> rtol, atol;
  std::map<std::string, int64_t> configs;
  std::vector<std::string> only; ///< check-kernels: these kernels only
};

constexpr const char *KernelRefsHint =
    "compile it with `ssmc compile MODEL -o DIR --kernel-refs`";


/// Options each command accepts (besides its positional ARTIFACT).
const std::map<std::string, std::set<std::string>> &commandOptions() {
  static const std::set<std::string> Common = {
      "--device", "--config", "--cache-dir", "--no-cache",
      "--sync",   "--quiet",  "--allow-arch-mismatch", "--weights",
      "--inputs"};
  auto With = [](std::set<std::string> S, std::set<std::string> More) {
    S.insert(More.begin(), More.end());
    return S;
  };
  static const std::map<std::string, std::set<std::string>> Table = {
      {"info", {}},
      {"validate", {}},
      {"run", With(Common, {"--output", "--graph"})},
      {"bench", With(Common, {"--iters", "--warmup", "--per-kernel", "--random"})},
      // check runs both plain launches and a graph replay.
      {"check", With(Common, {"--expected", "--rtol", "--atol", "--output"})},
      // check-kernels takes its weights and inputs from ARTIFACT/refs and
      // synchronises after every kernel anyway.
      {"check-kernels",
       {"--device", "--config", "--cache-dir", "--no-cache", "--quiet",
        "--allow-arch-mismatch", "--rtol", "--atol", "--only"}},
  };
  return Table;
}

long long parseInt(const std::string &Flag, const std::string &Text,
                   long long Min) {
  char *End = nullptr;
  errno = 0;
  long long V = std::strtoll(Text.c_str(), &End, 10);
  if (Text.empty() || *End || errno || V < Min || V > INT32_MAX)
    throw UsageError{fmt::format("{} takes an integer of at least {}, not "
                                 "'{}'",
                                 Flag, Min, Text)};
  return V;
}

double parseTolerance(const std::string &Flag, const std::string &Text) {
  char *End = nullptr;
  double V = std::strtod(Text.c_str(), &End);
  if (Text.empty() || *End || !(V >= 0) || !std::isfinite(V))
    throw UsageError{fmt::format("{} takes a non-negative number, not '{}'",
                                 Flag, Text)};
  return V;
}

Options parseArgs(int Argc, char **Argv) {
  Options O;
  if (Argc < 2)
    throw UsageError{"no command given"};
  O.command = Argv[1];
  if (O.command == "-h" || O.command == "--help" || O.command == "help") {
    std::fputs(Usage, stdout);
    std::exit(0);
  }
  auto Cmd = commandOptions().find(O.command);
  if (Cmd == commandOptions().end())
    throw UsageError{fmt::format("unknown command '{}': use info, validate, "
                                 "run, bench, check or check-kernels",
                                 O.command)};
  const std::set<std::string> &Allowed = Cmd->second;
  for (int A = 2; A < Argc; ++A) {
    std::string Arg = Argv[A];
    if (Arg == "-h" || Arg == "--help") {
      std::fputs(Usage, stdout);
      std::exit(0);
    }
    if (Arg.rfind("--", 0) != 0) {
      if (O.command == "info")
        throw UsageError{fmt::format("'info' takes no artifact (got '{}')",
                                     Arg)};
      if (!O.artifact.empty())
        throw UsageError{fmt::format("one artifact at a time: got '{}' and "
                                     "'{}'",
                                     O.artifact, Arg)};
      O.artifact = Arg;
      continue;
    }
    std::string Value;
    if (auto Eq = Arg.find('='); Eq != std::string::npos) {
      Value = Arg.substr(Eq + 1);
      Arg = Arg.substr(0, Eq); // --config=KERNEL=INDEX keeps KERNEL=INDEX
    }
    if (!Allowed.count(Arg))
      throw UsageError{
          Allowed.empty()
              ? fmt::format("'{}' takes no options (got '{}')", O.command, Arg)
              : fmt::format("unknown option '{}' for '{}': it takes {}", Arg,
                            O.command, fmt::join(Allowed, ", "))};
    static const std::set<std::string> Flags = {
        "--graph", "--no-cache",           "--sync",
        "--quiet", "--allow-arch-mismatch", "--per-kernel", "--random"};
    if (Flags.count(Arg)) {
      if (Arg.size() != std::string_view(Argv[A]).size())
        throw UsageError{fmt::format("{} takes no value", Arg)};
      if (Arg == "--graph")
        O.graph = true;
      else if (Arg == "--no-cache")
        O.noCache = true;
      else if (Arg == "--sync")
        O.sync = true;
      else if (Arg == "--quiet")
        O.quiet = true;
      else if (Arg == "--per-kernel")
        O.perKernel = true;
      else if (Arg == "--random")
        O.random = true;
      else
        O.allowArch = true;
      continue;
    }
    if (Arg.size() == std::string_view(Argv[A]).size()) {
      if (A + 1 >= Argc)
        throw UsageError{fmt::format("{} needs a value", Arg)};
      Value = Argv[++A];
    }
    if (Arg == "--weights")
      O.weights = Value;
    else if (Arg == "--inputs")
      O.inputs = Value;
    else if (Arg == "--output")
      O.output = Value;
    else if (Arg == "--expected")
      O.expected = Value;
    else if (Arg == "--cache-dir")
      O.cacheDir = Value;
    else if (Arg == "--only")
      O.only.push_back(Value);
    else if (Arg == "--device") {
      if (Value == "cpu")
        throw UsageError{"ssmc-rt runs artifacts on a GPU only; `ssmc run "
                         "MODEL --device cpu` runs a model on the CPU"};
      if (Value == "cuda")
        Value = "0";
      O.device = int(parseInt(Arg, Value, 0));
    } else if (Arg == "--iters")
      O.iters = int(parseInt(Arg, Value, 1));
    else if (Arg == "--warmup")
      O.warmup = int(parseInt(Arg, Value, 0));
    else if (Arg == "--rtol")
      O.rtol = parseTolerance(Arg, Value);
    else if (Arg == "--atol")
      O.atol = parseTolerance(Arg, Value);
    else if (Arg == "--config") {
      auto Eq = Value.rfind('=');
      if (Eq == std::string::npos || Eq == 0)
        throw UsageError{fmt::format("--config takes KERNEL=INDEX, not '{}'",
                                     Value)};
      O.configs[Value.substr(0, Eq)] =
          parseInt("--config " + Value.substr(0, Eq), Value.substr(Eq + 1), 0);
    }
  }
  if (O.command != "info" && O.artifact.empty())
    throw UsageError{fmt::format("'{}' needs an ARTIFACT directory",
                                 O.command)};
  if (O.noCache && !O.cacheDir.empty())
    throw UsageError{"--no-cache and --cache-dir contradict each other"};
  // An artifact compiled with --kernel-refs carries its weights, inputs and
  // outputs: check and bench use them when no file is named.
  const fs::path Refs = fs::path(O.artifact) / "refs";
  std::error_code EC;
  if (O.random && (!O.weights.empty() || !O.inputs.empty()))
    throw UsageError{"--random draws the weights and inputs: it takes no "
                     "--weights or --inputs"};
  if ((O.command == "check" || O.command == "bench") && !O.random && O.weights.empty() &&
      O.inputs.empty() && O.expected.empty() &&
      fs::is_regular_file(Refs / "inputs.safetensors", EC)) {
    if (fs::is_regular_file(Refs / "weights.safetensors", EC))
      O.weights = (Refs / "weights.safetensors").string();
    O.inputs = (Refs / "inputs.safetensors").string();
    if (O.command == "check")
      O.expected = (Refs / "outputs.safetensors").string();
  }
  auto Require = [&](const std::string &Flag, const std::string &Value) {
    if (Value.empty())
      throw UsageError{fmt::format(
          "'{}' needs {} FILE.safetensors{}", O.command, Flag,
          O.command == "run" ? ""
                             : " (or an artifact compiled with --kernel-refs, "
                               "which carries its own)")};
  };
  if (O.command == "run" || O.command == "check" ||
      (O.command == "bench" && !O.random))
    Require("--inputs", O.inputs);
  if (O.command == "run")
    Require("--output", O.output);
  if (O.command == "check")
    Require("--expected", O.expected);
  return O;
}

/// The driver: $SSMC_CUDA_DRIVER names a library to open instead of
/// libcuda.so.1 (tests use a stand-in).
Expected<const Driver *> loadDriver() {
  static std::unique_ptr<Driver> Opened;
  if (const char *Lib = std::getenv("SSMC_CUDA_DRIVER"); Lib && *Lib) {
    if (!Opened) {
      auto D = Driver::open(Lib);
      if (!D)
        return D.status();
      Opened = std::move(*D);
    }
    return static_cast<const Driver *>(Opened.get());
  }
  auto D = Driver::load();
  if (!D)
    return D.status();
  return static_cast<const Driver *>(*D);
}

int fail(const std::string &Message) {
  std::fprintf(stderr, "ssmc-rt: %s\n", Message.c_str());
  return ExitError;
}

int failNoGpu(const Status &S) {
  std::fprintf(stderr,
               "ssmc-rt: %s\nssmc-rt: ssmc-rt runs artifacts on NVIDIA GPUs "
               "only; `ssmc run MODEL --device cpu` runs a model on the CPU\n",
               S.message().c_str());
  return ExitError;
}

int cmdInfo() {
  auto D = loadDriver();
  if (!D)
    return failNoGpu(D.status());
  int V = (*D)->version();
  std::printf("driver: CUDA %d.%d (%d), %d device%s\n", V / 1000,
              (V % 1000) / 10, V, (*D)->deviceCount(),
              (*D)->deviceCount() == 1 ? "" : "s");
  std::printf("nvrtc: %s\n",
              nvrtcAvailable() ? nvrtcVersion().c_str()
                               : "unavailable (built without the toolkit)");
  for (int I = 0; I < (*D)->deviceCount(); ++I) {
    auto Info = (*D)->queryDevice(I);
    if (!Info)
      return fail(Info.message());
    std::printf("device %d: %s, %s (compute capability %d.%d), %d SMs, %d "
                "KiB shared memory per block\n",
                I, Info->name.c_str(), Info->arch().c_str(), Info->ccMajor,
                Info->ccMinor, Info->smCount,
                Info->maxSmemPerBlockOptin / 1024);
  }
  return 0;
}

int cmdValidate(const Options &O) {
  auto P = loadArtifact(O.artifact);
  if (!P)
    return fail(P.message());
  size_t Configs = 0;
  for (const PlanKernel &K : P->kernels)
    Configs += K.configs.size();
  std::printf("%s: '%s', %s for %s, %zu kernels (%zu configurations), %zu "
              "inputs, %zu outputs, %zu weights, arena %lld bytes: valid\n",
              O.artifact.c_str(), P->model.c_str(),
              std::string(planDTypeName(P->dtype)).c_str(), P->arch.c_str(),
              P->kernels.size(), Configs, P->inputs.size(), P->outputs.size(),
              P->weights.size(), (long long)P->arenaBytes);
  return 0;
}

/// Everything run, bench and check share: the artifact, the files, the
/// model on the GPU.
struct Session {
  Plan P;
  std::shared_ptr<SafetensorsFile> Weights, Inputs;
  TensorMap InputTensors;
  std::unique_ptr<KernelCache> Cache;
  std::optional<GpuModel> Model;
};

/// bench --random: weights and inputs from a fixed seed, for timing a model
/// whose files are not at hand (a whole model's weights are larger than
/// what a GPU machine here can be given). The weights go through a
/// safetensors file in the temporary directory, removed once mapped.
std::optional<int> randomData(Session &S) {
  std::mt19937 Rng(0);
  auto Draw = [&](int64_t N, float Scale) {
    std::uniform_real_distribution<float> U(-Scale, Scale);
    std::vector<float> V(size_t(std::max<int64_t>(N, 0)));
    for (float &X : V)
      X = U(Rng);
    return V;
  };
  for (const PlanTensor &T : S.P.inputs)
    S.InputTensors[T.name] = HostTensor{T.shape, Draw(T.numElements(), 1.0f)};
  if (S.P.weights.empty())
    return std::nullopt;
  std::vector<std::vector<float>> Data;
  std::vector<TensorToWrite> Tensors;
  for (const PlanTensor &T : S.P.weights)
    Data.push_back(Draw(T.numElements(), 0.1f));
  for (size_t I = 0; I < S.P.weights.size(); ++I) {
    const PlanTensor &T = S.P.weights[I];
    Tensors.push_back({T.name, DType::F32, T.shape, Data[I].data(),
                       Data[I].size() * sizeof(float)});
  }
  const fs::path Path = fs::temp_directory_path() /
                        fmt::format("ssmc-rt-random-{}.safetensors", getpid());
  if (Status St = writeSafetensors(Path.string(), Tensors); !St)
    return fail(fmt::format("--random: {}", St.message()));
  auto W = SafetensorsFile::open(Path.string());
  std::error_code EC;
  fs::remove(Path, EC); // the mapping keeps the data
  if (!W)
    return fail(fmt::format("--random: {}", W.message()));
  S.Weights = *W;
  return std::nullopt;
}

/// The local part: reads and checks the artifact and the files, so that a
/// user's mistake is reported the same way on every machine.
std::optional<int> prepare(const Options &O, Session &S) {
  auto P = loadArtifact(O.artifact);
  if (!P)
    return fail(P.message());
  S.P = std::move(*P);
  if (O.random)
    return randomData(S);
  if (O.weights.empty() && !S.P.weights.empty())
    return fail(fmt::format("'{}' has {} weights: pass them with --weights "
                            "W.safetensors",
                            S.P.model, S.P.weights.size()));
  if (!O.weights.empty()) {
    auto W = SafetensorsFile::open(O.weights);
    if (!W)
      return fail(W.message());
    S.Weights = *W;
  }
  auto In = SafetensorsFile::open(O.inputs);
  if (!In)
    return fail(In.message());
  S.Inputs = *In;
  std::vector<std::string> Problems;
  for (const PlanTensor &T : S.P.inputs) {
    const TensorView *V = S.Inputs->find(T.name);
    if (!V) {
      Problems.push_back(fmt::format("input '{}' {} is not in {}", T.name,
                                     fmt::format("[{}]", fmt::join(T.shape, ", ")),
                                     O.inputs));
      continue;
    }
    if (V->shape != T.shape) {
      Problems.push_back(fmt::format(
          "input '{}' is [{}] in {}, but the artifact was compiled for [{}] "
          "(recompile with --input-shape/--batch to change that)",
          T.name, fmt::join(V->shape, ", "), O.inputs,
          fmt::join(T.shape, ", ")));
      continue;
    }
    auto H = HostTensor::fromView(*V);
    if (!H) {
      Problems.push_back(H.message());
      continue;
    }
    S.InputTensors[T.name] = std::move(*H);
  }
  if (!Problems.empty())
    return fail(fmt::format("{}", fmt::join(Problems, "; ")));
  if (!O.output.empty()) {
    fs::path Parent = fs::path(O.output).parent_path();
    std::error_code EC;
    if (!Parent.empty() && !fs::is_directory(Parent, EC))
      return fail(fmt::format("cannot write {}: directory {} does not exist",
                              O.output, Parent.string()));
  }
  return std::nullopt;
}

/// The GPU part: the driver, then compiling and loading the model.
std::optional<int> loadModel(const Options &O, Session &S) {
  auto D = loadDriver();
  if (!D)
    return failNoGpu(D.status());
  if (!O.noCache)
    S.Cache = std::make_unique<KernelCache>(O.cacheDir);
  GpuModelOptions MO;
  MO.device = O.device;
  MO.configs = O.configs;
  MO.cache = S.Cache.get();
  MO.driver = *D;
  MO.progress = !O.quiet;
  MO.allowArchMismatch = O.allowArch;
  MO.syncEachKernel = O.sync;
  auto M = GpuModel::load(S.P, O.artifact, S.Weights.get(), MO);
  if (!M)
    return fail(M.message());
  S.Model.emplace(std::move(*M));
  if (!O.quiet)
    std::fprintf(stderr, "ssmc-rt: '%s' (%s, %zu kernels) on device %d: %s "
                 "(%s)\n",
                 S.P.model.c_str(), std::string(planDTypeName(S.P.dtype)).c_str(),
                 S.P.kernels.size(), O.device, S.Model->device().name.c_str(),
                 S.Model->device().arch().c_str());
  return std::nullopt;
}

Status writeOutputs(const std::string &Path, const TensorMap &Outputs,
                    const Session &S, const Options &O, bool Graph) {
  std::vector<TensorToWrite> Tensors;
  for (const PlanOutput &Out : S.P.outputs) {
    const HostTensor &T = Outputs.at(Out.name);
    Tensors.push_back({Out.name, DType::F32, T.shape, T.data.data(),
                       T.data.size() * sizeof(float)});
  }
  return writeSafetensors(
      Path, Tensors,
      {{"model", S.P.model},
       {"artifact", O.artifact},
       {"dtype", std::string(planDTypeName(S.P.dtype))},
       {"device", S.Model->device().name},
       {"arch", S.Model->device().arch()},
       {"launch", Graph ? "cuda-graph" : "stream"},
       {"generator", "ssmc-rt"}});
}

int cmdRun(const Options &O) {
  Session S;
  if (auto R = prepare(O, S))
    return *R;
  if (auto R = loadModel(O, S))
    return *R;
  auto Out = O.graph ? S.Model->runGraph(S.InputTensors)
                     : S.Model->run(S.InputTensors);
  if (!Out)
    return fail(Out.message());
  if (Status St = writeOutputs(O.output, *Out, S, O, O.graph); !St)
    return fail(St.message());
  for (const PlanOutput &P : S.P.outputs)
    std::printf("%s [%s] -> %s\n", P.name.c_str(),
                fmt::format("{}", fmt::join(P.shape, ", ")).c_str(),
                O.output.c_str());
  return 0;
}

int cmdBench(const Options &O) {
  Session S;
  if (auto R = prepare(O, S))
    return *R;
  if (auto R = loadModel(O, S))
    return *R;
  if (Status St = S.Model->setInputs(S.InputTensors); !St)
    return fail(St.message());
  std::printf("%s (%s, %zu kernels) on %s (%s): %d iterations after %d "
              "warm-up\n",
              S.P.model.c_str(), std::string(planDTypeName(S.P.dtype)).c_str(),
              S.P.kernels.size(), S.Model->device().name.c_str(),
              S.Model->device().arch().c_str(), O.iters, O.warmup);
  for (bool Graph : {false, true}) {
    auto Ms = S.Model->time(Graph, O.warmup, O.iters);
    if (!Ms)
      return fail(Ms.message());
    std::printf("  %-15s median %.4f ms, min %.4f ms per forward\n",
                Graph ? "CUDA graph:" : "plain launches:", medianOf(*Ms),
                minimumOf(*Ms));
  }
  if (O.perKernel) {
    auto Ms = S.Model->timeKernels(O.warmup, O.iters);
    if (!Ms)
      return fail(Ms.message());
    float Total = 0;
    for (const auto &K : *Ms)
      Total += medianOf(K);
    std::printf("  per kernel (median ms, share of their sum, configuration, "
                "registers, spill bytes):\n");
    for (size_t K = 0; K < Ms->size(); ++K) {
      const LoadedKernelInfo &Info = S.Model->kernels()[K];
      float Med = medianOf((*Ms)[K]);
      std::printf("    %-40s %9.4f  %5.1f%%  config %lld  %d regs  %lld\n",
                  Info.name.c_str(), Med, Total > 0 ? 100 * Med / Total : 0.0f,
                  (long long)Info.config, Info.resources.registers,
                  (long long)Info.resources.spillBytes);
    }
  }
  return 0;
}

struct Comparison {
  bool ok = true;
  std::string line;
  double rel = 0; ///< max|got - expected| / max|expected|; inf: non-finite
};

Comparison compare(const std::string &Name, const HostTensor &Got,
                   const TensorView *Ref, double Rtol, double Atol,
                   int Width = 24) {
  Comparison C;
  auto Shape = [](const std::vector<int64_t> &S) {
    return fmt::format("[{}]", fmt::join(S, ", "));
  };
  if (!Ref) {
    C.ok = false;
    C.line = fmt::format("  {:<{}} MISSING from the expected file", Name,
                         Width);
    return C;
  }
  if (Ref->shape != Got.shape) {
    C.ok = false;
    C.line = fmt::format("  {:<{}} shape {}, expected {}  FAIL", Name, Width,
                         Shape(Got.shape), Shape(Ref->shape));
    return C;
  }
  auto Want = SafetensorsFile::toF32(*Ref);
  if (!Want) {
    C.ok = false;
    C.line = fmt::format("  {:<{}} {}", Name, Width, Want.message());
    return C;
  }
  double MaxRef = 0, MaxAbs = 0;
  size_t Worst = 0, NonFinite = 0;
  for (size_t I = 0; I < Got.data.size(); ++I) {
    double G = Got.data[I], R = (*Want)[I];
    MaxRef = std::max(MaxRef, std::fabs(R));
    if (!std::isfinite(G) && std::isfinite(R)) {
      ++NonFinite;
      continue;
    }
    double E = std::fabs(G - R);
    if (E > MaxAbs || std::isnan(E)) {
      MaxAbs = std::isnan(E) ? MaxAbs : E;
      Worst = I;
    }
  }
  double Rel = MaxRef > 0 ? MaxAbs / MaxRef : MaxAbs;
  C.ok = NonFinite == 0 && MaxAbs <= Atol + Rtol * MaxRef;
  C.rel = NonFinite ? INFINITY : Rel;
  C.line = fmt::format(
      "  {:<{}} {:<18} max abs err {:.3e}  rel err {:.3e}{}  (worst at {}: "
      "got {:.6g}, expected {:.6g})  {}",
      Name, Width, Shape(Got.shape), MaxAbs, Rel,
      NonFinite ? fmt::format(", {} non-finite", NonFinite) : std::string(),
      Worst, Got.data.empty() ? 0.0 : double(Got.data[Worst]),
      Got.data.empty() ? 0.0 : double((*Want)[Worst]), C.ok ? "ok" : "FAIL");
  return C;
}

int cmdCheck(const Options &O) {
  Session S;
  if (auto R = prepare(O, S))
    return *R;
  auto Expected = SafetensorsFile::open(O.expected);
  if (!Expected)
    return fail(Expected.message());
  // Defaults by storage type: TF32 tensor cores for f32 GEMMs, 8 and 11
  // mantissa bits for bf16 and f16.
  double DefRtol = S.P.dtype == DType::F32    ? 5e-3
                   : S.P.dtype == DType::F16 ? 1e-2
                                             : 5e-2;
  double Rtol = O.rtol.value_or(DefRtol), Atol = O.atol.value_or(1e-5);
  if (auto R = loadModel(O, S))
    return *R;
  auto Plain = S.Model->run(S.InputTensors);
  if (!Plain)
    return fail(Plain.message());
  auto Graph = S.Model->runGraph(S.InputTensors);
  if (!Graph)
    return fail(Graph.message());
  std::printf("%s (%s) on %s (%s), against %s: pass when max|got - expected| "
              "<= atol + rtol * max|expected| (rtol %g, atol %g)\n",
              S.P.model.c_str(), std::string(planDTypeName(S.P.dtype)).c_str(),
              S.Model->device().name.c_str(), S.Model->device().arch().c_str(),
              O.expected.c_str(), Rtol, Atol);
  bool Ok = true;
  for (const PlanOutput &P : S.P.outputs) {
    Comparison C = compare(P.name, Plain->at(P.name),
                           (*Expected)->find(P.name), Rtol, Atol);
    std::printf("%s\n", C.line.c_str());
    Ok &= C.ok;
    const HostTensor &A = Plain->at(P.name), &B = Graph->at(P.name);
    if (std::memcmp(A.data.data(), B.data.data(),
                    A.data.size() * sizeof(float)) != 0) {
      std::printf("  %-24s graph replay differs from plain launches  FAIL\n",
                  P.name.c_str());
      Ok = false;
    }
  }
  if (!O.output.empty())
    if (Status St = writeOutputs(O.output, *Plain, S, O, false); !St)
      return fail(St.message());
  std::printf("%s\n", Ok ? "PASS" : "FAIL");
  return Ok ? 0 : ExitError;
}


/// check-kernels' default relative tolerance by storage type: f32 GEMMs run
/// on TF32 tensor cores unless the artifact says `f32_gemm: ffma`.
double defaultKernelRtol(const Plan &P) {
  if (P.dtype == DType::F32) {
    auto It = P.metadata.find("f32_gemm");
    return It != P.metadata.end() && It->second == "ffma" ? 1e-4 : 2e-3;
  }
  return P.dtype == DType::F16 ? 5e-3 : 3e-2;
}

/// One kernel's reference: its inputs and the views of its results.
struct KernelRef {
  size_t index;
  std::shared_ptr<SafetensorsFile> file;
  KernelTensors inputs;
};

int cmdCheckKernels(const Options &O) {
  Session S;
  auto P = loadArtifact(O.artifact);
  if (!P)
    return fail(P.message());
  S.P = std::move(*P);
  const fs::path Refs = fs::path(O.artifact) / "refs";
  std::error_code EC;
  if (!fs::is_directory(Refs, EC))
    return fail(fmt::format("artifact '{}' has no kernel references ({} is "
                            "missing): {}",
                            O.artifact, Refs.string(), KernelRefsHint));
  for (const std::string &Name : O.only)
    if (!S.P.findKernel(Name)) {
      std::vector<std::string> Names;
      for (const PlanKernel &K : S.P.kernels)
        Names.push_back(K.name);
      return fail(fmt::format("--only {}: artifact '{}' has no such kernel; "
                              "it has {}",
                              Name, O.artifact, fmt::join(Names, ", ")));
    }

  // Everything local first: the weights, every kernel's file, every tensor
  // of the right shape.
  const fs::path WeightsPath = Refs / "weights.safetensors";
  if (!S.P.weights.empty() || fs::exists(WeightsPath, EC)) {
    if (!fs::exists(WeightsPath, EC))
      return fail(fmt::format("{} is missing: {}", WeightsPath.string(),
                              KernelRefsHint));
    auto W = SafetensorsFile::open(WeightsPath.string());
    if (!W)
      return fail(W.message());
    S.Weights = *W;
  }
  std::vector<KernelRef> Kernels;
  std::vector<std::string> Missing, Problems;
  for (size_t K = 0; K < S.P.kernels.size(); ++K) {
    const PlanKernel &PK = S.P.kernels[K];
    if (!O.only.empty() &&
        std::find(O.only.begin(), O.only.end(), PK.name) == O.only.end())
      continue;
    const fs::path File = Refs / (PK.name + ".safetensors");
    if (!fs::exists(File, EC)) {
      Missing.push_back(PK.name);
      continue;
    }
    auto F = SafetensorsFile::open(File.string());
    if (!F)
      return fail(F.message());
    KernelRef R{K, *F, {}};
    for (const PlanParam &Pa : PK.params) {
      if (Pa.kind != PlanParam::Kind::Input &&
          Pa.kind != PlanParam::Kind::Output)
        continue;
      const bool In = Pa.kind == PlanParam::Kind::Input;
      std::string Name = fmt::format("{}{}", In ? "in" : "out", Pa.index);
      const TensorView *V = R.file->find(Name);
      if (!V) {
        Problems.push_back(fmt::format("{} has no '{}' (kernel parameter "
                                       "'{}')",
                                       File.string(), Name, Pa.name));
        continue;
      }
      if (V->shape != Pa.shape) {
        Problems.push_back(fmt::format(
            "'{}' in {} is [{}], but kernel parameter '{}' is [{}]", Name,
            File.string(), fmt::join(V->shape, ", "), Pa.name,
            fmt::join(Pa.shape, ", ")));
        continue;
      }
      if (In) {
        auto H = HostTensor::fromView(*V);
        if (!H) {
          Problems.push_back(H.message());
          continue;
        }
        R.inputs[Pa.index] = std::move(*H);
      }
    }
    Kernels.push_back(std::move(R));
  }
  if (!Missing.empty())
    return fail(fmt::format("{} of the {} kernels checked have no reference "
                            "in {} ({}): {}",
                            Missing.size(), Missing.size() + Kernels.size(),
                            Refs.string(), fmt::join(Missing, ", "),
                            KernelRefsHint));
  if (!Problems.empty())
    return fail(fmt::format("{}", fmt::join(Problems, "; ")));

  const double Rtol = O.rtol.value_or(defaultKernelRtol(S.P));
  const double Atol = O.atol.value_or(1e-5);
  if (auto R = loadModel(O, S))
    return *R;
  std::string Seed;
  if (S.Weights) {
    auto W = S.Weights->metadata().find("seed");
    if (W != S.Weights->metadata().end())
      Seed = ", seed " + W->second;
  }
  auto Gemm = S.P.metadata.find("f32_gemm");
  std::printf("%s (%s%s) on %s (%s): %zu of %zu kernels, each alone on the "
              "reference executor's inputs (%s%s): pass when max|got - ref| "
              "<= atol + rtol * max|ref| for every result (rtol %g, atol "
              "%g)\n",
              S.P.model.c_str(), std::string(planDTypeName(S.P.dtype)).c_str(),
              S.P.dtype != DType::F32 ? ""
              : Gemm != S.P.metadata.end() && Gemm->second == "ffma"
                  ? ", FFMA GEMMs"
                  : ", TF32 GEMMs",
              S.Model->device().name.c_str(), S.Model->device().arch().c_str(),
              Kernels.size(), S.P.kernels.size(), Refs.string().c_str(),
              Seed.c_str(), Rtol, Atol);
  size_t Width = 0;
  for (const KernelRef &R : Kernels)
    Width = std::max(Width, S.P.kernels[R.index].name.size() + 5);
  std::vector<std::string> Failed;
  double Worst = -1;
  std::string WorstAt;
  for (const KernelRef &R : Kernels) {
    const PlanKernel &PK = S.P.kernels[R.index];
    auto Got = S.Model->runKernel(R.index, R.inputs);
    if (!Got)
      return fail(Got.message());
    bool Ok = true;
    for (const auto &[Index, T] : *Got) {
      std::string Name = fmt::format("out{}", Index);
      Comparison C = compare(PK.name + "." + Name, T, R.file->find(Name), Rtol,
                             Atol, int(Width));
      std::printf("%s\n", C.line.c_str());
      Ok &= C.ok;
      if (C.rel > Worst) {
        Worst = C.rel;
        WorstAt = PK.name + "." + Name;
      }
    }
    if (!Ok)
      Failed.push_back(PK.name);
  }
  std::string WorstText =
      Worst < 0 ? std::string()
                : fmt::format("; worst rel err {:.3e} ({}), rtol {:g}", Worst,
                              WorstAt, Rtol);
  if (Failed.empty())
    std::printf("PASS: %zu kernels%s\n", Kernels.size(), WorstText.c_str());
  else
    std::printf("FAIL: %zu of %zu kernels differ from the reference (%s)%s\n",
                Failed.size(), Kernels.size(),
                fmt::format("{}", fmt::join(Failed, ", ")).c_str(),
                WorstText.c_str());
  return Failed.empty() ? 0 : ExitError;
}
} // namespace

int main(int Argc, char **Argv) {
  Options O;
  try {
    O = parseArgs(Argc, Argv);
  } catch (const UsageError &E) {
    std::fprintf(stderr, "ssmc-rt: %s\n(ssmc-rt --help lists the commands "
                 "and options)\n",
                 E.message.c_str());
    return ExitUsage;
  }
  if (O.command == "info")
    return cmdInfo();
  if (O.command == "validate")
    return cmdValidate(O);
  if (O.command == "run")
    return cmdRun(O);
  if (O.command == "bench")
    return cmdBench(O);
  if (O.command == "check-kernels")
    return cmdCheckKernels(O);
  return cmdCheck(O);
}
