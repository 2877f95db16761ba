//===- Support/Arch.h - what ssmc knows about each GPU target ---*- C++ -*-===//
//
// The one table of per-architecture limits, shared by the scan-tiling pass,
// code generation and the artifact loader (header-only, no LLVM).
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SUPPORT_ARCH_H
#define SSMC_RUNTIME_SUPPORT_ARCH_H

#include <array>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace ssmc::rt {

struct ArchLimits {
  std::string_view arch;
  int64_t sharedMemoryPerBlock; ///< bytes, the opt-in maximum of one thread block
  /// SMs of the GPU ssmc tiles for when it knows only the architecture (a
  /// GPU present or --gpu gives the real count): A100, RTX 3090, RTX 4090,
  /// H100 SXM / H200.
  int64_t typicalSms;
};

/// The targets ssmc generates code for (bf16 tensor cores need sm_80);
/// sm_90a is sm_90 with its arch-specific instructions (wgmma), which the
/// GEMMs' tuner may then try.
inline constexpr std::array<ArchLimits, 5> kArchs{{
    {"sm_80", 163 * 1024, 108},
    {"sm_86", 99 * 1024, 82},
    {"sm_89", 99 * 1024, 128},
    {"sm_90", 227 * 1024, 132},
    {"sm_90a", 227 * 1024, 132},
}};

/// The largest shared memory any supported target gives one block.
inline constexpr int64_t kMaxSharedMemoryPerBlock = 227 * 1024;

/// The shared memory one thread block may use on `arch`; std::nullopt for a
/// target ssmc does not know.
inline std::optional<int64_t> sharedMemoryPerBlock(std::string_view arch) {
  for (const ArchLimits &a : kArchs)
    if (a.arch == arch)
      return a.sharedMemoryPerBlock;
  return std::nullopt;
}

/// How much longer than an even spread an SM's own pipes take for `blocks`
/// blocks on `sms` SMs holding `resident` each: the last wave's
/// quantization, or, with fewer blocks than a wave but more than the SMs,
/// the SMs that hold one block more than the others (196 blocks on 132
/// SMs: 64 do two blocks' work while 68 do one, whatever the occupancy).
/// The performance model's factor (perf/Model.h), which the tilings that
/// choose for the waves (GEMM panels, the scan's chunk) share.
inline double lastWaveFactor(double blocks, double sms, double resident) {
  if (blocks <= 0 || sms <= 0)
    return 1.0;
  const double waves = blocks / (sms * (resident > 0 ? resident : 1.0));
  const double perSm = blocks / (blocks < sms ? blocks : sms);
  const double waveTail = waves >= 1 ? std::ceil(waves) / waves : 1.0;
  const double smTail = std::ceil(perSm) / perSm;
  return waveTail > smTail ? waveTail : smTail;
}

/// typicalSms of `arch`; std::nullopt for a target ssmc does not know.
inline std::optional<int64_t> typicalSmCount(std::string_view arch) {
  for (const ArchLimits &a : kArchs)
    if (a.arch == arch)
      return a.typicalSms;
  return std::nullopt;
}

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_ARCH_H
