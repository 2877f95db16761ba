//===- Exec/CompilePlan.cpp - NVRTC for every kernel of a plan ------------===//

#include "Exec/CompilePlan.h"

#include <fmt/format.h>

#include <map>

namespace ssmc::rt {

NvrtcOptions kernelNvrtcOptions(const Plan &P, size_t Kernel, int64_t Config,
                                const std::string &Arch) {
  NvrtcOptions Opts;
  Opts.arch = Arch;
  Opts.extra = P.nvrtcOptions;
  const PlanKernel &K = P.kernels[Kernel];
  for (std::string &Define : configDefines(K.configs[size_t(Config)]))
    Opts.extra.push_back(std::move(Define));
  return Opts;
}

Expected<PlanCompilation>
compilePlan(const Plan &P, const std::vector<int64_t> &Configs,
            const std::string &Arch, KernelCache *Cache, unsigned Threads,
            const std::function<void(size_t, size_t)> &Progress) {
  PlanCompilation Out;
  std::vector<KernelSource> Sources;
  std::vector<NvrtcOptions> Options;
  std::map<std::string, size_t> Seen; // canonical source + defines -> distinct
  for (size_t K = 0; K < P.kernels.size(); ++K) {
    const PlanKernel &PK = P.kernels[K];
    KernelSource Src{PK.name, PK.entry, PK.source};
    NvrtcOptions Opts = kernelNvrtcOptions(P, K, Configs[K], Arch);
    std::string Key = canonicalSource(Src);
    for (const std::string &Option : Opts.extra)
      Key += "\n" + Option;
    auto [It, Fresh] = Seen.try_emplace(std::move(Key), Sources.size());
    if (Fresh) {
      Sources.push_back(std::move(Src));
      Options.push_back(std::move(Opts));
    }
    Out.distinctOf.push_back(It->second);
  }

  auto Results = compileKernels(Sources, Options, Cache, Threads,
                                /*WarningsAsErrors=*/false, Progress);
  std::optional<Status> First;
  size_t Failed = 0;
  for (auto &R : Results) {
    if (!R.ok()) {
      if (!First)
        First = R.status();
      ++Failed;
      continue;
    }
    Out.fromCache += R->fromCache;
    Out.distinct.push_back(std::move(*R));
  }
  if (First)
    return Failed == 1
               ? *First
               : Status::error(fmt::format(
                     "{}\n({} more kernels failed to compile)",
                     First->message(), Failed - 1));
  return Out;
}

} // namespace ssmc::rt
