//===- Exec/CompilePlan.h - NVRTC for every kernel of a plan ----*- C++ -*-===//
//
// One way to compile a plan's kernels, used by `ssmc compile -o` (the
// default configurations, to report resources and fail early) and by
// GpuModel::load (the chosen ones): kernels whose sources are equal up to
// comments and their entry's name (the same block in another layer) and
// that run the same configuration compile once, and both callers pass NVRTC
// the same options, so they hit the same kernel-cache entries.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_EXEC_COMPILEPLAN_H
#define SSMC_RUNTIME_EXEC_COMPILEPLAN_H

#include "Cuda/Nvrtc.h"
#include "Exec/Plan.h"

#include <functional>

namespace ssmc::rt {

class KernelCache;

/// NVRTC's options for kernel \p Kernel of \p P in configuration \p Config:
/// the target \p Arch, the plan's nvrtc_options, the configuration's defines.
NvrtcOptions kernelNvrtcOptions(const Plan &p, size_t kernel, int64_t config,
                                const std::string &arch);

struct PlanCompilation {
  /// One per distinct (canonical source, configuration), compiled from the
  /// first kernel that has it: load its cubin and get distinct[i].entry.
  std::vector<CompiledKernel> distinct;
  std::vector<size_t> distinctOf; ///< per plan kernel: index into distinct
  size_t fromCache = 0;           ///< of distinct
};

/// Compiles every kernel of \p P in configuration \p Configs[k] (one per
/// kernel) for \p Arch on \p Threads threads (0: one per core), through
/// \p Cache when given. \p Progress(done, total) counts distinct kernels.
/// Every failure is reported: the first one's message and how many more.
Expected<PlanCompilation> compilePlan(const Plan &p, const std::vector<int64_t> &configs,
                                      const std::string &arch, KernelCache *cache,
                                      unsigned threads = 0,
                                      const std::function<void(size_t, size_t)> &progress = {});

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_EXEC_COMPILEPLAN_H
