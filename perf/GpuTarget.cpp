//===- GpuTarget.cpp - the GPUs the performance report models -------------===//
//
// Sources (docs/performance.md has the table with them):
//   [DS]  NVIDIA's datasheets (H100 SXM5, H200 SXM, A100 SXM4 80 GB): SMs,
//         memory bandwidth, L2 size, dense tensor and FP32 rates.
//   [PG]  CUDA C++ Programming Guide: per-SM limits of compute capability
//         8.0 and 9.0 (threads, blocks, registers, shared memory, 1 KB
//         reserved per block) and the arithmetic throughput table (16
//         special-function results per clock per SM).
//   [A100] NVIDIA A100 whitepaper: L2 read bandwidth 5120 bytes per clock.
//   [HERE] measured on this workplace's H200 (library device/KINDS.md,
//         2026-10-28 and 2026-11-04): a PyTorch device-to-device copy moved
//         about 4.3 TB/s counting bytes read and written; PyTorch reported
//         132 SMs and 60 MB of L2.
//   [ASSUMED] the model's own assumptions, to be replaced by measurements
//         when a GPU is lent: L2 bandwidth at 5120 bytes per clock on
//         Hopper too, the H100's and A100's copy rates at the 90% of the
//         datasheet that the H200 here reached, 2 us per kernel in a CUDA
//         graph, 600 ns DRAM round trip.
//
//===----------------------------------------------------------------------===//

#include "GpuTarget.h"

#include "Support/Arch.h"

#include <algorithm>

namespace ssmc::perf {

const std::vector<GpuTarget> &gpuTargets() {
  // clockGHz: dense bf16 rate / (SMs x 4096 FLOP per clock per SM on Hopper,
  // 2048 on Ampere) -- H100: 989.4e12 / (132 x 4096) = 1.83 GHz.
  static const std::vector<GpuTarget> targets = {
      {"h100", "NVIDIA H100 SXM5 80 GB", "sm_90", 132, 1.83, 3.35, 3.0, 50e6, 5120 * 1.83e-3,
       228 * 1024, *rt::sharedMemoryPerBlock("sm_90"), 1024, 65536, 2048, 32, 989.4, 494.7, 66.9,
       16, 2.0, 600},
      {"h200", "NVIDIA H200 SXM 141 GB", "sm_90", 132, 1.83, 4.8, 4.3, 60e6, 5120 * 1.83e-3,
       228 * 1024, *rt::sharedMemoryPerBlock("sm_90"), 1024, 65536, 2048, 32, 989.4, 494.7, 66.9,
       16, 2.0, 600},
      {"a100", "NVIDIA A100 SXM4 80 GB", "sm_80", 108, 1.41, 2.039, 1.84, 40e6, 5120 * 1.41e-3,
       164 * 1024, *rt::sharedMemoryPerBlock("sm_80"), 1024, 65536, 2048, 32, 312, 156, 19.5, 16,
       2.0, 600},
  };
  return targets;
}

const GpuTarget *findGpuTarget(std::string_view name) {
  for (const GpuTarget &g : gpuTargets())
    if (g.name == name)
      return &g;
  return nullptr;
}

std::string gpuTargetNames() {
  std::string names;
  for (const GpuTarget &g : gpuTargets())
    names += (names.empty() ? "" : ", ") + std::string(g.name);
  return names;
}

int residentBlocks(const GpuTarget &gpu, int threadsPerBlock, int registersPerThread,
                   int64_t smemPerBlock) {
  const int warps = (std::max(threadsPerBlock, 1) + 31) / 32;
  int blocks = std::min(gpu.maxBlocksPerSM, gpu.maxThreadsPerSM / (warps * 32));
  if (registersPerThread > 0) {
    const int perWarp = (registersPerThread * 32 + 255) / 256 * 256;
    blocks = std::min(blocks, gpu.regsPerSM / (perWarp * warps));
  }
  if (smemPerBlock > 0)
    blocks = std::min<int64_t>(blocks, gpu.smemPerSM / (smemPerBlock + gpu.smemReservedPerBlock));
  return std::max(blocks, 1);
}

} // namespace ssmc::perf
