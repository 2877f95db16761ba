//===- Exec/Executor.cpp - Loading a plan onto a GPU ----------------------===//
//
// GpuModel::load and its steps: the device, the configurations, the
// weights, NVRTC (compilePlan), the modules, the memory, the launches.
// ExecutorRun.cpp runs and times what this loads.
//
//===----------------------------------------------------------------------===//

#include "Exec/Executor.h"
#include "Exec/ExecutorImpl.h"

#include "Cuda/KernelCache.h"
#include "Exec/CompilePlan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include <unistd.h>

using namespace ssmc::rt;
using namespace ssmc::rt::exec_detail;

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
Status GpuModel::Impl::checkDeviceMemory() const {
  if (info.totalMemBytes == 0)
    return Status::success(); // unknown
  // In doubles: a valid plan's sizes are far below 2^53 bytes each.
  double weights = 0, inputs = 0, workspace = 0;
  for (const PlanTensor &w : p.weights)
    weights +=
        double((size_t(w.bytes()) + kWeightAlignment - 1) / kWeightAlignment * kWeightAlignment);
  for (const PlanTensor &in : p.inputs)
    inputs += double(in.bytes());
  for (const PlanKernel &k : p.kernels)
    workspace = std::max(workspace, double(k.workspaceBytes));
  const double arena = double(p.arenaBytes);
  const double total = weights + inputs + workspace + arena;
  if (total <= double(info.totalMemBytes))
    return Status::success();
  auto gib = [](double bytes) {
    return bytes >= double(1ull << 30)   ? fmt::format("{:.2f} GiB", bytes / double(1ull << 30))
           : bytes >= double(1ull << 20) ? fmt::format("{:.1f} MiB", bytes / double(1ull << 20))
                                         : fmt::format("{:.0f} KiB", std::ceil(bytes / 1024));
  };
  return Status::error(fmt::format(
      "'{}' needs {} of GPU memory (activation arena {}, weights {}, inputs {}, workspace {}), "
      "more than the {} of {}: compile it for a smaller batch or input, or in bf16/f16",
      p.model, gib(total), gib(arena), gib(weights), gib(inputs), gib(workspace),
      gib(double(info.totalMemBytes)), info.name));
}

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
    *values = toDeviceLayout(std::move(*values), pw);
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
  if (Status st = m.checkDeviceMemory(); !st)
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
