//===- Session.cpp - what ssmc-rt's commands share ------------------------===//

#include "Session.h"

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Cuda/Nvrtc.h"
#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

Expected<const Driver *> loadDriver() {
  auto D = Driver::load(); // honours $SSMC_CUDA_DRIVER
  if (!D)
    return D.status();
  return static_cast<const Driver *>(*D);
}

int fail(const std::string &Message) {
  std::fprintf(stderr, "ssmc-rt: %s\n", Message.c_str());
  return ExitError;
}

int failNoGpu(const Status &S) {
  std::fprintf(stderr,
               "ssmc-rt: %s\nssmc-rt: ssmc-rt runs artifacts on NVIDIA GPUs "
               "only; `ssmc run MODEL --device cpu` runs a model on the CPU\n",
               S.message().c_str());
  return ExitError;
}

/// whose files are not at hand (a whole model's weights are larger than
/// what a GPU machine here can be given). The weights go through a
/// safetensors file in the temporary directory, removed once mapped.
static std::optional<int> randomData(Session &S) {
  std::mt19937 Rng(0);
  auto Draw = [&](int64_t N, float Scale) {
    std::uniform_real_distribution<float> U(-Scale, Scale);
    std::vector<float> V(size_t(std::max<int64_t>(N, 0)));
    for (float &X : V)
      X = U(Rng);
    return V;
  };
  for (const PlanTensor &T : S.P.inputs)
    S.InputTensors[T.name] = HostTensor{T.shape, Draw(T.numElements(), 1.0f)};
  if (S.P.weights.empty())
    return std::nullopt;
  std::vector<std::vector<float>> Data;
  std::vector<TensorToWrite> Tensors;
  for (const PlanTensor &T : S.P.weights)
    Data.push_back(Draw(T.numElements(), 0.1f));
  for (size_t I = 0; I < S.P.weights.size(); ++I) {
    const PlanTensor &T = S.P.weights[I];
    Tensors.push_back({T.name, DType::F32, T.shape, Data[I].data(),
                       Data[I].size() * sizeof(float)});
  }
  const fs::path Path = fs::temp_directory_path() /
                        fmt::format("ssmc-rt-random-{}.safetensors", getpid());
  if (Status St = writeSafetensors(Path.string(), Tensors); !St)
    return fail(fmt::format("--random: {}", St.message()));
  auto W = SafetensorsFile::open(Path.string());
  std::error_code EC;
  fs::remove(Path, EC); // the mapping keeps the data
  if (!W)
    return fail(fmt::format("--random: {}", W.message()));
  S.Weights = *W;
  return std::nullopt;
}

/// The local part: reads and checks the artifact and the files, so that a
/// user's mistake is reported the same way on every machine.
std::optional<int> prepare(const Options &O, Session &S) {
  auto P = loadArtifact(O.artifact);
  if (!P)
    return fail(P.message());
  S.P = std::move(*P);
  if (O.random)
    return randomData(S);
  if (O.weights.empty() && !S.P.weights.empty())
    return fail(fmt::format("'{}' has {} weights: pass them with --weights "
                            "W.safetensors",
                            S.P.model, S.P.weights.size()));
  if (!O.weights.empty()) {
    auto W = SafetensorsFile::open(O.weights);
    if (!W)
      return fail(W.message());
    S.Weights = *W;
  }
  auto In = SafetensorsFile::open(O.inputs);
  if (!In)
    return fail(In.message());
  S.Inputs = *In;
  std::vector<std::string> Problems;
  for (const PlanTensor &T : S.P.inputs) {
    const TensorView *V = S.Inputs->find(T.name);
    if (!V) {
      Problems.push_back(fmt::format("input '{}' {} is not in {}", T.name,
                                     fmt::format("[{}]", fmt::join(T.shape, ", ")),
                                     O.inputs));
      continue;
    }
    if (V->shape != T.shape) {
      Problems.push_back(fmt::format(
          "input '{}' is [{}] in {}, but the artifact was compiled for [{}] "
          "(recompile with --input-shape/--batch to change that)",
          T.name, fmt::join(V->shape, ", "), O.inputs,
          fmt::join(T.shape, ", ")));
      continue;
    }
    auto H = HostTensor::fromView(*V);
    if (!H) {
      Problems.push_back(H.message());
      continue;
    }
    S.InputTensors[T.name] = std::move(*H);
  }
  if (!Problems.empty())
    return fail(fmt::format("{}", fmt::join(Problems, "; ")));
  if (!O.output.empty()) {
    fs::path Parent = fs::path(O.output).parent_path();
    std::error_code EC;
    if (!Parent.empty() && !fs::is_directory(Parent, EC))
      return fail(fmt::format("cannot write {}: directory {} does not exist",
                              O.output, Parent.string()));
  }
  return std::nullopt;
}

/// The GPU part: the driver, then compiling and loading the model.
std::optional<int> loadModel(const Options &O, Session &S) {
  auto D = loadDriver();
  if (!D)
    return failNoGpu(D.status());
  if (!O.noCache)
    S.Cache = std::make_unique<KernelCache>(O.cacheDir);
  GpuModelOptions MO;
  MO.device = O.device;
  MO.configs = O.configs;
  MO.cache = S.Cache.get();
  MO.driver = *D;
  MO.progress = !O.quiet;
  MO.allowArchMismatch = O.allowArch;
  MO.syncEachKernel = O.sync;
  auto M = GpuModel::load(S.P, O.artifact, S.Weights.get(), MO);
  if (!M)
    return fail(M.message());
  S.Model.emplace(std::move(*M));
  if (!O.quiet)
    std::fprintf(stderr, "ssmc-rt: '%s' (%s, %zu kernels) on device %d: %s "
                 "(%s)\n",
                 S.P.model.c_str(), std::string(planDTypeName(S.P.dtype)).c_str(),
                 S.P.kernels.size(), O.device, S.Model->device().name.c_str(),
                 S.Model->device().arch().c_str());
  return std::nullopt;
}

Status writeOutputs(const std::string &Path, const TensorMap &Outputs,
                    const Session &S, const Options &O, bool Graph) {
  std::vector<TensorToWrite> Tensors;
  for (const PlanOutput &Out : S.P.outputs) {
    const HostTensor &T = Outputs.at(Out.name);
    Tensors.push_back({Out.name, DType::F32, T.shape, T.data.data(),
                       T.data.size() * sizeof(float)});
  }
  return writeSafetensors(
      Path, Tensors,
      {{"model", S.P.model},
       {"artifact", O.artifact},
       {"dtype", std::string(planDTypeName(S.P.dtype))},
       {"device", S.Model->device().name},
       {"arch", S.Model->device().arch()},
       {"launch", Graph ? "cuda-graph" : "stream"},
       {"generator", "ssmc-rt"}});
}

Comparison compare(const std::string &Name, const HostTensor &Got,
                   const TensorView *Ref, double Rtol, double Atol,
                   int Width) {
  Comparison C;
  auto Shape = [](const std::vector<int64_t> &S) {
    return fmt::format("[{}]", fmt::join(S, ", "));
  };
  if (!Ref) {
    C.ok = false;
    C.line = fmt::format("  {:<{}} MISSING from the expected file", Name,
                         Width);
    return C;
  }
  if (Ref->shape != Got.shape) {
    C.ok = false;
    C.line = fmt::format("  {:<{}} shape {}, expected {}  FAIL", Name, Width,
                         Shape(Got.shape), Shape(Ref->shape));
    return C;
  }
  auto Want = SafetensorsFile::toF32(*Ref);
  if (!Want) {
    C.ok = false;
    C.line = fmt::format("  {:<{}} {}", Name, Width, Want.message());
    return C;
  }
  double MaxRef = 0, MaxAbs = 0;
  size_t Worst = 0, NonFinite = 0;
  for (size_t I = 0; I < Got.data.size(); ++I) {
    double G = Got.data[I], R = (*Want)[I];
    MaxRef = std::max(MaxRef, std::fabs(R));
    if (!std::isfinite(G) && std::isfinite(R)) {
      ++NonFinite;
      continue;
    }
    double E = std::fabs(G - R);
    if (E > MaxAbs || std::isnan(E)) {
      MaxAbs = std::isnan(E) ? MaxAbs : E;
      Worst = I;
    }
  }
  double Rel = MaxRef > 0 ? MaxAbs / MaxRef : MaxAbs;
  C.ok = NonFinite == 0 && MaxAbs <= Atol + Rtol * MaxRef;
  C.rel = NonFinite ? INFINITY : Rel;
  C.line = fmt::format(
      "  {:<{}} {:<18} max abs err {:.3e}  rel err {:.3e}{}  (worst at {}: "
      "got {:.6g}, expected {:.6g})  {}",
      Name, Width, Shape(Got.shape), MaxAbs, Rel,
      NonFinite ? fmt::format(", {} non-finite", NonFinite) : std::string(),
      Worst, Got.data.empty() ? 0.0 : double(Got.data[Worst]),
      Got.data.empty() ? 0.0 : double((*Want)[Worst]), C.ok ? "ok" : "FAIL");
  return C;
}

} // namespace ssmc::rtcli
