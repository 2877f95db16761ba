//===- Cuda/Driver.h - The CUDA driver API, loaded at run time --*- C++ -*-===//
//
// libcuda.so.1 is opened with dlopen, never linked, so one binary runs on a
// machine without the NVIDIA driver and says so. Every driver error becomes a
// Status naming the call and the driver's error name and text.
//
// The RAII wrappers below need the device's context current on the calling
// thread (DeviceContext::retain makes it so; makeCurrent on other threads),
// and must be destroyed before the DeviceContext they were made under.
// Destructors ignore driver errors: there is no one to report them to.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_CUDA_DRIVER_H
#define SSMC_RUNTIME_CUDA_DRIVER_H

#include "Support/Status.h"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

// The driver's opaque handle types, with cuda.h's tags so that they are the
// same types where both headers are included.
struct CUctx_st;
struct CUmod_st;
struct CUfunc_st;
struct CUstream_st;
struct CUgraph_st;
struct CUgraphExec_st;
struct CUevent_st;

namespace ssmc::rt {

namespace cu {
using Result = int; ///< CUresult
using Device = int; ///< CUdevice
using DevicePtr = unsigned long long;
using Context = CUctx_st *;
using ModuleHandle = CUmod_st *;
using Function = CUfunc_st *;
using StreamHandle = CUstream_st *;
using Graph = CUgraph_st *;
using GraphExec = CUgraphExec_st *;
using EventHandle = CUevent_st *;

/// The driver entry points ssmc uses (the _v2 symbols where the driver has
/// them), resolved with dlsym.
struct Api {
  Result (*Init)(unsigned Flags);
  Result (*DriverGetVersion)(int *Version);
  Result (*DeviceGetCount)(int *Count);
  Result (*DeviceGet)(Device *Dev, int Ordinal);
  Result (*DeviceGetName)(char *Name, int Len, Device Dev);
  Result (*DeviceGetAttribute)(int *Value, int Attribute, Device Dev);
  Result (*DevicePrimaryCtxRetain)(Context *Ctx, Device Dev);
  Result (*DevicePrimaryCtxRelease)(Device Dev);
  Result (*CtxSetCurrent)(Context Ctx);
  Result (*ModuleLoadData)(ModuleHandle *Mod, const void *Image);
  Result (*ModuleUnload)(ModuleHandle Mod);
  Result (*ModuleGetFunction)(Function *Fn, ModuleHandle Mod, const char *Name);
  Result (*FuncSetAttribute)(Function Fn, int Attribute, int Value);
  Result (*LaunchKernel)(Function Fn, unsigned GridX, unsigned GridY,
                         unsigned GridZ, unsigned BlockX, unsigned BlockY,
                         unsigned BlockZ, unsigned SharedBytes,
                         StreamHandle Stream, void **Params, void **Extra);
  Result (*MemAlloc)(DevicePtr *Ptr, size_t Bytes);
  Result (*MemFree)(DevicePtr Ptr);
  Result (*MemcpyHtoDAsync)(DevicePtr Dst, const void *Src, size_t Bytes,
                            StreamHandle Stream);
  Result (*MemcpyDtoHAsync)(void *Dst, DevicePtr Src, size_t Bytes,
                            StreamHandle Stream);
  Result (*MemsetD8Async)(DevicePtr Dst, unsigned char Value, size_t Bytes,
                          StreamHandle Stream);
  Result (*StreamCreate)(StreamHandle *Stream, unsigned Flags);
  Result (*StreamDestroy)(StreamHandle Stream);
  Result (*StreamSynchronize)(StreamHandle Stream);
  Result (*StreamBeginCapture)(StreamHandle Stream, int Mode);
  Result (*StreamEndCapture)(StreamHandle Stream, Graph *G);
  Result (*GraphInstantiate)(GraphExec *Exec, Graph G,
                             unsigned long long Flags);
  Result (*GraphLaunch)(GraphExec Exec, StreamHandle Stream);
  Result (*GraphDestroy)(Graph G);
  Result (*GraphExecDestroy)(GraphExec Exec);
  Result (*EventCreate)(EventHandle *Event, unsigned Flags);
  Result (*EventRecord)(EventHandle Event, StreamHandle Stream);
  Result (*EventSynchronize)(EventHandle Event);
  Result (*EventElapsedTime)(float *Ms, EventHandle Start, EventHandle End);
  Result (*EventDestroy)(EventHandle Event);
  Result (*GetErrorName)(Result R, const char **Name);
  Result (*GetErrorString)(Result R, const char **Text);
};
} // namespace cu

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int ccMajor = 0, ccMinor = 0;
  int smCount = 0;
  int driverVersion = 0;        ///< e.g. 13000 for CUDA 13.0
  int maxSmemPerBlockOptin = 0; ///< bytes, with the opt-in attribute
  /// "sm_90" for compute capability 9.0.
  std::string arch() const;
};

class Driver {
  struct PassKey {};

public:
  /// The process's driver: libcuda.so.1 (or $SSMC_CUDA_DRIVER, a library
  /// with the same entry points: the tests' fake driver) opened and
  /// initialised once (later calls return the same result). Fails with a message that says what is
  /// missing and suggests --device cpu when there is no driver or no GPU.
  static Expected<Driver *> load();
  /// Opens \p Library afresh (tests use a missing name). The library is
  /// never dlclose'd.
  static Expected<std::unique_ptr<Driver>> open(const std::string &Library);

  explicit Driver(PassKey) {}
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  int deviceCount() const { return Count; }
  int version() const { return Version; }
  Expected<DeviceInfo> queryDevice(int Ordinal) const;

  /// Success for CUDA_SUCCESS, else "<Call> failed: <NAME> (<text>)".
  Status check(cu::Result R, std::string_view Call) const;
  const cu::Api &api() const { return Fns; }

private:
  /// Opens \p Library, resolves the entry points, initialises the driver.
  Status init(const std::string &Library);

  cu::Api Fns{};
  int Count = 0;
  int Version = 0;
};

namespace detail {
/// A driver handle destroyed by the Api member \p Destroy; move-only.
template <class H, cu::Result (*cu::Api::*Destroy)(H)> class Owned {
public:
  Owned() = default;
  Owned(const Driver *D, H Handle) : D(D), Handle(Handle) {}
  Owned(Owned &&O) noexcept : D(O.D), Handle(std::exchange(O.Handle, H{})) {}
  Owned &operator=(Owned &&O) noexcept {
    if (this != &O) {
      reset();
      D = O.D;
      Handle = std::exchange(O.Handle, H{});
    }
    return *this;
  }
  ~Owned() { reset(); }
  void reset() {
    if (Handle != H{})
      (void)(D->api().*Destroy)(std::exchange(Handle, H{}));
  }
  H get() const { return Handle; }
  const Driver *driver() const { return D; }

private:
  const Driver *D = nullptr;
  H Handle{};
};
} // namespace detail

/// A device's primary context, retained while this object lives.
class DeviceContext {
public:
  /// Retains device \p Ordinal's primary context and makes it current.
  static Expected<DeviceContext> retain(const Driver &D, int Ordinal);
  DeviceContext(DeviceContext &&O) noexcept
      : D(O.D), Dev(O.Dev), Ctx(std::exchange(O.Ctx, nullptr)) {}
  DeviceContext &operator=(DeviceContext &&) = delete;
  ~DeviceContext();

  /// Makes the context current on the calling thread.
  Status makeCurrent() const;
  const Driver &driver() const { return *D; }
  cu::Context handle() const { return Ctx; }

private:
  DeviceContext(const Driver *D, cu::Device Dev, cu::Context Ctx)
      : D(D), Dev(Dev), Ctx(Ctx) {}
  const Driver *D;
  cu::Device Dev;
  cu::Context Ctx;
};

/// Device memory.
class DeviceBuffer {
public:
  /// \p Bytes == 0 gives an empty buffer (pointer 0).
  static Expected<DeviceBuffer> allocate(const Driver &D, size_t Bytes);
  cu::DevicePtr ptr() const { return Mem.get(); }
  size_t size() const { return Bytes; }

private:
  DeviceBuffer(const Driver &D, cu::DevicePtr P, size_t Bytes)
      : Mem(&D, P), Bytes(Bytes) {}
  detail::Owned<cu::DevicePtr, &cu::Api::MemFree> Mem;
  size_t Bytes = 0;
};

class CudaGraph;

/// A non-blocking stream. Copies from or to pageable host memory are
/// complete only after synchronize().
class Stream {
public:
  static Expected<Stream> create(const Driver &D);
  Status copyToDevice(cu::DevicePtr Dst, const void *Src, size_t Bytes);
  Status copyToHost(void *Dst, cu::DevicePtr Src, size_t Bytes);
  Status memset8(cu::DevicePtr Dst, uint8_t Value, size_t Bytes);
  Status synchronize();
  /// Records the work queued from now on into a graph instead of running it
  /// (no pageable-memory copies while capturing).
  Status beginCapture();
  /// Ends the capture and instantiates the graph.
  Expected<CudaGraph> endCapture();
  cu::StreamHandle handle() const { return S.get(); }

private:
  Stream(const Driver &D, cu::StreamHandle H) : S(&D, H) {}
  const Driver &driver() const { return *S.driver(); }
  detail::Owned<cu::StreamHandle, &cu::Api::StreamDestroy> S;
};

/// A captured, instantiated graph, replayed with launch().
class CudaGraph {
public:
  Status launch(Stream &S);

private:
  friend class Stream;
  CudaGraph() = default;
  detail::Owned<cu::Graph, &cu::Api::GraphDestroy> G;
  detail::Owned<cu::GraphExec, &cu::Api::GraphExecDestroy> Exec;
};

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

/// A kernel of a loaded Module; valid while the Module lives.
class Kernel {
public:
  /// Allows up to \p Bytes of dynamic shared memory (above 48 KiB needs it).
  Status setMaxDynamicSharedMemory(int Bytes);
  /// \p Args: one pointer per kernel parameter, to the parameter's value.
  Status launch(Dim3 Grid, Dim3 Block, unsigned SharedBytes, Stream &S,
                void **Args) const;
  const std::string &entry() const { return Entry; }
  cu::Function handle() const { return Fn; }

private:
  friend class Module;
  Kernel(const Driver &D, cu::Function Fn, std::string Entry)
      : D(&D), Fn(Fn), Entry(std::move(Entry)) {}
  const Driver *D;
  cu::Function Fn;
  std::string Entry;
};

/// A loaded cubin.
class Module {
public:
  static Expected<Module> load(const Driver &D, const std::vector<char> &Cubin);
  Expected<Kernel> kernel(const std::string &Entry) const;

private:
  Module(const Driver &D, cu::ModuleHandle H) : M(&D, H) {}
  detail::Owned<cu::ModuleHandle, &cu::Api::ModuleUnload> M;
};

/// A timing event.
class Event {
public:
  static Expected<Event> create(const Driver &D);
  Status record(Stream &S);
  Status synchronize();
  /// Milliseconds between two recorded, completed events.
  static Expected<float> elapsedMs(const Event &Start, const Event &End);

private:
  Event(const Driver &D, cu::EventHandle H) : E(&D, H) {}
  detail::Owned<cu::EventHandle, &cu::Api::EventDestroy> E;
};

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_CUDA_DRIVER_H
