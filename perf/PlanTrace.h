//===- PlanTrace.h - trace the kernels of an artifact's plan ----*- C++ -*-===//
//
// Binds a plan's kernels to host memory laid out as the GPU runtime lays it
// out (one arena at the plan's offsets, so in-place results alias their
// inputs; model inputs, weights and the workspace in buffers of their own),
// builds each kernel in trace mode and samples it (perf/Sampler.h).
// Memory is mapped lazily: untouched pages cost nothing, so a batch-128
// arena of gigabytes is fine.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_PLANTRACE_H
#define SSMC_PERF_PLANTRACE_H

#include "Sampler.h"

#include "Exec/Plan.h"

#include <map>
#include <memory>

namespace ssmc::perf {

/// Zero-filled, page-aligned memory, mapped on first touch.
class HostBuffer {
public:
  explicit HostBuffer(size_t bytes);
  ~HostBuffer();
  HostBuffer(const HostBuffer &) = delete;
  HostBuffer &operator=(const HostBuffer &) = delete;
  unsigned char *data() const { return data_; }
  size_t size() const { return bytes_; }

private:
  unsigned char *data_ = nullptr;
  size_t bytes_ = 0;
};

/// Every buffer a plan's kernels point into.
class PlanMemory {
public:
  static rt::Expected<std::unique_ptr<PlanMemory>> allocate(const rt::Plan &plan);
  /// The kernel's arguments in signature order, and the device ranges.
  rt::Status bind(const rt::PlanKernel &kernel, std::vector<void *> &args,
                  std::vector<std::pair<const void *, const void *>> &ranges) const;

  /// The buffers, to fill inputs and weights and to read results; null for
  /// a name the plan does not have.
  unsigned char *input(const std::string &name) const;
  unsigned char *weight(const std::string &name) const;
  unsigned char *arena() const { return arena_->data(); }

private:
  std::unique_ptr<HostBuffer> arena_, workspace_;
  std::map<std::string, std::unique_ptr<HostBuffer>> inputs_, weights_;
};

/// 'c', 'o', 'f', 'F' or 'w' per parameter (perf/HostKernel.h's paramTypes).
std::string paramTypes(const rt::PlanKernel &kernel);

/// The defines a trace-mode host build of `kernel` in configuration
/// `config` takes: none for the first configuration, whose values are the
/// source's own.
std::vector<std::string> hostTraceDefines(const rt::PlanKernel &kernel, int64_t config);

/// Traces one kernel of the plan in configuration `config` (its
/// defaultConfig when negative).
rt::Expected<KernelTraffic> tracePlanKernel(const rt::PlanKernel &kernel, const PlanMemory &memory,
                                            const SampleOptions &options, int config = -1);

} // namespace ssmc::perf

#endif // SSMC_PERF_PLANTRACE_H
