//===- GpuRun.cpp - `ssmc run --device cuda|auto` --------------------------===//
//
// The compiler and the runtime meet here: the lowered module becomes an
// artifact in a temporary directory (exactly what `ssmc compile -o` writes),
// which the runtime's GpuModel loads and runs. The GPU is looked up first, so
// a machine without one fails (or, with `--device auto`, falls back) before
// any kernel is generated.
//
//===----------------------------------------------------------------------===//

#include "GpuRun.h"
#include "Artifact.h"

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace ssmc::cli {
namespace {

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

/// A directory removed with everything in it when this goes out of scope.
class TemporaryDirectory {
public:
  static rt::Expected<TemporaryDirectory> create() {
    std::error_code ec;
    fs::path base = fs::temp_directory_path(ec);
    if (ec)
      return rt::Status::error(fmt::format("no temporary directory: {}", ec.message()));
    std::string pattern = (base / "ssmc-run-XXXXXX").string();
    if (!mkdtemp(pattern.data()))
      return rt::Status::error(fmt::format("cannot create a temporary directory under {}: {}",
                                           base.string(), std::strerror(errno)));
    return TemporaryDirectory(pattern);
  }
  TemporaryDirectory(TemporaryDirectory &&other) noexcept : path_(std::move(other.path_)) {
    other.path_.clear();
  }
  TemporaryDirectory(const TemporaryDirectory &) = delete;
  ~TemporaryDirectory() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  const fs::path &path() const { return path_; }

private:
  explicit TemporaryDirectory(fs::path p) : path_(std::move(p)) {}
  fs::path path_;
};

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

  Options target = options;
  target.arch = times.arch;
  auto compiled = generateAndCompile(*built.module, target);
  if (!compiled)
    return compiled.status();
  auto dir = TemporaryDirectory::create();
  if (!dir)
    return dir.status();
  const fs::path artifact = dir->path() / "artifact";
  if (rt::Status s = writeArtifact(artifact.string(), *built.module, *compiled); !s.ok())
    return s;
  auto plan = rt::loadArtifact(artifact.string());
  if (!plan)
    return plan.status();

  // The runtime reads weights from safetensors, by their official names.
  std::vector<rt::TensorToWrite> tensors;
  for (const auto &[name, t] : weights)
    tensors.push_back({name, rt::DType::F32, t.shape, t.data,
                       static_cast<size_t>(t.numElements()) * sizeof(float)});
  const fs::path weightsPath = dir->path() / "weights.safetensors";
  if (rt::Status s = rt::writeSafetensors(weightsPath.string(), tensors); !s.ok())
    return s;
  auto weightsFile = rt::SafetensorsFile::open(weightsPath.string());
  if (!weightsFile)
    return weightsFile.status();

  rt::KernelCache cache;
  rt::GpuModelOptions gpuOptions;
  gpuOptions.cache = &cache;
  gpuOptions.driver = gpu->driver;
  gpuOptions.progress = !options.quiet;
  auto model = rt::GpuModel::load(*plan, artifact.string(), **weightsFile, gpuOptions);
  if (!model)
    return model.status();
  times.compileSeconds = secondsSince(start);

  rt::TensorMap deviceInputs;
  for (const auto &[name, t] : inputs)
    deviceInputs[name] = rt::HostTensor{
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
