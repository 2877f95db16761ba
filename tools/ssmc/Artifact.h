//===- Artifact.h - kernels, NVRTC and the -o directory ---------*- C++ -*-===//

#ifndef SSMC_TOOLS_ARTIFACT_H
#define SSMC_TOOLS_ARTIFACT_H

#include "Args.h"
#include "MemoryPlan.h"

#include "Exec/Plan.h"

#include "mlir/IR/BuiltinOps.h"

#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace ssmc::cli {

/// The architectures ssmc generates code for.
const std::vector<std::string> &supportedArchs();
/// An error naming the supported architectures, unless `arch` is one.
rt::Status checkArch(const std::string &arch);

struct CompiledModel {
  std::string model, dtype, arch;
  bool archDefaulted = false; ///< no --arch: the GPU present's, else sm_90
  std::string f32Gemm = "tf32"; ///< f32 GEMMs: "tf32" or "ffma" (--f32-gemm)
  std::string nvrtcVersion;
  std::vector<codegen::KernelPlan> plans;
  /// Same order, default configuration. Kernels equal up to comments and
  /// name are compiled once: the others carry its resources, no cubin.
  std::vector<rt::CompiledKernel> compiled;
};

/// Generates every kernel of the lowered module (no compilation: `compiled`
/// stays empty), enough for buildPlan.
rt::Expected<CompiledModel> generateModel(mlir::ModuleOp module, const Options &options);

/// Generates every kernel of the lowered module and compiles each through
/// NVRTC for the target (a progress line on stderr unless quiet). Fails on
/// the first kernel NVRTC rejects, naming it with its log.
rt::Expected<CompiledModel> generateAndCompile(mlir::ModuleOp module, const Options &options);

/// The artifact's plan (runtime/Exec/Plan.h's schema) for the lowered module.
rt::Expected<rt::Plan> buildPlan(mlir::ModuleOp module, const CompiledModel &compiled);

/// Fails early (before any work) when `dir` cannot become an artifact: it
/// exists and is neither empty nor an earlier artifact, or cannot be written.
rt::Status checkOutputDir(const std::string &dir);

/// Writes more files into the artifact before it moves into place (given
/// the temporary directory); an error leaves no artifact.
using ArtifactExtra = std::function<rt::Status(const std::filesystem::path &tmpDir)>;

/// Writes the artifact directory atomically (a temporary directory renamed
/// into place): plan.json, configs.json, model.mlir and kernels/<name>.cu,
/// then whatever `extra` writes (the kernel references). An existing
/// directory is replaced only if it is an earlier artifact (or empty).
rt::Status writeArtifact(const std::string &dir, mlir::ModuleOp module,
                         const CompiledModel &compiled, const ArtifactExtra &extra = nullptr);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_ARTIFACT_H
