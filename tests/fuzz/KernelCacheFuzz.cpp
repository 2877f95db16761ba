//===- KernelCacheFuzz.cpp - a kernel-cache entry ------------------------===//
//
// Any bytes as an entry file: a miss with a warning, or a hit.

#include "Cuda/KernelCache.h"
#include "FuzzUtil.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static ssmc::rt::KernelCache cache((ssmc::fuzz::scratchDir() / "cache").string());
  static const std::string key(64, 'a');
  std::ofstream(cache.entryPath(key), std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char *>(data), std::streamsize(size));
  (void)cache.lookup(key,
                     {"g00_fuzz", "fuzz_entry", "extern \"C\" __global__ void fuzz_entry() {}"});
  (void)cache.takeWarnings();
  return 0;
}
