//===- GpuTarget.h - the GPUs the performance report models ------*- C++ -*-===//
//
// One row per GPU: what a kernel's speed of light and modeled time are
// computed from. docs/performance.md gives the source of every figure; a
// figure that no datasheet gives (L2 bandwidth, launch cost in a graph,
// DRAM latency) is marked there as an assumption of the model.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_GPUTARGET_H
#define SSMC_PERF_GPUTARGET_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ssmc::perf {

struct GpuTarget {
  std::string_view name;        ///< --gpu: "h100", "h200", "a100"
  std::string_view description; ///< "NVIDIA H100 SXM5 80 GB"
  std::string_view arch;        ///< what ssmc compiles for it: "sm_90"
  int sms;
  double clockGHz;     ///< the clock the datasheet's tensor rate implies
  double hbmSpecTBs;   ///< datasheet memory bandwidth
  double copyTBs;      ///< achievable device copy rate, bytes read + written
  double l2Bytes;
  double l2TBs;        ///< L2 read bandwidth (model assumption)
  int64_t smemPerSM;   ///< shared memory an SM gives its blocks, bytes
  int64_t smemPerBlock; ///< opt-in maximum of one block
  int64_t smemReservedPerBlock; ///< what the runtime keeps per resident block
  int regsPerSM;
  int maxThreadsPerSM;
  int maxBlocksPerSM;
  double tensor16TFlops; ///< dense bf16/f16 tensor-core rate
  double tf32TFlops;     ///< dense TF32 tensor-core rate
  double fp32TFlops;     ///< FFMA rate (2 FLOPs per FMA)
  int mufuPerClockPerSM; ///< special-function results per clock per SM
  double launchUs;       ///< one kernel's cost in a CUDA graph (assumption)
  double dramLatencyNs;  ///< a load's round trip to DRAM (assumption)

  double mufuPerSecond() const { return double(mufuPerClockPerSM) * sms * clockGHz * 1e9; }
};

/// Every modeled GPU.
const std::vector<GpuTarget> &gpuTargets();
/// The one named `name` ("h100", ...), or null.
const GpuTarget *findGpuTarget(std::string_view name);
/// "h100, h200, a100".
std::string gpuTargetNames();

/// Thread blocks of one kernel resident on one SM at once, from its
/// threads, registers per thread and shared memory per block (static +
/// dynamic), as the CUDA occupancy calculator counts them: registers in
/// 256-register units per warp, shared memory with the per-block reserve.
/// At least 1 (a kernel that fits nowhere is the compiler's error, not the
/// model's).
int residentBlocks(const GpuTarget &gpu, int threadsPerBlock, int registersPerThread,
                   int64_t smemPerBlock);

} // namespace ssmc::perf

#endif // SSMC_PERF_GPUTARGET_H
