//===- Codegen.h - one CUDA C++ kernel per kernel group ---------*- C++ -*-===//
//
// Translates each `ssmc.kernel_group` of a lowered model into a complete
// CUDA C++ translation unit for NVRTC, with the launch metadata a runtime
// needs, written as the runtime's own plan records (rt::PlanKernel): the
// ordered parameter list, the grid and block of every valid configuration
// of the kernel's tunables (the default first), its dynamic shared memory
// and scratch workspace. buildPlan binds them to the memory plan and gives
// the runtime its whole rt::Plan. docs/codegen.md describes the kernels and
// docs/artifact.md the plan.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_CODEGEN_H
#define SSMC_CODEGEN_CODEGEN_H

#include "Exec/Plan.h"
#include "Support/Status.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ssmc {
class KernelGroupOp;
}

namespace ssmc::codegen {

struct CodegenOptions {
  /// "f32", "bf16" or "f16"; empty: the module's `ssmc.dtype` (default f32).
  std::string dtype;
  /// Target whose shared-memory limit bounds the configurations (227 KiB on
  /// sm_90, 163 KiB on sm_80, 99 KiB on sm_86/89: runtime/Support/Arch.h).
  std::string arch = "sm_90";
  /// The target's SMs, for the waves a grid makes; 0: the arch's typical
  /// GPU (runtime/Support/Arch.h).
  int64_t sms = 0;
  /// f32 GEMMs: exact FFMA instead of TF32 tensor cores (the default).
  bool exactF32Gemm = false;
  /// GEMM groups on tensor cores (wmma); false sends them to the generic path.
  bool tensorCoreGemm = true;
};

/// Generates one group's kernel. A structure the emitters do not support is
/// an error naming the group and the op, never a crash.
rt::Expected<rt::PlanKernel> generateKernel(KernelGroupOp group, const CodegenOptions &options);

/// Every kernel group of the entry function, in launch order. Every other
/// top-level op (besides weights and the return) is an error: run the whole
/// pipeline first.
rt::Expected<std::vector<rt::PlanKernel>> generateKernels(mlir::func::FuncOp entry,
                                                           const CodegenOptions &options);

/// The runtime's plan of the lowered module (runtime/Exec/Plan.h, written
/// directly): the kernels of generateKernels with every input and output
/// parameter bound where `ssmc-plan-memory` put its value (a model input's
/// buffer, or `ssmc.arena_offsets` bytes of the `ssmc.arena_bytes` arena),
/// the model's inputs, outputs and weights. The caller adds what codegen
/// does not know (nvrtc_version, ...) to its metadata. An error for a module
/// the whole pipeline has not run on.
rt::Expected<rt::Plan> buildPlan(mlir::ModuleOp module, const CodegenOptions &options);

/// configs.json's text: every valid configuration of every kernel of the
/// plan, by kernel name (what a tuner walks; plan.json has the same lists).
std::string configsJson(const rt::Plan &plan);

/// The storage type codegen uses for a module: `options.dtype` or the
/// module's `ssmc.dtype`.
rt::Expected<rt::DType> resolveDType(mlir::Operation *anyOpInModule, const CodegenOptions &options);

/// Shared memory per block that `arch` allows (opt-in maximum), in bytes.
int64_t sharedMemoryLimit(std::string_view arch);

} // namespace ssmc::codegen

#endif // SSMC_CODEGEN_CODEGEN_H
