//===- Bench.cpp - ssmc-rt bench ------------------------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Exec/Executor.h"
#include "Support/Safetensors.h"

#include <cstdio>
#include <filesystem>
#include <string>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

int cmdBench(const Options &o) {
  Session s;
  if (auto r = prepare(o, s))
    return *r;
  if (auto r = loadModel(o, s))
    return *r;
  if (Status st = s.model->setInputs(s.inputTensors); !st)
    return fail(st.message());
  std::printf("%s (%s, %zu kernels) on %s (%s): %d iterations after %d "
              "warm-up\n",
              s.p.model.c_str(), std::string(planDTypeName(s.p.dtype)).c_str(), s.p.kernels.size(),
              s.model->device().name.c_str(), s.model->device().arch().c_str(), o.iters, o.warmup);
  for (bool graph : {false, true}) {
    auto ms = s.model->time(graph, o.warmup, o.iters);
    if (!ms)
      return fail(ms.message());
    std::printf("  %-15s median %.4f ms, min %.4f ms per forward\n",
                graph ? "CUDA graph:" : "plain launches:", medianOf(*ms), minimumOf(*ms));
  }
  if (o.perKernel) {
    auto ms = s.model->timeKernels(o.warmup, o.iters);
    if (!ms)
      return fail(ms.message());
    float total = 0;
    for (const auto &k : *ms)
      total += medianOf(k);
    std::printf("  per kernel (median ms, share of their sum, configuration, "
                "registers, spill bytes):\n");
    for (size_t k = 0; k < ms->size(); ++k) {
      const LoadedKernelInfo &info = s.model->kernels()[k];
      float med = medianOf((*ms)[k]);
      std::printf("    %-40s %9.4f  %5.1f%%  config %lld  %d regs  %lld\n", info.name.c_str(), med,
                  total > 0 ? 100 * med / total : 0.0f, (long long)info.config,
                  info.resources.registers, (long long)info.resources.spillBytes);
    }
  }
  return 0;
}

} // namespace ssmc::rtcli
