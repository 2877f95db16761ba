//===- PlanTrace.cpp - trace the kernels of an artifact's plan ------------===//

#include "PlanTrace.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include <sys/mman.h>

namespace ssmc::perf {

HostBuffer::HostBuffer(size_t bytes) : bytes_(bytes) {
  // One spare page: kernels may read a vector's worth past a tensor's end.
  const size_t mapped = bytes + 4096;
  void *p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  data_ = p == MAP_FAILED ? nullptr : static_cast<unsigned char *>(p);
}

HostBuffer::~HostBuffer() {
  if (data_)
    munmap(data_, bytes_ + 4096);
}

rt::Expected<std::unique_ptr<PlanMemory>> PlanMemory::allocate(const rt::Plan &plan) {
  auto memory = std::unique_ptr<PlanMemory>(new PlanMemory());
  auto make = [](int64_t bytes, const std::string &what)
      -> rt::Expected<std::unique_ptr<HostBuffer>> {
    auto b = std::make_unique<HostBuffer>(size_t(std::max<int64_t>(bytes, 16)));
    if (!b->data())
      return rt::Status::error(
          fmt::format("cannot map {} bytes of host memory for {}: {}", bytes, what,
                      std::strerror(errno)));
    return b;
  };
  auto arena = make(plan.arenaBytes, "the arena");
  if (!arena)
    return arena.status();
  memory->arena_ = std::move(*arena);
  int64_t workspace = 0;
  for (const rt::PlanKernel &k : plan.kernels)
    workspace = std::max(workspace, k.workspaceBytes);
  auto ws = make(workspace, "the workspace");
  if (!ws)
    return ws.status();
  memory->workspace_ = std::move(*ws);
  for (const rt::PlanTensor &t : plan.inputs) {
    auto b = make(t.bytes(), "input '" + t.name + "'");
    if (!b)
      return b.status();
    memory->inputs_[t.name] = std::move(*b);
  }
  for (const rt::PlanTensor &t : plan.weights) {
    auto b = make(t.bytes(), "weight '" + t.name + "'");
    if (!b)
      return b.status();
    memory->weights_[t.name] = std::move(*b);
  }
  return memory;
}

unsigned char *PlanMemory::input(const std::string &name) const {
  auto it = inputs_.find(name);
  return it == inputs_.end() ? nullptr : it->second->data();
}

unsigned char *PlanMemory::weight(const std::string &name) const {
  auto it = weights_.find(name);
  return it == weights_.end() ? nullptr : it->second->data();
}

rt::Status PlanMemory::bind(const rt::PlanKernel &kernel, std::vector<void *> &args,
                            std::vector<std::pair<const void *, const void *>> &ranges) const {
  args.clear();
  ranges.clear();
  auto range = [&](const HostBuffer &b) {
    std::pair<const void *, const void *> r{b.data(), b.data() + b.size()};
    if (std::find(ranges.begin(), ranges.end(), r) == ranges.end())
      ranges.push_back(r);
  };
  for (const rt::PlanParam &p : kernel.params) {
    switch (p.kind) {
    case rt::PlanParam::Kind::Input:
    case rt::PlanParam::Kind::Output:
      if (p.value.kind == rt::ValueRef::Kind::ModelInput) {
        auto it = inputs_.find(p.value.modelInput);
        if (it == inputs_.end())
          return rt::Status::error(fmt::format("kernel {}: no model input '{}'", kernel.name,
                                               p.value.modelInput));
        args.push_back(it->second->data());
        range(*it->second);
      } else {
        args.push_back(arena_->data() + p.value.arenaOffset);
        range(*arena_);
      }
      break;
    case rt::PlanParam::Kind::Weight: {
      auto it = weights_.find(p.weight);
      if (it == weights_.end())
        return rt::Status::error(fmt::format("kernel {}: no weight '{}'", kernel.name, p.weight));
      args.push_back(it->second->data());
      range(*it->second);
      break;
    }
    case rt::PlanParam::Kind::Workspace:
      args.push_back(workspace_->data());
      range(*workspace_);
      break;
    }
  }
  return rt::Status::success();
}

std::string paramTypes(const rt::PlanKernel &kernel) {
  std::string types;
  for (const rt::PlanParam &q : kernel.params) {
    const bool f32 = q.dtype == rt::DType::F32; // T, or a tensor kept in fp32
    types += q.kind == rt::PlanParam::Kind::Workspace ? 'w'
             : q.kind == rt::PlanParam::Kind::Output  ? (f32 ? 'F' : 'o')
                                                      : (f32 ? 'f' : 'c');
  }
  return types;
}

std::vector<std::string> hostTraceDefines(const rt::PlanKernel &kernel, int64_t config) {
  // The source's own defaults are the first configuration's (the plan's
  // default may be another: one that spills no registers).
  if (config == 0)
    return {};
  return rt::configDefines(kernel.configs[size_t(config)]);
}

rt::Expected<KernelTraffic> tracePlanKernel(const rt::PlanKernel &kernel, const PlanMemory &memory,
                                            const SampleOptions &options, int config) {
  const size_t c = size_t(config < 0 ? kernel.defaultConfig : config);
  if (c >= kernel.configs.size())
    return rt::Status::error(fmt::format("kernel {} has no configuration {}", kernel.name, c));
  const rt::PlanConfig &cfg = kernel.configs[c];
  auto lib = HostKernel::build(
      hostKernelSource(kernel.source, kernel.entry, paramTypes(kernel), HostMode::Trace),
      hostTraceDefines(kernel, int64_t(c)), HostMode::Trace);
  if (!lib)
    return rt::Status::error(fmt::format("kernel {}: {}", kernel.name, lib.message()));
  std::vector<void *> args;
  std::vector<std::pair<const void *, const void *>> ranges;
  if (rt::Status s = memory.bind(kernel, args, ranges); !s.ok())
    return s;
  if (cfg.block[1] != 1 || cfg.block[2] != 1)
    return rt::Status::error(
        fmt::format("kernel {}: the tracer runs one-dimensional blocks only", kernel.name));
  Tracer tracer(**lib, args, ranges,
                {unsigned(cfg.grid[0]), unsigned(cfg.grid[1]), unsigned(cfg.grid[2])},
                unsigned(cfg.block[0]), size_t(cfg.smemBytes));
  // Operand i is parameter i (KernelTraffic::byOperand).
  std::vector<Tracer::Operand> operands;
  for (size_t i = 0; i < kernel.params.size(); ++i) {
    const auto *begin = static_cast<const unsigned char *>(args[i]);
    operands.push_back({begin, begin + kernel.params[i].bytes,
                        kernel.params[i].kind == rt::PlanParam::Kind::Output ||
                            kernel.params[i].kind == rt::PlanParam::Kind::Workspace});
  }
  tracer.setOperands(std::move(operands));
  auto traffic = sampleKernel(tracer, options);
  if (!traffic)
    return rt::Status::error(fmt::format("kernel {}: {}", kernel.name, traffic.message()));
  // When everything the kernel points at fits in the L2, nothing is evicted:
  // each sector comes from DRAM once at most and goes back once at most. A
  // sampled estimate whose warm-up could not reach back far enough to see a
  // reuse is capped by that.
  std::vector<std::pair<const void *, int64_t>> extents;
  double footprint = 0, readable = 0, writable = 0;
  for (size_t i = 0; i < kernel.params.size(); ++i) {
    const rt::PlanParam &p = kernel.params[i];
    const std::pair<const void *, int64_t> extent{args[i], p.bytes};
    if (std::find(extents.begin(), extents.end(), extent) != extents.end())
      continue;
    extents.push_back(extent);
    footprint += double(p.bytes);
    if (p.kind != rt::PlanParam::Kind::Output)
      readable += double(p.bytes);
    if (p.kind == rt::PlanParam::Kind::Output || p.kind == rt::PlanParam::Kind::Workspace)
      writable += double(p.bytes);
  }
  if (footprint <= double(options.l2Bytes)) {
    traffic->fitsInL2 = true;
    traffic->dramReadBytes = std::min(traffic->dramReadBytes, readable);
    traffic->dramWriteBytes = std::min(traffic->dramWriteBytes, writable);
    traffic->distinctBytes = std::min(traffic->distinctBytes, footprint);
  }
  return traffic;
}

} // namespace ssmc::perf
