//===- Session.cpp - what ssmc-rt's commands share ------------------------===//

#include "Session.h"

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"
#include "Tune/TuningDb.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

Expected<const Driver *> loadDriver() {
  auto d = Driver::load(); // honours $SSMC_CUDA_DRIVER
  if (!d)
    return d.status();
  return static_cast<const Driver *>(*d);
}

int fail(const std::string &message) {
  std::fprintf(stderr, "ssmc-rt: %s\n", message.c_str());
  return kExitError;
}

int failNoGpu(const Status &s) {
  std::fprintf(stderr,
               "ssmc-rt: %s\nssmc-rt: ssmc-rt runs artifacts on NVIDIA GPUs "
               "only; `ssmc run MODEL --device cpu` runs a model on the CPU\n",
               s.message().c_str());
  return kExitError;
}

/// whose files are not at hand (a whole model's weights are larger than
/// what a GPU machine here can be given). The weights go through a
/// safetensors file in the temporary directory, removed once mapped.
static std::optional<int> randomData(Session &s) {
  std::mt19937 rng(0);
  auto draw = [&](int64_t n, float scale) {
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(size_t(std::max<int64_t>(n, 0)));
    for (float &x : v)
      x = u(rng);
    return v;
  };
  for (const PlanTensor &t : s.p.inputs)
    s.inputTensors[t.name] = FloatTensor{t.shape, draw(t.numElements(), 1.0f)};
  if (s.p.weights.empty())
    return std::nullopt;
  std::vector<std::vector<float>> data;
  std::vector<TensorToWrite> tensors;
  for (const PlanTensor &t : s.p.weights)
    data.push_back(draw(t.numElements(), 0.1f));
  for (size_t i = 0; i < s.p.weights.size(); ++i) {
    const PlanTensor &t = s.p.weights[i];
    tensors.push_back(
        {t.name, DType::F32, t.shape, data[i].data(), data[i].size() * sizeof(float)});
  }
  // In a directory of its own (mode 0700, a fresh name), not at a
  // predictable path of a shared /tmp.
  std::error_code ec;
  std::string dir = (fs::temp_directory_path(ec) / "ssmc-rt-random-XXXXXX").string();
  if (ec || !::mkdtemp(dir.data()))
    return fail(fmt::format("--random: cannot make a temporary directory in {}: {}",
                            fs::path(dir).parent_path().string(),
                            ec ? ec.message() : std::strerror(errno)));
  const fs::path path = fs::path(dir) / "weights.safetensors";
  Status st = writeSafetensors(path.string(), tensors);
  auto w = st ? SafetensorsFile::open(path.string())
               : Expected<std::shared_ptr<SafetensorsFile>>(st);
  fs::remove_all(dir, ec); // the mapping keeps the data
  if (!w)
    return fail(fmt::format("--random: {}", w.message()));
  s.weights = *w;
  return std::nullopt;
}

/// The local part: reads and checks the artifact and the files, so that a
/// user's mistake is reported the same way on every machine.
std::optional<int> prepare(const Options &o, Session &s) {
  auto p = loadArtifact(o.artifact);
  if (!p)
    return fail(p.message());
  s.p = std::move(*p);
  if (o.random)
    return randomData(s);
  if (o.weights.empty() && !s.p.weights.empty())
    return fail(fmt::format("'{}' has {} weights: pass them with --weights "
                            "W.safetensors",
                            s.p.model, s.p.weights.size()));
  if (!o.weights.empty()) {
    auto w = SafetensorsFile::open(o.weights);
    if (!w)
      return fail(w.message());
    s.weights = *w;
  }
  auto in = SafetensorsFile::open(o.inputs);
  if (!in)
    return fail(in.message());
  s.inputs = *in;
  std::vector<std::string> problems;
  for (const PlanTensor &t : s.p.inputs) {
    const TensorView *v = s.inputs->find(t.name);
    if (!v) {
      problems.push_back(fmt::format("input '{}' {} is not in {}", t.name,
                                     fmt::format("[{}]", fmt::join(t.shape, ", ")), o.inputs));
      continue;
    }
    if (v->shape != t.shape) {
      problems.push_back(
          fmt::format("input '{}' is [{}] in {}, but the artifact was compiled for [{}] "
                      "(recompile with --input-shape/--batch to change that)",
                      t.name, fmt::join(v->shape, ", "), o.inputs, fmt::join(t.shape, ", ")));
      continue;
    }
    auto h = FloatTensor::fromView(*v);
    if (!h) {
      problems.push_back(h.message());
      continue;
    }
    s.inputTensors[t.name] = std::move(*h);
  }
  if (!problems.empty())
    return fail(fmt::format("{}", fmt::join(problems, "; ")));
  if (!o.output.empty()) {
    fs::path parent = fs::path(o.output).parent_path();
    std::error_code ec;
    if (!parent.empty() && !fs::is_directory(parent, ec))
      return fail(
          fmt::format("cannot write {}: directory {} does not exist", o.output, parent.string()));
  }
  return std::nullopt;
}

/// The GPU part: the driver, then compiling and loading the model.
std::optional<int> loadModel(const Options &o, Session &s) {
  auto d = loadDriver();
  if (!d)
    return failNoGpu(d.status());
  if (!o.noCache)
    s.cache = std::make_unique<KernelCache>(o.cacheDir);
  // The tuning database's best configurations become the defaults, on the
  // GPU the artifact was compiled for; --config KERNEL=INDEX still wins.
  if (!o.noTuning)
    if (auto info = (*d)->queryDevice(o.device); info && info->arch() == s.p.arch) {
      const std::string said =
          applyDefaultTuning(s.p, measuredDevice(*info), [](const std::string &w) {
            std::fprintf(stderr, "ssmc-rt: warning: %s\n", w.c_str());
          });
      if (!said.empty() && !o.quiet)
        std::fprintf(stderr, "ssmc-rt: %s\n", said.c_str());
    }
  GpuModelOptions mo;
  mo.device = o.device;
  mo.configs = o.configs;
  mo.cache = s.cache.get();
  mo.driver = *d;
  mo.progress = !o.quiet;
  mo.allowArchMismatch = o.allowArch;
  mo.syncEachKernel = o.sync;
  auto m = GpuModel::load(s.p, o.artifact, s.weights.get(), mo);
  if (!m)
    return fail(m.message());
  s.model.emplace(std::move(*m));
  if (!o.quiet)
    std::fprintf(stderr,
                 "ssmc-rt: '%s' (%s, %zu kernels) on device %d: %s "
                 "(%s)\n",
                 s.p.model.c_str(), std::string(planDTypeName(s.p.dtype)).c_str(),
                 s.p.kernels.size(), o.device, s.model->device().name.c_str(),
                 s.model->device().arch().c_str());
  return std::nullopt;
}

void warnNonFinite(const char *what, const FloatTensorMap &tensors) {
  for (const auto &[name, t] : tensors) {
    size_t nan = 0, inf = 0;
    for (float v : t.data) {
      nan += std::isnan(v);
      inf += std::isinf(v);
    }
    if (nan || inf)
      std::fprintf(stderr, "ssmc-rt: warning: %s '%s' has %zu NaN and %zu Inf of %zu values\n",
                   what, name.c_str(), nan, inf, t.data.size());
  }
}

Status writeOutputs(const std::string &path, const FloatTensorMap &outputs, const Session &s,
                    const Options &o, bool graph) {
  std::vector<TensorToWrite> tensors;
  for (const PlanOutput &out : s.p.outputs) {
    const FloatTensor &t = outputs.at(out.name);
    tensors.push_back(
        {out.name, DType::F32, t.shape, t.data.data(), t.data.size() * sizeof(float)});
  }
  return writeSafetensors(path, tensors,
                          {{"model", s.p.model},
                           {"artifact", o.artifact},
                           {"dtype", std::string(planDTypeName(s.p.dtype))},
                           {"device", s.model->device().name},
                           {"arch", s.model->device().arch()},
                           {"launch", graph ? "cuda-graph" : "stream"},
                           {"generator", "ssmc-rt"}});
}

Comparison compare(const std::string &name, const FloatTensor &got, const TensorView *ref,
                   double rtol, double atol, int width) {
  Comparison c;
  auto shape = [](const std::vector<int64_t> &s) {
    return fmt::format("[{}]", fmt::join(s, ", "));
  };
  if (!ref) {
    c.ok = false;
    c.line = fmt::format("  {:<{}} MISSING from the expected file", name, width);
    return c;
  }
  if (ref->shape != got.shape) {
    c.ok = false;
    c.line = fmt::format("  {:<{}} shape {}, expected {}  FAIL", name, width, shape(got.shape),
                         shape(ref->shape));
    return c;
  }
  auto want = SafetensorsFile::toF32(*ref);
  if (!want) {
    c.ok = false;
    c.line = fmt::format("  {:<{}} {}", name, width, want.message());
    return c;
  }
  double maxRef = 0, maxAbs = 0;
  size_t worst = 0, nonFinite = 0, refNonFinite = 0;
  for (size_t i = 0; i < got.data.size(); ++i) {
    double g = got.data[i], r = (*want)[i];
    if (!std::isfinite(r)) { // a reference that is not finite checks nothing
      ++refNonFinite;
      continue;
    }
    maxRef = std::max(maxRef, std::fabs(r));
    if (!std::isfinite(g)) {
      ++nonFinite;
      continue;
    }
    double e = std::fabs(g - r);
    if (e > maxAbs || std::isnan(e)) {
      maxAbs = std::isnan(e) ? maxAbs : e;
      worst = i;
    }
  }
  double rel = maxRef > 0 ? maxAbs / maxRef : maxAbs;
  c.ok = nonFinite == 0 && refNonFinite == 0 && maxAbs <= atol + rtol * maxRef;
  c.rel = nonFinite || refNonFinite ? INFINITY : rel;
  std::string notes;
  if (nonFinite)
    notes += fmt::format(", {} non-finite", nonFinite);
  if (refNonFinite)
    notes +=
        fmt::format(", {} NaN/Inf in the expected file (a reference must be finite)", refNonFinite);
  c.line = fmt::format("  {:<{}} {:<18} max abs err {:.3e}  rel err {:.3e}{}  (worst at {}: "
                       "got {:.6g}, expected {:.6g})  {}",
                       name, width, shape(got.shape), maxAbs, rel, notes, worst,
                       got.data.empty() ? 0.0 : double(got.data[worst]),
                       got.data.empty() ? 0.0 : double((*want)[worst]), c.ok ? "ok" : "FAIL");
  return c;
}

} // namespace ssmc::rtcli
