//===- Artifact.h - kernels, NVRTC and the -o directory ---------*- C++ -*-===//

#ifndef SSMC_TOOLS_ARTIFACT_H
#define SSMC_TOOLS_ARTIFACT_H

#include "Args.h"
#include "Codegen.h"

#include "Cuda/Nvrtc.h"
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
  /// Codegen's plan (codegen::buildPlan) with the CLI's metadata: what
  /// `compile -o` writes and `run --device cuda` hands to GpuModel.
  rt::Plan plan;
  bool archDefaulted = false;   ///< no --arch: the GPU present's, else sm_90
  std::string f32Gemm = "tf32"; ///< f32 GEMMs: "tf32" or "ffma" (--f32-gemm)
  /// Per plan kernel, its default configuration as compiled (resources;
  /// rt::compilePlan's distinct kernels, one per kernel). Empty until
  /// compileModel.
  std::vector<rt::CompiledKernel> compiled;

  std::string dtype() const { return std::string(rt::planDTypeName(plan.dtype)); }
};

/// Generates every kernel of the lowered module and the plan (no
/// compilation: `compiled` stays empty).
rt::Expected<CompiledModel> generateModel(mlir::ModuleOp module, const Options &options);

/// The tuning database's best configurations (`ssmc tune`) as the kernels'
/// defaults, where a database exists (never created here), saying how many
/// kernels were tuned. A database that cannot be used is a warning: the
/// kernels keep their own defaults. compileModel does it first.
void applyTunedDefaults(rt::Plan &plan, const Options &o);

/// Compiles the plan's kernels in their default configurations through
/// NVRTC (rt::compilePlan, the on-disk cache: the entries a later load of
/// the artifact hits), a progress line on stderr unless quiet. Fails naming
/// the kernels NVRTC rejects, with the log.
rt::Status compileModel(CompiledModel &model, const Options &options);

/// generateModel, then compileModel.
rt::Expected<CompiledModel> generateAndCompile(mlir::ModuleOp module, const Options &options);

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
rt::Status writeArtifact(const std::string &dir, mlir::ModuleOp module, const rt::Plan &plan,
                         const ArtifactExtra &extra = nullptr);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_ARTIFACT_H
