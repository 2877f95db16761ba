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
constexpr cu::Result Success = 0;
constexpr cu::Result ErrorNoDevice = 100;
constexpr int AttrSmCount = 16;
constexpr int AttrCcMajor = 75;
constexpr int AttrCcMinor = 76;
constexpr int AttrMaxSmemPerBlockOptin = 97;

constexpr std::string_view RunOnCpu =
    "run with --device cpu, or on a machine with an NVIDIA GPU and driver";

/// Each Api member with its symbol and, for entry points newer drivers
/// renamed, the older symbol to fall back to.
#define SSMC_CU_SYMBOLS(X)                                                     \
  X(Init, "cuInit", nullptr)                                                   \
  X(DriverGetVersion, "cuDriverGetVersion", nullptr)                           \
  X(DeviceGetCount, "cuDeviceGetCount", nullptr)                               \
  X(DeviceGet, "cuDeviceGet", nullptr)                                         \
  X(DeviceGetName, "cuDeviceGetName", nullptr)                                 \
  X(DeviceGetAttribute, "cuDeviceGetAttribute", nullptr)                       \
  X(DevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", nullptr)               \
  X(DevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", nullptr)          \
  X(CtxSetCurrent, "cuCtxSetCurrent", nullptr)                                 \
  X(ModuleLoadData, "cuModuleLoadData", nullptr)                               \
  X(ModuleUnload, "cuModuleUnload", nullptr)                                   \
  X(ModuleGetFunction, "cuModuleGetFunction", nullptr)                         \
  X(FuncSetAttribute, "cuFuncSetAttribute", nullptr)                           \
  X(LaunchKernel, "cuLaunchKernel", nullptr)                                   \
  X(MemAlloc, "cuMemAlloc_v2", nullptr)                                        \
  X(MemFree, "cuMemFree_v2", nullptr)                                          \
  X(MemcpyHtoDAsync, "cuMemcpyHtoDAsync_v2", nullptr)                          \
  X(MemcpyDtoHAsync, "cuMemcpyDtoHAsync_v2", nullptr)                          \
  X(MemsetD8Async, "cuMemsetD8Async", nullptr)                                 \
  X(StreamCreate, "cuStreamCreate", nullptr)                                   \
  X(StreamDestroy, "cuStreamDestroy_v2", nullptr)                              \
  X(StreamSynchronize, "cuStreamSynchronize", nullptr)                         \
  X(StreamBeginCapture, "cuStreamBeginCapture_v2", nullptr)                    \
  X(StreamEndCapture, "cuStreamEndCapture", nullptr)                           \
  X(GraphInstantiate, "cuGraphInstantiateWithFlags", nullptr)                  \
  X(GraphLaunch, "cuGraphLaunch", nullptr)                                     \
  X(GraphDestroy, "cuGraphDestroy", nullptr)                                   \
  X(GraphExecDestroy, "cuGraphExecDestroy", nullptr)                           \
  X(EventCreate, "cuEventCreate", nullptr)                                     \
  X(EventRecord, "cuEventRecord", nullptr)                                     \
  X(EventSynchronize, "cuEventSynchronize", nullptr)                           \
  X(EventElapsedTime, "cuEventElapsedTime_v2", "cuEventElapsedTime")           \
  X(EventDestroy, "cuEventDestroy_v2", nullptr)                                \
  X(GetErrorName, "cuGetErrorName", nullptr)                                   \
  X(GetErrorString, "cuGetErrorString", nullptr)

/// Names for the errors likeliest while setting up, for when the driver
/// cannot name them itself (the toolkit's link stub cannot).
struct KnownError {
  cu::Result Code;
  const char *Name, *Text;
};
constexpr KnownError KnownErrors[] = {
    {1, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
    {2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
    {3, "CUDA_ERROR_NOT_INITIALIZED", "initialization error"},
    {34, "CUDA_ERROR_STUB_LIBRARY",
     "this is the CUDA toolkit's link stub, not the NVIDIA driver"},
    {35, "CUDA_ERROR_INSUFFICIENT_DRIVER",
     "the NVIDIA driver is older than the CUDA runtime"},
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

template <class Fn>
bool resolve(void *Lib, Fn &Slot, const char *Name, const char *Fallback) {
  void *P = dlsym(Lib, Name);
  if (!P && Fallback)
    P = dlsym(Lib, Fallback);
  Slot = reinterpret_cast<Fn>(P);
  return P != nullptr;
}

} // namespace

Status Driver::init(const std::string &Library) {
  void *Lib = dlopen(Library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!Lib) {
    const char *Why = dlerror();
    return Status::error(
        fmt::format("no CUDA driver: {} could not be loaded ({}); {}", Library,
                    Why ? Why : "unknown reason", RunOnCpu));
  }
#define SSMC_RESOLVE(Member, Name, Fallback)                                   \
  if (!resolve(Lib, Fns.Member, Name, Fallback))                               \
    return Status::error(fmt::format(                                          \
        "CUDA driver too old: {} lacks {}; update the NVIDIA driver, or run "  \
        "with --device cpu",                                                   \
        Library, Name));
  SSMC_CU_SYMBOLS(SSMC_RESOLVE)
#undef SSMC_RESOLVE

  if (cu::Result R = Fns.Init(0); R == ErrorNoDevice)
    return Status::error(fmt::format("CUDA driver found but no GPU: {}; {}",
                                     check(R, "cuInit").message(), RunOnCpu));
  else if (R != Success)
    return Status::error(fmt::format(
        "CUDA driver found but it failed to initialise: {}; check the driver "
        "(nvidia-smi), or run with --device cpu",
        check(R, "cuInit").message()));
  if (Status S = check(Fns.DriverGetVersion(&Version), "cuDriverGetVersion");
      !S)
    return S;
  if (Status S = check(Fns.DeviceGetCount(&Count), "cuDeviceGetCount"); !S)
    return S;
  if (Count <= 0)
    return Status::error(fmt::format(
        "CUDA driver found but no GPU: cuDeviceGetCount returned {}; {}", Count,
        RunOnCpu));
  return Status::success();
}

Expected<std::unique_ptr<Driver>> Driver::open(const std::string &Library) {
  auto D = std::make_unique<Driver>(PassKey{});
  if (Status S = D->init(Library); !S)
    return S;
  return D;
}

Expected<Driver *> Driver::load() {
  // A static Driver is never destroyed (its destructor is trivial), so the
  // wrappers' destructors can still use it while other statics go away.
  static_assert(std::is_trivially_destructible_v<Driver>);
  static Driver Instance{PassKey{}};
  static std::once_flag Once;
  static std::optional<Status> Failure;
  std::call_once(Once, [] {
    // $SSMC_CUDA_DRIVER: another driver library (the tests' fake driver).
    const char *Lib = std::getenv("SSMC_CUDA_DRIVER");
    if (Status S = Instance.init(Lib && *Lib ? Lib : "libcuda.so.1"); !S)
      Failure.emplace(std::move(S));
  });
  if (Failure)
    return *Failure;
  return &Instance;
}

Status Driver::check(cu::Result R, std::string_view Call) const {
  if (R == Success)
    return Status::success();
  const char *Name = nullptr, *Text = nullptr;
  if (!Fns.GetErrorName || Fns.GetErrorName(R, &Name) != Success)
    Name = nullptr;
  if (!Fns.GetErrorString || Fns.GetErrorString(R, &Text) != Success)
    Text = nullptr;
  for (const KnownError &K : KnownErrors)
    if (K.Code == R) {
      Name = Name ? Name : K.Name;
      Text = Text ? Text : K.Text;
    }
  Name = Name ? Name : "unknown error";
  Text = Text ? Text : "no description";
  return Status::error(
      fmt::format("{} failed: {} ({}, code {})", Call, Name, Text, R));
}

std::string DeviceInfo::arch() const {
  return fmt::format("sm_{}{}", ccMajor, ccMinor);
}

Expected<DeviceInfo> Driver::queryDevice(int Ordinal) const {
  if (Ordinal < 0 || Ordinal >= Count)
    return Status::error(
        fmt::format("no CUDA device {}: this machine has {} (0 to {})", Ordinal,
                    Count, Count - 1));
  DeviceInfo Info;
  Info.ordinal = Ordinal;
  Info.driverVersion = Version;
  cu::Device Dev = 0;
  if (Status S = check(Fns.DeviceGet(&Dev, Ordinal), "cuDeviceGet"); !S)
    return S;
  char Name[256] = {};
  if (Status S = check(Fns.DeviceGetName(Name, sizeof(Name) - 1, Dev),
                       "cuDeviceGetName");
      !S)
    return S;
  Info.name = Name;
  struct {
    int Attribute;
    int *Out;
    const char *What;
  } Queries[] = {
      {AttrCcMajor, &Info.ccMajor, "compute capability major"},
      {AttrCcMinor, &Info.ccMinor, "compute capability minor"},
      {AttrSmCount, &Info.smCount, "multiprocessor count"},
      {AttrMaxSmemPerBlockOptin, &Info.maxSmemPerBlockOptin,
       "max shared memory per block (opt-in)"},
  };
  for (auto &Q : Queries)
    if (Status S = check(Fns.DeviceGetAttribute(Q.Out, Q.Attribute, Dev),
                         fmt::format("cuDeviceGetAttribute({})", Q.What));
        !S)
      return S;
  return Info;
}

Expected<DeviceContext> DeviceContext::retain(const Driver &D, int Ordinal) {
  if (Ordinal < 0 || Ordinal >= D.deviceCount())
    return Status::error(fmt::format("no CUDA device {}: this machine has {}",
                                     Ordinal, D.deviceCount()));
  cu::Device Dev = 0;
  if (Status S = D.check(D.api().DeviceGet(&Dev, Ordinal), "cuDeviceGet"); !S)
    return S;
  cu::Context Ctx = nullptr;
  if (Status S = D.check(D.api().DevicePrimaryCtxRetain(&Ctx, Dev),
                         "cuDevicePrimaryCtxRetain");
      !S)
    return S;
  DeviceContext C(&D, Dev, Ctx);
  if (Status S = C.makeCurrent(); !S)
    return S;
  return C;
}

DeviceContext::~DeviceContext() {
  if (Ctx)
    (void)D->api().DevicePrimaryCtxRelease(Dev);
}

Status DeviceContext::makeCurrent() const {
  return D->check(D->api().CtxSetCurrent(Ctx), "cuCtxSetCurrent");
}
