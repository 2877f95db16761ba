//===- Session.h - what ssmc-rt's commands share --------------------------===//

#ifndef SSMC_TOOLS_SSMCRT_SESSION_H
#define SSMC_TOOLS_SSMCRT_SESSION_H

#include "Options.h"

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <memory>
#include <optional>

namespace ssmc::rtcli {

/// The driver: $SSMC_CUDA_DRIVER names a library to open instead of
/// libcuda.so.1 (tests use a stand-in).
rt::Expected<const rt::Driver *> loadDriver();

/// One message on stderr; returns ExitError.
int fail(const std::string &message);
/// The same, adding that ssmc-rt needs an NVIDIA GPU.
int failNoGpu(const rt::Status &s);

/// Everything run, bench and check share: the artifact, the files, the
/// model on the GPU.
struct Session {
  rt::Plan p;
  std::shared_ptr<rt::SafetensorsFile> weights, inputs;
  rt::FloatTensorMap inputTensors;
  std::unique_ptr<rt::KernelCache> cache;
  std::optional<rt::GpuModel> model;
};

/// Loads the artifact and its files into `S`; an exit status on failure.
std::optional<int> prepare(const Options &o, Session &s);
/// Compiles (or finds in the cache) and loads the model onto the GPU.
std::optional<int> loadModel(const Options &o, Session &s);
/// The outputs as float32 safetensors at `Path` (atomically), with the run's
/// metadata (`Graph`: replayed as a CUDA graph).
rt::Status writeOutputs(const std::string &path, const rt::FloatTensorMap &outputs, const Session &s,
                        const Options &o, bool graph);

/// One tensor against its reference, as a printable line.
struct Comparison {
  bool ok = true;
  std::string line;
  double rel = 0; ///< max|got - expected| / max|expected|; inf: non-finite
};

/// A warning on stderr for each tensor holding NaN or Inf ("input" or
/// "output" `what`), with the counts.
void warnNonFinite(const char *what, const rt::FloatTensorMap &tensors);

Comparison compare(const std::string &name, const rt::FloatTensor &got, const rt::TensorView *ref,
                   double rtol, double atol, int width = 24);

} // namespace ssmc::rtcli

#endif // SSMC_TOOLS_SSMCRT_SESSION_H
