//===- Info.cpp - ssmc-rt info and validate -------------------------------===//

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

int cmdInfo() {
  auto D = loadDriver();
  if (!D)
    return failNoGpu(D.status());
  int V = (*D)->version();
  std::printf("driver: CUDA %d.%d (%d), %d device%s\n", V / 1000,
              (V % 1000) / 10, V, (*D)->deviceCount(),
              (*D)->deviceCount() == 1 ? "" : "s");
  std::printf("nvrtc: %s\n",
              nvrtcAvailable() ? nvrtcVersion().c_str()
                               : "unavailable (built without the toolkit)");
  for (int I = 0; I < (*D)->deviceCount(); ++I) {
    auto Info = (*D)->queryDevice(I);
    if (!Info)
      return fail(Info.message());
    std::printf("device %d: %s, %s (compute capability %d.%d), %d SMs, %d "
                "KiB shared memory per block\n",
                I, Info->name.c_str(), Info->arch().c_str(), Info->ccMajor,
                Info->ccMinor, Info->smCount,
                Info->maxSmemPerBlockOptin / 1024);
  }
  return 0;
}

int cmdValidate(const Options &O) {
  auto P = loadArtifact(O.artifact);
  if (!P)
    return fail(P.message());
  size_t Configs = 0;
  for (const PlanKernel &K : P->kernels)
    Configs += K.configs.size();
  std::printf("%s: '%s', %s for %s, %zu kernels (%zu configurations), %zu "
              "inputs, %zu outputs, %zu weights, arena %lld bytes: valid\n",
              O.artifact.c_str(), P->model.c_str(),
              std::string(planDTypeName(P->dtype)).c_str(), P->arch.c_str(),
              P->kernels.size(), Configs, P->inputs.size(), P->outputs.size(),
              P->weights.size(), (long long)P->arenaBytes);
  return 0;
}

} // namespace ssmc::rtcli
