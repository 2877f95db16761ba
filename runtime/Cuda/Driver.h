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
  Result (*init)(unsigned flags);
  Result (*driverGetVersion)(int *version);
  Result (*deviceGetCount)(int *count);
  Result (*deviceGet)(Device *dev, int ordinal);
  Result (*deviceGetName)(char *name, int len, Device dev);
  Result (*deviceGetAttribute)(int *value, int attribute, Device dev);
  Result (*deviceTotalMem)(size_t *bytes, Device dev);
  Result (*devicePrimaryCtxRetain)(Context *ctx, Device dev);
  Result (*devicePrimaryCtxRelease)(Device dev);
  Result (*ctxSetCurrent)(Context ctx);
  Result (*moduleLoadData)(ModuleHandle *mod, const void *image);
  Result (*moduleUnload)(ModuleHandle mod);
  Result (*moduleGetFunction)(Function *fn, ModuleHandle mod, const char *name);
  Result (*funcSetAttribute)(Function fn, int attribute, int value);
  Result (*launchKernel)(Function fn, unsigned gridX, unsigned gridY, unsigned gridZ,
                         unsigned blockX, unsigned blockY, unsigned blockZ, unsigned sharedBytes,
                         StreamHandle stream, void **params, void **extra);
  Result (*memAlloc)(DevicePtr *ptr, size_t bytes);
  Result (*memFree)(DevicePtr ptr);
  Result (*memcpyHtoDAsync)(DevicePtr dst, const void *src, size_t bytes, StreamHandle stream);
  Result (*memcpyDtoHAsync)(void *dst, DevicePtr src, size_t bytes, StreamHandle stream);
  Result (*memcpyDtoDAsync)(DevicePtr dst, DevicePtr src, size_t bytes, StreamHandle stream);
  Result (*memsetD8Async)(DevicePtr dst, unsigned char value, size_t bytes, StreamHandle stream);
  Result (*streamCreate)(StreamHandle *stream, unsigned flags);
  Result (*streamDestroy)(StreamHandle stream);
  Result (*streamSynchronize)(StreamHandle stream);
  Result (*streamBeginCapture)(StreamHandle stream, int mode);
  Result (*streamEndCapture)(StreamHandle stream, Graph *g);
  Result (*graphInstantiate)(GraphExec *exec, Graph g, unsigned long long flags);
  Result (*graphLaunch)(GraphExec exec, StreamHandle stream);
  Result (*graphDestroy)(Graph g);
  Result (*graphExecDestroy)(GraphExec exec);
  Result (*eventCreate)(EventHandle *event, unsigned flags);
  Result (*eventRecord)(EventHandle event, StreamHandle stream);
  Result (*eventSynchronize)(EventHandle event);
  Result (*eventElapsedTime)(float *ms, EventHandle start, EventHandle end);
  Result (*eventDestroy)(EventHandle event);
  Result (*getErrorName)(Result r, const char **name);
  Result (*getErrorString)(Result r, const char **text);
};
} // namespace cu

struct DeviceInfo {
  int ordinal = 0;
  std::string name;
  int ccMajor = 0, ccMinor = 0;
  int smCount = 0;
  int driverVersion = 0;        ///< e.g. 13000 for CUDA 13.0
  int maxSmemPerBlockOptin = 0; ///< bytes, with the opt-in attribute
  size_t totalMemBytes = 0;     ///< the device's memory
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
  static Expected<std::unique_ptr<Driver>> open(const std::string &library);

  explicit Driver(PassKey) {}
  Driver(const Driver &) = delete;
  Driver &operator=(const Driver &) = delete;

  int deviceCount() const { return count_; }
  int version() const { return version_; }
  Expected<DeviceInfo> queryDevice(int ordinal) const;

  /// Success for CUDA_SUCCESS, else "<Call> failed: <NAME> (<text>)".
  Status check(cu::Result r, std::string_view call) const;
  const cu::Api &api() const { return fns_; }

private:
  /// Opens \p Library, resolves the entry points, initialises the driver.
  Status init(const std::string &library);

  cu::Api fns_{};
  int count_ = 0;
  int version_ = 0;
};

namespace detail {
/// A driver handle destroyed by the Api member \p Destroy; move-only.
template <class H, cu::Result (*cu::Api::*Destroy)(H)> class Owned {
public:
  Owned() = default;
  Owned(const Driver *d, H handle) : d_(d), handle_(handle) {}
  Owned(Owned &&o) noexcept : d_(o.d_), handle_(std::exchange(o.handle_, H{})) {}
  Owned &operator=(Owned &&o) noexcept {
    if (this != &o) {
      reset();
      d_ = o.d_;
      handle_ = std::exchange(o.handle_, H{});
    }
    return *this;
  }
  ~Owned() { reset(); }
  void reset() {
    if (handle_ != H{})
      (void)(d_->api().*Destroy)(std::exchange(handle_, H{}));
  }
  H get() const { return handle_; }
  const Driver *driver() const { return d_; }

private:
  const Driver *d_ = nullptr;
  H handle_{};
};
} // namespace detail

/// A device's primary context, retained while this object lives.
class DeviceContext {
public:
  /// Retains device \p Ordinal's primary context and makes it current.
  static Expected<DeviceContext> retain(const Driver &d, int ordinal);
  DeviceContext(DeviceContext &&o) noexcept
      : d_(o.d_), dev_(o.dev_), ctx_(std::exchange(o.ctx_, nullptr)) {}
  DeviceContext &operator=(DeviceContext &&) = delete;
  ~DeviceContext();

  /// Makes the context current on the calling thread.
  Status makeCurrent() const;
  const Driver &driver() const { return *d_; }
  cu::Context handle() const { return ctx_; }

private:
  DeviceContext(const Driver *d, cu::Device dev, cu::Context ctx) : d_(d), dev_(dev), ctx_(ctx) {}
  const Driver *d_;
  cu::Device dev_;
  cu::Context ctx_;
};

/// Device memory.
class DeviceBuffer {
public:
  /// \p Bytes == 0 gives an empty buffer (pointer 0).
  static Expected<DeviceBuffer> allocate(const Driver &d, size_t bytes);
  cu::DevicePtr ptr() const { return mem_.get(); }
  size_t size() const { return bytes_; }

private:
  DeviceBuffer(const Driver &d, cu::DevicePtr p, size_t bytes) : mem_(&d, p), bytes_(bytes) {}
  detail::Owned<cu::DevicePtr, &cu::Api::memFree> mem_;
  size_t bytes_ = 0;
};

class CudaGraph;

/// A non-blocking stream. Copies from or to pageable host memory are
/// complete only after synchronize().
class Stream {
public:
  static Expected<Stream> create(const Driver &d);
  Status copyToDevice(cu::DevicePtr dst, const void *src, size_t bytes);
  Status copyToHost(void *dst, cu::DevicePtr src, size_t bytes);
  Status copyOnDevice(cu::DevicePtr dst, cu::DevicePtr src, size_t bytes);
  Status memset8(cu::DevicePtr dst, uint8_t value, size_t bytes);
  Status synchronize();
  /// Records the work queued from now on into a graph instead of running it
  /// (no pageable-memory copies while capturing).
  Status beginCapture();
  /// Ends the capture and instantiates the graph.
  Expected<CudaGraph> endCapture();
  cu::StreamHandle handle() const { return s_.get(); }

private:
  Stream(const Driver &d, cu::StreamHandle h) : s_(&d, h) {}
  const Driver &driver() const { return *s_.driver(); }
  detail::Owned<cu::StreamHandle, &cu::Api::streamDestroy> s_;
};

/// A captured, instantiated graph, replayed with launch().
class CudaGraph {
public:
  Status launch(Stream &s);

private:
  friend class Stream;
  CudaGraph() = default;
  detail::Owned<cu::Graph, &cu::Api::graphDestroy> g_;
  detail::Owned<cu::GraphExec, &cu::Api::graphExecDestroy> exec_;
};

struct Dim3 {
  unsigned x = 1, y = 1, z = 1;
};

/// A kernel of a loaded Module; valid while the Module lives.
class Kernel {
public:
  /// Allows up to \p Bytes of dynamic shared memory (above 48 KiB needs it).
  Status setMaxDynamicSharedMemory(int bytes);
  /// \p Args: one pointer per kernel parameter, to the parameter's value.
  Status launch(Dim3 grid, Dim3 block, unsigned sharedBytes, Stream &s, void **args) const;
  const std::string &entry() const { return entry_; }
  cu::Function handle() const { return fn_; }

private:
  friend class Module;
  Kernel(const Driver &d, cu::Function fn, std::string entry)
      : d_(&d), fn_(fn), entry_(std::move(entry)) {}
  const Driver *d_;
  cu::Function fn_;
  std::string entry_;
};

/// A loaded cubin.
class Module {
public:
  static Expected<Module> load(const Driver &d, const std::vector<char> &cubin);
  Expected<Kernel> kernel(const std::string &entry) const;

private:
  Module(const Driver &d, cu::ModuleHandle h) : m_(&d, h) {}
  detail::Owned<cu::ModuleHandle, &cu::Api::moduleUnload> m_;
};

/// A timing event.
class Event {
public:
  static Expected<Event> create(const Driver &d);
  Status record(Stream &s);
  Status synchronize();
  /// Milliseconds between two recorded, completed events.
  static Expected<float> elapsedMs(const Event &start, const Event &end);

private:
  Event(const Driver &d, cu::EventHandle h) : e_(&d, h) {}
  detail::Owned<cu::EventHandle, &cu::Api::eventDestroy> e_;
};

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_CUDA_DRIVER_H
