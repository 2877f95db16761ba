//===- Bench.cpp - ssmc-rt bench ------------------------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Cuda/Nvrtc.h"
#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

int cmdBench(const Options &O) {
  Session S;
  if (auto R = prepare(O, S))
    return *R;
  if (auto R = loadModel(O, S))
    return *R;
  if (Status St = S.Model->setInputs(S.InputTensors); !St)
    return fail(St.message());
  std::printf("%s (%s, %zu kernels) on %s (%s): %d iterations after %d "
              "warm-up\n",
              S.P.model.c_str(), std::string(planDTypeName(S.P.dtype)).c_str(),
              S.P.kernels.size(), S.Model->device().name.c_str(),
              S.Model->device().arch().c_str(), O.iters, O.warmup);
  for (bool Graph : {false, true}) {
    auto Ms = S.Model->time(Graph, O.warmup, O.iters);
    if (!Ms)
      return fail(Ms.message());
    std::printf("  %-15s median %.4f ms, min %.4f ms per forward\n",
                Graph ? "CUDA graph:" : "plain launches:", medianOf(*Ms),
                minimumOf(*Ms));
  }
  if (O.perKernel) {
    auto Ms = S.Model->timeKernels(O.warmup, O.iters);
    if (!Ms)
      return fail(Ms.message());
    float Total = 0;
    for (const auto &K : *Ms)
      Total += medianOf(K);
    std::printf("  per kernel (median ms, share of their sum, configuration, "
                "registers, spill bytes):\n");
    for (size_t K = 0; K < Ms->size(); ++K) {
      const LoadedKernelInfo &Info = S.Model->kernels()[K];
      float Med = medianOf((*Ms)[K]);
      std::printf("    %-40s %9.4f  %5.1f%%  config %lld  %d regs  %lld\n",
                  Info.name.c_str(), Med, Total > 0 ? 100 * Med / Total : 0.0f,
                  (long long)Info.config, Info.resources.registers,
                  (long long)Info.resources.spillBytes);
    }
  }
  return 0;
}

} // namespace ssmc::rtcli
