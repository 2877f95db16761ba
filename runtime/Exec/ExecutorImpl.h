//===- Exec/ExecutorImpl.h - GpuModel's state, shared by its files -*- C++ -*-===//
//
// Internal to Executor.cpp (loading) and ExecutorRun.cpp (running, timing):
// the device objects a loaded model owns and its fixed launches.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_EXEC_EXECUTORIMPL_H
#define SSMC_RUNTIME_EXEC_EXECUTORIMPL_H

#include "Exec/CompilePlan.h"
#include "Exec/Executor.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <optional>

namespace ssmc::rt::exec_detail {

constexpr size_t kWeightAlignment = 256;
constexpr int64_t kDefaultSmemLimit = 48 * 1024;

inline std::string shapeStr(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// "sm_90a" -> "sm_90".
inline std::string_view baseArch(std::string_view arch) {
  if (!arch.empty() && arch.back() == 'a')
    arch.remove_suffix(1);
  return arch;
}

inline std::string describeConfig(const PlanConfig &c, int64_t index) {
  return fmt::format("config {}: grid [{}], block [{}], {} bytes of dynamic "
                     "shared memory",
                     index, fmt::join(c.grid, ", "), fmt::join(c.block, ", "), c.smemBytes);
}

} // namespace ssmc::rt::exec_detail

namespace ssmc::rt {
struct GpuModel::Impl {
  struct Launch {
    size_t planIndex;
    Kernel kernel;
    Dim3 grid, block;
    unsigned smem;
    std::vector<cu::DevicePtr> args;
    std::vector<void *> argPtrs; ///< into args; args never grows afterwards
  };

  Plan p;
  std::string dir;
  const Driver *d = nullptr;
  DeviceInfo info;
  std::vector<LoadedKernelInfo> infos;
  double compileSeconds = 0;
  bool inputsSet = false;
  bool syncEach = false;

  // Destroyed in reverse order: the graph, buffers and modules before the
  // stream, all of them before the context.
  std::optional<DeviceContext> ctx;
  std::optional<Stream> s;
  std::vector<Module> modules;
  std::vector<Launch> launches;
  std::optional<DeviceBuffer> arena, weightBuf, workspace;
  std::map<std::string, DeviceBuffer> inputBufs;
  std::optional<CudaGraph> graph;

  // GpuModel::load's steps, in order.
  Status openDevice(const GpuModelOptions &o, std::string &arch);
  /// Refuses a plan whose weights, arena, inputs and workspace together
  /// exceed the device's memory, with the figures, before anything is
  /// compiled or allocated.
  Status checkDeviceMemory() const;
  Expected<std::vector<int64_t>> chooseConfigs(const GpuModelOptions &o) const;
  Expected<std::vector<const TensorView *>> findWeights(const WeightSource *weights) const;
  Expected<std::vector<Kernel>> loadModules(const GpuModelOptions &o,
                                            const PlanCompilation &compiled,
                                            const std::vector<int64_t> &configs);
  Expected<std::map<std::string, size_t>> allocate(const std::vector<const TensorView *> &views);
  void bind(std::vector<Kernel> &fns, const std::vector<int64_t> &configs,
            const std::map<std::string, size_t> &weightOffset);

  const PlanKernel &planKernel(const Launch &l) const { return p.kernels[l.planIndex]; }

  std::string where(const Launch &l) const {
    const PlanKernel &k = planKernel(l);
    int64_t c = infos[l.planIndex].config;
    return fmt::format("kernel '{}' (kernels[{}], {})", k.name, l.planIndex,
                       exec_detail::describeConfig(k.configs[size_t(c)], c));
  }

  Status launchAll(bool syncEach) {
    for (Launch &l : launches) {
      if (Status st = l.kernel.launch(l.grid, l.block, l.smem, *s, l.argPtrs.data()); !st)
        return Status::error(fmt::format("launching {}: {}", where(l), st.message()));
      if (syncEach)
        if (Status st = s->synchronize(); !st)
          return Status::error(fmt::format("{} failed while running: {}; run "
                                           "it under compute-sanitizer for "
                                           "details",
                                           where(l), st.message()));
    }
    return Status::success();
  }

  Status capture() {
    if (graph)
      return Status::success();
    if (Status st = s->beginCapture(); !st)
      return st;
    Status launched = launchAll(/*SyncEach=*/false);
    auto g = s->endCapture();
    if (!launched)
      return Status::error("capturing the CUDA graph: " + launched.message());
    if (!g)
      return Status::error("capturing the CUDA graph: " + g.message());
    graph.emplace(std::move(*g));
    return Status::success();
  }
};
} // namespace ssmc::rt

#endif // SSMC_RUNTIME_EXEC_EXECUTORIMPL_H
