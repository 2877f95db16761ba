//===- Exec/Executor.h - Running an artifact on a GPU -----------*- C++ -*-===//
//
// GpuModel::load turns a plan (a loaded artifact's, or the compiler's in
// memory) into a runnable model: it checks the device against the plan's
// arch, compiles every distinct kernel through NVRTC (compilePlan: in
// parallel, through the on-disk cache) with its chosen configuration's
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

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ssmc::rt {

class KernelCache;

/// A kernel's inputs by group-input index, or its results by result index
/// (PlanParam::index), as float32 host tensors.
using KernelTensors = std::map<int64_t, FloatTensor>;

struct GpuModelOptions {
  int device = 0; ///< CUDA device ordinal
  /// Kernel name -> configuration index; kernels not named use their
  /// default_config. A name the plan lacks or an index out of range is an
  /// error.
  std::map<std::string, int64_t> configs;
  KernelCache *cache = nullptr; ///< nullptr: compile every kernel afresh
  /// nullptr: Driver::load() (libcuda.so.1). Tests pass a stand-in.
  const Driver *driver = nullptr;
  bool progress = true;        ///< a progress line on stderr while compiling
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
  /// The kernel whose code it runs: itself, or an earlier kernel with the
  /// same source (up to comments and names) and configuration.
  std::string compiledAs;
};

/// The tensors GpuModel::load uploads as weights: a safetensors file's, or
/// tensors in memory (`ssmc run --device cuda`, which writes no file). A
/// weight is looked up by name, then with an outer "model." prefix.
struct WeightSource {
  /// Named in messages: the file's path, or what the tensors are.
  std::string origin;
  /// nullptr when there is no tensor of that name; the views must stay
  /// valid until load returns (the weights are uploaded by then).
  std::function<const TensorView *(std::string_view)> find;

  static WeightSource of(const SafetensorsFile &file);
  /// \p Views, which must outlive the source.
  static WeightSource of(std::string origin, const std::vector<TensorView> &views);
};

class GpuModel {
public:
  /// Loads \p P onto a device with the weights of \p Weights (null for a
  /// model without weights): checks the device against the plan's arch and
  /// every weight by name and shape (missing or mis-shaped ones are one
  /// error listing them all; extra tensors are ignored), compiles the
  /// kernels (compilePlan), uploads the weights and allocates the arena.
  /// \p P is a valid plan: loadArtifact's or parsePlan's (which validate
  /// what they read) or codegen's buildPlan (valid by construction; its
  /// tests validate it). \p PlanOrigin names it in messages (the artifact
  /// directory).
  static Expected<GpuModel> load(const Plan &p, std::string_view planOrigin,
                                 const WeightSource *weights, const GpuModelOptions &options = {});
  /// The same with the weights of a safetensors file (may be null).
  static Expected<GpuModel> load(const Plan &p, const std::string &artifactDir,
                                 const SafetensorsFile *weights,
                                 const GpuModelOptions &options = {});
  static Expected<GpuModel> load(const Plan &p, const std::string &artifactDir,
                                 const SafetensorsFile &weights,
                                 const GpuModelOptions &options = {});

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
  Status setInputs(const FloatTensorMap &inputs);
  /// Queues every kernel launch on the model's stream (no synchronisation).
  Status enqueue();
  /// Queues one replay of the graph of all launches, capturing it first if
  /// this is the first call.
  Status enqueueGraph();
  /// Waits for the queued work and copies every output back as float32.
  Expected<FloatTensorMap> readOutputs();

  /// setInputs, enqueue, readOutputs.
  Expected<FloatTensorMap> run(const FloatTensorMap &inputs);
  /// setInputs, enqueueGraph, readOutputs.
  Expected<FloatTensorMap> runGraph(const FloatTensorMap &inputs);

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
  Expected<KernelTensors> runKernel(size_t kernel, const KernelTensors &groupInputs);

  /// Milliseconds of each of \p Iters forwards (plain launches or graph
  /// replays, back to back, timed with events between them) after \p Warmup
  /// untimed ones, on the inputs set last.
  Expected<std::vector<float>> time(bool graph, int warmup, int iters);
  /// Milliseconds of each kernel in each of \p Iters plain forwards (events
  /// between the launches): result[kernel][iteration].
  Expected<std::vector<std::vector<float>>> timeKernels(int warmup, int iters);
  /// The device's copy bandwidth in GB/s (10^9 bytes read plus written per
  /// second): the median of \p Iters device-to-device copies of \p Bytes
  /// between two buffers of its own, after one untimed copy. The yardstick
  /// a memory-bound kernel's achieved bandwidth is read against, measured
  /// in the same run.
  Expected<double> copyBandwidthGbps(size_t bytes, int iters);

  struct Impl;

private:
  explicit GpuModel(std::unique_ptr<Impl> i);
  std::unique_ptr<Impl> i_;
};

/// The median and minimum of \p Ms (0 for an empty list).
float medianOf(std::vector<float> ms);
float minimumOf(const std::vector<float> &ms);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_EXEC_EXECUTOR_H
