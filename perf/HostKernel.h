//===- HostKernel.h - generated CUDA kernels built for the CPU --*- C++ -*-===//
//
// A generated kernel, with perf/HostShim.h in front, built by the host C++
// compiler into a shared library and loaded: in run mode for the CPU tests
// (tests/codegen/HostRunTest.cpp), in trace mode for the performance report
// (perf/Trace.h). Libraries are cached on disk by the SHA-256 of everything
// that goes into them, next to the NVRTC kernel cache.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_HOSTKERNEL_H
#define SSMC_PERF_HOSTKERNEL_H

#include "Support/Status.h"

#include <memory>
#include <string>
#include <vector>

namespace ssmc::perf {

enum class HostMode { Run, Trace };

/// The order in which a run-mode launch runs its blocks.
enum class HostBlockOrder { InOrder = 0, Reversed = 1, Shuffled = 2 };

/// ssmc_host_options' signature.
using HostOptionsFn = void (*)(int order, unsigned seed, int poison);

/// The sanitizer run-mode kernels are built with: $SSMC_HOST_SANITIZE,
/// "address" or "thread" ("" when unset). An error for another value, or
/// when the process lacks that sanitizer's runtime (which must be loaded
/// first: LD_PRELOAD, as scripts/host-sanitize.sh does). Once the runtime is
/// found, LD_PRELOAD is removed from the environment, so that the compilers
/// this process starts do not load it.
rt::Expected<std::string> hostSanitizer();

/// The host compiler's flags for `Sanitizer` ("", "address", "thread"):
/// compiling and linking a run-mode kernel. In a process itself built with
/// a sanitizer, the block's threads are OS threads (no fibers) whatever
/// `Sanitizer` is.
std::string hostSanitizerFlags(const std::string &sanitizer);

/// The shim's text (perf/HostShim.h, embedded at build time).
const char *hostShimText();

/// The kernel made host-compilable: its dynamic shared memory from the shim,
/// and a C entry point that takes its parameters from an array of pointers.
/// `paramTypes` has one letter per parameter in signature order: 'c' const
/// T *, 'o' T *, 'f' const float *, 'F' float * (f32 tensors: T in an f32
/// model, a tensor kept in fp32 in a bf16/f16 one), 'w' float *. Trace mode
/// adds ssmc_trace_launch(grid, block, smem) and ssmc_trace_thread(args, bx,
/// by, bz, tx); a run-mode kernel is linked with hostRunnerSource()'s object.
std::string hostKernelSource(const std::string &source, const std::string &entry,
                             const std::string &paramTypes, HostMode mode);

/// Run mode's launcher, ssmc_host_run(args, grid, block, smem, sync) and
/// ssmc_host_options(order, seed, poison) for the launches that follow
/// (order: HostBlockOrder; poison: fill shared memory with 0xFF before each
/// block). Compiled once (with the shim and the kernels' flags) and linked
/// into each run-mode kernel's library: it is a third of a kernel's build.
std::string hostRunnerSource();

/// The host C++ compiler: $SSMC_HOST_CXX, else the one ssmc was built with.
std::string hostCompiler();

/// Why kernels cannot be built on this machine (no compiler, no CUDA
/// headers), or empty when they can.
std::string hostBuildUnavailable();

/// A loaded host build of one kernel; closes the library when destroyed.
class HostKernel {
public:
  ~HostKernel();
  HostKernel(const HostKernel &) = delete;
  HostKernel &operator=(const HostKernel &) = delete;

  /// The symbol, or null.
  void *symbol(const char *name) const;
  const std::string &path() const { return path_; }
  bool fromCache() const { return fromCache_; }

  /// Builds (or finds in the cache) and loads `source` with `defines`
  /// (-DNAME=VALUE). Errors carry the compiler's output.
  static rt::Expected<std::unique_ptr<HostKernel>>
  build(const std::string &hostSource, const std::vector<std::string> &defines, HostMode mode);

private:
  HostKernel() = default;
  void *handle_ = nullptr;
  std::string path_;
  bool fromCache_ = false;
};

} // namespace ssmc::perf

#endif // SSMC_PERF_HOSTKERNEL_H
