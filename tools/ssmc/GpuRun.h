//===- GpuRun.h - `ssmc run --device cuda|auto` -----------------*- C++ -*-===//

#ifndef SSMC_TOOLS_GPURUN_H
#define SSMC_TOOLS_GPURUN_H

#include "Args.h"
#include "Session.h"
#include "Tune/TuningDb.h"

#include "Interpreter/Interpreter.h"
#include "Support/Status.h"

#include <string>

namespace ssmc::cli {

/// The first GPU's architecture ("sm_90") when a driver and a GPU are there,
/// else the reason there is none.
rt::Expected<std::string> detectGpuArch();

/// The architecture `ssmc compile` targets without --arch: the GPU present,
/// else sm_90.
std::string defaultArch();

/// The SMs of the GPU present when its architecture is `arch`, else 0.
int64_t presentSmCount(const std::string &arch);

/// What tuning results hold for when compiling for `arch` with `sms` SMs
/// (0: the GPU present's, else the arch's usual GPU): the GPU present
/// (measured rows match it) when it is of that architecture, else the
/// architecture and SM count alone (modeled rows).
rt::TuningDevice tuningDevice(const std::string &arch, int64_t sms);

/// Whether `--device auto` finds a GPU to run on; the reason it does not in
/// `why`.
bool gpuAvailable(std::string *why);

struct GpuRunTimes {
  double compileSeconds = 0; ///< codegen + NVRTC (or its cache) + loading
  double runMs = 0;          ///< one forward: inputs up, kernels, outputs down
  std::string device;        ///< the GPU's name
  std::string arch;
};

/// Generates and compiles every kernel of the lowered model for the GPU
/// present, runs it once with `weights` and `inputs`, and returns the outputs
/// as f32. Nothing is written: the plan and the weights stay in memory.
rt::Expected<interp::TensorMap> runOnGpu(const Options &options, BuiltModel &built,
                                         const interp::TensorMap &weights,
                                         const interp::TensorMap &inputs, GpuRunTimes &times);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_GPURUN_H
