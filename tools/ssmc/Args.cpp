//===- Args.cpp - command-line parsing for `ssmc` -------------------------===//

#include "Args.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

namespace ssmc::cli {

namespace {
const char *const kModelNote =
    R"(MODEL is a registered variant (mambaout_femto, ...), a family configured with
--set (gated_cnn_block, mambaout, ...) or a FILE.mlir in the ssmc dialect (a
--dump-ir file, edited or not); `ssmc list` shows the models and their keys.
--plugin LIB.so (repeatable; also SSMC_PLUGINS=a.so:b.so) adds the models of
a plugin built against this ssmc (docs/dsl.md).
)";

const char *const kCompileUsage =
    R"(  ssmc compile MODEL [--set k=v]... [--dtype f32|bf16|f16] [--batch N]
               [--input-shape [NAME=]D,D,...] [-o DIR] [--dump-ir DIR]
               [--print-ir-after-all] [--mlir-print-op-generic] [--arch sm_XX] [--sms N]
               [--f32-gemm tf32|ffma] [--summary[=json]] [--kernel-refs [--seed N]]
               [--perf-report[=json] [--gpu h100|h200|a100] [--roofline FILE.svg]]
               [--stop-after STAGE] [--plugin LIB.so]... [--quiet]
               --sms: the SMs the kernels are planned for (default: --gpu's, the GPU
               present's, else the architecture's usual GPU; a MIG slice has fewer)
)";

const char *const kRunUsage =
    R"(  ssmc run     MODEL [--set k=v]... [--weights W.safetensors [--allow-unused-weights]]
               [--inputs I.safetensors | --image IMG.jpg|png|ppm [--image-size N]]
               [--output O.safetensors] [--save-inputs I.safetensors]
               [--save-activations] [--device cpu|cuda|auto] [--dtype f32|bf16|f16]
               [--seed N] [--batch N] [--stop-after STAGE] [--plugin LIB.so]...
               [--quiet]
)";
const char *const kCheckUsage =
    R"(  ssmc check   MODEL [--set k=v]... [--dtype f32|bf16|f16] [--f32-gemm tf32|ffma]
               [--batch N] [--input-shape [NAME=]D,D,...] [--weights W.safetensors]
               [--inputs I.safetensors] [--seed N] [--tolerance X] [--plugin LIB.so]...
               [--quiet]
               the generated kernels built for the CPU and run against the reference
               executor, each kernel alone and all in order; exit 1 on a mismatch
)";
const char *const kTuneUsage =
    R"(  ssmc tune    MODEL [--set k=v]... [--dtype D] [--batch N] [--input-shape ...]
               [--model-only [--gpu h100|h200|a100] [--full-trace] [--trace-all]]
               [--top K] [--budget SECONDS] [--retune] [--seed N] [--db PATH] [--quiet]
               each distinct kernel's best configuration, timed on the GPU present
               among K candidates (default 4) the tile estimate ranks first, recorded
               in the tuning database; with --model-only, modeled by the performance
               report (each candidate's traffic sampled about 8x more lightly than
               --perf-report's unless --full-trace), and only for the kernels where
               the tile estimate puts a candidate 5% below the default, K default 2
               (--trace-all: every kernel, K default 4)
  ssmc tune    --show | --export FILE | --import FILE [--db PATH]
               the tuning database (default $SSMC_TUNING_DB, else
               ~/.cache/ssmc/tuning.db): list it, or move it between machines
)";
const char *const kBenchUsage =
    R"(  ssmc bench   MODEL|ARTIFACT [--set k=v]... [--dtype D] [--batch N] [--input-shape ...]
               [--per-kernel] [--iters N (100)] [--warmup N (10)] [--json FILE]
               [--markdown FILE] [--svg FILE] [--gpu h100|h200|a100 | --no-perf-report]
               [--seed N] [--quiet]
               times the model on the GPU present (random weights and inputs, tuned
               configurations): the copy bandwidth in the same run, the forward as
               launches and as a CUDA graph, each kernel with --per-kernel, beside
               the performance report's modeled times for the same plan
)";
} // namespace

std::string usage(const std::string &command) {
  if (command == "bench")
    return fmt::format("usage:\n{}{}", kBenchUsage, kModelNote);
  if (command == "tune")
    return fmt::format("usage:\n{}", kTuneUsage);
  if (command == "compile")
    return fmt::format("usage:\n{}{}", kCompileUsage, kModelNote);
  if (command == "run")
    return fmt::format("usage:\n{}{}", kRunUsage, kModelNote);
  if (command == "check")
    return fmt::format("usage:\n{}{}", kCheckUsage, kModelNote);
  if (command == "list")
    return "usage:\n  ssmc list [--plugin LIB.so]...              registered models and families\n";
  return fmt::format(
      "usage:\n"
      "  ssmc list [--plugin LIB.so]...              registered models and families\n"
      "{}{}{}{}{}"
      "  ssmc help | --help | CMD --help             this text, or one command's\n"
      "{}"
      "On a GPU machine without LLVM, ssmc-rt runs, times and tunes artifacts.\n",
      kCompileUsage, kRunUsage, kCheckUsage, kTuneUsage, kBenchUsage, kModelNote);
}

namespace {
std::optional<int64_t> toInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return std::nullopt;
  return v;
}

std::optional<std::vector<int64_t>> toDims(std::string_view s) {
  std::vector<int64_t> dims;
  while (true) {
    size_t comma = s.find(',');
    auto v = toInt(s.substr(0, comma));
    if (!v || *v <= 0)
      return std::nullopt;
    dims.push_back(*v);
    if (comma == std::string_view::npos)
      return dims;
    s.remove_prefix(comma + 1);
  }
}
} // namespace

rt::Expected<Options> parseArgs(int argc, char **argv) {
  Options o;
  std::vector<std::string> args(argv, argv + argc);
  if (args.empty())
    return rt::Status::error("no command given\n" + usage());
  o.command = args[0];
  if (o.command == "help" || o.command == "--help" || o.command == "-h") {
    o.command = "help";
    o.help = true;
    return o;
  }
  static const std::vector<std::string> commands{"list", "compile", "run", "check", "tune",
                                                 "bench"};
  if (std::find(commands.begin(), commands.end(), o.command) == commands.end())
    return rt::Status::error(fmt::format("unknown command '{}': use one of list, compile, run, "
                                         "check, tune, bench (see `ssmc --help`)",
                                         o.command));
  for (size_t i = 1; i < args.size(); ++i) {
    std::string arg = args[i], value;
    bool hasInlineValue = false;
    if (arg.rfind("--", 0) == 0)
      if (size_t eq = arg.find('='); eq != std::string::npos) {
        value = arg.substr(eq + 1);
        arg = arg.substr(0, eq);
        hasInlineValue = true;
      }
    auto next = [&]() -> std::optional<std::string> {
      if (hasInlineValue)
        return value;
      if (i + 1 >= args.size())
        return std::nullopt;
      return args[++i];
    };
    auto need = [&](const char *what) -> rt::Expected<std::string> {
      auto v = next();
      if (!v)
        return rt::Status::error(fmt::format("{} needs {}", arg, what));
      if (v->empty()) // `--output ""` would otherwise mean "no --output"
        return rt::Status::error(fmt::format("{} needs {}, not an empty string", arg, what));
      return *v;
    };
#define SSMC_VALUE(var, what)                                                                      \
  {                                                                                                \
    auto got_ = need(what);                                                                        \
    if (!got_)                                                                                     \
      return got_.status();                                                                        \
    var = *got_;                                                                                   \
  }
    // An integer value from `least` to `most`, else `error` and the value.
    auto needInt = [&](const char *what, int64_t least, int64_t most,
                       const std::string &error) -> rt::Expected<int64_t> {
      auto v = need(what);
      if (!v)
        return v.status();
      auto n = toInt(*v);
      if (!n || *n < least || *n > most)
        return rt::Status::error(fmt::format("{}, got '{}'", error, *v));
      return *n;
    };
#define SSMC_INT(var, what, least, most, error)                                                    \
  {                                                                                                \
    auto got_ = needInt(what, least, most, error);                                                 \
    if (!got_)                                                                                     \
      return got_.status();                                                                        \
    var = *got_;                                                                                   \
  }
    if (arg.rfind("-", 0) == 0)
      o.given.push_back(arg);
    if (arg == "--set") {
      std::string kv;
      SSMC_VALUE(kv, "KEY=VALUE");
      size_t eq = kv.find('=');
      if (eq == std::string::npos || eq == 0)
        return rt::Status::error(fmt::format("--set needs KEY=VALUE, got '{}'", kv));
      o.sets.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    } else if (arg == "--dtype") {
      SSMC_VALUE(o.dtype, "f32, bf16 or f16");
      if (o.dtype != "f32" && o.dtype != "bf16" && o.dtype != "f16")
        return rt::Status::error(fmt::format("--dtype must be f32, bf16 or f16, got '{}'",
                                             o.dtype));
    } else if (arg == "--batch") {
      SSMC_INT(o.batch, "a positive integer", 1, INT64_MAX, "--batch needs a positive integer");
    } else if (arg == "--sms") {
      SSMC_INT(o.sms, "a number of SMs", 1, 1024,
               "--sms needs the target GPU's SM count, 1 to 1024");
    } else if (arg == "--input-shape") {
      std::string v;
      SSMC_VALUE(v, "[NAME=]D,D,...");
      std::string name; // unnamed: the model's input(s), resolved in buildModel
      if (size_t eq = v.find('='); eq != std::string::npos) {
        name = v.substr(0, eq);
        v = v.substr(eq + 1);
        if (name.empty())
          return rt::Status::error(fmt::format("--input-shape needs NAME=D,D,... or D,D,..., got "
                                               "'={}'",
                                               v));
      }
      auto dims = toDims(v);
      if (!dims)
        return rt::Status::error(fmt::format("--input-shape needs positive comma-separated "
                                             "dimensions like 1,3,224,224, got '{}'",
                                             v));
      o.inputShapes.emplace_back(name, *dims);
    } else if (arg == "-o" || arg == "--output-dir") {
      SSMC_VALUE(o.outputDir, "a directory");
    } else if (arg == "--dump-ir") {
      SSMC_VALUE(o.dumpIrDir, "a directory");
    } else if (arg == "--print-ir-after-all") {
      o.printIrAfterAll = true;
    } else if (arg == "--mlir-print-op-generic") {
      o.printOpGeneric = true;
    } else if (arg == "--arch") {
      SSMC_VALUE(o.arch, "an architecture like sm_90");
    } else if (arg == "--f32-gemm") {
      SSMC_VALUE(o.f32Gemm, "tf32 or ffma");
      if (o.f32Gemm != "tf32" && o.f32Gemm != "ffma")
        return rt::Status::error(fmt::format("--f32-gemm must be tf32 (tensor cores, the default) "
                                             "or ffma (exact fp32), got '{}'",
                                             o.f32Gemm));
    } else if (arg == "--summary") {
      o.summary = hasInlineValue ? value : "text";
      if (o.summary != "text" && o.summary != "json")
        return rt::Status::error(fmt::format("--summary takes no value or =json, got '{}'", value));
    } else if (arg == "--perf-report") {
      o.perfReport = hasInlineValue ? value : "text";
      if (o.perfReport != "text" && o.perfReport != "json")
        return rt::Status::error(
            fmt::format("--perf-report takes no value or =json, got '{}'", value));
    } else if (arg == "--gpu") {
      SSMC_VALUE(o.gpu, "a GPU to model (h100, h200, a100)");
    } else if (arg == "--roofline") {
      SSMC_VALUE(o.roofline, "an .svg file to write");
    } else if (arg == "--weights") {
      SSMC_VALUE(o.weights, "a .safetensors file");
    } else if (arg == "--inputs") {
      SSMC_VALUE(o.inputs, "a .safetensors file");
    } else if (arg == "--image") {
      SSMC_VALUE(o.image, "a JPEG, PNG or binary PPM image");
    } else if (arg == "--image-size") {
      SSMC_INT(o.imageSize, "a positive integer", 1, 4096,
               "--image-size needs a side in pixels from 1 to 4096");
    } else if (arg == "--save-inputs") {
      SSMC_VALUE(o.saveInputs, "a .safetensors file to write");
    } else if (arg == "--output") {
      SSMC_VALUE(o.output, "a .safetensors file to write");
    } else if (arg == "--device") {
      SSMC_VALUE(o.device, "cpu, cuda or auto");
      if (o.device != "cpu" && o.device != "cuda" && o.device != "auto")
        return rt::Status::error(fmt::format("--device must be cpu, cuda or auto, got '{}'",
                                             o.device));
    } else if (arg == "--seed") {
      SSMC_INT(o.seed, "a non-negative integer", 0, INT64_MAX,
               "--seed needs a non-negative integer");
    } else if (arg == "--kernel-refs") {
      o.kernelRefs = true;
    } else if (arg == "--save-activations") {
      o.saveActivations = true;
    } else if (arg == "--stop-after") {
      SSMC_VALUE(o.stopAfter, "a pipeline stage name");
    } else if (arg == "--tolerance") {
      std::string v;
      SSMC_VALUE(v, "a relative difference like 1e-4");
      char *end = nullptr;
      const double t = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(t > 0) || !std::isfinite(t))
        return rt::Status::error(
            fmt::format("--tolerance needs a positive number like 1e-4, got '{}'", v));
      o.tolerance = t;
    } else if (arg == "--plugin") {
      std::string path;
      SSMC_VALUE(path, "a plugin library (libNAME.so)");
      o.plugins.push_back(path);
    } else if (arg == "--quiet" || arg == "-q") {
      o.quiet = true;
    } else if (arg == "--allow-unused-weights") {
      o.allowUnusedWeights = true;
    } else if (arg == "--db") {
      SSMC_VALUE(o.db, "a tuning database file");
    } else if (arg == "--model-only") {
      o.modelOnly = true;
    } else if (arg == "--full-trace") {
      o.fullTrace = true;
    } else if (arg == "--trace-all") {
      o.traceAll = true;
    } else if (arg == "--retune") {
      o.retune = true;
    } else if (arg == "--top") {
      SSMC_INT(o.top, "a number of candidates, 1 or more", 1, 1000,
               "--top needs a number of candidates from 1 to 1000");
    } else if (arg == "--budget") {
      std::string v;
      SSMC_VALUE(v, "seconds");
      char *end = nullptr;
      const double t = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !(t > 0) || !std::isfinite(t))
        return rt::Status::error(
            fmt::format("--budget needs a positive number of seconds, got '{}'", v));
      o.budgetSeconds = t;
    } else if (arg == "--per-kernel") {
      o.perKernel = true;
    } else if (arg == "--iters" || arg == "--warmup") {
      const int64_t least = arg == "--iters" ? 1 : 0;
      SSMC_INT((arg == "--iters" ? o.iters : o.warmup), "a number", least, 1000000,
               fmt::format("{} needs a number from {} to 1000000", arg, least));
    } else if (arg == "--json") {
      SSMC_VALUE(o.benchJson, "a .json file to write");
    } else if (arg == "--markdown") {
      SSMC_VALUE(o.benchMarkdown, "a .md file to write");
    } else if (arg == "--svg") {
      SSMC_VALUE(o.benchSvg, "an .svg file to write");
    } else if (arg == "--no-perf-report") {
      o.noPerfReport = true;
    } else if (arg == "--show") {
      o.show = true;
    } else if (arg == "--export") {
      SSMC_VALUE(o.exportFile, "a file to write");
    } else if (arg == "--import") {
      SSMC_VALUE(o.importFile, "a file `ssmc tune --export` wrote");
    } else if (arg == "--help" || arg == "-h") {
      o.help = true;
      return o; // whatever else is on the line
    } else if (arg.rfind("-", 0) == 0) {
      return rt::Status::error(fmt::format("unknown option '{}' for `ssmc {}` (see `ssmc {} "
                                           "--help`)",
                                           arg, o.command, o.command));
    } else if (o.model.empty()) {
      o.model = arg;
    } else {
      return rt::Status::error(fmt::format("unexpected argument '{}': `ssmc {}` takes one model",
                                           arg, o.command));
    }
#undef SSMC_VALUE
  }
  // tune: --show, --export and --import work on the database alone.
  const bool dbOnly =
      o.command == "tune" && (o.show || !o.exportFile.empty() || !o.importFile.empty());
  if (o.command != "list" && o.model.empty() && !dbOnly)
    return rt::Status::error(fmt::format("`ssmc {}` needs a model name (see `ssmc list`)",
                                         o.command));
  return o;
}

} // namespace ssmc::cli
