//===- Exec/ExecutorRun.cpp - Running and timing a loaded model -----------===//
//
// Inputs up, launches (plain or as a CUDA graph), outputs down; one kernel
// alone on given inputs; event timing of forwards and of each kernel.
//
//===----------------------------------------------------------------------===//

#include "Exec/Executor.h"
#include "Exec/ExecutorImpl.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstring>
#include <functional>

using namespace ssmc::rt;
using namespace ssmc::rt::exec_detail;

Status GpuModel::setInputs(const FloatTensorMap &inputs) {
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  std::vector<std::string> problems;
  for (const PlanTensor &in : i_->p.inputs) {
    auto it = inputs.find(in.name);
    if (it == inputs.end())
      problems.push_back(fmt::format("input '{}' ({}) is missing", in.name, shapeStr(in.shape)));
    else if (it->second.shape != in.shape)
      problems.push_back(
          fmt::format("input '{}' is {}, but the artifact was compiled for {} (recompile "
                      "it with --input-shape/--batch to change that)",
                      in.name, shapeStr(it->second.shape), shapeStr(in.shape)));
    else if (int64_t(it->second.data.size()) != in.numElements())
      problems.push_back(fmt::format("input '{}' holds {} values, not {}", in.name,
                                     it->second.data.size(), in.numElements()));
  }
  if (!problems.empty())
    return Status::error(fmt::format("{}", fmt::join(problems, "; ")));
  std::vector<std::vector<std::byte>> staging;
  for (const PlanTensor &in : i_->p.inputs) {
    const FloatTensor &t = inputs.at(in.name);
    staging.emplace_back();
    encodeAs(in.dtype, t.data.data(), t.data.size(), staging.back());
    if (!staging.back().empty())
      if (Status st = i_->s->copyToDevice(i_->inputBufs.at(in.name).ptr(), staging.back().data(),
                                          staging.back().size());
          !st)
        return st;
  }
  if (Status st = i_->s->synchronize(); !st)
    return Status::error("uploading the inputs: " + st.message());
  i_->inputsSet = true;
  return Status::success();
}

Status GpuModel::enqueue() {
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  return i_->launchAll(i_->syncEach);
}

Status GpuModel::enqueueGraph() {
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  if (Status st = i_->capture(); !st)
    return st;
  return i_->graph->launch(*i_->s);
}

Expected<FloatTensorMap> GpuModel::readOutputs() {
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  std::vector<std::vector<std::byte>> raw;
  for (const PlanOutput &o : i_->p.outputs) {
    raw.emplace_back(size_t(o.bytes()));
    if (!raw.back().empty())
      if (Status st =
              i_->s->copyToHost(raw.back().data(), i_->arena->ptr() + cu::DevicePtr(o.arenaOffset),
                                raw.back().size());
          !st)
        return st;
  }
  if (Status st = i_->s->synchronize(); !st)
    return Status::error(fmt::format("running '{}' failed: {}; a kernel faulted: rerun with --sync "
                                     "(syncEachKernel) to see which, or under compute-sanitizer",
                                     i_->p.model, st.message()));
  FloatTensorMap out;
  for (size_t k = 0; k < i_->p.outputs.size(); ++k) {
    const PlanOutput &o = i_->p.outputs[k];
    out[o.name] = FloatTensor{o.shape, decodeFrom(o.dtype, raw[k].data(), size_t(o.numElements()))};
  }
  return out;
}

Expected<KernelTensors> GpuModel::runKernel(size_t kernel, const KernelTensors &groupInputs) {
  if (kernel >= i_->launches.size())
    return Status::error(fmt::format("'{}' has kernels 0 to {}, not {}", i_->p.model,
                                     i_->launches.size() - 1, kernel));
  Impl::Launch &l = i_->launches[kernel];
  const PlanKernel &k = i_->planKernel(l);
  std::vector<std::string> problems;
  for (const PlanParam &pa : k.params) {
    if (pa.kind != PlanParam::Kind::Input)
      continue;
    auto it = groupInputs.find(pa.index);
    if (it == groupInputs.end())
      problems.push_back(
          fmt::format("input #{} ('{}', {}) is missing", pa.index, pa.name, shapeStr(pa.shape)));
    else if (it->second.shape != pa.shape)
      problems.push_back(fmt::format("input #{} ('{}') is {}, expected {}", pa.index, pa.name,
                                     shapeStr(it->second.shape), shapeStr(pa.shape)));
    else if (it->second.data.size() * dtypeSize(pa.dtype) != size_t(pa.bytes))
      problems.push_back(fmt::format("input #{} ('{}') holds {} values, not "
                                     "{}",
                                     pa.index, pa.name, it->second.data.size(),
                                     pa.bytes / int64_t(dtypeSize(pa.dtype))));
  }
  if (!problems.empty())
    return Status::error(fmt::format("kernel '{}': {}", k.name, fmt::join(problems, "; ")));
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  // Outputs poisoned first, then the inputs (an in-place output keeps its
  // input), then the launch.
  for (size_t p = 0; p < k.params.size(); ++p)
    if (k.params[p].kind == PlanParam::Kind::Output && k.params[p].bytes > 0)
      if (Status st = i_->s->memset8(l.args[p], 0xFF, size_t(k.params[p].bytes)); !st)
        return st;
  std::vector<std::vector<std::byte>> staging;
  for (size_t p = 0; p < k.params.size(); ++p) {
    const PlanParam &pa = k.params[p];
    if (pa.kind != PlanParam::Kind::Input)
      continue;
    const FloatTensor &t = groupInputs.at(pa.index);
    staging.emplace_back();
    encodeAs(pa.dtype, t.data.data(), t.data.size(), staging.back());
    if (!staging.back().empty())
      if (Status st = i_->s->copyToDevice(l.args[p], staging.back().data(), staging.back().size());
          !st)
        return st;
  }
  if (Status st = l.kernel.launch(l.grid, l.block, l.smem, *i_->s, l.argPtrs.data()); !st)
    return Status::error(fmt::format("launching {}: {}", i_->where(l), st.message()));
  if (Status st = i_->s->synchronize(); !st)
    return Status::error(fmt::format("{} failed while running: {}; run it "
                                     "under compute-sanitizer for details",
                                     i_->where(l), st.message()));
  std::vector<std::pair<const PlanParam *, std::vector<std::byte>>> raw;
  for (size_t p = 0; p < k.params.size(); ++p) {
    const PlanParam &pa = k.params[p];
    if (pa.kind != PlanParam::Kind::Output)
      continue;
    raw.emplace_back(&pa, std::vector<std::byte>(size_t(pa.bytes)));
    if (!raw.back().second.empty())
      if (Status st =
              i_->s->copyToHost(raw.back().second.data(), l.args[p], raw.back().second.size());
          !st)
        return st;
  }
  if (Status st = i_->s->synchronize(); !st)
    return Status::error(
        fmt::format("reading the results of kernel '{}': {}", k.name, st.message()));
  KernelTensors out;
  for (auto &[Pa, Bytes] : raw)
    out[Pa->index] = FloatTensor{
        Pa->shape, decodeFrom(Pa->dtype, Bytes.data(), Bytes.size() / dtypeSize(Pa->dtype))};
  return out;
}

Expected<FloatTensorMap> GpuModel::run(const FloatTensorMap &inputs) {
  if (Status st = setInputs(inputs); !st)
    return st;
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  if (Status st = i_->launchAll(i_->syncEach); !st)
    return st;
  return readOutputs();
}

Expected<FloatTensorMap> GpuModel::runGraph(const FloatTensorMap &inputs) {
  if (Status st = setInputs(inputs); !st)
    return st;
  if (Status st = enqueueGraph(); !st)
    return st;
  return readOutputs();
}

/// Milliseconds of each of `Iters` calls of `Work`, queued back to back on
/// `S` with an event between each two; `What` names the work in a failed
/// wait.
static Expected<std::vector<float>> timeEach(const Driver &d, Stream &s, int iters,
                                             const std::function<Status()> &work,
                                             const char *what) {
  std::vector<Event> events;
  for (int e = 0; e <= iters; ++e) {
    auto ev = Event::create(d);
    if (!ev)
      return ev.status();
    events.push_back(std::move(*ev));
  }
  if (Status st = events[0].record(s); !st)
    return st;
  for (int it = 0; it < iters; ++it) {
    if (Status st = work(); !st)
      return st;
    if (Status st = events[size_t(it) + 1].record(s); !st)
      return st;
  }
  if (Status st = events.back().synchronize(); !st)
    return Status::error(fmt::format("{}: {}", what, st.message()));
  std::vector<float> ms;
  for (int it = 0; it < iters; ++it) {
    auto t = Event::elapsedMs(events[size_t(it)], events[size_t(it) + 1]);
    if (!t)
      return t.status();
    ms.push_back(*t);
  }
  return ms;
}

Expected<std::vector<float>> GpuModel::time(bool graph, int warmup, int iters) {
  if (!i_->inputsSet)
    return Status::error("GpuModel::time needs inputs: call setInputs first");
  if (iters < 1 || warmup < 0)
    return Status::error(
        fmt::format("timing needs at least one iteration and no negative warm-up (got "
                    "{} iterations, {} warm-up)",
                    iters, warmup));
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  if (graph)
    if (Status st = i_->capture(); !st)
      return st;
  auto forward = [&] { return graph ? enqueueGraph() : enqueue(); };
  for (int w = 0; w < warmup; ++w)
    if (Status st = forward(); !st)
      return st;
  if (Status st = i_->s->synchronize(); !st)
    return Status::error("warming up: " + st.message());
  return timeEach(*i_->d, *i_->s, iters, forward, "timing");
}

Expected<std::vector<std::vector<float>>> GpuModel::timeKernels(int warmup, int iters) {
  if (!i_->inputsSet)
    return Status::error("GpuModel::timeKernels needs inputs: call setInputs "
                         "first");
  if (iters < 1 || warmup < 0)
    return Status::error("timing needs at least one iteration and no "
                         "negative warm-up");
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  for (int w = 0; w < warmup; ++w)
    if (Status st = i_->launchAll(false); !st)
      return st;
  const size_t k = i_->launches.size();
  std::vector<Event> events;
  for (size_t e = 0; e < k + 1; ++e) {
    auto ev = Event::create(*i_->d);
    if (!ev)
      return ev.status();
    events.push_back(std::move(*ev));
  }
  std::vector<std::vector<float>> ms(k);
  for (int it = 0; it < iters; ++it) {
    if (Status st = events[0].record(*i_->s); !st)
      return st;
    for (size_t l = 0; l < k; ++l) {
      Impl::Launch &ln = i_->launches[l];
      if (Status st = ln.kernel.launch(ln.grid, ln.block, ln.smem, *i_->s, ln.argPtrs.data()); !st)
        return Status::error(fmt::format("launching {}: {}", i_->where(ln), st.message()));
      if (Status st = events[l + 1].record(*i_->s); !st)
        return st;
    }
    if (Status st = events.back().synchronize(); !st)
      return Status::error("timing: " + st.message());
    for (size_t l = 0; l < k; ++l) {
      auto t = Event::elapsedMs(events[l], events[l + 1]);
      if (!t)
        return t.status();
      ms[l].push_back(*t);
    }
  }
  return ms;
}

Expected<double> GpuModel::copyBandwidthGbps(size_t bytes, int iters) {
  if (bytes == 0 || iters < 1)
    return Status::error("the copy bandwidth needs some bytes and at least one iteration");
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  auto from = DeviceBuffer::allocate(*i_->d, bytes);
  if (!from)
    return from.status();
  auto to = DeviceBuffer::allocate(*i_->d, bytes);
  if (!to)
    return to.status();
  if (Status st = i_->s->memset8(from->ptr(), 0, bytes); !st)
    return st;
  if (Status st = i_->s->copyOnDevice(to->ptr(), from->ptr(), bytes); !st)
    return st;
  auto ms = timeEach(
      *i_->d, *i_->s, iters, [&] { return i_->s->copyOnDevice(to->ptr(), from->ptr(), bytes); },
      "timing the copy");
  if (!ms)
    return ms.status();
  const double seconds = double(medianOf(*ms)) * 1e-3;
  if (seconds <= 0)
    return Status::error("the copy took no measurable time");
  return 2.0 * double(bytes) / seconds / 1e9;
}

float ssmc::rt::medianOf(std::vector<float> ms) {
  if (ms.empty())
    return 0;
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  return n % 2 ? ms[n / 2] : 0.5f * (ms[n / 2 - 1] + ms[n / 2]);
}

float ssmc::rt::minimumOf(const std::vector<float> &ms) {
  return ms.empty() ? 0 : *std::min_element(ms.begin(), ms.end());
}
