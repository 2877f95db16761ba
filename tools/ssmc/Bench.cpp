//===- Bench.cpp - `ssmc bench MODEL|ARTIFACT`: measured beside modeled ---===//
//
// Compiles the model for the GPU present (with the tuning database's
// configurations, as `ssmc compile` does), makes the performance report of
// that plan for the modeled GPU of the same architecture and SM count, loads
// the plan with random weights and inputs (times do not depend on the
// values) and times it (rt::runBench). An artifact directory is timed as
// compiled, beside its perf-report.json when it has one.
//
//===----------------------------------------------------------------------===//

#include "Bench.h"

#include "Artifact.h"
#include "Binding.h"
#include "PerfReport.h"
#include "Session.h"

#include "Bench/Bench.h"
#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Exec/Executor.h"
#include "GpuTarget.h"
#include "Report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <random>

namespace ssmc::cli {
namespace {

namespace fs = std::filesystem;

int fail(const std::string &message, int code = 1) {
  std::fprintf(stderr, "ssmc: error: %s\n", message.c_str());
  return code;
}

/// The modeled GPU for the one present: --gpu when given (its architecture
/// must be the GPU's), else the modeled GPU of the same architecture with the
/// present GPU's SM count; none when ssmc models no GPU of that architecture.
rt::Expected<std::optional<perf::GpuTarget>> modeledGpu(const Options &o,
                                                        const rt::DeviceInfo &info) {
  if (!o.gpu.empty()) {
    const perf::GpuTarget *t = perf::findGpuTarget(o.gpu);
    if (!t)
      return rt::Status::error(fmt::format("--gpu '{}' is not a GPU ssmc models: use one of {}",
                                           o.gpu, perf::gpuTargetNames()));
    if (t->arch != info.arch())
      return rt::Status::error(fmt::format("--gpu {} is {}, the GPU present ({}) is {}: drop --gpu",
                                           t->name, t->arch, info.name, info.arch()));
    return std::optional<perf::GpuTarget>(*t);
  }
  return modeledTargetFor(info.arch(), info.smCount);
}

rt::ModeledRun modeledRunOf(const perf::Report &report, const perf::GpuTarget &gpu) {
  rt::ModeledRun m;
  m.origin = fmt::format("the performance report for {} with {} SMs", gpu.name, gpu.sms);
  m.gpu = report.gpu;
  m.model = report.model;
  m.dtype = report.dtype;
  m.batch = report.batch;
  m.speedOfLightUs = report.speedOfLightUs;
  m.modeledUs = report.modeledUs.value_or(0);
  for (const perf::KernelReport &k : report.kernels) {
    rt::ModeledKernel mk;
    mk.name = k.name;
    mk.kind = k.kind;
    mk.signature = k.signature;
    mk.boundBy = k.bound.by;
    mk.flops = k.cost.flops;
    mk.minBytes = k.cost.minBytes;
    mk.boundUs = k.bound.seconds * 1e6;
    mk.modeledUs = k.modeled ? k.modeled->seconds * 1e6 : 0;
    m.kernels.push_back(std::move(mk));
  }
  return m;
}

/// Values drawn from `seed` for every tensor of `tensors`, scaled by `scale`.
std::vector<std::vector<float>> drawTensors(const std::vector<rt::PlanTensor> &tensors,
                                            uint64_t seed, float scale) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<std::vector<float>> out;
  for (const rt::PlanTensor &t : tensors) {
    out.emplace_back(size_t(std::max<int64_t>(t.numElements(), 0)));
    for (float &x : out.back())
      x = u(rng);
  }
  return out;
}

} // namespace

int benchModel(const Options &o) {
  // The user's mistakes first, then the GPU.
  std::error_code ec;
  const bool artifact = fs::is_regular_file(fs::path(o.model) / "plan.json", ec);
  if (artifact)
    for (const char *flag : {"--set", "--dtype", "--batch", "--input-shape", "--gpu"})
      if (std::find(o.given.begin(), o.given.end(), flag) != o.given.end())
        return fail(fmt::format("'{}' is a compiled artifact: {} applies to a model (compile it "
                                "again, or give the model's name)",
                                o.model, flag),
                    2);
  if (o.noPerfReport && !o.gpu.empty())
    return fail("--gpu names the GPU the performance report models; --no-perf-report makes none",
                2);
  auto driver = rt::Driver::load();
  auto info = driver ? (*driver)->queryDevice(0) : rt::Expected<rt::DeviceInfo>(driver.status());
  if (!info)
    return fail(fmt::format(
        "`ssmc bench` times the model on a GPU, and there is none here ({}); {}", info.message(),
        artifact ? fmt::format("its modeled times are in {}/perf-report.json when it was "
                               "compiled with --perf-report",
                               o.model)
                 : fmt::format("`ssmc compile {} --perf-report` gives its modeled times "
                               "without one",
                               o.model)));
  const std::string arch = info->arch();
  if (rt::Status s = checkArch(arch); !s.ok())
    return fail(fmt::format("the GPU '{}' is {}: {}", info->name, arch, s.message()));
  std::optional<perf::GpuTarget> gpu;
  if (!o.noPerfReport) {
    auto g = modeledGpu(o, *info);
    if (!g)
      return fail(g.message(), 2);
    gpu = *g;
    if (!gpu && !o.quiet)
      std::fprintf(stderr, "ssmc: ssmc models no GPU of %s (%s): measured times only\n",
                   arch.c_str(), perf::gpuTargetNames().c_str());
  }

  // The plan, its weights and inputs, and the modeled figures.
  rt::Plan plan;
  std::optional<rt::ModeledRun> modeled;
  interp::TensorMap weights;
  std::vector<std::vector<float>> drawnWeights;
  std::vector<rt::TensorView> views;
  rt::FloatTensorMap deviceInputs;
  if (artifact) {
    auto p = rt::loadArtifact(o.model);
    if (!p)
      return fail(p.message());
    plan = std::move(*p);
    const fs::path report = fs::path(o.model) / "perf-report.json";
    if (!o.noPerfReport && fs::is_regular_file(report, ec)) {
      auto m = rt::readPerfReport(report.string());
      if (!m)
        return fail(m.message());
      if (rt::Status s = rt::checkReportMatches(*m, plan); !s.ok())
        return fail(s.message() + ", or time it without: --no-perf-report");
      modeled = std::move(*m);
    }
    drawnWeights = drawTensors(plan.weights, o.seed, 0.1f);
    for (size_t i = 0; i < plan.weights.size(); ++i)
      views.push_back({plan.weights[i].name, rt::DType::F32, plan.weights[i].shape,
                       reinterpret_cast<const std::byte *>(drawnWeights[i].data()),
                       drawnWeights[i].size() * sizeof(float)});
    std::vector<std::vector<float>> drawn = drawTensors(plan.inputs, o.seed + 1, 1.0f);
    for (size_t i = 0; i < plan.inputs.size(); ++i)
      deviceInputs[plan.inputs[i].name] = {plan.inputs[i].shape, std::move(drawn[i])};
  } else {
    Options target = o;
    target.arch = arch;
    target.sms = info->smCount;
    std::map<std::string, shape::Shape> shapes(o.inputShapes.begin(), o.inputShapes.end());
    auto built = buildModel(target, shapes);
    if (!built)
      return fail(built.message());
    if (rt::Status s = lowerModel(*built, target); !s.ok())
      return fail(s.message());
    auto compiled = generateAndCompile(*built->module, target);
    if (!compiled)
      return fail(compiled.message());
    if (gpu) {
      auto report = perfReport(*built->module, *compiled, *gpu, target);
      if (!report)
        return fail(report.message());
      modeled = modeledRunOf(*report, *gpu);
    }
    plan = compiled->plan;
    weights = randomWeights(built->params, o.seed);
    for (const auto &[name, t] : weights)
      views.push_back({name, rt::DType::F32, t.shape, reinterpret_cast<const std::byte *>(t.data),
                       size_t(t.numElements()) * sizeof(float)});
    for (const auto &[name, t] : randomInputs(built->inputs, o.seed))
      deviceInputs[name] = {t.shape, std::vector<float>(t.data, t.data + t.numElements())};
  }

  // A model runs the tuning database's configurations (generateAndCompile
  // applied them, and the report models them); an artifact runs the ones it
  // was compiled with, which its perf-report.json models.
  const rt::WeightSource source = rt::WeightSource::of("random weights", views);
  rt::KernelCache cache;
  rt::GpuModelOptions options;
  options.cache = &cache;
  options.driver = *driver;
  options.progress = !o.quiet;
  auto model =
      rt::GpuModel::load(plan, artifact ? o.model : "the compiled model", &source, options);
  if (!model)
    return fail(model.message());
  if (rt::Status s = model->setInputs(deviceInputs); !s.ok())
    return fail(s.message());
  rt::BenchOptions bench;
  bench.iters = int(o.iters);
  bench.warmup = int(o.warmup);
  bench.perKernel = o.perKernel;
  auto result = rt::runBench(*model, bench, modeled ? &*modeled : nullptr);
  if (!result)
    return fail(result.message());
  std::fputs(rt::benchText(*result).c_str(), stdout);
  if (rt::Status s = rt::writeBenchFiles(*result, o.benchJson, o.benchMarkdown, o.benchSvg);
      !s.ok())
    return fail(s.message());
  return 0;
}

} // namespace ssmc::cli
