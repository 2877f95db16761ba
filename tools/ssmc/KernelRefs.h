//===- KernelRefs.h - per-kernel reference data for an artifact -*- C++ -*-===//
//
// `ssmc compile MODEL -o DIR --kernel-refs` runs the CPU reference executor
// on the lowered module and writes what each kernel group received and
// produced into DIR/refs/, so that a GPU machine without LLVM/MLIR can check
// every generated kernel on its own (`ssmc-rt check-kernels DIR`).
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_TOOLS_KERNELREFS_H
#define SSMC_TOOLS_KERNELREFS_H

#include "Artifact.h"
#include "Session.h"

#include "Support/Status.h"

#include <cstdint>
#include <filesystem>

namespace ssmc::cli {

struct KernelRefsSummary {
  size_t kernels = 0;
  uint64_t bytes = 0; ///< every file written
};

/// Runs the reference executor on `module` (the whole pipeline's output)
/// with random weights and inputs from `seed` (those of `ssmc run --seed`),
/// rounded to the artifact's storage type first so that the GPU's copies are
/// exact, and writes into `dir` (created): weights.safetensors (f32, official
/// names), inputs.safetensors, outputs.safetensors (the model's outputs) and
/// `<kernel name>.safetensors` per kernel group holding its inputs as `in<i>`
/// and its results as `out<i>` (f32, group operand and result order).
rt::Expected<KernelRefsSummary> writeKernelRefs(const std::filesystem::path &dir,
                                                mlir::ModuleOp module, const BuiltModel &built,
                                                const CompiledModel &compiled, uint64_t seed);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_KERNELREFS_H
