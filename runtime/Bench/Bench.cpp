//===- Bench/Bench.cpp - Timing a loaded model ---------------------------===//

#include "Bench/Bench.h"

#include "Cuda/Nvrtc.h"
#include "Support/SourceCommit.h"
#include "Tune/TuningDb.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sstream>

namespace ssmc::rt {

namespace {

double number(const nlohmann::json &j, const char *key) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : 0.0;
}

std::string text(const nlohmann::json &j, const char *key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

Expected<ModeledRun> readPerfReport(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return Status::error(fmt::format("cannot read the performance report '{}'", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(buffer.str());
  } catch (const nlohmann::json::exception &e) {
    return Status::error(fmt::format("'{}' is not JSON ({}): give the file `ssmc compile "
                                     "--perf-report=json` wrote",
                                     path, e.what()));
  }
  if (!j.is_object() || !j.contains("kernels") || !j["kernels"].is_array())
    return Status::error(fmt::format("'{}' is not a performance report (no \"kernels\" list): "
                                     "give the file `ssmc compile --perf-report=json` wrote",
                                     path));
  ModeledRun r;
  r.origin = path;
  r.gpu = text(j, "gpu");
  r.model = text(j, "model");
  r.dtype = text(j, "dtype");
  r.batch = int64_t(number(j, "batch"));
  r.speedOfLightUs = number(j, "speed_of_light_us");
  r.modeledUs = number(j, "modeled_us");
  for (const nlohmann::json &k : j["kernels"]) {
    if (!k.is_object() || text(k, "name").empty())
      return Status::error(fmt::format("'{}': a kernel without a name", path));
    ModeledKernel m;
    m.name = text(k, "name");
    m.kind = text(k, "kind");
    m.signature = text(k, "signature");
    m.boundBy = text(k, "bound_by");
    m.flops = number(k, "flops");
    m.minBytes = number(k, "min_bytes");
    m.boundUs = number(k, "bound_us");
    m.modeledUs = number(k, "modeled_us");
    r.kernels.push_back(std::move(m));
  }
  return r;
}

Status checkReportMatches(const ModeledRun &modeled, const Plan &p) {
  if (!modeled.model.empty() && modeled.model != p.model)
    return Status::error(fmt::format("the performance report '{}' is of '{}', the artifact of '{}'",
                                     modeled.origin, modeled.model, p.model));
  if (modeled.kernels.size() != p.kernels.size())
    return Status::error(fmt::format("the performance report '{}' has {} kernels, the artifact {}",
                                     modeled.origin, modeled.kernels.size(), p.kernels.size()));
  for (size_t k = 0; k < p.kernels.size(); ++k)
    if (modeled.kernels[k].name != p.kernels[k].name)
      return Status::error(fmt::format("the performance report '{}' names kernel {} '{}', the "
                                       "artifact '{}'",
                                       modeled.origin, k, modeled.kernels[k].name,
                                       p.kernels[k].name));
    else if (!modeled.kernels[k].signature.empty() &&
             modeled.kernels[k].signature != kernelSignature(p.kernels[k]))
      return Status::error(fmt::format("the performance report '{}' is of another {}: kernel '{}' "
                                       "differs (other shapes or code); make the report with the "
                                       "artifact (`ssmc compile -o DIR --perf-report`)",
                                       modeled.origin, p.model, p.kernels[k].name));
  return Status::success();
}

double BenchResult::minBytes() const {
  double sum = 0;
  if (modeled)
    for (const ModeledKernel &k : modeled->kernels)
      sum += k.minBytes;
  return sum;
}

double BenchResult::flops() const {
  double sum = 0;
  if (modeled)
    for (const ModeledKernel &k : modeled->kernels)
      sum += k.flops;
  return sum;
}

Expected<BenchResult> runBench(GpuModel &model, const BenchOptions &o, const ModeledRun *modeled) {
  const Plan &p = model.plan();
  if (modeled)
    if (Status s = checkReportMatches(*modeled, p); !s)
      return s;
  BenchResult r;
  r.model = p.model;
  r.dtype = std::string(planDTypeName(p.dtype));
  r.batch = p.inputs.empty() || p.inputs[0].shape.empty() ? 1 : p.inputs[0].shape[0];
  r.kernelCount = p.kernels.size();
  r.device = model.device();
  r.nvrtc = nvrtcVersion();
  r.commit = sourceCommit();
  r.warmup = o.warmup;
  r.iters = o.iters;
  if (modeled)
    r.modeled = *modeled;

  // A smaller copy where the device has no room for two large buffers.
  r.copyBytes = o.copyBytes;
  auto gbps = model.copyBandwidthGbps(r.copyBytes, std::max(3, std::min(o.iters, 20)));
  while (!gbps && r.copyBytes > (size_t(16) << 20)) {
    r.copyBytes /= 4;
    gbps = model.copyBandwidthGbps(r.copyBytes, std::max(3, std::min(o.iters, 20)));
  }
  if (!gbps)
    return Status::error("measuring the copy bandwidth: " + gbps.message());
  r.copyGbps = *gbps;

  for (bool graph : {false, true}) {
    auto ms = model.time(graph, o.warmup, o.iters);
    if (!ms)
      return ms.status();
    (graph ? r.graphMedianUs : r.plainMedianUs) = 1e3 * medianOf(*ms);
    (graph ? r.graphMinUs : r.plainMinUs) = 1e3 * minimumOf(*ms);
  }
  if (!o.perKernel)
    return r;
  auto ms = model.timeKernels(o.warmup, o.iters);
  if (!ms)
    return ms.status();
  for (size_t k = 0; k < ms->size(); ++k) {
    const LoadedKernelInfo &info = model.kernels()[k];
    const PlanKernel &pk = p.kernels[k];
    BenchKernelRow row;
    row.name = info.name;
    row.config = info.config;
    if (info.config >= 0 && size_t(info.config) < pk.configs.size())
      row.tunables = configText(pk.configs[size_t(info.config)].tunables);
    row.registers = info.resources.registers;
    row.spillBytes = info.resources.spillBytes;
    row.medianUs = 1e3 * medianOf((*ms)[k]);
    row.minUs = 1e3 * minimumOf((*ms)[k]);
    if (modeled)
      row.modeled = modeled->kernels[k];
    r.kernels.push_back(std::move(row));
  }
  return r;
}

} // namespace ssmc::rt
