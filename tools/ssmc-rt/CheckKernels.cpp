//===- CheckKernels.cpp - ssmc-rt check-kernels ---------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

namespace {

/// check-kernels' default relative tolerance by storage type: f32 GEMMs run
/// on TF32 tensor cores unless the artifact says `f32_gemm: ffma`.
double defaultKernelRtol(const Plan &p) {
  if (p.dtype == DType::F32) {
    auto it = p.metadata.find("f32_gemm");
    return it != p.metadata.end() && it->second == "ffma" ? 1e-4 : 2e-3;
  }
  return p.dtype == DType::F16 ? 5e-3 : 3e-2;
}

/// One kernel's reference: its inputs and the views of its results.
struct KernelRef {
  size_t index;
  std::shared_ptr<SafetensorsFile> file;
  KernelTensors inputs;
};

} // namespace

int cmdCheckKernels(const Options &o) {
  Session s;
  auto p = loadArtifact(o.artifact);
  if (!p)
    return fail(p.message());
  s.p = std::move(*p);
  const fs::path refs = fs::path(o.artifact) / "refs";
  std::error_code ec;
  if (!fs::is_directory(refs, ec))
    return fail(fmt::format("artifact '{}' has no kernel references ({} is "
                            "missing): {}",
                            o.artifact, refs.string(), kKernelRefsHint));
  for (const std::string &name : o.only)
    if (!s.p.findKernel(name)) {
      std::vector<std::string> names;
      for (const PlanKernel &k : s.p.kernels)
        names.push_back(k.name);
      return fail(fmt::format("--only {}: artifact '{}' has no such kernel; "
                              "it has {}",
                              name, o.artifact, fmt::join(names, ", ")));
    }

  // Everything local first: the weights, every kernel's file, every tensor
  // of the right shape.
  const fs::path weightsPath = refs / "weights.safetensors";
  if (!s.p.weights.empty() || fs::exists(weightsPath, ec)) {
    if (!fs::exists(weightsPath, ec))
      return fail(fmt::format("{} is missing: {}", weightsPath.string(), kKernelRefsHint));
    auto w = SafetensorsFile::open(weightsPath.string());
    if (!w)
      return fail(w.message());
    s.weights = *w;
  }
  std::vector<KernelRef> kernels;
  std::vector<std::string> missing, problems;
  for (size_t k = 0; k < s.p.kernels.size(); ++k) {
    const PlanKernel &pk = s.p.kernels[k];
    if (!o.only.empty() && std::find(o.only.begin(), o.only.end(), pk.name) == o.only.end())
      continue;
    const fs::path file = refs / (pk.name + ".safetensors");
    if (!fs::exists(file, ec)) {
      missing.push_back(pk.name);
      continue;
    }
    auto f = SafetensorsFile::open(file.string());
    if (!f)
      return fail(f.message());
    KernelRef r{k, *f, {}};
    for (const PlanParam &pa : pk.params) {
      if (pa.kind != PlanParam::Kind::Input && pa.kind != PlanParam::Kind::Output)
        continue;
      const bool in = pa.kind == PlanParam::Kind::Input;
      std::string name = fmt::format("{}{}", in ? "in" : "out", pa.index);
      const TensorView *v = r.file->find(name);
      if (!v) {
        problems.push_back(fmt::format("{} has no '{}' (kernel parameter "
                                       "'{}')",
                                       file.string(), name, pa.name));
        continue;
      }
      if (v->shape != pa.shape) {
        problems.push_back(fmt::format("'{}' in {} is [{}], but kernel parameter '{}' is [{}]",
                                       name, file.string(), fmt::join(v->shape, ", "), pa.name,
                                       fmt::join(pa.shape, ", ")));
        continue;
      }
      if (in) {
        auto h = FloatTensor::fromView(*v);
        if (!h) {
          problems.push_back(h.message());
          continue;
        }
        r.inputs[pa.index] = std::move(*h);
      }
    }
    kernels.push_back(std::move(r));
  }
  if (!missing.empty())
    return fail(fmt::format("{} of the {} kernels checked have no reference "
                            "in {} ({}): {}",
                            missing.size(), missing.size() + kernels.size(), refs.string(),
                            fmt::join(missing, ", "), kKernelRefsHint));
  if (!problems.empty())
    return fail(fmt::format("{}", fmt::join(problems, "; ")));

  const double rtol = o.rtol.value_or(defaultKernelRtol(s.p));
  const double atol = o.atol.value_or(1e-5);
  if (auto r = loadModel(o, s))
    return *r;
  std::string seed;
  if (s.weights) {
    auto w = s.weights->metadata().find("seed");
    if (w != s.weights->metadata().end())
      seed = ", seed " + w->second;
  }
  auto gemm = s.p.metadata.find("f32_gemm");
  std::printf("%s (%s%s) on %s (%s): %zu of %zu kernels, each alone on the "
              "reference executor's inputs (%s%s): pass when max|got - ref| "
              "<= atol + rtol * max|ref| for every result (rtol %g, atol "
              "%g)\n",
              s.p.model.c_str(), std::string(planDTypeName(s.p.dtype)).c_str(),
              s.p.dtype != DType::F32                                ? ""
              : gemm != s.p.metadata.end() && gemm->second == "ffma" ? ", FFMA GEMMs"
                                                                     : ", TF32 GEMMs",
              s.model->device().name.c_str(), s.model->device().arch().c_str(), kernels.size(),
              s.p.kernels.size(), refs.string().c_str(), seed.c_str(), rtol, atol);
  size_t width = 0;
  for (const KernelRef &r : kernels)
    width = std::max(width, s.p.kernels[r.index].name.size() + 5);
  std::vector<std::string> failed;
  double worst = -1;
  std::string worstAt;
  for (const KernelRef &r : kernels) {
    const PlanKernel &pk = s.p.kernels[r.index];
    auto got = s.model->runKernel(r.index, r.inputs);
    if (!got)
      return fail(got.message());
    bool ok = true;
    for (const auto &[Index, T] : *got) {
      std::string name = fmt::format("out{}", Index);
      Comparison c = compare(pk.name + "." + name, T, r.file->find(name), rtol, atol, int(width));
      std::printf("%s\n", c.line.c_str());
      ok &= c.ok;
      if (c.rel > worst) {
        worst = c.rel;
        worstAt = pk.name + "." + name;
      }
    }
    if (!ok)
      failed.push_back(pk.name);
  }
  std::string worstText =
      worst < 0 ? std::string()
                : fmt::format("; worst rel err {:.3e} ({}), rtol {:g}", worst, worstAt, rtol);
  if (failed.empty())
    std::printf("PASS: %zu kernels%s\n", kernels.size(), worstText.c_str());
  else
    std::printf("FAIL: %zu of %zu kernels differ from the reference (%s)%s\n", failed.size(),
                kernels.size(), fmt::format("{}", fmt::join(failed, ", ")).c_str(),
                worstText.c_str());
  return failed.empty() ? 0 : kExitError;
}

} // namespace ssmc::rtcli
