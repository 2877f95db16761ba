//===- CheckKernels.cpp - ssmc-rt check-kernels ---------------------------===//

#include "Commands.h"
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

namespace {

/// check-kernels' default relative tolerance by storage type: f32 GEMMs run
/// on TF32 tensor cores unless the artifact says `f32_gemm: ffma`.
double defaultKernelRtol(const Plan &P) {
  if (P.dtype == DType::F32) {
    auto It = P.metadata.find("f32_gemm");
    return It != P.metadata.end() && It->second == "ffma" ? 1e-4 : 2e-3;
  }
  return P.dtype == DType::F16 ? 5e-3 : 3e-2;
}

/// One kernel's reference: its inputs and the views of its results.
struct KernelRef {
  size_t index;
  std::shared_ptr<SafetensorsFile> file;
  KernelTensors inputs;
};

} // namespace

int cmdCheckKernels(const Options &O) {
  Session S;
  auto P = loadArtifact(O.artifact);
  if (!P)
    return fail(P.message());
  S.P = std::move(*P);
  const fs::path Refs = fs::path(O.artifact) / "refs";
  std::error_code EC;
  if (!fs::is_directory(Refs, EC))
    return fail(fmt::format("artifact '{}' has no kernel references ({} is "
                            "missing): {}",
                            O.artifact, Refs.string(), KernelRefsHint));
  for (const std::string &Name : O.only)
    if (!S.P.findKernel(Name)) {
      std::vector<std::string> Names;
      for (const PlanKernel &K : S.P.kernels)
        Names.push_back(K.name);
      return fail(fmt::format("--only {}: artifact '{}' has no such kernel; "
                              "it has {}",
                              Name, O.artifact, fmt::join(Names, ", ")));
    }

  // Everything local first: the weights, every kernel's file, every tensor
  // of the right shape.
  const fs::path WeightsPath = Refs / "weights.safetensors";
  if (!S.P.weights.empty() || fs::exists(WeightsPath, EC)) {
    if (!fs::exists(WeightsPath, EC))
      return fail(fmt::format("{} is missing: {}", WeightsPath.string(),
                              KernelRefsHint));
    auto W = SafetensorsFile::open(WeightsPath.string());
    if (!W)
      return fail(W.message());
    S.Weights = *W;
  }
  std::vector<KernelRef> Kernels;
  std::vector<std::string> Missing, Problems;
  for (size_t K = 0; K < S.P.kernels.size(); ++K) {
    const PlanKernel &PK = S.P.kernels[K];
    if (!O.only.empty() &&
        std::find(O.only.begin(), O.only.end(), PK.name) == O.only.end())
      continue;
    const fs::path File = Refs / (PK.name + ".safetensors");
    if (!fs::exists(File, EC)) {
      Missing.push_back(PK.name);
      continue;
    }
    auto F = SafetensorsFile::open(File.string());
    if (!F)
      return fail(F.message());
    KernelRef R{K, *F, {}};
    for (const PlanParam &Pa : PK.params) {
      if (Pa.kind != PlanParam::Kind::Input &&
          Pa.kind != PlanParam::Kind::Output)
        continue;
      const bool In = Pa.kind == PlanParam::Kind::Input;
      std::string Name = fmt::format("{}{}", In ? "in" : "out", Pa.index);
      const TensorView *V = R.file->find(Name);
      if (!V) {
        Problems.push_back(fmt::format("{} has no '{}' (kernel parameter "
                                       "'{}')",
                                       File.string(), Name, Pa.name));
        continue;
      }
      if (V->shape != Pa.shape) {
        Problems.push_back(fmt::format(
            "'{}' in {} is [{}], but kernel parameter '{}' is [{}]", Name,
            File.string(), fmt::join(V->shape, ", "), Pa.name,
            fmt::join(Pa.shape, ", ")));
        continue;
      }
      if (In) {
        auto H = HostTensor::fromView(*V);
        if (!H) {
          Problems.push_back(H.message());
          continue;
        }
        R.inputs[Pa.index] = std::move(*H);
      }
    }
    Kernels.push_back(std::move(R));
  }
  if (!Missing.empty())
    return fail(fmt::format("{} of the {} kernels checked have no reference "
                            "in {} ({}): {}",
                            Missing.size(), Missing.size() + Kernels.size(),
                            Refs.string(), fmt::join(Missing, ", "),
                            KernelRefsHint));
  if (!Problems.empty())
    return fail(fmt::format("{}", fmt::join(Problems, "; ")));

  const double Rtol = O.rtol.value_or(defaultKernelRtol(S.P));
  const double Atol = O.atol.value_or(1e-5);
  if (auto R = loadModel(O, S))
    return *R;
  std::string Seed;
  if (S.Weights) {
    auto W = S.Weights->metadata().find("seed");
    if (W != S.Weights->metadata().end())
      Seed = ", seed " + W->second;
  }
  auto Gemm = S.P.metadata.find("f32_gemm");
  std::printf("%s (%s%s) on %s (%s): %zu of %zu kernels, each alone on the "
              "reference executor's inputs (%s%s): pass when max|got - ref| "
              "<= atol + rtol * max|ref| for every result (rtol %g, atol "
              "%g)\n",
              S.P.model.c_str(), std::string(planDTypeName(S.P.dtype)).c_str(),
              S.P.dtype != DType::F32 ? ""
              : Gemm != S.P.metadata.end() && Gemm->second == "ffma"
                  ? ", FFMA GEMMs"
                  : ", TF32 GEMMs",
              S.Model->device().name.c_str(), S.Model->device().arch().c_str(),
              Kernels.size(), S.P.kernels.size(), Refs.string().c_str(),
              Seed.c_str(), Rtol, Atol);
  size_t Width = 0;
  for (const KernelRef &R : Kernels)
    Width = std::max(Width, S.P.kernels[R.index].name.size() + 5);
  std::vector<std::string> Failed;
  double Worst = -1;
  std::string WorstAt;
  for (const KernelRef &R : Kernels) {
    const PlanKernel &PK = S.P.kernels[R.index];
    auto Got = S.Model->runKernel(R.index, R.inputs);
    if (!Got)
      return fail(Got.message());
    bool Ok = true;
    for (const auto &[Index, T] : *Got) {
      std::string Name = fmt::format("out{}", Index);
      Comparison C = compare(PK.name + "." + Name, T, R.file->find(Name), Rtol,
                             Atol, int(Width));
      std::printf("%s\n", C.line.c_str());
      Ok &= C.ok;
      if (C.rel > Worst) {
        Worst = C.rel;
        WorstAt = PK.name + "." + Name;
      }
    }
    if (!Ok)
      Failed.push_back(PK.name);
  }
  std::string WorstText =
      Worst < 0 ? std::string()
                : fmt::format("; worst rel err {:.3e} ({}), rtol {:g}", Worst,
                              WorstAt, Rtol);
  if (Failed.empty())
    std::printf("PASS: %zu kernels%s\n", Kernels.size(), WorstText.c_str());
  else
    std::printf("FAIL: %zu of %zu kernels differ from the reference (%s)%s\n",
                Failed.size(), Kernels.size(),
                fmt::format("{}", fmt::join(Failed, ", ")).c_str(),
                WorstText.c_str());
  return Failed.empty() ? 0 : ExitError;
}

} // namespace ssmc::rtcli
