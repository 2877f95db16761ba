//===- Tune/Tuner.cpp - timing a plan's candidate configurations ----------===//

#include "Tune/Tuner.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

namespace ssmc::rt {
namespace {

/// Relative difference allowed between a candidate's results and the
/// default's: another tiling sums in another order.
double tolerance(DType t) { return t == DType::BF16 ? 3e-2 : t == DType::F16 ? 5e-3 : 2e-3; }

/// Why `got` may not stand in for `want`, or "" when it may: NaN where the
/// default has none (or the reverse), or a difference over the tolerance
/// relative to the largest magnitude of the default's results.
std::string compareResults(const KernelTensors &want, const KernelTensors &got, double tol) {
  for (const auto &[index, w] : want) {
    auto it = got.find(index);
    if (it == got.end() || it->second.data.size() != w.data.size())
      return fmt::format("result {} missing or of another size", index);
    double scale = 0, worst = 0;
    for (float v : w.data)
      if (std::isfinite(v))
        scale = std::max(scale, double(std::fabs(v)));
    for (size_t i = 0; i < w.data.size(); ++i) {
      const float a = w.data[i], b = it->second.data[i];
      if (std::isnan(a) != std::isnan(b))
        return fmt::format("result {} element {} is {} where the default gives {}", index, i, b, a);
      if (!std::isnan(a))
        worst = std::max(worst, double(std::fabs(a - b)));
    }
    if (worst > tol * std::max(1.0, scale))
      return fmt::format(
          "result {} differs from the default's by {:.3g} (largest magnitude {:.3g})", index, worst,
          scale);
  }
  return "";
}

/// Random inputs for a kernel alone, by group-input index.
KernelTensors kernelInputs(const PlanKernel &k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  KernelTensors inputs;
  for (const PlanParam &p : k.params)
    if (p.kind == PlanParam::Kind::Input && !inputs.count(p.index)) {
      FloatTensor t;
      t.shape = p.shape;
      int64_t n = 1;
      for (int64_t d : p.shape)
        n *= d;
      t.data.resize(size_t(n));
      for (float &v : t.data)
        v = uniform(rng);
      inputs[p.index] = std::move(t);
    }
  return inputs;
}

/// Times candidate `round` of every group that has one, in one load of the
/// plan with those configurations.
Status measureRound(const Plan &plan, std::vector<TuneGroup> &groups, size_t round,
                    const WeightSource &weights, const FloatTensorMap &inputs,
                    const GpuTuneOptions &o, std::vector<KernelTensors> &reference) {
  GpuModelOptions options;
  for (const TuneGroup &g : groups)
    for (size_t k : g.kernels)
      options.configs[plan.kernels[k].name] = g.candidates[round < g.candidates.size() ? round : 0];
  options.cache = o.cache;
  options.driver = o.driver;
  options.device = o.device;
  options.allowArchMismatch = o.allowArchMismatch;
  options.progress = false;
  auto model = GpuModel::load(plan, "the model being tuned", &weights, options);
  if (!model)
    return model.status();
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    TuneGroup &g = groups[gi];
    if (round >= g.candidates.size())
      continue;
    const size_t k = g.kernels.front();
    if (round > 0 && model->kernels()[k].resources.spillBytes > 0)
      g.rejected[round] =
          fmt::format("spills {} bytes of registers", model->kernels()[k].resources.spillBytes);
    auto results = model->runKernel(k, kernelInputs(plan.kernels[k], o.seed + k));
    if (!results)
      return results.status();
    if (round == 0)
      reference[gi] = std::move(*results);
    else if (std::string why = compareResults(reference[gi], *results, tolerance(plan.dtype));
             !why.empty())
      g.rejected[round] = why;
  }
  if (Status s = model->setInputs(inputs); !s) // runKernel left the arena as garbage
    return s;
  auto ms = model->timeKernels(o.warmup, o.iters);
  if (!ms)
    return ms.status();
  for (TuneGroup &g : groups) {
    if (round >= g.candidates.size())
      continue;
    double sum = 0; // the mean of the group's kernels' medians
    for (size_t k : g.kernels)
      sum += medianOf((*ms)[k]);
    g.us[round] = 1000 * sum / double(g.kernels.size());
  }
  return Status::success();
}

} // namespace

std::vector<TuneGroup> groupKernels(const Plan &plan,
                                    const std::function<std::vector<int64_t>(size_t)> &choose) {
  std::vector<TuneGroup> groups;
  std::map<std::string, size_t> groupOf;
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    const std::string sig = kernelSignature(plan.kernels[k]);
    auto [it, fresh] = groupOf.try_emplace(sig, groups.size());
    if (fresh) {
      TuneGroup g;
      g.signature = sig;
      g.candidates = choose(k);
      const int64_t def = plan.kernels[k].defaultConfig;
      g.candidates.erase(std::remove(g.candidates.begin(), g.candidates.end(), def),
                         g.candidates.end());
      g.candidates.insert(g.candidates.begin(), def);
      g.us.assign(g.candidates.size(), std::nan(""));
      g.rejected.assign(g.candidates.size(), "");
      groups.push_back(std::move(g));
    }
    groups[it->second].kernels.push_back(k);
  }
  return groups;
}

std::vector<int64_t> firstConfigurations(const PlanKernel &kernel, size_t top) {
  std::vector<int64_t> out{kernel.defaultConfig};
  for (int64_t c = 0; c < int64_t(kernel.configs.size()) && out.size() < top; ++c)
    if (c != kernel.defaultConfig)
      out.push_back(c);
  return out;
}

Expected<size_t> dropTuned(std::vector<TuneGroup> &groups, const TuningDb &db,
                           const TuningDevice &device, bool measured) {
  std::vector<TuneGroup> todo;
  size_t dropped = 0;
  for (TuneGroup &g : groups) {
    auto rows = db.ranked(device, g.signature);
    if (!rows)
      return rows.status();
    if (std::any_of(rows->begin(), rows->end(),
                    [&](const TuningEntry &e) { return e.measured == measured; }))
      ++dropped;
    else
      todo.push_back(std::move(g));
  }
  groups = std::move(todo);
  return dropped;
}

size_t bestOf(const TuneGroup &g) {
  size_t best = 0;
  for (size_t i = 1; i < g.candidates.size(); ++i)
    if (!std::isnan(g.us[i]) && g.rejected[i].empty() && g.us[i] < g.us[best])
      best = i;
  return best;
}

std::vector<TuningEntry> entriesOf(const TuneGroup &g, const PlanKernel &kernel, bool measured) {
  std::vector<TuningEntry> out;
  if (std::isnan(g.us[0]))
    return out;
  for (size_t i = 0; i < g.candidates.size(); ++i)
    if (!std::isnan(g.us[i]) && g.rejected[i].empty())
      out.push_back({g.signature, kernel.name, kernel.configs[size_t(g.candidates[i])].tunables,
                     g.us[0], g.us[i], measured});
  return out;
}

Expected<size_t> tuneOnGpu(const Plan &plan, std::vector<TuneGroup> &groups,
                           const WeightSource &weights, const FloatTensorMap &inputs, TuningDb &db,
                           const TuningDevice &device, const GpuTuneOptions &o) {
  std::vector<KernelTensors> reference(groups.size());
  size_t rounds = 0;
  for (const TuneGroup &g : groups)
    rounds = std::max(rounds, g.candidates.size());
  size_t done = 0;
  for (size_t r = 0; r < rounds; ++r) {
    if (o.stop && o.stop())
      break;
    if (Status s = measureRound(plan, groups, r, weights, inputs, o, reference); !s.ok()) {
      if (r == 0)
        return Status::error(
            fmt::format("the default configurations could not be timed: {}", s.message()));
      for (TuneGroup &g : groups)
        if (r < g.candidates.size())
          g.rejected[r] = s.message();
      if (o.roundFailed)
        o.roundFailed(r, s.message());
      continue;
    }
    std::vector<TuningEntry> entries;
    for (const TuneGroup &g : groups)
      for (TuningEntry &e : entriesOf(g, plan.kernels[g.kernels.front()], true))
        entries.push_back(std::move(e));
    if (Status s = db.record(device, entries); !s.ok())
      return s;
    done = r + 1;
    if (o.roundDone)
      o.roundDone(r + 1, rounds);
  }
  return done;
}

} // namespace ssmc::rt
