//===- Cuda/Driver.cpp - Loading the CUDA driver, devices, contexts -------===//

#include "Cuda/Driver.h"

#include <fmt/format.h>

#include <cstdlib>
#include <mutex>
#include <optional>
#include <type_traits>

#include <dlfcn.h>

using namespace ssmc::rt;

namespace {

// Values from cuda.h.
constexpr cu::Result kSuccess = 0;
constexpr cu::Result kErrorNoDevice = 100;
constexpr int kAttrSmCount = 16;
constexpr int kAttrCcMajor = 75;
constexpr int kAttrCcMinor = 76;
constexpr int kAttrMaxSmemPerBlockOptin = 97;

constexpr std::string_view kRunOnCpu =
    "run with --device cpu, or on a machine with an NVIDIA GPU and driver";

/// Each Api member with its symbol and, for entry points newer drivers
/// renamed, the older symbol to fall back to.
#define SSMC_CU_SYMBOLS(X)                                                                         \
  X(init, "cuInit", nullptr)                                                                       \
  X(driverGetVersion, "cuDriverGetVersion", nullptr)                                               \
  X(deviceGetCount, "cuDeviceGetCount", nullptr)                                                   \
  X(deviceGet, "cuDeviceGet", nullptr)                                                             \
  X(deviceGetName, "cuDeviceGetName", nullptr)                                                     \
  X(deviceGetAttribute, "cuDeviceGetAttribute", nullptr)                                           \
  X(deviceTotalMem, "cuDeviceTotalMem_v2", nullptr)                                                \
  X(devicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", nullptr)                                   \
  X(devicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", nullptr)                              \
  X(ctxSetCurrent, "cuCtxSetCurrent", nullptr)                                                     \
  X(moduleLoadData, "cuModuleLoadData", nullptr)                                                   \
  X(moduleUnload, "cuModuleUnload", nullptr)                                                       \
  X(moduleGetFunction, "cuModuleGetFunction", nullptr)                                             \
  X(funcSetAttribute, "cuFuncSetAttribute", nullptr)                                               \
  X(launchKernel, "cuLaunchKernel", nullptr)                                                       \
  X(memAlloc, "cuMemAlloc_v2", nullptr)                                                            \
  X(memFree, "cuMemFree_v2", nullptr)                                                              \
  X(memcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", nullptr)                                              \
  X(memcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", nullptr)                                              \
  X(memcpyDtoDAsync, "cuMemcpyDtoDAsync_v2", nullptr)                                              \
  X(memsetD8Async, "cuMemsetD8Async", nullptr)                                                     \
  X(streamCreate, "cuStreamCreate", nullptr)                                                       \
  X(streamDestroy, "cuStreamDestroy_v2", nullptr)                                                  \
  X(streamSynchronize, "cuStreamSynchronize", nullptr)                                             \
  X(streamBeginCapture, "cuStreamBeginCapture_v2", nullptr)                                        \
  X(streamEndCapture, "cuStreamEndCapture", nullptr)                                               \
  X(graphInstantiate, "cuGraphInstantiateWithFlags", nullptr)                                      \
  X(graphLaunch, "cuGraphLaunch", nullptr)                                                         \
  X(graphDestroy, "cuGraphDestroy", nullptr)                                                       \
  X(graphExecDestroy, "cuGraphExecDestroy", nullptr)                                               \
  X(eventCreate, "cuEventCreate", nullptr)                                                         \
  X(eventRecord, "cuEventRecord", nullptr)                                                         \
  X(eventSynchronize, "cuEventSynchronize", nullptr)                                               \
  X(eventElapsedTime, "cuEventElapsedTime_v2", "cuEventElapsedTime")                               \
  X(eventDestroy, "cuEventDestroy_v2", nullptr)                                                    \
  X(getErrorName, "cuGetErrorName", nullptr)                                                       \
  X(getErrorString, "cuGetErrorString", nullptr)

/// Names for the errors likeliest while setting up, for when the driver
/// cannot name them itself (the toolkit's link stub cannot).
struct KnownError {
  cu::Result code;
  const char *name, *text;
};
constexpr KnownError kKnownErrors[] = {
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {34, "CUDA_ERROR_STUB_LIBRARY", "this is the CUDA toolkit's link stub, not the NVIDIA driver"},
    {35, "CUDA_ERROR_INSUFFICIENT_DRIVER", "the NVIDIA driver is older than the CUDA runtime"},
    {46, "CUDA_ERROR_DEVICE_UNAVAILABLE", "the GPU is busy or unavailable"},
    {100, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected"},
    {209, "CUDA_ERROR_NO_BINARY_FOR_GPU",
     "no kernel image is available for execution on the device"},
    {222, "CUDA_ERROR_UNSUPPORTED_PTX_VERSION",
     "the provided PTX was compiled with an unsupported toolchain"},
    {802, "CUDA_ERROR_SYSTEM_NOT_READY", "system not yet initialized"},
    {803, "CUDA_ERROR_SYSTEM_DRIVER_MISMATCH",
     "system has unsupported display driver / cuda driver combination"},
    {804, "CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE",
     "forward compatibility was attempted on non supported HW"},
    {999, "CUDA_ERROR_UNKNOWN", "unknown error"},
};

template <class Fn> bool resolve(void *lib, Fn &slot, const char *name, const char *fallback) {
  void *p = dlsym(lib, name);
  if (!p && fallback)
    p = dlsym(lib, fallback);
  slot = reinterpret_cast<Fn>(p);
  return p != nullptr;
}

} // namespace

Status Driver::init(const std::string &Library) {
  void *Lib = dlopen(Library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!Lib) {
    const char *why = dlerror();
    return Status::error(fmt::format("no CUDA driver: {} could not be loaded ({}); {}", Library,
                                     why ? why : "unknown reason", kRunOnCpu));
  }
#define SSMC_RESOLVE(Member, Name, Fallback)                                                       \
  if (!resolve(Lib, fns_.Member, Name, Fallback))                                                  \
    return Status::error(                                                                          \
        fmt::format("CUDA driver too old: {} lacks {}; update the NVIDIA driver, or run "          \
                    "with --device cpu",                                                           \
                    Library, Name));
  SSMC_CU_SYMBOLS(SSMC_RESOLVE)
#undef SSMC_RESOLVE

  if (cu::Result r = fns_.init(0); r == kErrorNoDevice)
    return Status::error(fmt::format("CUDA driver found but no GPU: {}; {}",
                                     check(r, "cuInit").message(), kRunOnCpu));
  else if (r != kSuccess)
    return Status::error(
        fmt::format("CUDA driver found but it failed to initialise: {}; check the driver "
                    "(nvidia-smi), or run with --device cpu",
                    check(r, "cuInit").message()));
  if (Status s = check(fns_.driverGetVersion(&version_), "cuDriverGetVersion"); !s)
    return s;
  if (Status s = check(fns_.deviceGetCount(&count_), "cuDeviceGetCount"); !s)
    return s;
  if (count_ <= 0)
    return Status::error(fmt::format(
        "CUDA driver found but no GPU: cuDeviceGetCount returned {}; {}", count_, kRunOnCpu));
  return Status::success();
}

Expected<std::unique_ptr<Driver>> Driver::open(const std::string &library) {
  auto d = std::make_unique<Driver>(PassKey{});
  if (Status s = d->init(library); !s)
    return s;
  return d;
}

Expected<Driver *> Driver::load() {
  // A static Driver is never destroyed (its destructor is trivial), so the
  // wrappers' destructors can still use it while other statics go away.
  static_assert(std::is_trivially_destructible_v<Driver>);
  static Driver instance{PassKey{}};
  static std::once_flag once;
  static std::optional<Status> failure;
  std::call_once(once, [] {
    // $SSMC_CUDA_DRIVER: another driver library (the tests' fake driver).
    const char *lib = std::getenv("SSMC_CUDA_DRIVER");
    if (Status s = instance.init(lib && *lib ? lib : "libcuda.so.1"); !s)
      failure.emplace(std::move(s));
  });
  if (failure)
    return *failure;
  return &instance;
}

Status Driver::check(cu::Result r, std::string_view call) const {
  if (r == kSuccess)
    return Status::success();
  const char *name = nullptr, *text = nullptr;
  if (!fns_.getErrorName || fns_.getErrorName(r, &name) != kSuccess)
    name = nullptr;
  if (!fns_.getErrorString || fns_.getErrorString(r, &text) != kSuccess)
    text = nullptr;
  for (const KnownError &k : kKnownErrors)
    if (k.code == r) {
      name = name ? name : k.name;
      text = text ? text : k.text;
    }
  name = name ? name : "unknown error";
  text = text ? text : "no description";
  return Status::error(fmt::format("{} failed: {} ({}, code {})", call, name, text, r));
}

std::string DeviceInfo::arch() const { return fmt::format("sm_{}{}", ccMajor, ccMinor); }

Expected<DeviceInfo> Driver::queryDevice(int ordinal) const {
  if (ordinal < 0 || ordinal >= count_)
    return Status::error(fmt::format("no CUDA device {}: this machine has {} (0 to {})", ordinal,
                                     count_, count_ - 1));
  DeviceInfo info;
  info.ordinal = ordinal;
  info.driverVersion = version_;
  cu::Device dev = 0;
  if (Status s = check(fns_.deviceGet(&dev, ordinal), "cuDeviceGet"); !s)
    return s;
  char name[256] = {};
  if (Status s = check(fns_.deviceGetName(name, sizeof(name) - 1, dev), "cuDeviceGetName"); !s)
    return s;
  info.name = name;
  struct {
    int attribute;
    int *out;
    const char *what;
  } queries[] = {
      {kAttrCcMajor, &info.ccMajor, "compute capability major"},
      {kAttrCcMinor, &info.ccMinor, "compute capability minor"},
      {kAttrSmCount, &info.smCount, "multiprocessor count"},
      {kAttrMaxSmemPerBlockOptin, &info.maxSmemPerBlockOptin,
       "max shared memory per block (opt-in)"},
  };
  for (auto &q : queries)
    if (Status s = check(fns_.deviceGetAttribute(q.out, q.attribute, dev),
                         fmt::format("cuDeviceGetAttribute({})", q.what));
        !s)
      return s;
  if (Status s = check(fns_.deviceTotalMem(&info.totalMemBytes, dev), "cuDeviceTotalMem_v2"); !s)
    return s;
  return info;
}

Expected<DeviceContext> DeviceContext::retain(const Driver &d, int ordinal) {
  if (ordinal < 0 || ordinal >= d.deviceCount())
    return Status::error(
        fmt::format("no CUDA device {}: this machine has {}", ordinal, d.deviceCount()));
  cu::Device dev = 0;
  if (Status s = d.check(d.api().deviceGet(&dev, ordinal), "cuDeviceGet"); !s)
    return s;
  cu::Context ctx = nullptr;
  if (Status s = d.check(d.api().devicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain"); !s)
    return s;
  DeviceContext c(&d, dev, ctx);
  if (Status s = c.makeCurrent(); !s)
    return s;
  return c;
}

DeviceContext::~DeviceContext() {
  if (ctx_)
    (void)d_->api().devicePrimaryCtxRelease(dev_);
}

Status DeviceContext::makeCurrent() const {
  return d_->check(d_->api().ctxSetCurrent(ctx_), "cuCtxSetCurrent");
}
