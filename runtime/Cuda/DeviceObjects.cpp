//===- Cuda/DeviceObjects.cpp - Buffers, streams, modules, graphs ---------===//
//
// The RAII wrappers declared in Driver.h, each a thin checked call.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Driver.h"

#include <fmt/format.h>

using namespace ssmc::rt;

namespace {
// Values from cuda.h.
constexpr unsigned StreamNonBlocking = 1;
constexpr int CaptureModeThreadLocal = 1;
constexpr int FuncAttrMaxDynamicSharedBytes = 8;
constexpr unsigned EventDefault = 0;

/// Like Driver::check, formatting the call's description only on failure
/// (launches and copies are hot).
template <class Describe>
Status checked(const Driver &D, cu::Result R, Describe Call) {
  return R == 0 ? Status::success() : D.check(R, Call());
}
} // namespace

Expected<DeviceBuffer> DeviceBuffer::allocate(const Driver &D, size_t Bytes) {
  cu::DevicePtr P = 0;
  if (Bytes)
    if (Status S = checked(
            D, D.api().MemAlloc(&P, Bytes),
            [&] { return fmt::format("cuMemAlloc_v2({} bytes)", Bytes); });
        !S)
      return S;
  return DeviceBuffer(D, P, Bytes);
}

Expected<Stream> Stream::create(const Driver &D) {
  cu::StreamHandle H = nullptr;
  if (Status S = D.check(D.api().StreamCreate(&H, StreamNonBlocking),
                         "cuStreamCreate");
      !S)
    return S;
  return Stream(D, H);
}

Status Stream::copyToDevice(cu::DevicePtr Dst, const void *Src, size_t Bytes) {
  return checked(
      driver(), driver().api().MemcpyHtoDAsync(Dst, Src, Bytes, handle()),
      [&] { return fmt::format("cuMemcpyHtoDAsync_v2({} bytes)", Bytes); });
}

Status Stream::copyToHost(void *Dst, cu::DevicePtr Src, size_t Bytes) {
  return checked(
      driver(), driver().api().MemcpyDtoHAsync(Dst, Src, Bytes, handle()),
      [&] { return fmt::format("cuMemcpyDtoHAsync_v2({} bytes)", Bytes); });
}

Status Stream::memset8(cu::DevicePtr Dst, uint8_t Value, size_t Bytes) {
  return checked(
      driver(), driver().api().MemsetD8Async(Dst, Value, Bytes, handle()),
      [&] { return fmt::format("cuMemsetD8Async({} bytes)", Bytes); });
}

Status Stream::synchronize() {
  return driver().check(driver().api().StreamSynchronize(handle()),
                        "cuStreamSynchronize");
}

Status Stream::beginCapture() {
  // Thread-local: other threads' unrelated driver calls do not break it.
  return driver().check(
      driver().api().StreamBeginCapture(handle(), CaptureModeThreadLocal),
      "cuStreamBeginCapture_v2");
}

Expected<CudaGraph> Stream::endCapture() {
  const Driver &D = driver();
  CudaGraph Graph;
  cu::Graph G = nullptr;
  if (Status S =
          D.check(D.api().StreamEndCapture(handle(), &G), "cuStreamEndCapture");
      !S)
    return S;
  Graph.G = {&D, G};
  cu::GraphExec Exec = nullptr;
  if (Status S = D.check(D.api().GraphInstantiate(&Exec, G, 0),
                         "cuGraphInstantiateWithFlags");
      !S)
    return S;
  Graph.Exec = {&D, Exec};
  return Graph;
}

Status CudaGraph::launch(Stream &S) {
  const Driver &D = *Exec.driver();
  return D.check(D.api().GraphLaunch(Exec.get(), S.handle()), "cuGraphLaunch");
}

Expected<Module> Module::load(const Driver &D, const std::vector<char> &Cubin) {
  if (Cubin.empty())
    return Status::error("cuModuleLoadData: empty cubin");
  cu::ModuleHandle H = nullptr;
  if (Status S =
          D.check(D.api().ModuleLoadData(&H, Cubin.data()), "cuModuleLoadData");
      !S)
    return S;
  return Module(D, H);
}

Expected<Kernel> Module::kernel(const std::string &Entry) const {
  const Driver &D = *M.driver();
  cu::Function Fn = nullptr;
  if (Status S = checked(
          D, D.api().ModuleGetFunction(&Fn, M.get(), Entry.c_str()),
          [&] { return fmt::format("cuModuleGetFunction({})", Entry); });
      !S)
    return S;
  return Kernel(D, Fn, Entry);
}

Status Kernel::setMaxDynamicSharedMemory(int Bytes) {
  return checked(
      *D, D->api().FuncSetAttribute(Fn, FuncAttrMaxDynamicSharedBytes, Bytes),
      [&] {
        return fmt::format(
            "cuFuncSetAttribute({}, max dynamic shared memory {} bytes)", Entry,
            Bytes);
      });
}

Status Kernel::launch(Dim3 Grid, Dim3 Block, unsigned SharedBytes, Stream &S,
                      void **Args) const {
  return checked(
      *D,
      D->api().LaunchKernel(Fn, Grid.x, Grid.y, Grid.z, Block.x, Block.y,
                            Block.z, SharedBytes, S.handle(), Args, nullptr),
      [&] {
        return fmt::format(
            "cuLaunchKernel({}, grid {}x{}x{}, block {}x{}x{}, {} bytes "
            "shared)",
            Entry, Grid.x, Grid.y, Grid.z, Block.x, Block.y, Block.z,
            SharedBytes);
      });
}

Expected<Event> Event::create(const Driver &D) {
  cu::EventHandle H = nullptr;
  if (Status S =
          D.check(D.api().EventCreate(&H, EventDefault), "cuEventCreate");
      !S)
    return S;
  return Event(D, H);
}

Status Event::record(Stream &S) {
  const Driver &D = *E.driver();
  return D.check(D.api().EventRecord(E.get(), S.handle()), "cuEventRecord");
}

Status Event::synchronize() {
  const Driver &D = *E.driver();
  return D.check(D.api().EventSynchronize(E.get()), "cuEventSynchronize");
}

Expected<float> Event::elapsedMs(const Event &Start, const Event &End) {
  const Driver &D = *Start.E.driver();
  float Ms = 0;
  if (Status S =
          D.check(D.api().EventElapsedTime(&Ms, Start.E.get(), End.E.get()),
                  "cuEventElapsedTime");
      !S)
    return S;
  return Ms;
}
