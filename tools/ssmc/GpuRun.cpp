//===- GpuRun.cpp - `ssmc run --device cuda|auto` --------------------------===//
//
// The compiler and the runtime meet here: codegen's plan of the lowered
// module (what `ssmc compile -o` writes) and the weights go to the
// runtime's GpuModel in memory, which compiles, loads and runs them. The GPU is looked up first, so
// a machine without one fails (or, with `--device auto`, falls back) before
// any kernel is generated.
//
//===----------------------------------------------------------------------===//

#include "GpuRun.h"
#include "Artifact.h"

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Cuda/Nvrtc.h"
#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Arch.h"

#include <fmt/format.h>

#include <chrono>

namespace ssmc::cli {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// The driver and the first GPU, or why there is none.
struct Gpu {
  const rt::Driver *driver;
  rt::DeviceInfo info;
};
rt::Expected<Gpu> firstGpu() {
  auto driver = rt::Driver::load();
  if (!driver)
    return driver.status();
  auto info = (*driver)->queryDevice(0);
  if (!info)
    return info.status();
  return Gpu{*driver, *info};
}

} // namespace

rt::Expected<std::string> detectGpuArch() {
  auto gpu = firstGpu();
  if (!gpu)
    return gpu.status();
  return gpu->info.arch();
}

std::string defaultArch() {
  auto arch = detectGpuArch();
  if (arch && checkArch(*arch).ok())
    return *arch;
  return "sm_90";
}

int64_t presentSmCount(const std::string &arch) {
  auto gpu = firstGpu();
  return gpu && gpu->info.arch() == arch ? gpu->info.smCount : 0;
}

rt::TuningDevice tuningDevice(const std::string &arch, int64_t sms) {
  rt::TuningDevice d;
  d.arch = arch;
  if (auto gpu = firstGpu(); gpu && gpu->info.arch() == arch)
    return rt::measuredDevice(gpu->info);
  d.sms = sms ? sms : rt::typicalSmCount(arch).value_or(0);
  return d;
}

bool gpuAvailable(std::string *why) {
  auto arch = detectGpuArch();
  if (!arch) {
    if (why)
      *why = arch.message();
    return false;
  }
  return true;
}

rt::Expected<interp::TensorMap> runOnGpu(const Options &options, BuiltModel &built,
                                         const interp::TensorMap &weights,
                                         const interp::TensorMap &inputs, GpuRunTimes &times) {
  const auto start = std::chrono::steady_clock::now();
  auto gpu = firstGpu();
  if (!gpu)
    return gpu.status();
  times.device = gpu->info.name;
  times.arch = gpu->info.arch();
  if (rt::Status s = checkArch(times.arch); !s.ok())
    return rt::Status::error(fmt::format("the GPU '{}' is {}, which ssmc does not generate code "
                                         "for: {} (use --device cpu)",
                                         times.device, times.arch, s.message()));

  // The compiler's plan and the weights go to the runtime in memory: no
  // file is written; NVRTC runs once per distinct kernel (through the same
  // cache entries `ssmc compile -o` and a later ssmc-rt load use).
  Options target = options;
  target.arch = times.arch;
  auto generated = generateModel(*built.module, target);
  if (!generated)
    return generated.status();
  applyTunedDefaults(generated->plan, target);
  std::vector<rt::TensorView> views;
  for (const auto &[name, t] : weights)
    views.push_back({name, rt::DType::F32, t.shape, reinterpret_cast<const std::byte *>(t.data),
                     static_cast<size_t>(t.numElements()) * sizeof(float)});
  const rt::WeightSource weightSource =
      rt::WeightSource::of(fmt::format("the weights of '{}'", generated->plan.model), views);

  rt::KernelCache cache;
  rt::GpuModelOptions gpuOptions;
  gpuOptions.cache = &cache;
  gpuOptions.driver = gpu->driver;
  gpuOptions.progress = !options.quiet;
  auto model = rt::GpuModel::load(generated->plan, "the compiled model", &weightSource, gpuOptions);
  if (!model)
    return model.status();
  times.compileSeconds = secondsSince(start);

  rt::FloatTensorMap deviceInputs;
  for (const auto &[name, t] : inputs)
    deviceInputs[name] = rt::FloatTensor{
        t.shape, std::vector<float>(t.data, t.data + t.numElements())};
  const auto runStart = std::chrono::steady_clock::now();
  auto outputs = model->run(deviceInputs);
  times.runMs = 1000 * secondsSince(runStart);
  if (!outputs)
    return outputs.status();

  interp::TensorMap result;
  for (auto &[name, t] : *outputs) {
    interp::HostTensor h = interp::HostTensor::allocate(t.shape);
    std::copy(t.data.begin(), t.data.end(), h.data);
    result[name] = h;
  }
  return result;
}

} // namespace ssmc::cli
