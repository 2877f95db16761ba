//===- Options.cpp - ssmc-rt's command line -------------------------------===//

#include "Options.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>

namespace fs = std::filesystem;

namespace ssmc::rtcli {

static constexpr const char *kUsage = R"(usage: ssmc-rt COMMAND [ARTIFACT] [OPTIONS]

commands:
  info                      the CUDA driver, NVRTC and every GPU
  validate ARTIFACT         check an artifact's plan and kernel files (no GPU)
  run ARTIFACT              run once: --weights W --inputs I --output O [--graph]
  bench ARTIFACT            time forwards: --weights W --inputs I, or --random
                            (weights and inputs drawn from a fixed seed: the
                            time does not depend on the values)
                            [--iters N (100)] [--warmup N (10)] [--per-kernel]
                            [--json FILE] [--markdown FILE] [--svg FILE]
                            [--perf-report REPORT.json | --no-perf-report]:
                            the copy bandwidth measured in the same run, the
                            forward as launches and as a CUDA graph, each
                            kernel with --per-kernel, and the performance
                            report's modeled figures beside the measured ones
                            (ARTIFACT/perf-report.json, from `ssmc compile -o
                            DIR --perf-report`, when it is there)
  check ARTIFACT            run and compare: --weights W --inputs I --expected E
                            [--rtol R] [--atol A] [--output O]
  tune ARTIFACT             time each distinct kernel's first K configurations
                            (the default and the emitter's next choices) on
                            this GPU, each checked against the default's
                            results, and record them in the tuning database
                            that run/bench/check then use: [--top K (4)]
                            [--budget SECONDS] [--db PATH] [--retune]
                            [--iters N (10)] [--warmup N (3)]
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
  --no-tuning               the artifact's default configurations, not the
                            tuning database's best for this GPU
                            ($SSMC_TUNING_DB, else ~/.cache/ssmc/tuning.db,
                            written by `ssmc tune`); --config wins over both
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

const char *usageText() { return kUsage; }

/// Options each command accepts (besides its positional ARTIFACT).
const std::map<std::string, std::set<std::string>> &commandOptions() {
  static const std::set<std::string> common = {
      "--device", "--config",   "--cache-dir",           "--no-cache",
      "--sync",   "--quiet",    "--allow-arch-mismatch", "--weights",
      "--inputs", "--no-tuning"};
  auto with = [](std::set<std::string> s, std::set<std::string> more) {
    s.insert(more.begin(), more.end());
    return s;
  };
  static const std::map<std::string, std::set<std::string>> table = {
      {"info", {}},
      {"validate", {}},
      {"run", with(common, {"--output", "--graph"})},
      {"bench", with(common, {"--iters", "--warmup", "--per-kernel", "--random", "--json",
                              "--markdown", "--svg", "--perf-report", "--no-perf-report"})},
      // check runs both plain launches and a graph replay.
      {"check", with(common, {"--expected", "--rtol", "--atol", "--output"})},
      // check-kernels takes its weights and inputs from ARTIFACT/refs and
      // synchronises after every kernel anyway.
      // tune draws its own weights and inputs (times do not depend on them).
      {"tune",
       {"--device", "--cache-dir", "--no-cache", "--quiet", "--allow-arch-mismatch", "--top",
        "--budget", "--db", "--retune", "--iters", "--warmup"}},
      {"check-kernels",
       {"--device", "--config", "--cache-dir", "--no-cache", "--quiet", "--allow-arch-mismatch",
        "--rtol", "--atol", "--only", "--no-tuning"}},
  };
  return table;
}

long long parseInt(const std::string &flag, const std::string &text, long long min) {
  char *end = nullptr;
  errno = 0;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end || errno || v < min || v > INT32_MAX)
    throw UsageError{fmt::format("{} takes an integer of at least {}, not "
                                 "'{}'",
                                 flag, min, text)};
  return v;
}

double parseTolerance(const std::string &flag, const std::string &text) {
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end || !(v >= 0) || !std::isfinite(v))
    throw UsageError{fmt::format("{} takes a non-negative number, not '{}'", flag, text)};
  return v;
}

Options parseArgs(int argc, char **argv) {
  Options o;
  if (argc < 2)
    throw UsageError{"no command given"};
  o.command = argv[1];
  if (o.command == "-h" || o.command == "--help" || o.command == "help") {
    std::fputs(kUsage, stdout);
    std::exit(0);
  }
  auto cmd = commandOptions().find(o.command);
  if (cmd == commandOptions().end())
    throw UsageError{fmt::format("unknown command '{}': use info, validate, "
                                 "run, bench, check, check-kernels or tune",
                                 o.command)};
  const std::set<std::string> &allowed = cmd->second;
  for (int a = 2; a < argc; ++a) {
    std::string arg = argv[a];
    if (arg == "-h" || arg == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (arg.rfind("--", 0) != 0) {
      if (o.command == "info")
        throw UsageError{fmt::format("'info' takes no artifact (got '{}')", arg)};
      if (!o.artifact.empty())
        throw UsageError{fmt::format("one artifact at a time: got '{}' and "
                                     "'{}'",
                                     o.artifact, arg)};
      o.artifact = arg;
      continue;
    }
    std::string value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq); // --config=KERNEL=INDEX keeps KERNEL=INDEX
    }
    if (!allowed.count(arg))
      throw UsageError{allowed.empty()
                           ? fmt::format("'{}' takes no options (got '{}')", o.command, arg)
                           : fmt::format("unknown option '{}' for '{}': it takes {}", arg,
                                         o.command, fmt::join(allowed, ", "))};
    static const std::set<std::string> flags = {
        "--graph",      "--no-cache", "--sync",      "--quiet",  "--allow-arch-mismatch",
        "--per-kernel", "--random",   "--no-tuning", "--retune", "--no-perf-report"};
    if (flags.count(arg)) {
      if (arg.size() != std::string_view(argv[a]).size())
        throw UsageError{fmt::format("{} takes no value", arg)};
      if (arg == "--graph")
        o.graph = true;
      else if (arg == "--no-cache")
        o.noCache = true;
      else if (arg == "--no-tuning")
        o.noTuning = true;
      else if (arg == "--sync")
        o.sync = true;
      else if (arg == "--quiet")
        o.quiet = true;
      else if (arg == "--per-kernel")
        o.perKernel = true;
      else if (arg == "--random")
        o.random = true;
      else if (arg == "--retune")
        o.retune = true;
      else if (arg == "--no-perf-report")
        o.noPerfReport = true;
      else
        o.allowArch = true;
      continue;
    }
    if (arg.size() == std::string_view(argv[a]).size()) {
      if (a + 1 >= argc)
        throw UsageError{fmt::format("{} needs a value", arg)};
      value = argv[++a];
    }
    if (value.empty()) // `--output ""` would otherwise read as no --output
      throw UsageError{fmt::format("{} needs a value, not an empty string", arg)};
    if (arg == "--weights")
      o.weights = value;
    else if (arg == "--inputs")
      o.inputs = value;
    else if (arg == "--output")
      o.output = value;
    else if (arg == "--expected")
      o.expected = value;
    else if (arg == "--cache-dir")
      o.cacheDir = value;
    else if (arg == "--only")
      o.only.push_back(value);
    else if (arg == "--json")
      o.json = value;
    else if (arg == "--markdown")
      o.markdown = value;
    else if (arg == "--svg")
      o.svg = value;
    else if (arg == "--perf-report")
      o.perfReport = value;
    else if (arg == "--device") {
      if (value == "cpu")
        throw UsageError{"ssmc-rt runs artifacts on a GPU only; `ssmc run "
                         "MODEL --device cpu` runs a model on the CPU"};
      if (value == "cuda")
        value = "0";
      o.device = int(parseInt(arg, value, 0));
    } else if (arg == "--iters") {
      o.iters = int(parseInt(arg, value, 1));
      o.itersGiven = true;
    } else if (arg == "--warmup") {
      o.warmup = int(parseInt(arg, value, 0));
      o.warmupGiven = true;
    } else if (arg == "--top")
      o.top = int(parseInt(arg, value, 1));
    else if (arg == "--db")
      o.db = value;
    else if (arg == "--budget") {
      char *end = nullptr;
      const double b = std::strtod(value.c_str(), &end);
      if (*end || !(b > 0) || !std::isfinite(b))
        throw UsageError{
            fmt::format("--budget takes a positive number of seconds, not '{}'", value)};
      o.budgetSeconds = b;
    } else if (arg == "--rtol")
      o.rtol = parseTolerance(arg, value);
    else if (arg == "--atol")
      o.atol = parseTolerance(arg, value);
    else if (arg == "--config") {
      auto eq = value.rfind('=');
      if (eq == std::string::npos || eq == 0)
        throw UsageError{fmt::format("--config takes KERNEL=INDEX, not '{}'", value)};
      o.configs[value.substr(0, eq)] =
          parseInt("--config " + value.substr(0, eq), value.substr(eq + 1), 0);
    }
  }
  if (o.command != "info" && o.artifact.empty())
    throw UsageError{fmt::format("'{}' needs an ARTIFACT directory", o.command)};
  if (o.noPerfReport && !o.perfReport.empty())
    throw UsageError{"--perf-report and --no-perf-report contradict each other"};
  if (o.noCache && !o.cacheDir.empty())
    throw UsageError{"--no-cache and --cache-dir contradict each other"};
  // An artifact compiled with --kernel-refs carries its weights, inputs and
  // outputs: check and bench use them when no file is named.
  const fs::path refs = fs::path(o.artifact) / "refs";
  std::error_code ec;
  if (o.random && (!o.weights.empty() || !o.inputs.empty()))
    throw UsageError{"--random draws the weights and inputs: it takes no "
                     "--weights or --inputs"};
  if ((o.command == "check" || o.command == "bench") && !o.random && o.weights.empty() &&
      o.inputs.empty() && o.expected.empty() &&
      fs::is_regular_file(refs / "inputs.safetensors", ec)) {
    if (fs::is_regular_file(refs / "weights.safetensors", ec))
      o.weights = (refs / "weights.safetensors").string();
    o.inputs = (refs / "inputs.safetensors").string();
    if (o.command == "check")
      o.expected = (refs / "outputs.safetensors").string();
  }
  auto require = [&](const std::string &flag, const std::string &value) {
    if (value.empty())
      throw UsageError{fmt::format("'{}' needs {} FILE.safetensors{}", o.command, flag,
                                   o.command == "run"
                                       ? ""
                                       : " (or an artifact compiled with --kernel-refs, "
                                         "which carries its own)")};
  };
  if (o.command == "run" || o.command == "check" || (o.command == "bench" && !o.random))
    require("--inputs", o.inputs);
  if (o.command == "run")
    require("--output", o.output);
  if (o.command == "check")
    require("--expected", o.expected);
  return o;
}

} // namespace ssmc::rtcli
