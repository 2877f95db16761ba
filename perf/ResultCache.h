//===- ResultCache.h - traces and SASS facts kept on disk -------*- C++ -*-===//
//
// Counting a kernel's traffic on the CPU takes seconds and disassembling it
// a third of one; a later report or `ssmc tune` of the same kernel (the
// same code, configuration, launch, memory placement and sampling) gets
// the same figures. They are kept beside the host kernel cache
// (<kernel cache>/results), one small JSON file per result, written under
// a temporary name and renamed into place, so concurrent writers and a
// crash never leave a torn one; a file that does not parse is ignored (and
// replaced). The keys include a digest of the instrument's own sources
// (perf/*.cpp, HostShim.h: taken at configure time), so a change to how
// traffic is counted never reads an old count. SSMC_RESULT_CACHE=0 turns
// the cache off.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_RESULTCACHE_H
#define SSMC_PERF_RESULTCACHE_H

#include "Sampler.h"
#include "Sass.h"

#include <optional>
#include <string>

namespace ssmc::perf {

/// Whether results are cached (SSMC_RESULT_CACHE is not "0" and the cache
/// directory can be made).
bool resultCacheEnabled();

/// A digest of `fields` and the instrument's version: a cache key.
std::string resultKey(const std::vector<std::string> &fields);

std::optional<KernelTraffic> loadTraffic(const std::string &key);
void storeTraffic(const std::string &key, const KernelTraffic &traffic);

std::optional<SassFacts> loadSass(const std::string &key);
void storeSass(const std::string &key, const SassFacts &facts);

} // namespace ssmc::perf

#endif // SSMC_PERF_RESULTCACHE_H
