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
constexpr unsigned kStreamNonBlocking = 1;
constexpr int kCaptureModeThreadLocal = 1;
constexpr int kFuncAttrMaxDynamicSharedBytes = 8;
constexpr unsigned kEventDefault = 0;

/// Like Driver::check, formatting the call's description only on failure
/// (launches and copies are hot).
template <class Describe> Status checked(const Driver &d, cu::Result r, Describe call) {
  return r == 0 ? Status::success() : d.check(r, call());
}
} // namespace

Expected<DeviceBuffer> DeviceBuffer::allocate(const Driver &d, size_t bytes) {
  cu::DevicePtr p = 0;
  if (bytes)
    if (Status s = checked(d, d.api().memAlloc(&p, bytes),
                           [&] { return fmt::format("cuMemAlloc_v2({} bytes)", bytes); });
        !s)
      return s;
  return DeviceBuffer(d, p, bytes);
}

Expected<Stream> Stream::create(const Driver &d) {
  cu::StreamHandle h = nullptr;
  if (Status s = d.check(d.api().streamCreate(&h, kStreamNonBlocking), "cuStreamCreate"); !s)
    return s;
  return Stream(d, h);
}

Status Stream::copyToDevice(cu::DevicePtr dst, const void *src, size_t bytes) {
  return checked(driver(), driver().api().memcpyHtoDAsync(dst, src, bytes, handle()),
                 [&] { return fmt::format("cuMemcpyHtoDAsync_v2({} bytes)", bytes); });
}

Status Stream::copyToHost(void *dst, cu::DevicePtr src, size_t bytes) {
  return checked(driver(), driver().api().memcpyDtoHAsync(dst, src, bytes, handle()),
                 [&] { return fmt::format("cuMemcpyDtoHAsync_v2({} bytes)", bytes); });
}

Status Stream::copyOnDevice(cu::DevicePtr dst, cu::DevicePtr src, size_t bytes) {
  return checked(driver(), driver().api().memcpyDtoDAsync(dst, src, bytes, handle()),
                 [&] { return fmt::format("cuMemcpyDtoDAsync_v2({} bytes)", bytes); });
}

Status Stream::memset8(cu::DevicePtr dst, uint8_t value, size_t bytes) {
  return checked(driver(), driver().api().memsetD8Async(dst, value, bytes, handle()),
                 [&] { return fmt::format("cuMemsetD8Async({} bytes)", bytes); });
}

Status Stream::synchronize() {
  return driver().check(driver().api().streamSynchronize(handle()), "cuStreamSynchronize");
}

Status Stream::beginCapture() {
  // Thread-local: other threads' unrelated driver calls do not break it.
  return driver().check(driver().api().streamBeginCapture(handle(), kCaptureModeThreadLocal),
                        "cuStreamBeginCapture_v2");
}

Expected<CudaGraph> Stream::endCapture() {
  const Driver &d = driver();
  CudaGraph graph;
  cu::Graph g = nullptr;
  if (Status s = d.check(d.api().streamEndCapture(handle(), &g), "cuStreamEndCapture"); !s)
    return s;
  graph.g_ = {&d, g};
  cu::GraphExec exec = nullptr;
  if (Status s = d.check(d.api().graphInstantiate(&exec, g, 0), "cuGraphInstantiateWithFlags"); !s)
    return s;
  graph.exec_ = {&d, exec};
  return graph;
}

Status CudaGraph::launch(Stream &s) {
  const Driver &d = *exec_.driver();
  return d.check(d.api().graphLaunch(exec_.get(), s.handle()), "cuGraphLaunch");
}

Expected<Module> Module::load(const Driver &d, const std::vector<char> &cubin) {
  if (cubin.empty())
    return Status::error("cuModuleLoadData: empty cubin");
  cu::ModuleHandle h = nullptr;
  if (Status s = d.check(d.api().moduleLoadData(&h, cubin.data()), "cuModuleLoadData"); !s)
    return s;
  return Module(d, h);
}

Expected<Kernel> Module::kernel(const std::string &entry) const {
  const Driver &d = *m_.driver();
  cu::Function fn = nullptr;
  if (Status s = checked(d, d.api().moduleGetFunction(&fn, m_.get(), entry.c_str()),
                         [&] { return fmt::format("cuModuleGetFunction({})", entry); });
      !s)
    return s;
  return Kernel(d, fn, entry);
}

Status Kernel::setMaxDynamicSharedMemory(int bytes) {
  return checked(*d_, d_->api().funcSetAttribute(fn_, kFuncAttrMaxDynamicSharedBytes, bytes), [&] {
    return fmt::format("cuFuncSetAttribute({}, max dynamic shared memory {} bytes)", entry_, bytes);
  });
}

Status Kernel::launch(Dim3 grid, Dim3 block, unsigned sharedBytes, Stream &s, void **args) const {
  return checked(*d_,
                 d_->api().launchKernel(fn_, grid.x, grid.y, grid.z, block.x, block.y, block.z,
                                        sharedBytes, s.handle(), args, nullptr),
                 [&] {
                   return fmt::format("cuLaunchKernel({}, grid {}x{}x{}, block {}x{}x{}, {} bytes "
                                      "shared)",
                                      entry_, grid.x, grid.y, grid.z, block.x, block.y, block.z,
                                      sharedBytes);
                 });
}

Expected<Event> Event::create(const Driver &d) {
  cu::EventHandle h = nullptr;
  if (Status s = d.check(d.api().eventCreate(&h, kEventDefault), "cuEventCreate"); !s)
    return s;
  return Event(d, h);
}

Status Event::record(Stream &s) {
  const Driver &d = *e_.driver();
  return d.check(d.api().eventRecord(e_.get(), s.handle()), "cuEventRecord");
}

Status Event::synchronize() {
  const Driver &d = *e_.driver();
  return d.check(d.api().eventSynchronize(e_.get()), "cuEventSynchronize");
}

Expected<float> Event::elapsedMs(const Event &start, const Event &end) {
  const Driver &d = *start.e_.driver();
  float ms = 0;
  if (Status s = d.check(d.api().eventElapsedTime(&ms, start.e_.get(), end.e_.get()),
                         "cuEventElapsedTime");
      !s)
    return s;
  return ms;
}
