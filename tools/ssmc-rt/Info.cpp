//===- Info.cpp - ssmc-rt info and validate -------------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Cuda/Driver.h"
#include "Cuda/Nvrtc.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <cstdio>
#include <filesystem>
#include <string>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

int cmdInfo() {
  auto d = loadDriver();
  if (!d)
    return failNoGpu(d.status());
  int v = (*d)->version();
  std::printf("driver: CUDA %d.%d (%d), %d device%s\n", v / 1000, (v % 1000) / 10, v,
              (*d)->deviceCount(), (*d)->deviceCount() == 1 ? "" : "s");
  std::printf("nvrtc: %s\n", nvrtcAvailable() ? nvrtcVersion().c_str()
                                              : "unavailable (built without the toolkit)");
  for (int i = 0; i < (*d)->deviceCount(); ++i) {
    auto info = (*d)->queryDevice(i);
    if (!info)
      return fail(info.message());
    std::printf("device %d: %s, %s (compute capability %d.%d), %d SMs, %d "
                "KiB shared memory per block, %.1f GiB of memory\n",
                i, info->name.c_str(), info->arch().c_str(), info->ccMajor, info->ccMinor,
                info->smCount, info->maxSmemPerBlockOptin / 1024,
                double(info->totalMemBytes) / double(1ull << 30));
  }
  return 0;
}

int cmdValidate(const Options &o) {
  auto p = loadArtifact(o.artifact);
  if (!p)
    return fail(p.message());
  size_t configs = 0;
  for (const PlanKernel &k : p->kernels)
    configs += k.configs.size();
  std::printf("%s: '%s', %s for %s, %zu kernels (%zu configurations), %zu "
              "inputs, %zu outputs, %zu weights, arena %lld bytes: valid\n",
              o.artifact.c_str(), p->model.c_str(), std::string(planDTypeName(p->dtype)).c_str(),
              p->arch.c_str(), p->kernels.size(), configs, p->inputs.size(), p->outputs.size(),
              p->weights.size(), (long long)p->arenaBytes);
  return 0;
}

} // namespace ssmc::rtcli
