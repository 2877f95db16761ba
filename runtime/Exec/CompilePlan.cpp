//===- Exec/CompilePlan.cpp - NVRTC for every kernel of a plan ------------===//

#include "Exec/CompilePlan.h"

#include <fmt/format.h>

#include <map>

namespace ssmc::rt {

NvrtcOptions kernelNvrtcOptions(const Plan &p, size_t kernel, int64_t config,
                                const std::string &arch) {
  NvrtcOptions opts;
  opts.arch = arch;
  opts.extra = p.nvrtcOptions;
  const PlanKernel &k = p.kernels[kernel];
  for (std::string &define : configDefines(k.configs[size_t(config)]))
    opts.extra.push_back(std::move(define));
  return opts;
}

Expected<PlanCompilation> compilePlan(const Plan &p, const std::vector<int64_t> &configs,
                                      const std::string &arch, KernelCache *cache, unsigned threads,
                                      const std::function<void(size_t, size_t)> &progress) {
  PlanCompilation out;
  std::vector<KernelSource> sources;
  std::vector<NvrtcOptions> options;
  std::map<std::string, size_t> seen; // canonical source + defines -> distinct
  for (size_t k = 0; k < p.kernels.size(); ++k) {
    const PlanKernel &pk = p.kernels[k];
    KernelSource src{pk.name, pk.entry, pk.source};
    NvrtcOptions opts = kernelNvrtcOptions(p, k, configs[k], arch);
    std::string key = canonicalSource(src);
    for (const std::string &option : opts.extra)
      key += "\n" + option;
    auto [It, Fresh] = seen.try_emplace(std::move(key), sources.size());
    if (Fresh) {
      sources.push_back(std::move(src));
      options.push_back(std::move(opts));
    }
    out.distinctOf.push_back(It->second);
  }

  auto results = compileKernels(sources, options, cache, threads,
                                /*WarningsAsErrors=*/false, progress);
  std::optional<Status> first;
  size_t failed = 0;
  for (auto &r : results) {
    if (!r.ok()) {
      if (!first)
        first = r.status();
      ++failed;
      continue;
    }
    out.fromCache += r->fromCache;
    out.distinct.push_back(std::move(*r));
  }
  if (first)
    return failed == 1 ? *first
                       : Status::error(fmt::format("{}\n({} more kernels failed to compile)",
                                                   first->message(), failed - 1));
  return out;
}

} // namespace ssmc::rt
