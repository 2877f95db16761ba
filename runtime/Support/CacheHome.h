//===- Support/CacheHome.h - where ssmc keeps its caches ----------*- C++ -*-===//

#ifndef SSMC_RUNTIME_SUPPORT_CACHEHOME_H
#define SSMC_RUNTIME_SUPPORT_CACHEHOME_H

#include <cstdlib>
#include <string>

namespace ssmc::rt {

/// `$XDG_CACHE_HOME/ssmc`, else `$HOME/.cache/ssmc`; empty when neither is
/// set. The kernel cache and the tuning database live under it.
inline std::string cacheHome() {
  // The XDG spec says relative values are invalid and to be ignored.
  if (const char *x = std::getenv("XDG_CACHE_HOME"); x && x[0] == '/')
    return std::string(x) + "/ssmc";
  if (const char *h = std::getenv("HOME"); h && *h)
    return std::string(h) + "/.cache/ssmc";
  return {};
}

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_CACHEHOME_H
