//===- Codegen.h - one CUDA C++ kernel per kernel group ---------*- C++ -*-===//
//
// Translates each `ssmc.kernel_group` of a lowered model into a complete
// CUDA C++ translation unit for NVRTC, with the launch metadata a runtime
// needs: the ordered parameter list, the grid and block of every valid
// configuration of the kernel's tunables (the default first), its dynamic
// shared memory and scratch workspace. docs/codegen.md describes the kernels
// and the artifact.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_CODEGEN_H
#define SSMC_CODEGEN_CODEGEN_H

#include "Cuda/Nvrtc.h"
#include "Support/Status.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

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

/// Storage type of activations and weights; arithmetic is always fp32.
enum class DType { F32, BF16, F16 };
std::optional<DType> parseDType(std::string_view name); ///< "f32", "bf16", "f16"
const char *dtypeName(DType t);                         ///< "f32", ...
int64_t dtypeBytes(DType t);

struct CodegenOptions {
  /// "f32", "bf16" or "f16"; empty: the module's `ssmc.dtype` (default f32).
  std::string dtype;
  /// Target whose shared-memory limit bounds the configurations (227 KiB on
  /// sm_90, 163 KiB on sm_80, 99 KiB on sm_86/89: runtime/Support/Arch.h).
  std::string arch = "sm_90";
  /// f32 GEMMs: exact FFMA instead of TF32 tensor cores (the default).
  bool exactF32Gemm = false;
  /// GEMM groups on tensor cores (wmma); false sends them to the generic path.
  bool tensorCoreGemm = true;
};

struct KernelParam {
  enum class Kind { Input, Weight, Output, Workspace };
  Kind kind = Kind::Input;
  int64_t index = -1;         ///< group input # (Input) or result # (Output)
  std::string name;           ///< the C++ parameter name; for weights also below
  std::string weight;         ///< state_dict name (Weight)
  std::vector<int64_t> shape; ///< elements (Workspace: {bytes})
  std::string dtype;          ///< "f32", "bf16", "f16" (Workspace: "f32")
  int64_t bytes = 0;
};
const char *paramKindName(KernelParam::Kind k); ///< "input", "weight", "output", "workspace"

struct LaunchConfig {
  std::map<std::string, int64_t> tunables; ///< tunable name -> value
  std::array<int64_t, 3> grid{1, 1, 1};
  std::array<int64_t, 3> block{1, 1, 1};
  int64_t smemBytes = 0; ///< dynamic shared memory per block
};

/// "-DSSMC_<NAME>=<value>" for each tunable: how NVRTC builds a configuration
/// (the source's own #define defaults are the default configuration).
std::vector<std::string> configDefines(const LaunchConfig &config);

struct KernelPlan {
  rt::KernelSource source;           ///< name = the group's name, entry = its symbol
  std::string kind;                  ///< "generic", "scan" or "gemm"
  std::vector<KernelParam> params;   ///< in kernel-signature order
  std::vector<LaunchConfig> configs; ///< every valid configuration, default first
  std::vector<std::string> tunables; ///< names, in the order of the macros
  int64_t workspaceBytes = 0;        ///< scratch the kernel needs (0: none)
  std::vector<std::string> ops;      ///< the ops it fuses, in order (weights left out)
  /// Not a kernel group: a copy of entry-function argument #copyFromArgument
  /// into result #copyToResult (a model output that is a model input, e.g.
  /// Vim's residual without a residual). Its input is group-less input #0,
  /// its output #0. -1 for kernel groups.
  int64_t copyFromArgument = -1, copyToResult = -1;
};

/// Generates one group's kernel. A structure the emitters do not support is
/// an error naming the group and the op, never a crash.
rt::Expected<KernelPlan> generateKernel(KernelGroupOp group, const CodegenOptions &options);

/// Every kernel group of the entry function, in launch order, then a copy
/// kernel for each model output that is a model input. Every other
/// top-level op (besides weights and the return) is an error: run the whole
/// pipeline first.
rt::Expected<std::vector<KernelPlan>> generateKernels(mlir::func::FuncOp entry,
                                                       const CodegenOptions &options);

/// The storage type codegen uses for a module: `options.dtype` or the
/// module's `ssmc.dtype`.
rt::Expected<DType> resolveDType(mlir::Operation *anyOpInModule, const CodegenOptions &options);

/// The source without comments and with the entry renamed: kernels with the
/// same canonical source compile to the same code (the same block in another
/// layer), so they need compiling (and checking) once.
std::string canonicalSource(const rt::KernelSource &kernel);

/// Shared memory per block that `arch` allows (opt-in maximum), in bytes.
int64_t sharedMemoryLimit(std::string_view arch);

} // namespace ssmc::codegen

#endif // SSMC_CODEGEN_CODEGEN_H
