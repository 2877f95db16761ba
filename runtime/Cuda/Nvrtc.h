//===- Cuda/Nvrtc.h - NVRTC compilation of generated kernels ----*- C++ -*-===//
//
// Compiles CUDA C++ kernel sources to cubin through NVRTC (no GPU needed),
// reporting ptxas's resource usage, with an optional on-disk cache. Errors
// name the kernel, carry NVRTC's log and the path of the saved source.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_CUDA_NVRTC_H
#define SSMC_RUNTIME_CUDA_NVRTC_H

#include "Support/Status.h"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace ssmc::rt {

class KernelCache;

/// One kernel to compile: `entry` is its extern "C" __global__ function.
struct KernelSource {
  std::string name;   ///< the kernel group's name, used in messages and file names
  std::string entry;  ///< extern "C" symbol
  std::string source; ///< complete translation unit
};

struct NvrtcOptions {
  std::string arch = "sm_90";     ///< sm_XY: compiled to cubin for that target
  std::vector<std::string> extra; ///< further NVRTC options, e.g. -DSSMC_TILE_M=64
  /// Where a failing kernel's source is saved for the error message; empty:
  /// the system temp directory.
  std::string failureDir;
};

/// What ptxas reported for the entry function (-1 when it said nothing).
struct KernelResources {
  int registers = -1;
  int64_t spillBytes = 0; ///< spill stores + spill loads
  int64_t smemBytes = 0;  ///< static shared memory
};

struct CompiledKernel {
  std::string name;
  std::string entry;
  std::vector<char> cubin;
  std::string log; ///< NVRTC's log (empty when it had nothing to say)
  KernelResources resources;
  bool fromCache = false;
};

/// The source without comments and blank lines and with the entry renamed:
/// kernels with the same canonical source (the same block in another layer)
/// compile to the same code, so they need compiling (and checking) once.
std::string canonicalSource(const KernelSource &kernel);

/// NVRTC's version, "13.0".
std::string nvrtcVersion();

/// Compiles one kernel; a warning in the log is reported as an error when
/// `warningsAsErrors` is set (CI uses that). With a cache, a hit returns the
/// stored cubin (fromCache set); what the cache could not use or write is in
/// its warnings(), for the caller to print.
Expected<CompiledKernel> compileKernel(const KernelSource &src, const NvrtcOptions &opts,
                                       KernelCache *cache = nullptr, bool warningsAsErrors = false);

/// Compiles many kernels on `Threads` threads (0: hardware concurrency);
/// results are in the order of `Srcs`. `Progress(done, total)` is called
/// after each kernel, under a mutex (so never concurrently), from whichever
/// thread finished it; it must not throw.
std::vector<Expected<CompiledKernel>>
compileKernels(const std::vector<KernelSource> &srcs, const NvrtcOptions &opts, KernelCache *cache,
               unsigned threads = 0, bool warningsAsErrors = false,
               const std::function<void(size_t, size_t)> &progress = {});

/// The same with options of its own for each source (`PerSource[i]` for
/// `Srcs[i]`; e.g. each kernel's configuration defines).
std::vector<Expected<CompiledKernel>>
compileKernels(const std::vector<KernelSource> &srcs, const std::vector<NvrtcOptions> &perSource,
               KernelCache *cache, unsigned threads = 0, bool warningsAsErrors = false,
               const std::function<void(size_t, size_t)> &progress = {});

/// False when ssmc was built without the CUDA toolkit: compileKernel then
/// fails saying so.
bool nvrtcAvailable();

/// The CUDA headers' directories kernels are compiled against: the
/// toolkit's found at build time, or $SSMC_CUDA_INCLUDE (colon-separated).
std::vector<std::string> cudaIncludeDirs();

/// The options compileKernel passes to NVRTC for \p Opts, in order: the
/// target, the language, the toolkit's include directories (built in, or
/// $SSMC_CUDA_INCLUDE, colon-separated), ptxas's report, then Opts.extra.
std::vector<std::string> nvrtcCommandLine(const NvrtcOptions &opts);

/// The kernel cache's key for \p Src compiled with \p Opts: the source, the
/// command line, the arch, NVRTC's version and how a spilling kernel is
/// retried (compileKernel).
std::string nvrtcCacheKey(const KernelSource &src, const NvrtcOptions &opts);

/// Reads ptxas's -v report in an NVRTC log for the function \p Entry:
/// registers, spill stores + loads and static shared memory of the entry
/// itself (not of non-inlined callees, which ptxas lists separately).
KernelResources parsePtxasInfo(std::string_view log, std::string_view entry);

/// The entry functions ptxas reports compiling, in log order.
std::vector<std::string> ptxasEntryFunctions(std::string_view log);

/// True when the log holds a warning from the front end, NVRTC or ptxas.
bool logHasWarnings(std::string_view log);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_CUDA_NVRTC_H
