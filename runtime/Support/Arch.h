//===- Support/Arch.h - what ssmc knows about each GPU target ---*- C++ -*-===//
//
// The one table of per-architecture limits, shared by the scan-tiling pass,
// code generation and the artifact loader (header-only, no LLVM).
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SUPPORT_ARCH_H
#define SSMC_RUNTIME_SUPPORT_ARCH_H

#include <array>
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

/// The targets ssmc generates code for (bf16 tensor cores need sm_80).
inline constexpr std::array<ArchLimits, 4> kArchs{{
    {"sm_80", 163 * 1024, 108},
    {"sm_86", 99 * 1024, 82},
    {"sm_89", 99 * 1024, 128},
    {"sm_90", 227 * 1024, 132},
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

/// typicalSms of `arch`; std::nullopt for a target ssmc does not know.
inline std::optional<int64_t> typicalSmCount(std::string_view arch) {
  for (const ArchLimits &a : kArchs)
    if (a.arch == arch)
      return a.typicalSms;
  return std::nullopt;
}

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_ARCH_H
