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
int fail(const std::string &Message);
/// The same, adding that ssmc-rt needs an NVIDIA GPU.
int failNoGpu(const rt::Status &S);

/// Everything run, bench and check share: the artifact, the files, the
/// model on the GPU.
struct Session {
  rt::Plan P;
  std::shared_ptr<rt::SafetensorsFile> Weights, Inputs;
  rt::TensorMap InputTensors;
  std::unique_ptr<rt::KernelCache> Cache;
  std::optional<rt::GpuModel> Model;
};


/// Loads the artifact and its files into `S`; an exit status on failure.
std::optional<int> prepare(const Options &O, Session &S);
/// Compiles (or finds in the cache) and loads the model onto the GPU.
std::optional<int> loadModel(const Options &O, Session &S);
/// The outputs as float32 safetensors at `Path` (atomically), with the run's
/// metadata (`Graph`: replayed as a CUDA graph).
rt::Status writeOutputs(const std::string &Path, const rt::TensorMap &Outputs, const Session &S,
                        const Options &O, bool Graph);

/// One tensor against its reference, as a printable line.
struct Comparison {
  bool ok = true;
  std::string line;
  double rel = 0; ///< max|got - expected| / max|expected|; inf: non-finite
};

Comparison compare(const std::string &Name, const rt::HostTensor &Got,
                   const rt::TensorView *Ref, double Rtol, double Atol,
                   int Width = 24);

} // namespace ssmc::rtcli

#endif // SSMC_TOOLS_SSMCRT_SESSION_H
