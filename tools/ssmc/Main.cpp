//===- Main.cpp - the `ssmc` command line ---------------------------------===//
//
// Every user mistake ends here as one line on stderr and exit status 1
// (2 for a malformed command line), with no output file written.
//
//===----------------------------------------------------------------------===//

#include "Args.h"
#include "Artifact.h"
#include "Bench.h"
#include "Binding.h"
#include "Check.h"
#include "GpuRun.h"
#include "Image.h"
#include "KernelRefs.h"
#include "ModuleFile.h"
#include "Passes.h"
#include "PerfReport.h"
#include "Plugins.h"
#include "Session.h"
#include "SsmcOps.h"
#include "Summary.h"
#include "Tune.h"

#include "Interpreter/ThreadPool.h"
#include "Support/AtomicFile.h"
#include "Support/Safetensors.h"
#include "Tune/TuningDb.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <optional>
#include <unistd.h>

using namespace ssmc;
using namespace ssmc::cli;

namespace {

int fail(const std::string &message, int code = 1) {
  std::fprintf(stderr, "ssmc: error: %s\n", message.c_str());
  return code;
}

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// Flags a command does not take are an error rather than silently ignored.
rt::Status rejectFlags(const Options &o, std::initializer_list<const char *> flags) {
  for (const char *flag : flags)
    if (std::find(o.given.begin(), o.given.end(), flag) != o.given.end())
      return rt::Status::error(fmt::format("`ssmc {}` does not take {}", o.command, flag));
  return rt::Status::success();
}

int listModels() {
  fmt::print("Registered models:\n");
  for (const models::Variant &v : models::variants())
    fmt::print("  {:<24} {} ({})\n", v.name, v.summary, v.family);
  fmt::print("\nFamilies (configure with --set KEY=VALUE):\n");
  for (const models::Family &f : models::families()) {
    fmt::print("  {:<24} {}\n", f.name, f.summary);
    std::vector<std::string> keys;
    for (const models::ConfigKey &k : f.keys)
      keys.push_back(fmt::format("{}={}", k.name, k.defaultValue));
    fmt::print("  {:<24}   keys: {}\n", "", fmt::join(keys, " "));
  }
  return 0;
}

int compileModel(const Options &o) {
  if (rt::Status s = rejectFlags(o, {"--weights", "--inputs", "--output", "--image", "--device",
                                     "--save-activations", "--allow-unused-weights",
                                     "--image-size", "--save-inputs"});
      !s.ok())
    return fail(s.message(), 2);
  const bool seedGiven = std::find(o.given.begin(), o.given.end(), "--seed") != o.given.end();
  if (seedGiven && !o.kernelRefs)
    return fail("`ssmc compile` does not take --seed without --kernel-refs (which draws its weights "
                "and inputs from it)",
                2);
  if (o.kernelRefs && o.outputDir.empty())
    return fail("--kernel-refs writes into the artifact: add -o DIR", 2);
  // The performance report models a GPU, whose architecture the kernels are
  // compiled for.
  const perf::GpuTarget *gpu = nullptr;
  Options compileOptions = o;
  if (!o.perfReport.empty()) {
    gpu = perf::findGpuTarget(o.gpu.empty() ? "h100" : o.gpu);
    if (!gpu)
      return fail(fmt::format("--gpu '{}' is not a GPU ssmc models: use one of {}", o.gpu,
                              perf::gpuTargetNames()),
                  2);
    if (!o.summary.empty())
      return fail("--perf-report and --summary: use one (the report has the summary's columns "
                  "and more)",
                  2);
    // sm_90a is sm_90 with wgmma: the GEMMs' tuner candidates include it.
    const bool archSpecific = o.arch == std::string(gpu->arch) + "a";
    if (!o.arch.empty() && o.arch != gpu->arch && !archSpecific)
      return fail(fmt::format("--arch {} does not match --gpu {} ({}): drop --arch", o.arch,
                              gpu->name, gpu->arch),
                  2);
    compileOptions.arch = archSpecific ? o.arch : std::string(gpu->arch);
    if (o.sms && o.sms != gpu->sms)
      return fail(fmt::format("--sms {} does not match --gpu {} ({} SMs): drop --sms", o.sms,
                              gpu->name, gpu->sms),
                  2);
    compileOptions.sms = gpu->sms;
    if (!o.roofline.empty()) {
      std::filesystem::path dir = std::filesystem::absolute(o.roofline).parent_path();
      if (!std::filesystem::is_directory(dir))
        return fail(fmt::format("cannot write --roofline '{}': directory '{}' does not exist",
                                o.roofline, dir.string()));
    }
  } else if (!o.gpu.empty() || !o.roofline.empty()) {
    return fail(fmt::format("{} goes with --perf-report", o.gpu.empty() ? "--roofline" : "--gpu"),
                2);
  }
  if (!o.arch.empty())
    if (rt::Status s = checkArch(o.arch); !s.ok())
      return fail(s.message(), 2);
  const std::vector<std::string> stages = stageNames();
  const bool wholePipeline = o.stopAfter.empty() || o.stopAfter == stages.back();
  if (!o.outputDir.empty() && !wholePipeline)
    return fail(fmt::format("-o writes a runnable artifact, which needs the whole pipeline: drop "
                            "--stop-after {} (--dump-ir writes the IR of every stage)",
                            o.stopAfter),
                2);
  if (gpu && !wholePipeline)
    return fail(fmt::format("--perf-report reports the generated kernels, which need the whole "
                            "pipeline: drop --stop-after {}",
                            o.stopAfter),
                2);
  if (!o.outputDir.empty())
    if (rt::Status s = checkOutputDir(o.outputDir); !s.ok())
      return fail(s.message());
  std::map<std::string, shape::Shape> shapes(o.inputShapes.begin(), o.inputShapes.end());
  auto built = buildModel(o, shapes);
  if (!built)
    return fail(built.message());
  if (rt::Status s = lowerModel(*built, compileOptions); !s.ok()) // --gpu's arch, if given
    return fail(s.message());
  mlir::ModuleOp module = *built->module; // carries ssmc.arch (lowerModel)
  if (o.kernelRefs)
    if (rt::Status s = checkHostMemory(*built, "--kernel-refs (the reference executor)", true);
        !s.ok())
      return fail(s.message());

  const bool quietDefault = o.quiet || !o.outputDir.empty() || !o.dumpIrDir.empty() ||
                            o.printIrAfterAll || gpu;
  const bool summary = !o.summary.empty() || !quietDefault;
  // Kernels are generated and compiled (NVRTC, for the registers, spills and
  // shared memory ptxas reports) for an artifact or a summary of the lowered
  // model; nothing is written unless every kernel compiles.
  std::optional<CompiledModel> compiled;
  if (!o.outputDir.empty() || (summary && wholePipeline) || gpu) {
    auto c = generateAndCompile(module, compileOptions);
    if (!c)
      return fail(c.message());
    compiled = std::move(*c);
  }
  // The report is made before anything is written.
  std::optional<perf::Report> report;
  if (gpu) {
    auto r = perfReport(module, *compiled, *gpu, o);
    if (!r)
      return fail(r.message());
    report = std::move(*r);
  }
  if (!o.outputDir.empty()) {
    ArtifactExtra refs;
    if (o.kernelRefs)
      refs = [&](const std::filesystem::path &tmp) -> rt::Status {
        const auto start = std::chrono::steady_clock::now();
        auto written = writeKernelRefs(tmp / "refs", module, *built, *compiled, o.seed);
        if (!written)
          return written.status();
        if (!o.quiet)
          std::fprintf(stderr,
                       "ssmc: kernel references (seed %llu): %zu kernels, %.1f MiB in %s/refs "
                       "(reference executor, %.1f s)\n",
                       static_cast<unsigned long long>(o.seed), written->kernels,
                       written->bytes / 1048576.0, o.outputDir.c_str(), secondsSince(start));
        return rt::Status::success();
      };
    ArtifactExtra extra = refs;
    if (report)
      extra = [&](const std::filesystem::path &tmp) -> rt::Status {
        if (refs)
          if (rt::Status s = refs(tmp); !s.ok())
            return s;
        for (auto [file, text] : {std::pair<const char *, std::string>{"perf-report.json",
                                                                      perf::reportJson(*report)},
                                  {"roofline.svg", perf::rooflineSvg(*report, *gpu)}})
          if (rt::Status s = rt::writeFileAtomically((tmp / file).string(), text); !s.ok())
            return s;
        return rt::Status::success();
      };
    if (rt::Status s = writeArtifact(o.outputDir, module, compiled->plan, extra); !s.ok())
      return fail(s.message());
  }
  if (report) {
    if (!o.roofline.empty())
      if (rt::Status s = rt::writeFileAtomically(o.roofline, perf::rooflineSvg(*report, *gpu)); !s.ok())
        return fail(s.message());
    fmt::print("{}", o.perfReport == "json" ? perf::reportJson(*report)
                                            : perf::reportText(*report, *gpu));
  }
  if (summary) {
    std::map<std::string, KernelResourceRow> resources;
    if (compiled)
      for (size_t i = 0; i < compiled->plan.kernels.size(); ++i) {
        const rt::PlanKernel &k = compiled->plan.kernels[i];
        const rt::KernelResources &r = compiled->compiled[i].resources;
        resources[k.name] = {r.registers, r.spillBytes,
                             r.smemBytes + k.configs[size_t(k.defaultConfig)].smemBytes,
                             rt::kernelSignature(k)};
      }
    fmt::print("{}", summarize(module, o.summary == "json", compiled ? &resources : nullptr));
  }
  return 0;
}

/// A warning for each tensor holding NaN or Inf, naming it and the count.
void warnNonFinite(const char *what, const interp::TensorMap &tensors) {
  for (const auto &[name, t] : tensors) {
    int64_t nan = 0, inf = 0;
    for (int64_t i = 0, n = t.numElements(); i < n; ++i) {
      nan += std::isnan(t.data[i]);
      inf += std::isinf(t.data[i]);
    }
    if (nan || inf)
      std::fprintf(stderr, "ssmc: warning: %s '%s' has %lld NaN and %lld Inf of %lld values\n",
                   what, name.c_str(), static_cast<long long>(nan), static_cast<long long>(inf),
                   static_cast<long long>(t.numElements()));
  }
}

/// Prints the top-5 classes of each row of a [B, classes] tensor.
void printTopK(const interp::HostTensor &logits, int64_t k) {
  const int64_t rows = logits.shape[0], classes = logits.shape[1];
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<int64_t> idx(classes);
    std::iota(idx.begin(), idx.end(), 0);
    const float *row = logits.data + r * classes;
    int64_t top = std::min(k, classes);
    std::partial_sort(idx.begin(), idx.begin() + top, idx.end(),
                      [&](int64_t a, int64_t b) { return row[a] > row[b]; });
    fmt::print("top-{} logits{}:", top, rows > 1 ? fmt::format(" (image {})", r) : "");
    for (int64_t i = 0; i < top; ++i) {
      // A 1000-class head is taken to be ImageNet-1k's, in its class order.
      const std::string name = classes == 1000 ? imagenetClassName(idx[i]) : "";
      fmt::print("  class {}{} = {:.4f}", idx[i], name.empty() ? "" : " (" + name + ")",
                 row[idx[i]]);
    }
    fmt::print("\n");
  }
}

/// A one-line progress bar on stderr when it is a terminal.
struct ProgressBar {
  bool enabled = isatty(2);
  int shown = -1;
  void update(size_t done, size_t total) {
    if (!enabled || total == 0)
      return;
    int percent = static_cast<int>(100 * done / total);
    if (percent == shown)
      return;
    shown = percent;
    int filled = percent * 30 / 100;
    std::fprintf(stderr, "\r  running [%.*s%.*s] %3d%% ", filled,
                 "##############################", 30 - filled,
                 "                              ", percent);
    if (done == total)
      std::fprintf(stderr, "\r%60s\r", "");
    std::fflush(stderr);
  }
};

int runModel(const Options &o) {
  if (rt::Status s = rejectFlags(o, {"-o", "--output-dir", "--arch", "--input-shape", "--f32-gemm",
                                     "--kernel-refs", "--perf-report", "--gpu", "--roofline"});
      !s.ok())
    return fail(s.message(), 2);
  // The device is settled before any work: no GPU with --device cuda is an
  // error, with --device auto a note and the CPU.
  std::string device = o.device;
  if (device == "auto") {
    std::string why;
    device = gpuAvailable(&why) ? "cuda" : "cpu";
    if (device == "cpu" && !o.quiet)
      std::fprintf(stderr, "ssmc: note: --device auto: %s\nssmc: note: running on the CPU "
                           "reference executor\n",
                   why.c_str());
  }
  if (device == "cuda") {
    if (auto arch = detectGpuArch(); !arch)
      return fail(arch.message());
    if (!o.stopAfter.empty())
      return fail(fmt::format("--stop-after {}: the GPU runs the generated kernels of the whole "
                              "pipeline; use --device cpu to run an earlier stage",
                              o.stopAfter),
                  2);
  }
  if (device == "cpu" && o.dtype != "f32")
    return fail(fmt::format("--dtype {}: the CPU reference executor computes in f32 only; use "
                            "--dtype f32 (or --device cuda)",
                            o.dtype));
  if (!o.image.empty() && !o.inputs.empty())
    return fail("--image and --inputs both give the model's input: use one", 2);
  if (o.allowUnusedWeights && o.weights.empty())
    return fail("--allow-unused-weights goes with --weights", 2);
  if (o.imageSize && o.image.empty())
    return fail("--image-size goes with --image", 2);
  // Files to write fail before the work, not after it.
  for (auto [flag, path] : {std::pair<const char *, const std::string &>{"--output", o.output},
                            {"--save-inputs", o.saveInputs}}) {
    if (path.empty())
      continue;
    std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
    if (std::filesystem::is_directory(path))
      return fail(fmt::format("cannot write {} '{}': it is a directory; name a file in it, e.g. "
                              "'{}'",
                              flag, path, (std::filesystem::path(path) / "out.safetensors").string()));
    if (!std::filesystem::is_directory(dir))
      return fail(fmt::format("cannot write {} '{}': directory '{}' does not exist", flag, path,
                              dir.string()));
  }
  const auto start = std::chrono::steady_clock::now();

  // Inputs given by the user fix the input shapes.
  interp::TensorMap given;
  std::map<std::string, std::string> unreadable; // tensors of --inputs not convertible
  if (!o.inputs.empty()) {
    auto t = readTensors(o.inputs, &unreadable);
    if (!t)
      return fail(t.message());
    given = std::move(*t);
  }
  // A module's inputs and shapes are its own (ModuleFile.h); a registered
  // model's come from its configuration.
  const bool moduleFile = isModuleFile(o.model);
  if (moduleFile && !o.image.empty())
    return fail(fmt::format("--image needs a registered model (for its eval transform); give "
                            "module '{}' its input with --inputs",
                            o.model),
                2);
  std::vector<models::InputDecl> decls;
  double cropPct = 1.0; // the model's eval crop_pct, for --image
  if (!moduleFile) {
    auto resolved = models::resolve(o.model, o.sets);
    if (!resolved)
      return fail(resolved.message());
    decls = resolved->family->inputs(resolved->config, 1);
    cropPct = resolved->evalCropPct;
  }
  // An optional input the --inputs file leaves out configures the model as
  // the reference does without it (vim_block without `residual`: a first block).
  Options runOptions = o;
  std::map<std::string, shape::Shape> shapes;
  for (const models::InputDecl &d : decls) {
    if (rt::Status s = checkReadable(unreadable, d.name); !s.ok())
      return fail(s.message());
    if (auto it = given.find(d.name); it != given.end())
      shapes[d.name] = it->second.shape;
    else if (!o.inputs.empty() && d.whenAbsent &&
             std::none_of(o.sets.begin(), o.sets.end(),
                          [&](const auto &kv) { return kv.first == d.whenAbsent->first; }))
      runOptions.sets.push_back(*d.whenAbsent);
  }
  if (moduleFile) // the module checks the shapes of the inputs it has
    for (const auto &[name, t] : given)
      shapes[name] = t.shape;
  if (!o.image.empty()) {
    if (decls.size() != 1 || decls[0].shape.size() != 4 || decls[0].shape[1] != 3)
      return fail(fmt::format("--image needs a model with one RGB image input; {} takes other "
                              "inputs (use --inputs)",
                              o.model));
    auto image = decodeImage(o.image);
    if (!image)
      return fail(image.message());
    interp::HostTensor pixels =
        evalTransform(*image, o.imageSize.value_or(decls[0].shape[2]), cropPct);
    shapes[decls[0].name] = pixels.shape;
    given[decls[0].name] = std::move(pixels);
  }

  auto built = buildModel(runOptions, shapes);
  if (!built)
    return fail(built.message());
  for (const models::InputDecl &d : built->inputs)
    if (rt::Status s = checkReadable(unreadable, d.name); !s.ok())
      return fail(s.message());
  for (const models::InputDecl &d : built->inputs)
    if (!o.inputs.empty() && o.image.empty() && !given.count(d.name)) {
      std::vector<std::string> names;
      for (const auto &[n, t] : given)
        names.push_back(n);
      return fail(fmt::format("inputs '{}' has no tensor '{}' (it has: {})", o.inputs, d.name,
                              names.empty() ? "nothing" : fmt::format("{}", fmt::join(names, ", "))));
    }
  if (rt::Status s = lowerModel(*built, runOptions); !s.ok())
    return fail(s.message());
  if (rt::Status s =
          checkHostMemory(*built, fmt::format("running {}", built->model.name), device == "cpu");
      !s.ok())
    return fail(s.message());
  const double buildSeconds = secondsSince(start);

  interp::TensorMap weights;
  if (!o.weights.empty()) {
    auto w = bindWeights(o.weights, *built->model.family, built->params, o.allowUnusedWeights);
    if (!w)
      return fail(w.message());
    weights = std::move(w->weights);
    if (!w->unused.empty())
      std::fprintf(stderr, "ssmc: warning: --allow-unused-weights: %s\n", w->unused.c_str());
  } else {
    weights = randomWeights(built->params, o.seed);
    if (!o.quiet)
      std::fprintf(stderr, "ssmc: note: no --weights: random weights (seed %llu), so the outputs "
                           "mean nothing; give --weights W.safetensors\n",
                   static_cast<unsigned long long>(o.seed));
  }
  interp::TensorMap inputs = randomInputs(built->inputs, o.seed);
  for (const models::InputDecl &d : built->inputs)
    if (given.count(d.name))
      inputs[d.name] = given[d.name];
  warnNonFinite("weight", weights);
  warnNonFinite("input", inputs);

  if (!o.quiet) {
    std::string summary = summarize(*built->module, false);
    fmt::print("{}\n", summary.substr(0, summary.find('\n')));
  }
  rt::Expected<interp::TensorMap> outputs = rt::Status::error("not run");
  GpuRunTimes gpuTimes;
  double runSeconds = 0;
  if (device == "cuda") {
    outputs = runOnGpu(o, *built, weights, inputs, gpuTimes);
  } else {
    ProgressBar bar;
    bar.enabled = bar.enabled && !o.quiet;
    interp::RunOptions runOptions;
    runOptions.progress = [&](size_t done, size_t total) { bar.update(done, total); };
    const auto runStart = std::chrono::steady_clock::now();
    outputs = interp::run(*built->module, inputs, weights, runOptions);
    runSeconds = secondsSince(runStart);
  }
  if (!outputs)
    return fail(outputs.message());
  warnNonFinite("output", *outputs);

  nlohmann::ordered_json config(built->model.config.values());
  const std::map<std::string, std::string> meta{{"model", built->model.name},
                                                {"config", config.dump()},
                                                {"producer", "ssmc run --device " + device},
                                                {"seed", std::to_string(o.seed)}};
  auto write = [&](const std::string &path, const interp::TensorMap &map) {
    std::vector<rt::TensorToWrite> tensors;
    for (const auto &[name, t] : map)
      tensors.push_back({name, rt::DType::F32, t.shape, t.data,
                         static_cast<size_t>(t.numElements()) * sizeof(float)});
    return rt::writeSafetensors(path, tensors, meta);
  };
  if (!o.saveInputs.empty())
    if (rt::Status s = write(o.saveInputs, inputs); !s.ok())
      return fail(s.message());
  if (!o.output.empty())
    if (rt::Status s = write(o.output, *outputs); !s.ok())
      return fail(s.message());

  const models::Family &family = *built->model.family;
  const int64_t classes = family.numClasses ? family.numClasses(built->model.config) : 0;
  auto logits = outputs->find("output");
  if (!o.quiet && classes > 0 && logits != outputs->end() && logits->second.shape.size() == 2)
    printTopK(logits->second, 5);
  if (!o.quiet && device == "cuda")
    fmt::print("time: build + lower {:.1f} ms, kernels + load {:.2f} s, one forward on {} ({}) "
               "{:.2f} ms including copies (ssmc-rt bench times it properly)\n",
               1000 * buildSeconds, gpuTimes.compileSeconds, gpuTimes.device, gpuTimes.arch,
               gpuTimes.runMs);
  else if (!o.quiet)
    fmt::print("time: build + lower {:.1f} ms, CPU reference executor {:.3f} s ({} thread{})\n",
               1000 * buildSeconds, runSeconds, interp::numThreads(),
               interp::numThreads() == 1 ? "" : "s");
  return 0;
}

} // namespace

int main(int argc, char **argv) {
  auto options = parseArgs(argc - 1, argv + 1);
  if (!options)
    return fail(options.message(), 2);
  const Options &o = *options;
  if (o.help) {
    fmt::print("{}", usage(o.command));
    return 0;
  }
  if (o.command != "tune")
    for (const char *flag : {"--db", "--show", "--export", "--import", "--model-only", "--top",
                             "--budget", "--retune", "--full-trace", "--trace-all"})
      if (std::find(o.given.begin(), o.given.end(), flag) != o.given.end())
        return fail(
            fmt::format("`ssmc {}` does not take {} (a `ssmc tune` option)", o.command, flag), 2);
  if (o.command != "compile" && o.command != "check" &&
      std::find(o.given.begin(), o.given.end(), "--sms") != o.given.end())
    return fail(fmt::format("`ssmc {}` does not take --sms (`ssmc compile` and `ssmc check` do)",
                            o.command),
                2);
  if (o.command != "bench")
    for (const char *flag : {"--per-kernel", "--iters", "--warmup", "--json", "--markdown", "--svg",
                             "--no-perf-report"})
      if (std::find(o.given.begin(), o.given.end(), flag) != o.given.end())
        return fail(
            fmt::format("`ssmc {}` does not take {} (a `ssmc bench` option)", o.command, flag), 2);
  if (rt::Status s = loadPlugins(pluginPaths(o.plugins)); !s.ok())
    return fail(s.message());
  if (o.command == "list")
    return listModels();
  if (o.command == "compile")
    return compileModel(o);
  if (o.command == "run")
    return runModel(o);
  if (o.command == "check") {
    if (rt::Status s = rejectFlags(o, {"-o", "--output-dir", "--output", "--image", "--image-size",
                                       "--save-inputs", "--save-activations", "--device",
                                       "--kernel-refs", "--perf-report", "--gpu", "--roofline",
                                       "--summary"});
        !s.ok())
      return fail(s.message(), 2);
    return checkModel(o, [](const std::string &m, int code) { return fail(m, code); });
  }
  if (o.command == "tune") {
    if (o.show || !o.exportFile.empty() || !o.importFile.empty())
      return tuneDatabase(o);
    if (rt::Status s = rejectFlags(
            o, {"-o", "--output-dir", "--output", "--image", "--image-size", "--save-inputs",
                "--save-activations", "--device", "--kernel-refs", "--perf-report", "--roofline",
                "--summary", "--weights", "--inputs", "--allow-unused-weights", "--stop-after",
                "--tolerance", "--dump-ir", "--print-ir-after-all"});
        !s.ok())
      return fail(s.message(), 2);
    return tuneModel(o);
  }
  // bench
  if (rt::Status s = rejectFlags(o, {"-o",
                                     "--output-dir",
                                     "--output",
                                     "--image",
                                     "--image-size",
                                     "--save-inputs",
                                     "--save-activations",
                                     "--device",
                                     "--kernel-refs",
                                     "--perf-report",
                                     "--roofline",
                                     "--summary",
                                     "--weights",
                                     "--inputs",
                                     "--allow-unused-weights",
                                     "--stop-after",
                                     "--tolerance",
                                     "--dump-ir",
                                     "--print-ir-after-all",
                                     "--arch"});
      !s.ok())
    return fail(s.message(), 2);
  return benchModel(o);
}
