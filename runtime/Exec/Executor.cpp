//===- Exec/Executor.cpp - Running an artifact on a GPU -------------------===//

#include "Exec/Executor.h"

#include "Cuda/KernelCache.h"
#include "Exec/CompilePlan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>

#include <unistd.h>

using namespace ssmc::rt;

namespace {

constexpr size_t kWeightAlignment = 256;
constexpr int64_t kDefaultSmemLimit = 48 * 1024;

std::string shapeStr(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// "sm_90a" -> "sm_90".
std::string_view baseArch(std::string_view arch) {
  if (!arch.empty() && arch.back() == 'a')
    arch.remove_suffix(1);
  return arch;
}

std::string describeConfig(const PlanConfig &c, int64_t index) {
  return fmt::format("config {}: grid [{}], block [{}], {} bytes of dynamic "
                     "shared memory",
                     index, fmt::join(c.grid, ", "), fmt::join(c.block, ", "), c.smemBytes);
}

} // namespace

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
                       describeConfig(k.configs[size_t(c)], c));
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

GpuModel::GpuModel(std::unique_ptr<Impl> i) : i_(std::move(i)) {}
GpuModel::GpuModel(GpuModel &&) noexcept = default;
GpuModel &GpuModel::operator=(GpuModel &&) noexcept = default;
GpuModel::~GpuModel() = default;

const Plan &GpuModel::plan() const { return i_->p; }
const DeviceInfo &GpuModel::device() const { return i_->info; }
const std::vector<LoadedKernelInfo> &GpuModel::kernels() const { return i_->infos; }
double GpuModel::compileSeconds() const { return i_->compileSeconds; }

namespace {

/// Compiles every distinct kernel on a few threads, printing progress on
/// stderr.
Expected<PlanCompilation> compileAll(const Plan &p, const std::vector<int64_t> &configs,
                                     const std::string &arch, const GpuModelOptions &o) {
  const size_t n = p.kernels.size();
  const bool tty = o.progress && ::isatty(2);
  auto result =
      compilePlan(p, configs, arch, o.cache, o.compileThreads, [&](size_t done, size_t total) {
        if (tty) {
          std::fprintf(stderr,
                       "\rssmc: compiling %zu kernels "
                       "for %s: %zu/%zu",
                       total, arch.c_str(), done, total);
          std::fflush(stderr);
        }
      });
  if (o.progress && n > 0 && result.ok())
    std::fprintf(stderr,
                 "%sssmc: compiled %zu kernels (%zu distinct) for %s (%zu "
                 "from the cache)\n",
                 tty ? "\r" : "", n, result->distinct.size(), arch.c_str(), result->fromCache);
  if (o.cache)
    for (const std::string &w : o.cache->takeWarnings())
      std::fprintf(stderr, "ssmc: warning: %s\n", w.c_str());
  return result;
}

} // namespace

WeightSource WeightSource::of(const SafetensorsFile &file) {
  return {file.path(), [&file](std::string_view name) { return file.find(name); }};
}

WeightSource WeightSource::of(std::string origin, const std::vector<TensorView> &views) {
  auto index = std::make_shared<std::map<std::string, size_t, std::less<>>>();
  for (size_t i = 0; i < views.size(); ++i)
    index->emplace(views[i].name, i);
  return {std::move(origin), [index, &views](std::string_view name) -> const TensorView * {
            auto it = index->find(name);
            return it == index->end() ? nullptr : &views[it->second];
          }};
}

Expected<GpuModel> GpuModel::load(const Plan &p, const std::string &artifactDir,
                                  const SafetensorsFile &weights, const GpuModelOptions &o) {
  return load(p, artifactDir, &weights, o);
}

Expected<GpuModel> GpuModel::load(const Plan &p, const std::string &artifactDir,
                                  const SafetensorsFile *weights, const GpuModelOptions &o) {
  if (!weights)
    return load(p, std::string_view(artifactDir), nullptr, o);
  WeightSource source = WeightSource::of(*weights);
  return load(p, std::string_view(artifactDir), &source, o);
}

/// The device, and the arch to compile for (the plan's, unless allowed to
/// differ).
Status GpuModel::Impl::openDevice(const GpuModelOptions &o, std::string &arch) {
  Impl &m = *this;
  const std::string &artifactDir = dir;
  // The device and its arch.
  if (o.driver) {
    m.d = o.driver;
  } else {
    auto d = Driver::load();
    if (!d)
      return d.status();
    m.d = *d;
  }
  auto info = m.d->queryDevice(o.device);
  if (!info)
    return info.status();
  m.info = *info;
  arch = m.p.arch;
  if (baseArch(m.p.arch) != m.info.arch()) {
    if (!o.allowArchMismatch)
      return Status::error(fmt::format(
          "artifact '{}' was compiled for {} but device {} ({}) is {}: its "
          "tile and shared-memory choices are made per arch; recompile it "
          "with `ssmc compile MODEL --arch {} -o DIR`",
          artifactDir, m.p.arch, m.info.ordinal, m.info.name, m.info.arch(), m.info.arch()));
    arch = m.info.arch();
  }

  return Status::success();
}

/// Each kernel's configuration (the default unless O.configs chooses one),
/// checked against the device's shared memory.
Expected<std::vector<int64_t>> GpuModel::Impl::chooseConfigs(const GpuModelOptions &o) const {
  const Impl &m = *this;
  const std::string &artifactDir = dir;
  // The configuration of each kernel.
  std::vector<int64_t> configs;
  for (const auto &[Name, Index] : o.configs) {
    const PlanKernel *k = m.p.findKernel(Name);
    if (!k)
      return Status::error(
          fmt::format("a configuration is chosen for kernel '{}', which artifact '{}' does "
                      "not have",
                      Name, artifactDir));
    if (Index < 0 || Index >= int64_t(k->configs.size()))
      return Status::error(fmt::format("kernel '{}' has configurations 0 to {}, not {}", Name,
                                       k->configs.size() - 1, Index));
  }
  for (size_t k = 0; k < m.p.kernels.size(); ++k) {
    const PlanKernel &pk = m.p.kernels[k];
    auto it = o.configs.find(pk.name);
    int64_t c = it == o.configs.end() ? pk.defaultConfig : it->second;
    configs.push_back(c);
    const PlanConfig &cfg = pk.configs[size_t(c)];
    if (cfg.smemBytes > m.info.maxSmemPerBlockOptin)
      return Status::error(
          fmt::format("kernel '{}' ({}) needs more shared memory than {} allows ({} "
                      "bytes): recompile the artifact with --arch {}",
                      pk.name, describeConfig(cfg, c), m.info.name, m.info.maxSmemPerBlockOptin,
                      m.info.arch()));
    if (pk.source.empty())
      return Status::error(
          fmt::format("kernel '{}' has no source: load the artifact with loadArtifact", pk.name));
  }

  return configs;
}

/// Every weight of the plan in the file, by name and shape, all checked
/// before anything is compiled.
Expected<std::vector<const TensorView *>>
GpuModel::Impl::findWeights(const WeightSource *weights) const {
  const Impl &m = *this;
  // The weights, all checked before anything is compiled.
  std::vector<std::string> problems;
  std::vector<const TensorView *> views;
  if (!weights && !m.p.weights.empty())
    return Status::error(
        fmt::format("'{}' has {} weights but none were given", m.p.model, m.p.weights.size()));
  for (const PlanTensor &w : m.p.weights) {
    const TensorView *v = weights->find(w.name);
    if (!v)
      v = weights->find("model." + w.name);
    views.push_back(v);
    if (!v) {
      problems.push_back(fmt::format("'{}' is missing", w.name));
    } else if (v->shape != w.shape) {
      problems.push_back(
          fmt::format("'{}' is {}, expected {}", w.name, shapeStr(v->shape), shapeStr(w.shape)));
    } else if (v->dtype != DType::F32 && v->dtype != DType::F16 && v->dtype != DType::BF16 &&
               v->dtype != DType::F64) {
      problems.push_back(
          fmt::format("'{}' is {}, not a floating-point type", w.name, dtypeName(v->dtype)));
    }
  }
  if (!problems.empty())
    return Status::error(
        fmt::format("{}: {} of the {} weights of '{}' are missing or mis-shaped: {}; "
                    "check that the file holds this model's weights and that the "
                    "artifact was compiled with the same --set options",
                    weights->origin, problems.size(), m.p.weights.size(), m.p.model,
                    fmt::join(problems, "; ")));

  return views;
}

/// The context, the stream and a module per kernel; the kernels' functions.
Expected<std::vector<Kernel>> GpuModel::Impl::loadModules(const GpuModelOptions &o,
                                                          const PlanCompilation &compiled,
                                                          const std::vector<int64_t> &configs) {
  Impl &m = *this;
  // The context, the stream, one module per distinct kernel.
  auto ctx = DeviceContext::retain(*m.d, o.device);
  if (!ctx)
    return ctx.status();
  m.ctx.emplace(std::move(*ctx));
  auto s = Stream::create(*m.d);
  if (!s)
    return s.status();
  m.s.emplace(std::move(*s));
  for (const CompiledKernel &ck : compiled.distinct) {
    auto mod = Module::load(*m.d, ck.cubin);
    if (!mod)
      return Status::error(fmt::format("loading kernel '{}': {}", ck.name, mod.message()));
    m.modules.push_back(std::move(*mod));
  }
  std::vector<Kernel> fns;
  for (size_t k = 0; k < m.p.kernels.size(); ++k) {
    const PlanKernel &pk = m.p.kernels[k];
    const size_t distinct = compiled.distinctOf[k];
    const CompiledKernel &ck = compiled.distinct[distinct];
    auto fn = m.modules[distinct].kernel(ck.entry);
    if (!fn)
      return Status::error(
          fmt::format("kernel '{}': its source has no entry '{}' ({}); recompile the "
                      "artifact",
                      pk.name, ck.entry, fn.message()));
    const PlanConfig &cfg = pk.configs[size_t(configs[k])];
    if (cfg.smemBytes + ck.resources.smemBytes > m.info.maxSmemPerBlockOptin)
      return Status::error(
          fmt::format("kernel '{}' ({}) also has {} bytes of static shared memory: more "
                      "than {} allows ({} bytes); choose another configuration",
                      pk.name, describeConfig(cfg, configs[k]), ck.resources.smemBytes, m.info.name,
                      m.info.maxSmemPerBlockOptin));
    if (cfg.smemBytes > kDefaultSmemLimit)
      if (Status st = fn->setMaxDynamicSharedMemory(int(cfg.smemBytes)); !st)
        return Status::error(fmt::format("kernel '{}': {}", pk.name, st.message()));
    fns.push_back(std::move(*fn));
    m.infos.push_back({pk.name, configs[k], ck.resources, ck.fromCache, ck.name});
  }

  return fns;
}

/// Device memory, zeroed, and the weights uploaded; each weight's offset
/// in the weight buffer.
Expected<std::map<std::string, size_t>>
GpuModel::Impl::allocate(const std::vector<const TensorView *> &views) {
  Impl &m = *this;
  // Memory: the arena, one buffer per input, the weights, one workspace
  // (kernels run one after another, so they share it).
  auto alloc = [&](size_t bytes, const std::string &what) -> Expected<DeviceBuffer> {
    auto b = DeviceBuffer::allocate(*m.d, bytes);
    if (!b)
      return Status::error(
          fmt::format("allocating {} ({} bytes) on {}: {}", what, bytes, m.info.name, b.message()));
    return b;
  };
  auto arena = alloc(size_t(m.p.arenaBytes), "the activation arena");
  if (!arena)
    return arena.status();
  m.arena.emplace(std::move(*arena));
  for (const PlanTensor &in : m.p.inputs) {
    auto b = alloc(size_t(in.bytes()), "input '" + in.name + "'");
    if (!b)
      return b.status();
    m.inputBufs.emplace(in.name, std::move(*b));
  }
  int64_t workspaceBytes = 0;
  for (const PlanKernel &k : m.p.kernels)
    workspaceBytes = std::max(workspaceBytes, k.workspaceBytes);
  auto ws = alloc(size_t(workspaceBytes), "the workspace");
  if (!ws)
    return ws.status();
  m.workspace.emplace(std::move(*ws));

  std::map<std::string, size_t> weightOffset;
  std::vector<std::byte> host;
  for (size_t w = 0; w < m.p.weights.size(); ++w) {
    const PlanTensor &pw = m.p.weights[w];
    host.resize((host.size() + kWeightAlignment - 1) / kWeightAlignment * kWeightAlignment);
    weightOffset[pw.name] = host.size();
    auto values = SafetensorsFile::toF32(*views[w]);
    if (!values)
      return values.status();
    encodeAs(pw.dtype, values->data(), values->size(), host);
  }
  auto wb = alloc(host.size(), "the weights");
  if (!wb)
    return wb.status();
  m.weightBuf.emplace(std::move(*wb));
  if (!host.empty())
    if (Status st = m.s->copyToDevice(m.weightBuf->ptr(), host.data(), host.size()); !st)
      return st;
  // Defined contents before the first run: nothing reads stale memory.
  if (m.p.arenaBytes > 0)
    if (Status st = m.s->memset8(m.arena->ptr(), 0, m.arena->size()); !st)
      return st;
  if (workspaceBytes > 0)
    if (Status st = m.s->memset8(m.workspace->ptr(), 0, m.workspace->size()); !st)
      return st;
  for (auto &[Name, B] : m.inputBufs)
    if (B.size() > 0)
      if (Status st = m.s->memset8(B.ptr(), 0, B.size()); !st)
        return st;
  if (Status st = m.s->synchronize(); !st)
    return Status::error("uploading the weights: " + st.message());

  return weightOffset;
}

/// Every kernel's launch with its arguments, fixed for the model's lifetime.
void GpuModel::Impl::bind(std::vector<Kernel> &fns, const std::vector<int64_t> &configs,
                          const std::map<std::string, size_t> &weightOffset) {
  Impl &m = *this;
  // The argument of every parameter, fixed for the model's lifetime.
  for (size_t k = 0; k < m.p.kernels.size(); ++k) {
    const PlanKernel &pk = m.p.kernels[k];
    const PlanConfig &cfg = pk.configs[size_t(configs[k])];
    Impl::Launch l{k,
                   std::move(fns[k]),
                   {unsigned(cfg.grid[0]), unsigned(cfg.grid[1]), unsigned(cfg.grid[2])},
                   {unsigned(cfg.block[0]), unsigned(cfg.block[1]), unsigned(cfg.block[2])},
                   unsigned(cfg.smemBytes),
                   {},
                   {}};
    for (const PlanParam &pa : pk.params) {
      cu::DevicePtr ptr = 0;
      switch (pa.kind) {
      case PlanParam::Kind::Input:
      case PlanParam::Kind::Output:
        ptr = pa.value.kind == ValueRef::Kind::ModelInput
                  ? m.inputBufs.at(pa.value.modelInput).ptr()
                  : m.arena->ptr() + cu::DevicePtr(pa.value.arenaOffset);
        break;
      case PlanParam::Kind::Weight:
        ptr = m.weightBuf->ptr() + weightOffset.at(pa.weight);
        break;
      case PlanParam::Kind::Workspace:
        ptr = m.workspace->ptr();
        break;
      }
      l.args.push_back(ptr);
    }
    for (cu::DevicePtr &a : l.args)
      l.argPtrs.push_back(&a);
    m.launches.push_back(std::move(l));
  }
}

Expected<GpuModel> GpuModel::load(const Plan &p, std::string_view planOrigin,
                                  const WeightSource *weights, const GpuModelOptions &o) {
  auto impl = std::make_unique<Impl>();
  Impl &m = *impl;
  m.p = p;
  m.dir = std::string(planOrigin);
  m.syncEach = o.syncEachKernel;
  std::string arch;
  if (Status st = m.openDevice(o, arch); !st)
    return st;
  auto configs = m.chooseConfigs(o);
  if (!configs)
    return configs.status();
  auto views = m.findWeights(weights);
  if (!views)
    return views.status();
  auto start = std::chrono::steady_clock::now();
  auto compiled = compileAll(m.p, *configs, arch, o);
  if (!compiled)
    return compiled.status();
  m.compileSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto fns = m.loadModules(o, *compiled, *configs);
  if (!fns)
    return fns.status();
  auto weightOffset = m.allocate(*views);
  if (!weightOffset)
    return weightOffset.status();
  m.bind(*fns, *configs, *weightOffset);
  return GpuModel(std::move(impl));
}

Status GpuModel::setInputs(const FloatTensorMap &inputs) {
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  std::vector<std::string> problems;
  for (const PlanTensor &in : i_->p.inputs) {
    auto it = inputs.find(in.name);
    if (it == inputs.end())
      problems.push_back(fmt::format("input '{}' ({}) is missing", in.name, shapeStr(in.shape)));
    else if (it->second.shape != in.shape)
      problems.push_back(
          fmt::format("input '{}' is {}, but the artifact was compiled for {} (recompile "
                      "it with --input-shape/--batch to change that)",
                      in.name, shapeStr(it->second.shape), shapeStr(in.shape)));
    else if (int64_t(it->second.data.size()) != in.numElements())
      problems.push_back(fmt::format("input '{}' holds {} values, not {}", in.name,
                                     it->second.data.size(), in.numElements()));
  }
  if (!problems.empty())
    return Status::error(fmt::format("{}", fmt::join(problems, "; ")));
  std::vector<std::vector<std::byte>> staging;
  for (const PlanTensor &in : i_->p.inputs) {
    const FloatTensor &t = inputs.at(in.name);
    staging.emplace_back();
    encodeAs(in.dtype, t.data.data(), t.data.size(), staging.back());
    if (!staging.back().empty())
      if (Status st = i_->s->copyToDevice(i_->inputBufs.at(in.name).ptr(), staging.back().data(),
                                          staging.back().size());
          !st)
        return st;
  }
  if (Status st = i_->s->synchronize(); !st)
    return Status::error("uploading the inputs: " + st.message());
  i_->inputsSet = true;
  return Status::success();
}

Status GpuModel::enqueue() {
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  return i_->launchAll(i_->syncEach);
}

Status GpuModel::enqueueGraph() {
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  if (Status st = i_->capture(); !st)
    return st;
  return i_->graph->launch(*i_->s);
}

Expected<FloatTensorMap> GpuModel::readOutputs() {
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  std::vector<std::vector<std::byte>> raw;
  for (const PlanOutput &o : i_->p.outputs) {
    raw.emplace_back(size_t(o.bytes()));
    if (!raw.back().empty())
      if (Status st =
              i_->s->copyToHost(raw.back().data(), i_->arena->ptr() + cu::DevicePtr(o.arenaOffset),
                                raw.back().size());
          !st)
        return st;
  }
  if (Status st = i_->s->synchronize(); !st)
    return Status::error(fmt::format("running '{}' failed: {}; a kernel faulted: rerun with --sync "
                                     "(syncEachKernel) to see which, or under compute-sanitizer",
                                     i_->p.model, st.message()));
  FloatTensorMap out;
  for (size_t k = 0; k < i_->p.outputs.size(); ++k) {
    const PlanOutput &o = i_->p.outputs[k];
    out[o.name] = FloatTensor{o.shape, decodeFrom(o.dtype, raw[k].data(), size_t(o.numElements()))};
  }
  return out;
}

Expected<KernelTensors> GpuModel::runKernel(size_t kernel, const KernelTensors &groupInputs) {
  if (kernel >= i_->launches.size())
    return Status::error(fmt::format("'{}' has kernels 0 to {}, not {}", i_->p.model,
                                     i_->launches.size() - 1, kernel));
  Impl::Launch &l = i_->launches[kernel];
  const PlanKernel &k = i_->planKernel(l);
  std::vector<std::string> problems;
  for (const PlanParam &pa : k.params) {
    if (pa.kind != PlanParam::Kind::Input)
      continue;
    auto it = groupInputs.find(pa.index);
    if (it == groupInputs.end())
      problems.push_back(
          fmt::format("input #{} ('{}', {}) is missing", pa.index, pa.name, shapeStr(pa.shape)));
    else if (it->second.shape != pa.shape)
      problems.push_back(fmt::format("input #{} ('{}') is {}, expected {}", pa.index, pa.name,
                                     shapeStr(it->second.shape), shapeStr(pa.shape)));
    else if (it->second.data.size() * dtypeSize(pa.dtype) != size_t(pa.bytes))
      problems.push_back(fmt::format("input #{} ('{}') holds {} values, not "
                                     "{}",
                                     pa.index, pa.name, it->second.data.size(),
                                     pa.bytes / int64_t(dtypeSize(pa.dtype))));
  }
  if (!problems.empty())
    return Status::error(fmt::format("kernel '{}': {}", k.name, fmt::join(problems, "; ")));
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  // Outputs poisoned first, then the inputs (an in-place output keeps its
  // input), then the launch.
  for (size_t p = 0; p < k.params.size(); ++p)
    if (k.params[p].kind == PlanParam::Kind::Output && k.params[p].bytes > 0)
      if (Status st = i_->s->memset8(l.args[p], 0xFF, size_t(k.params[p].bytes)); !st)
        return st;
  std::vector<std::vector<std::byte>> staging;
  for (size_t p = 0; p < k.params.size(); ++p) {
    const PlanParam &pa = k.params[p];
    if (pa.kind != PlanParam::Kind::Input)
      continue;
    const FloatTensor &t = groupInputs.at(pa.index);
    staging.emplace_back();
    encodeAs(pa.dtype, t.data.data(), t.data.size(), staging.back());
    if (!staging.back().empty())
      if (Status st = i_->s->copyToDevice(l.args[p], staging.back().data(), staging.back().size());
          !st)
        return st;
  }
  if (Status st = l.kernel.launch(l.grid, l.block, l.smem, *i_->s, l.argPtrs.data()); !st)
    return Status::error(fmt::format("launching {}: {}", i_->where(l), st.message()));
  if (Status st = i_->s->synchronize(); !st)
    return Status::error(fmt::format("{} failed while running: {}; run it "
                                     "under compute-sanitizer for details",
                                     i_->where(l), st.message()));
  std::vector<std::pair<const PlanParam *, std::vector<std::byte>>> raw;
  for (size_t p = 0; p < k.params.size(); ++p) {
    const PlanParam &pa = k.params[p];
    if (pa.kind != PlanParam::Kind::Output)
      continue;
    raw.emplace_back(&pa, std::vector<std::byte>(size_t(pa.bytes)));
    if (!raw.back().second.empty())
      if (Status st =
              i_->s->copyToHost(raw.back().second.data(), l.args[p], raw.back().second.size());
          !st)
        return st;
  }
  if (Status st = i_->s->synchronize(); !st)
    return Status::error(
        fmt::format("reading the results of kernel '{}': {}", k.name, st.message()));
  KernelTensors out;
  for (auto &[Pa, Bytes] : raw)
    out[Pa->index] = FloatTensor{
        Pa->shape, decodeFrom(Pa->dtype, Bytes.data(), Bytes.size() / dtypeSize(Pa->dtype))};
  return out;
}

Expected<FloatTensorMap> GpuModel::run(const FloatTensorMap &inputs) {
  if (Status st = setInputs(inputs); !st)
    return st;
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  if (Status st = i_->launchAll(i_->syncEach); !st)
    return st;
  return readOutputs();
}

Expected<FloatTensorMap> GpuModel::runGraph(const FloatTensorMap &inputs) {
  if (Status st = setInputs(inputs); !st)
    return st;
  if (Status st = enqueueGraph(); !st)
    return st;
  return readOutputs();
}

Expected<std::vector<float>> GpuModel::time(bool graph, int warmup, int iters) {
  if (!i_->inputsSet)
    return Status::error("GpuModel::time needs inputs: call setInputs first");
  if (iters < 1 || warmup < 0)
    return Status::error(
        fmt::format("timing needs at least one iteration and no negative warm-up (got "
                    "{} iterations, {} warm-up)",
                    iters, warmup));
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  if (graph)
    if (Status st = i_->capture(); !st)
      return st;
  auto forward = [&] { return graph ? enqueueGraph() : enqueue(); };
  for (int w = 0; w < warmup; ++w)
    if (Status st = forward(); !st)
      return st;
  if (Status st = i_->s->synchronize(); !st)
    return Status::error("warming up: " + st.message());
  std::vector<Event> events;
  for (int e = 0; e <= iters; ++e) {
    auto ev = Event::create(*i_->d);
    if (!ev)
      return ev.status();
    events.push_back(std::move(*ev));
  }
  if (Status st = events[0].record(*i_->s); !st)
    return st;
  for (int it = 0; it < iters; ++it) {
    if (Status st = forward(); !st)
      return st;
    if (Status st = events[size_t(it) + 1].record(*i_->s); !st)
      return st;
  }
  if (Status st = events.back().synchronize(); !st)
    return Status::error("timing: " + st.message());
  std::vector<float> ms;
  for (int it = 0; it < iters; ++it) {
    auto t = Event::elapsedMs(events[size_t(it)], events[size_t(it) + 1]);
    if (!t)
      return t.status();
    ms.push_back(*t);
  }
  return ms;
}

Expected<std::vector<std::vector<float>>> GpuModel::timeKernels(int warmup, int iters) {
  if (!i_->inputsSet)
    return Status::error("GpuModel::timeKernels needs inputs: call setInputs "
                         "first");
  if (iters < 1 || warmup < 0)
    return Status::error("timing needs at least one iteration and no "
                         "negative warm-up");
  if (Status st = i_->ctx->makeCurrent(); !st)
    return st;
  for (int w = 0; w < warmup; ++w)
    if (Status st = i_->launchAll(false); !st)
      return st;
  const size_t k = i_->launches.size();
  std::vector<Event> events;
  for (size_t e = 0; e < k + 1; ++e) {
    auto ev = Event::create(*i_->d);
    if (!ev)
      return ev.status();
    events.push_back(std::move(*ev));
  }
  std::vector<std::vector<float>> ms(k);
  for (int it = 0; it < iters; ++it) {
    if (Status st = events[0].record(*i_->s); !st)
      return st;
    for (size_t l = 0; l < k; ++l) {
      Impl::Launch &ln = i_->launches[l];
      if (Status st = ln.kernel.launch(ln.grid, ln.block, ln.smem, *i_->s, ln.argPtrs.data()); !st)
        return Status::error(fmt::format("launching {}: {}", i_->where(ln), st.message()));
      if (Status st = events[l + 1].record(*i_->s); !st)
        return st;
    }
    if (Status st = events.back().synchronize(); !st)
      return Status::error("timing: " + st.message());
    for (size_t l = 0; l < k; ++l) {
      auto t = Event::elapsedMs(events[l], events[l + 1]);
      if (!t)
        return t.status();
      ms[l].push_back(*t);
    }
  }
  return ms;
}

float ssmc::rt::medianOf(std::vector<float> ms) {
  if (ms.empty())
    return 0;
  std::sort(ms.begin(), ms.end());
  size_t n = ms.size();
  return n % 2 ? ms[n / 2] : 0.5f * (ms[n / 2 - 1] + ms[n / 2]);
}

float ssmc::rt::minimumOf(const std::vector<float> &ms) {
  return ms.empty() ? 0 : *std::min_element(ms.begin(), ms.end());
}
