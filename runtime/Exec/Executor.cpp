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

constexpr size_t WeightAlignment = 256;
constexpr int64_t DefaultSmemLimit = 48 * 1024;

std::string shapeStr(const std::vector<int64_t> &Shape) {
  return fmt::format("[{}]", fmt::join(Shape, ", "));
}

/// "sm_90a" -> "sm_90".
std::string_view baseArch(std::string_view Arch) {
  if (!Arch.empty() && Arch.back() == 'a')
    Arch.remove_suffix(1);
  return Arch;
}

std::string describeConfig(const PlanConfig &C, int64_t Index) {
  return fmt::format("config {}: grid [{}], block [{}], {} bytes of dynamic "
                     "shared memory",
                     Index, fmt::join(C.grid, ", "), fmt::join(C.block, ", "),
                     C.smemBytes);
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

  Plan P;
  std::string Dir;
  const Driver *D = nullptr;
  DeviceInfo Info;
  std::vector<LoadedKernelInfo> Infos;
  double CompileSeconds = 0;
  bool InputsSet = false;
  bool SyncEach = false;

  // Destroyed in reverse order: the graph, buffers and modules before the
  // stream, all of them before the context.
  std::optional<DeviceContext> Ctx;
  std::optional<Stream> S;
  std::vector<Module> Modules;
  std::vector<Launch> Launches;
  std::optional<DeviceBuffer> Arena, WeightBuf, Workspace;
  std::map<std::string, DeviceBuffer> InputBufs;
  std::optional<CudaGraph> Graph;

  // GpuModel::load's steps, in order.
  Status openDevice(const GpuModelOptions &O, std::string &Arch);
  Expected<std::vector<int64_t>> chooseConfigs(const GpuModelOptions &O) const;
  Expected<std::vector<const TensorView *>>
  findWeights(const WeightSource *Weights) const;
  Expected<std::vector<Kernel>>
  loadModules(const GpuModelOptions &O, const PlanCompilation &Compiled,
              const std::vector<int64_t> &Configs);
  Expected<std::map<std::string, size_t>>
  allocate(const std::vector<const TensorView *> &Views);
  void bind(std::vector<Kernel> &Fns, const std::vector<int64_t> &Configs,
            const std::map<std::string, size_t> &WeightOffset);

  const PlanKernel &planKernel(const Launch &L) const {
    return P.kernels[L.planIndex];
  }

  std::string where(const Launch &L) const {
    const PlanKernel &K = planKernel(L);
    int64_t C = Infos[L.planIndex].config;
    return fmt::format("kernel '{}' (kernels[{}], {})", K.name, L.planIndex,
                       describeConfig(K.configs[size_t(C)], C));
  }

  Status launchAll(bool SyncEach) {
    for (Launch &L : Launches) {
      if (Status St =
              L.kernel.launch(L.grid, L.block, L.smem, *S, L.argPtrs.data());
          !St)
        return Status::error(
            fmt::format("launching {}: {}", where(L), St.message()));
      if (SyncEach)
        if (Status St = S->synchronize(); !St)
          return Status::error(fmt::format("{} failed while running: {}; run "
                                           "it under compute-sanitizer for "
                                           "details",
                                           where(L), St.message()));
    }
    return Status::success();
  }

  Status capture() {
    if (Graph)
      return Status::success();
    if (Status St = S->beginCapture(); !St)
      return St;
    Status Launched = launchAll(/*SyncEach=*/false);
    auto G = S->endCapture();
    if (!Launched)
      return Status::error("capturing the CUDA graph: " + Launched.message());
    if (!G)
      return Status::error("capturing the CUDA graph: " + G.message());
    Graph.emplace(std::move(*G));
    return Status::success();
  }
};

GpuModel::GpuModel(std::unique_ptr<Impl> I) : I(std::move(I)) {}
GpuModel::GpuModel(GpuModel &&) noexcept = default;
GpuModel &GpuModel::operator=(GpuModel &&) noexcept = default;
GpuModel::~GpuModel() = default;

const Plan &GpuModel::plan() const { return I->P; }
const DeviceInfo &GpuModel::device() const { return I->Info; }
const std::vector<LoadedKernelInfo> &GpuModel::kernels() const {
  return I->Infos;
}
double GpuModel::compileSeconds() const { return I->CompileSeconds; }

namespace {

/// Compiles every distinct kernel on a few threads, printing progress on
/// stderr.
Expected<PlanCompilation> compileAll(const Plan &P,
                                     const std::vector<int64_t> &Configs,
                                     const std::string &Arch,
                                     const GpuModelOptions &O) {
  const size_t N = P.kernels.size();
  const bool Tty = O.progress && ::isatty(2);
  auto Result = compilePlan(P, Configs, Arch, O.cache, O.compileThreads,
                            [&](size_t Done, size_t Total) {
                              if (Tty) {
                                std::fprintf(stderr,
                                             "\rssmc: compiling %zu kernels "
                                             "for %s: %zu/%zu",
                                             Total, Arch.c_str(), Done, Total);
                                std::fflush(stderr);
                              }
                            });
  if (O.progress && N > 0 && Result.ok())
    std::fprintf(stderr,
                 "%sssmc: compiled %zu kernels (%zu distinct) for %s (%zu "
                 "from the cache)\n",
                 Tty ? "\r" : "", N, Result->distinct.size(), Arch.c_str(),
                 Result->fromCache);
  if (O.cache)
    for (const std::string &W : O.cache->takeWarnings())
      std::fprintf(stderr, "ssmc: warning: %s\n", W.c_str());
  return Result;
}

} // namespace

WeightSource WeightSource::of(const SafetensorsFile &File) {
  return {File.path(),
          [&File](std::string_view Name) { return File.find(Name); }};
}

WeightSource WeightSource::of(std::string Origin,
                              const std::vector<TensorView> &Views) {
  auto Index = std::make_shared<std::map<std::string, size_t, std::less<>>>();
  for (size_t I = 0; I < Views.size(); ++I)
    Index->emplace(Views[I].name, I);
  return {std::move(Origin),
          [Index, &Views](std::string_view Name) -> const TensorView * {
            auto It = Index->find(Name);
            return It == Index->end() ? nullptr : &Views[It->second];
          }};
}

Expected<GpuModel> GpuModel::load(const Plan &P, const std::string &ArtifactDir,
                                  const SafetensorsFile &Weights,
                                  const GpuModelOptions &O) {
  return load(P, ArtifactDir, &Weights, O);
}

Expected<GpuModel> GpuModel::load(const Plan &P, const std::string &ArtifactDir,
                                  const SafetensorsFile *Weights,
                                  const GpuModelOptions &O) {
  if (!Weights)
    return load(P, std::string_view(ArtifactDir), nullptr, O);
  WeightSource Source = WeightSource::of(*Weights);
  return load(P, std::string_view(ArtifactDir), &Source, O);
}

/// The device, and the arch to compile for (the plan's, unless allowed to
/// differ).
Status GpuModel::Impl::openDevice(const GpuModelOptions &O, std::string &Arch) {
  Impl &M = *this;
  const std::string &ArtifactDir = Dir;
  // The device and its arch.
  if (O.driver) {
    M.D = O.driver;
  } else {
    auto D = Driver::load();
    if (!D)
      return D.status();
    M.D = *D;
  }
  auto Info = M.D->queryDevice(O.device);
  if (!Info)
    return Info.status();
  M.Info = *Info;
  Arch = M.P.arch;
  if (baseArch(M.P.arch) != M.Info.arch()) {
    if (!O.allowArchMismatch)
      return Status::error(fmt::format(
          "artifact '{}' was compiled for {} but device {} ({}) is {}: its "
          "tile and shared-memory choices are made per arch; recompile it "
          "with `ssmc compile MODEL --arch {} -o DIR`",
          ArtifactDir, M.P.arch, M.Info.ordinal, M.Info.name, M.Info.arch(),
          M.Info.arch()));
    Arch = M.Info.arch();
  }

  return Status::success();
}

/// Each kernel's configuration (the default unless O.configs chooses one),
/// checked against the device's shared memory.
Expected<std::vector<int64_t>> GpuModel::Impl::chooseConfigs(const GpuModelOptions &O) const {
  const Impl &M = *this;
  const std::string &ArtifactDir = Dir;
  // The configuration of each kernel.
  std::vector<int64_t> Configs;
  for (const auto &[Name, Index] : O.configs) {
    const PlanKernel *K = M.P.findKernel(Name);
    if (!K)
      return Status::error(fmt::format(
          "a configuration is chosen for kernel '{}', which artifact '{}' does "
          "not have",
          Name, ArtifactDir));
    if (Index < 0 || Index >= int64_t(K->configs.size()))
      return Status::error(fmt::format(
          "kernel '{}' has configurations 0 to {}, not {}", Name,
          K->configs.size() - 1, Index));
  }
  for (size_t K = 0; K < M.P.kernels.size(); ++K) {
    const PlanKernel &PK = M.P.kernels[K];
    auto It = O.configs.find(PK.name);
    int64_t C = It == O.configs.end() ? PK.defaultConfig : It->second;
    Configs.push_back(C);
    const PlanConfig &Cfg = PK.configs[size_t(C)];
    if (Cfg.smemBytes > M.Info.maxSmemPerBlockOptin)
      return Status::error(fmt::format(
          "kernel '{}' ({}) needs more shared memory than {} allows ({} "
          "bytes): recompile the artifact with --arch {}",
          PK.name, describeConfig(Cfg, C), M.Info.name,
          M.Info.maxSmemPerBlockOptin, M.Info.arch()));
    if (PK.source.empty())
      return Status::error(fmt::format(
          "kernel '{}' has no source: load the artifact with loadArtifact",
          PK.name));
  }

  return Configs;
}

/// Every weight of the plan in the file, by name and shape, all checked
/// before anything is compiled.
Expected<std::vector<const TensorView *>>
GpuModel::Impl::findWeights(const WeightSource *Weights) const {
  const Impl &M = *this;
  // The weights, all checked before anything is compiled.
  std::vector<std::string> Problems;
  std::vector<const TensorView *> Views;
  if (!Weights && !M.P.weights.empty())
    return Status::error(fmt::format("'{}' has {} weights but none were given",
                                     M.P.model, M.P.weights.size()));
  for (const PlanTensor &W : M.P.weights) {
    const TensorView *V = Weights->find(W.name);
    if (!V)
      V = Weights->find("model." + W.name);
    Views.push_back(V);
    if (!V) {
      Problems.push_back(fmt::format("'{}' is missing", W.name));
    } else if (V->shape != W.shape) {
      Problems.push_back(fmt::format("'{}' is {}, expected {}", W.name,
                                     shapeStr(V->shape), shapeStr(W.shape)));
    } else if (V->dtype != DType::F32 && V->dtype != DType::F16 &&
               V->dtype != DType::BF16 && V->dtype != DType::F64) {
      Problems.push_back(fmt::format("'{}' is {}, not a floating-point type",
                                     W.name, dtypeName(V->dtype)));
    }
  }
  if (!Problems.empty())
    return Status::error(fmt::format(
        "{}: {} of the {} weights of '{}' are missing or mis-shaped: {}; "
        "check that the file holds this model's weights and that the "
        "artifact was compiled with the same --set options",
        Weights->origin, Problems.size(), M.P.weights.size(), M.P.model,
        fmt::join(Problems, "; ")));

  return Views;
}

/// The context, the stream and a module per kernel; the kernels' functions.
Expected<std::vector<Kernel>>
GpuModel::Impl::loadModules(const GpuModelOptions &O, const PlanCompilation &Compiled,
                            const std::vector<int64_t> &Configs) {
  Impl &M = *this;
  // The context, the stream, one module per distinct kernel.
  auto Ctx = DeviceContext::retain(*M.D, O.device);
  if (!Ctx)
    return Ctx.status();
  M.Ctx.emplace(std::move(*Ctx));
  auto S = Stream::create(*M.D);
  if (!S)
    return S.status();
  M.S.emplace(std::move(*S));
  for (const CompiledKernel &CK : Compiled.distinct) {
    auto Mod = Module::load(*M.D, CK.cubin);
    if (!Mod)
      return Status::error(
          fmt::format("loading kernel '{}': {}", CK.name, Mod.message()));
    M.Modules.push_back(std::move(*Mod));
  }
  std::vector<Kernel> Fns;
  for (size_t K = 0; K < M.P.kernels.size(); ++K) {
    const PlanKernel &PK = M.P.kernels[K];
    const size_t Distinct = Compiled.distinctOf[K];
    const CompiledKernel &CK = Compiled.distinct[Distinct];
    auto Fn = M.Modules[Distinct].kernel(CK.entry);
    if (!Fn)
      return Status::error(fmt::format(
          "kernel '{}': its source has no entry '{}' ({}); recompile the "
          "artifact",
          PK.name, CK.entry, Fn.message()));
    const PlanConfig &Cfg = PK.configs[size_t(Configs[K])];
    if (Cfg.smemBytes + CK.resources.smemBytes > M.Info.maxSmemPerBlockOptin)
      return Status::error(fmt::format(
          "kernel '{}' ({}) also has {} bytes of static shared memory: more "
          "than {} allows ({} bytes); choose another configuration",
          PK.name, describeConfig(Cfg, Configs[K]), CK.resources.smemBytes,
          M.Info.name, M.Info.maxSmemPerBlockOptin));
    if (Cfg.smemBytes > DefaultSmemLimit)
      if (Status St = Fn->setMaxDynamicSharedMemory(int(Cfg.smemBytes)); !St)
        return Status::error(
            fmt::format("kernel '{}': {}", PK.name, St.message()));
    Fns.push_back(std::move(*Fn));
    M.Infos.push_back({PK.name, Configs[K], CK.resources, CK.fromCache,
                       CK.name});
  }

  return Fns;
}

/// Device memory, zeroed, and the weights uploaded; each weight's offset
/// in the weight buffer.
Expected<std::map<std::string, size_t>>
GpuModel::Impl::allocate(const std::vector<const TensorView *> &Views) {
  Impl &M = *this;
  // Memory: the arena, one buffer per input, the weights, one workspace
  // (kernels run one after another, so they share it).
  auto Alloc = [&](size_t Bytes, const std::string &What)
      -> Expected<DeviceBuffer> {
    auto B = DeviceBuffer::allocate(*M.D, Bytes);
    if (!B)
      return Status::error(fmt::format("allocating {} ({} bytes) on {}: {}",
                                       What, Bytes, M.Info.name, B.message()));
    return B;
  };
  auto Arena = Alloc(size_t(M.P.arenaBytes), "the activation arena");
  if (!Arena)
    return Arena.status();
  M.Arena.emplace(std::move(*Arena));
  for (const PlanTensor &In : M.P.inputs) {
    auto B = Alloc(size_t(In.bytes()), "input '" + In.name + "'");
    if (!B)
      return B.status();
    M.InputBufs.emplace(In.name, std::move(*B));
  }
  int64_t WorkspaceBytes = 0;
  for (const PlanKernel &K : M.P.kernels)
    WorkspaceBytes = std::max(WorkspaceBytes, K.workspaceBytes);
  auto Ws = Alloc(size_t(WorkspaceBytes), "the workspace");
  if (!Ws)
    return Ws.status();
  M.Workspace.emplace(std::move(*Ws));

  std::map<std::string, size_t> WeightOffset;
  std::vector<std::byte> Host;
  for (size_t W = 0; W < M.P.weights.size(); ++W) {
    const PlanTensor &PW = M.P.weights[W];
    Host.resize((Host.size() + WeightAlignment - 1) / WeightAlignment *
                WeightAlignment);
    WeightOffset[PW.name] = Host.size();
    auto Values = SafetensorsFile::toF32(*Views[W]);
    if (!Values)
      return Values.status();
    encodeAs(PW.dtype, Values->data(), Values->size(), Host);
  }
  auto WB = Alloc(Host.size(), "the weights");
  if (!WB)
    return WB.status();
  M.WeightBuf.emplace(std::move(*WB));
  if (!Host.empty())
    if (Status St = M.S->copyToDevice(M.WeightBuf->ptr(), Host.data(),
                                      Host.size());
        !St)
      return St;
  // Defined contents before the first run: nothing reads stale memory.
  if (M.P.arenaBytes > 0)
    if (Status St = M.S->memset8(M.Arena->ptr(), 0, M.Arena->size()); !St)
      return St;
  if (WorkspaceBytes > 0)
    if (Status St = M.S->memset8(M.Workspace->ptr(), 0, M.Workspace->size());
        !St)
      return St;
  for (auto &[Name, B] : M.InputBufs)
    if (B.size() > 0)
      if (Status St = M.S->memset8(B.ptr(), 0, B.size()); !St)
        return St;
  if (Status St = M.S->synchronize(); !St)
    return Status::error("uploading the weights: " + St.message());

  return WeightOffset;
}

/// Every kernel's launch with its arguments, fixed for the model's lifetime.
void GpuModel::Impl::bind(std::vector<Kernel> &Fns, const std::vector<int64_t> &Configs,
                          const std::map<std::string, size_t> &WeightOffset) {
  Impl &M = *this;
  // The argument of every parameter, fixed for the model's lifetime.
  for (size_t K = 0; K < M.P.kernels.size(); ++K) {
    const PlanKernel &PK = M.P.kernels[K];
    const PlanConfig &Cfg = PK.configs[size_t(Configs[K])];
    Impl::Launch L{K,
                   std::move(Fns[K]),
                   {unsigned(Cfg.grid[0]), unsigned(Cfg.grid[1]),
                    unsigned(Cfg.grid[2])},
                   {unsigned(Cfg.block[0]), unsigned(Cfg.block[1]),
                    unsigned(Cfg.block[2])},
                   unsigned(Cfg.smemBytes),
                   {},
                   {}};
    for (const PlanParam &Pa : PK.params) {
      cu::DevicePtr Ptr = 0;
      switch (Pa.kind) {
      case PlanParam::Kind::Input:
      case PlanParam::Kind::Output:
        Ptr = Pa.value.kind == ValueRef::Kind::ModelInput
                  ? M.InputBufs.at(Pa.value.modelInput).ptr()
                  : M.Arena->ptr() + cu::DevicePtr(Pa.value.arenaOffset);
        break;
      case PlanParam::Kind::Weight:
        Ptr = M.WeightBuf->ptr() + WeightOffset.at(Pa.weight);
        break;
      case PlanParam::Kind::Workspace:
        Ptr = M.Workspace->ptr();
        break;
      }
      L.args.push_back(Ptr);
    }
    for (cu::DevicePtr &A : L.args)
      L.argPtrs.push_back(&A);
    M.Launches.push_back(std::move(L));
  }
}

Expected<GpuModel> GpuModel::load(const Plan &P, std::string_view PlanOrigin,
                                  const WeightSource *Weights,
                                  const GpuModelOptions &O) {
  auto Impl_ = std::make_unique<Impl>();
  Impl &M = *Impl_;
  M.P = P;
  M.Dir = std::string(PlanOrigin);
  M.SyncEach = O.syncEachKernel;
  std::string Arch;
  if (Status St = M.openDevice(O, Arch); !St)
    return St;
  auto Configs = M.chooseConfigs(O);
  if (!Configs)
    return Configs.status();
  auto Views = M.findWeights(Weights);
  if (!Views)
    return Views.status();
  auto Start = std::chrono::steady_clock::now();
  auto Compiled = compileAll(M.P, *Configs, Arch, O);
  if (!Compiled)
    return Compiled.status();
  M.CompileSeconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - Start)
                         .count();
  auto Fns = M.loadModules(O, *Compiled, *Configs);
  if (!Fns)
    return Fns.status();
  auto WeightOffset = M.allocate(*Views);
  if (!WeightOffset)
    return WeightOffset.status();
  M.bind(*Fns, *Configs, *WeightOffset);
  return GpuModel(std::move(Impl_));
}

Status GpuModel::setInputs(const TensorMap &Inputs) {
  if (Status St = I->Ctx->makeCurrent(); !St)
    return St;
  std::vector<std::string> Problems;
  for (const PlanTensor &In : I->P.inputs) {
    auto It = Inputs.find(In.name);
    if (It == Inputs.end())
      Problems.push_back(fmt::format("input '{}' ({}) is missing", In.name,
                                     shapeStr(In.shape)));
    else if (It->second.shape != In.shape)
      Problems.push_back(fmt::format(
          "input '{}' is {}, but the artifact was compiled for {} (recompile "
          "it with --input-shape/--batch to change that)",
          In.name, shapeStr(It->second.shape), shapeStr(In.shape)));
    else if (int64_t(It->second.data.size()) != In.numElements())
      Problems.push_back(fmt::format("input '{}' holds {} values, not {}",
                                     In.name, It->second.data.size(),
                                     In.numElements()));
  }
  if (!Problems.empty())
    return Status::error(fmt::format("{}", fmt::join(Problems, "; ")));
  std::vector<std::vector<std::byte>> Staging;
  for (const PlanTensor &In : I->P.inputs) {
    const HostTensor &T = Inputs.at(In.name);
    Staging.emplace_back();
    encodeAs(In.dtype, T.data.data(), T.data.size(), Staging.back());
    if (!Staging.back().empty())
      if (Status St = I->S->copyToDevice(I->InputBufs.at(In.name).ptr(),
                                         Staging.back().data(),
                                         Staging.back().size());
          !St)
        return St;
  }
  if (Status St = I->S->synchronize(); !St)
    return Status::error("uploading the inputs: " + St.message());
  I->InputsSet = true;
  return Status::success();
}

Status GpuModel::enqueue() {
  if (Status St = I->Ctx->makeCurrent(); !St)
    return St;
  return I->launchAll(I->SyncEach);
}

Status GpuModel::enqueueGraph() {
  if (Status St = I->Ctx->makeCurrent(); !St)
    return St;
  if (Status St = I->capture(); !St)
    return St;
  return I->Graph->launch(*I->S);
}

Expected<TensorMap> GpuModel::readOutputs() {
  if (Status St = I->Ctx->makeCurrent(); !St)
    return St;
  std::vector<std::vector<std::byte>> Raw;
  for (const PlanOutput &O : I->P.outputs) {
    Raw.emplace_back(size_t(O.bytes()));
    if (!Raw.back().empty())
      if (Status St = I->S->copyToHost(
              Raw.back().data(),
              I->Arena->ptr() + cu::DevicePtr(O.arenaOffset), Raw.back().size());
          !St)
        return St;
  }
  if (Status St = I->S->synchronize(); !St)
    return Status::error(fmt::format(
        "running '{}' failed: {}; a kernel faulted: rerun with --sync "
        "(syncEachKernel) to see which, or under compute-sanitizer",
        I->P.model, St.message()));
  TensorMap Out;
  for (size_t K = 0; K < I->P.outputs.size(); ++K) {
    const PlanOutput &O = I->P.outputs[K];
    Out[O.name] = HostTensor{
        O.shape, decodeFrom(O.dtype, Raw[K].data(), size_t(O.numElements()))};
  }
  return Out;
}

Expected<KernelTensors> GpuModel::runKernel(size_t Kernel,
                                            const KernelTensors &GroupInputs) {
  if (Kernel >= I->Launches.size())
    return Status::error(fmt::format("'{}' has kernels 0 to {}, not {}",
                                     I->P.model, I->Launches.size() - 1,
                                     Kernel));
  Impl::Launch &L = I->Launches[Kernel];
  const PlanKernel &K = I->planKernel(L);
  std::vector<std::string> Problems;
  for (const PlanParam &Pa : K.params) {
    if (Pa.kind != PlanParam::Kind::Input)
      continue;
    auto It = GroupInputs.find(Pa.index);
    if (It == GroupInputs.end())
      Problems.push_back(fmt::format("input #{} ('{}', {}) is missing",
                                     Pa.index, Pa.name, shapeStr(Pa.shape)));
    else if (It->second.shape != Pa.shape)
      Problems.push_back(fmt::format("input #{} ('{}') is {}, expected {}",
                                     Pa.index, Pa.name,
                                     shapeStr(It->second.shape),
                                     shapeStr(Pa.shape)));
    else if (It->second.data.size() * dtypeSize(Pa.dtype) != size_t(Pa.bytes))
      Problems.push_back(fmt::format("input #{} ('{}') holds {} values, not "
                                     "{}",
                                     Pa.index, Pa.name,
                                     It->second.data.size(),
                                     Pa.bytes / int64_t(dtypeSize(Pa.dtype))));
  }
  if (!Problems.empty())
    return Status::error(fmt::format("kernel '{}': {}", K.name,
                                     fmt::join(Problems, "; ")));
  if (Status St = I->Ctx->makeCurrent(); !St)
    return St;
  // Outputs poisoned first, then the inputs (an in-place output keeps its
  // input), then the launch.
  for (size_t P = 0; P < K.params.size(); ++P)
    if (K.params[P].kind == PlanParam::Kind::Output && K.params[P].bytes > 0)
      if (Status St = I->S->memset8(L.args[P], 0xFF, size_t(K.params[P].bytes));
          !St)
        return St;
  std::vector<std::vector<std::byte>> Staging;
  for (size_t P = 0; P < K.params.size(); ++P) {
    const PlanParam &Pa = K.params[P];
    if (Pa.kind != PlanParam::Kind::Input)
      continue;
    const HostTensor &T = GroupInputs.at(Pa.index);
    Staging.emplace_back();
    encodeAs(Pa.dtype, T.data.data(), T.data.size(), Staging.back());
    if (!Staging.back().empty())
      if (Status St = I->S->copyToDevice(L.args[P], Staging.back().data(),
                                         Staging.back().size());
          !St)
        return St;
  }
  if (Status St = L.kernel.launch(L.grid, L.block, L.smem, *I->S,
                                  L.argPtrs.data());
      !St)
    return Status::error(
        fmt::format("launching {}: {}", I->where(L), St.message()));
  if (Status St = I->S->synchronize(); !St)
    return Status::error(fmt::format("{} failed while running: {}; run it "
                                     "under compute-sanitizer for details",
                                     I->where(L), St.message()));
  std::vector<std::pair<const PlanParam *, std::vector<std::byte>>> Raw;
  for (size_t P = 0; P < K.params.size(); ++P) {
    const PlanParam &Pa = K.params[P];
    if (Pa.kind != PlanParam::Kind::Output)
      continue;
    Raw.emplace_back(&Pa, std::vector<std::byte>(size_t(Pa.bytes)));
    if (!Raw.back().second.empty())
      if (Status St = I->S->copyToHost(Raw.back().second.data(), L.args[P],
                                       Raw.back().second.size());
          !St)
        return St;
  }
  if (Status St = I->S->synchronize(); !St)
    return Status::error(fmt::format("reading the results of kernel '{}': {}",
                                     K.name, St.message()));
  KernelTensors Out;
  for (auto &[Pa, Bytes] : Raw)
    Out[Pa->index] = HostTensor{
        Pa->shape, decodeFrom(Pa->dtype, Bytes.data(),
                              Bytes.size() / dtypeSize(Pa->dtype))};
  return Out;
}

Expected<TensorMap> GpuModel::run(const TensorMap &Inputs) {
  if (Status St = setInputs(Inputs); !St)
    return St;
  if (Status St = I->Ctx->makeCurrent(); !St)
    return St;
  if (Status St = I->launchAll(I->SyncEach); !St)
    return St;
  return readOutputs();
}

Expected<TensorMap> GpuModel::runGraph(const TensorMap &Inputs) {
  if (Status St = setInputs(Inputs); !St)
    return St;
  if (Status St = enqueueGraph(); !St)
    return St;
  return readOutputs();
}

Expected<std::vector<float>> GpuModel::time(bool Graph, int Warmup,
                                            int Iters) {
  if (!I->InputsSet)
    return Status::error("GpuModel::time needs inputs: call setInputs first");
  if (Iters < 1 || Warmup < 0)
    return Status::error(fmt::format(
        "timing needs at least one iteration and no negative warm-up (got "
        "{} iterations, {} warm-up)",
        Iters, Warmup));
  if (Status St = I->Ctx->makeCurrent(); !St)
    return St;
  if (Graph)
    if (Status St = I->capture(); !St)
      return St;
  auto Forward = [&] { return Graph ? enqueueGraph() : enqueue(); };
  for (int W = 0; W < Warmup; ++W)
    if (Status St = Forward(); !St)
      return St;
  if (Status St = I->S->synchronize(); !St)
    return Status::error("warming up: " + St.message());
  std::vector<Event> Events;
  for (int E = 0; E <= Iters; ++E) {
    auto Ev = Event::create(*I->D);
    if (!Ev)
      return Ev.status();
    Events.push_back(std::move(*Ev));
  }
  if (Status St = Events[0].record(*I->S); !St)
    return St;
  for (int It = 0; It < Iters; ++It) {
    if (Status St = Forward(); !St)
      return St;
    if (Status St = Events[size_t(It) + 1].record(*I->S); !St)
      return St;
  }
  if (Status St = Events.back().synchronize(); !St)
    return Status::error("timing: " + St.message());
  std::vector<float> Ms;
  for (int It = 0; It < Iters; ++It) {
    auto T = Event::elapsedMs(Events[size_t(It)], Events[size_t(It) + 1]);
    if (!T)
      return T.status();
    Ms.push_back(*T);
  }
  return Ms;
}

Expected<std::vector<std::vector<float>>> GpuModel::timeKernels(int Warmup,
                                                               int Iters) {
  if (!I->InputsSet)
    return Status::error("GpuModel::timeKernels needs inputs: call setInputs "
                         "first");
  if (Iters < 1 || Warmup < 0)
    return Status::error("timing needs at least one iteration and no "
                         "negative warm-up");
  if (Status St = I->Ctx->makeCurrent(); !St)
    return St;
  for (int W = 0; W < Warmup; ++W)
    if (Status St = I->launchAll(false); !St)
      return St;
  const size_t K = I->Launches.size();
  std::vector<Event> Events;
  for (size_t E = 0; E < K + 1; ++E) {
    auto Ev = Event::create(*I->D);
    if (!Ev)
      return Ev.status();
    Events.push_back(std::move(*Ev));
  }
  std::vector<std::vector<float>> Ms(K);
  for (int It = 0; It < Iters; ++It) {
    if (Status St = Events[0].record(*I->S); !St)
      return St;
    for (size_t L = 0; L < K; ++L) {
      Impl::Launch &Ln = I->Launches[L];
      if (Status St = Ln.kernel.launch(Ln.grid, Ln.block, Ln.smem, *I->S,
                                       Ln.argPtrs.data());
          !St)
        return Status::error(
            fmt::format("launching {}: {}", I->where(Ln), St.message()));
      if (Status St = Events[L + 1].record(*I->S); !St)
        return St;
    }
    if (Status St = Events.back().synchronize(); !St)
      return Status::error("timing: " + St.message());
    for (size_t L = 0; L < K; ++L) {
      auto T = Event::elapsedMs(Events[L], Events[L + 1]);
      if (!T)
        return T.status();
      Ms[L].push_back(*T);
    }
  }
  return Ms;
}

float ssmc::rt::medianOf(std::vector<float> Ms) {
  if (Ms.empty())
    return 0;
  std::sort(Ms.begin(), Ms.end());
  size_t N = Ms.size();
  return N % 2 ? Ms[N / 2] : 0.5f * (Ms[N / 2 - 1] + Ms[N / 2]);
}

float ssmc::rt::minimumOf(const std::vector<float> &Ms) {
  return Ms.empty() ? 0 : *std::min_element(Ms.begin(), Ms.end());
}
