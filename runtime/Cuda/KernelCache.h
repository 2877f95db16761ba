//===- Cuda/KernelCache.h - On-disk cache of compiled kernels ---*- C++ -*-===//
//
// Cubins keyed by SHA-256 of (source, NVRTC version, every NVRTC option,
// arch, entry). One file per entry, written to a temporary file in the same
// directory and renamed into place, so a crash mid-write or two processes
// writing at once never leave a torn entry. An entry that is corrupt,
// truncated or holds another key is reported as a warning and recompiled,
// never trusted. A directory that cannot be created or written disables the
// cache with a warning; compiling still works.
//
// Entry file <dir>/<key>.entry:
//   "SSMCKC1\n"
//   "key <64 hex digits>\n"
//   "payload <byte count> <SHA-256 of the payload>\n"
//   payload: one line of JSON (name, entry, resources, log, cubin size),
//            '\n', then the cubin bytes.
//
// Thread-safe: compileKernels shares one cache among its threads.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_CUDA_KERNELCACHE_H
#define SSMC_RUNTIME_CUDA_KERNELCACHE_H

#include "Cuda/Nvrtc.h"

#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace ssmc::rt {

class KernelCache {
public:
  /// Uses \p Dir, or when empty: $SSMC_CACHE_DIR, $XDG_CACHE_HOME/ssmc/kernels
  /// (absolute paths only), ~/.cache/ssmc/kernels, in that order. Creates the
  /// directory; on failure the cache is disabled with a warning.
  explicit KernelCache(std::string dir = {});

  /// The directory the environment selects (empty if none: no HOME).
  static std::string defaultDirectory();

  /// The key of \p Src compiled with the NVRTC options \p CommandLine (which
  /// name the arch; \p Arch is hashed as well) by NVRTC \p NvrtcVersion.
  static std::string makeKey(const KernelSource &src, const std::vector<std::string> &commandLine,
                             const std::string &arch, const std::string &nvrtcVersion);

  bool enabled() const;
  const std::string &directory() const { return dir_; }
  std::string entryPath(const std::string &key) const;

  /// The cached kernel for \p Key (fromCache set, name and entry taken from
  /// \p Src), or nothing on a miss. An unusable entry adds a warning.
  std::optional<CompiledKernel> lookup(const std::string &key, const KernelSource &src);
  /// Writes \p K under \p Key atomically; a failure adds a warning and
  /// disables the cache.
  void store(const std::string &key, const CompiledKernel &k);

  /// Every warning so far, oldest first.
  std::vector<std::string> warnings() const;
  /// The warnings not taken yet; clears them.
  std::vector<std::string> takeWarnings();

private:
  void warn(std::string msg);
  void removeStaleTempFiles();

  std::string dir_;
  mutable std::mutex mutex_; ///< guards Disabled and the warning lists
  bool disabled_ = false;
  std::vector<std::string> allWarnings_;
  size_t taken_ = 0;
};

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_CUDA_KERNELCACHE_H
