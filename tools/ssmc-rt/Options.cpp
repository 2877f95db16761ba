//===- Options.cpp - ssmc-rt's command line -------------------------------===//

#include "Options.h"

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

namespace ssmc::rtcli {

static constexpr const char *Usage = R"(usage: ssmc-rt COMMAND [ARTIFACT] [OPTIONS]

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

const char *usageText() { return Usage; }

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

} // namespace ssmc::rtcli
