//===- Exec/Executor.h - Running an artifact on a GPU -----------*- C++ -*-===//
//
// GpuModel::load turns a loaded artifact into a runnable model: it checks
// the device against the plan's arch, compiles every kernel through NVRTC
// (in parallel, through the on-disk cache) with its chosen configuration's
// defines, loads the modules, uploads the weights once (converted to the
// plan's storage types), and allocates the activation arena, the input
// buffers and one workspace. run() then launches every kernel in plan order
// on one stream; runGraph() replays the same launches as a CUDA graph,
// captured on first use. Errors are Status values, never aborts.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_EXEC_EXECUTOR_H
#define SSMC_RUNTIME_EXEC_EXECUTOR_H

#include "Cuda/Driver.h"
#include "Cuda/Nvrtc.h"
#include "Exec/Plan.h"
#include "Exec/Tensor.h"
#include "Support/Safetensors.h"
#include "Support/Status.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ssmc::rt {

class KernelCache;

/// A kernel's inputs by group-input index, or its results by result index
/// (PlanParam::index), as float32 host tensors.
using KernelTensors = std::map<int64_t, HostTensor>;

struct GpuModelOptions {
  int device = 0; ///< CUDA device ordinal
  /// Kernel name -> configuration index; kernels not named use their
  /// default_config. A name the plan lacks or an index out of range is an
  /// error.
  std::map<std::string, int64_t> configs;
  KernelCache *cache = nullptr; ///< nullptr: compile every kernel afresh
  /// nullptr: Driver::load() (libcuda.so.1). Tests pass a stand-in.
  const Driver *driver = nullptr;
  bool progress = true;      ///< a progress line on stderr while compiling
  unsigned compileThreads = 0; ///< 0: one per core
  /// Run an artifact compiled for another arch (its configurations were
  /// checked against that arch's limits, not this device's).
  bool allowArchMismatch = false;
  /// Synchronize after every kernel, so that a fault names its kernel (slow;
  /// for debugging). Graph replay is unaffected.
  bool syncEachKernel = false;
};

/// What was compiled and how it launches, per kernel.
struct LoadedKernelInfo {
  std::string name;
  int64_t config = 0; ///< index into the plan's configs
  KernelResources resources;
  bool fromCache = false;
};

class GpuModel {
public:
  /// Loads \p P (from loadArtifact(\p ArtifactDir)) onto a device with the
  /// weights of \p Weights. Weights are looked up by name (then with an
  /// outer "model." prefix); extra tensors are ignored; missing or
  /// mis-shaped ones are one error listing them all.
  static Expected<GpuModel> load(const Plan &P, const std::string &ArtifactDir,
                                 const SafetensorsFile &Weights,
                                 const GpuModelOptions &Options = {});
  /// The same; \p Weights may be null for a model without weights.
  static Expected<GpuModel> load(const Plan &P, const std::string &ArtifactDir,
                                 const SafetensorsFile *Weights,
                                 const GpuModelOptions &Options = {});

  GpuModel(GpuModel &&) noexcept;
  GpuModel &operator=(GpuModel &&) noexcept;
  ~GpuModel();

  const Plan &plan() const;
  const DeviceInfo &device() const;
  const std::vector<LoadedKernelInfo> &kernels() const;
  /// Seconds spent compiling (or reading the cache) in load().
  double compileSeconds() const;

  /// Uploads every model input (converted to its plan dtype) into its fixed
  /// device buffer. Each must be present with the plan's exact shape; extra
  /// entries are ignored.
  Status setInputs(const TensorMap &Inputs);
  /// Queues every kernel launch on the model's stream (no synchronisation).
  Status enqueue();
  /// Queues one replay of the graph of all launches, capturing it first if
  /// this is the first call.
  Status enqueueGraph();
  /// Waits for the queued work and copies every output back as float32.
  Expected<TensorMap> readOutputs();

  /// setInputs, enqueue, readOutputs.
  Expected<TensorMap> run(const TensorMap &Inputs);
  /// setInputs, enqueueGraph, readOutputs.
  Expected<TensorMap> runGraph(const TensorMap &Inputs);

  /// Runs kernel \p Kernel (plan order) alone: uploads each of its input
  /// parameters from \p GroupInputs[index] (converted to the plan dtype) to
  /// where the plan binds it (the model input's buffer or its arena bytes),
  /// launches the kernel with its chosen configuration and the workspace,
  /// waits, and reads every output parameter back as float32, by result
  /// index. The output bytes are filled with 0xFF (NaN in every storage
  /// type) before the inputs are uploaded, so an element the kernel never
  /// writes reads back as NaN; an in-place output keeps its input. A missing
  /// or mis-shaped input is an error listing them all; extra entries are
  /// ignored. The arena holds garbage for run() afterwards: call setInputs
  /// and run again for a whole forward.
  Expected<KernelTensors> runKernel(size_t Kernel,
                                    const KernelTensors &GroupInputs);

  /// Milliseconds of each of \p Iters forwards (plain launches or graph
  /// replays, back to back, timed with events between them) after \p Warmup
  /// untimed ones, on the inputs set last.
  Expected<std::vector<float>> time(bool Graph, int Warmup, int Iters);
  /// Milliseconds of each kernel in each of \p Iters plain forwards (events
  /// between the launches): result[kernel][iteration].
  Expected<std::vector<std::vector<float>>> timeKernels(int Warmup, int Iters);

  struct Impl;

private:
  explicit GpuModel(std::unique_ptr<Impl> I);
  std::unique_ptr<Impl> I;
};

/// The median and minimum of \p Ms (0 for an empty list).
float medianOf(std::vector<float> Ms);
float minimumOf(const std::vector<float> &Ms);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_EXEC_EXECUTOR_H
