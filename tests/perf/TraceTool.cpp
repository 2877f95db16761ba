//===- TraceTool.cpp - trace an artifact's kernels, one line each ---------===//
//
// A development tool for the sampler: the counted traffic of each kernel of
// an artifact (`ssmc compile -o DIR`), sampled as the report samples it, or
// whole (--full), on a GPU of the table.
//
//   ssmc-perf-trace DIR [--kernel NAME] [--gpu h100] [--full]
//
//===----------------------------------------------------------------------===//

#include "GpuTarget.h"
#include "PlanTrace.h"

#include <fmt/format.h>

#include <cstring>

using namespace ssmc;

int main(int argc, char **argv) {
  std::string dir, only, gpuName = "h100";
  bool full = false;
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--kernel") && i + 1 < argc)
      only = argv[++i];
    else if (!std::strcmp(argv[i], "--gpu") && i + 1 < argc)
      gpuName = argv[++i];
    else if (!std::strcmp(argv[i], "--full"))
      full = true;
    else if (dir.empty() && argv[i][0] != '-')
      dir = argv[i];
    else {
      fmt::print(stderr, "usage: ssmc-perf-trace DIR [--kernel NAME] [--gpu G] [--full]\n");
      return 2;
    }
  }
  const perf::GpuTarget *gpu = perf::findGpuTarget(gpuName);
  if (dir.empty() || !gpu) {
    fmt::print(stderr, "usage: ssmc-perf-trace DIR [--kernel NAME] [--gpu {}] [--full]\n",
               perf::gpuTargetNames());
    return 2;
  }
  auto plan = rt::loadArtifact(dir);
  if (!plan) {
    fmt::print(stderr, "ssmc-perf-trace: {}\n", plan.message());
    return 1;
  }
  auto memory = perf::PlanMemory::allocate(*plan);
  if (!memory) {
    fmt::print(stderr, "ssmc-perf-trace: {}\n", memory.message());
    return 1;
  }
  for (const rt::PlanKernel &k : plan->kernels) {
    if (!only.empty() && k.name != only)
      continue;
    const rt::PlanConfig &c = k.configs[size_t(k.defaultConfig)];
    perf::SampleOptions o;
    // Registers are unknown here: occupancy from threads and shared memory.
    o.waveBlocks = uint64_t(gpu->sms) * perf::residentBlocks(*gpu, int(c.block[0]), 0, c.smemBytes);
    o.l2Bytes = uint64_t(gpu->l2Bytes);
    if (full)
      o.fullRecords = ~uint64_t(0);
    auto t = perf::tracePlanKernel(k, **memory, o);
    if (!t) {
      fmt::print(stderr, "ssmc-perf-trace: {}\n", t.message());
      return 1;
    }
    const perf::RequestStats &ld = t->globalLoad, &st = t->globalStore;
    fmt::print("{}: {:.1f} s, {} of {} blocks measured ({} run, {:.3g} accesses){}{} | loads {:.4g} "
               "req {:.2f} sectors/req | stores {:.4g} req {:.2f} sectors/req | shared {:.4g} "
               "wavefronts ({:.2f}x ideal) | DRAM read {:.4g} B write {:.4g} B\n",
               k.name, t->seconds, t->blocksMeasured, t->blocks, t->blocksRun,
               double(t->recordsRun), t->sampled ? ", sampled" : ", whole grid",
               t->warmupTruncated ? ", warm-up truncated" : "", ld.requests,
               ld.requests ? ld.sectors / ld.requests : 0.0, st.requests,
               st.requests ? st.sectors / st.requests : 0.0,
               t->sharedLoad.wavefronts + t->sharedStore.wavefronts,
               (t->sharedLoad.wavefronts + t->sharedStore.wavefronts) /
                   std::max(1.0, t->sharedLoad.idealWavefronts + t->sharedStore.idealWavefronts),
               t->dramReadBytes, t->dramWriteBytes);
  }
  return 0;
}
