//===- TuneModel.cpp - `ssmc tune MODEL`: the best configuration per kernel ===//
//
// Tuning in two stages. The first ranks every configuration of every
// distinct kernel (kernels with one signature are tuned once) without
// compiling anything, by the tile estimate (perf::estimateFromTiles: the
// launch's occupancy and waves, the IR's work, and the traffic the tiling
// implies). On a GPU the candidates are the default, the emitter's first
// choices for half of them and the best by the estimate for the rest.
// Under --model-only, the estimate also screens: a kernel is traced only
// when the estimate puts another configuration 5% below the default, and
// only those configurations are (--trace-all: every kernel, chosen as on
// a GPU), because a trace costs seconds of CPU a candidate.
// The second stage times the candidates: with the performance model (NVRTC
// for the registers and SASS, the generated code run on the CPU to count
// its traffic) under --model-only, else on the GPU present (CUDA events
// around each kernel inside whole forwards, each candidate's results
// checked against the default's before it may win). Every timing goes into
// the tuning database as it is found, so a budget that runs out or a
// Ctrl-C keeps what was timed.
//
//===----------------------------------------------------------------------===//

#include "Tune.h"

#include "Artifact.h"
#include "Binding.h"
#include "GpuRun.h"
#include "PerfReport.h"
#include "Session.h"

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Exec/CompilePlan.h"
#include "Exec/Executor.h"
#include "GpuTarget.h"
#include "Report.h"
#include "Tune/Tuner.h"
#include "Tune/TuningDb.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <thread>
#include <tuple>

namespace ssmc::cli {
namespace {

int fail(const std::string &message, int code = 1) {
  std::fprintf(stderr, "ssmc: error: %s\n", message.c_str());
  return code;
}

std::atomic<bool> interrupted{false};
extern "C" void onInterrupt(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL); // a second Ctrl-C ends the process at once
}

/// Every configuration of `k` with its perf::estimateFromTiles time (us),
/// best first. Among equal estimates (the limiting term does not depend on
/// the tiling), more warps, then more bytes in flight a block, come first:
/// they hide latency, which the estimate only bounds. Then the emitter's
/// order.
std::vector<std::pair<double, int64_t>>
rankByEstimate(const rt::PlanKernel &k, const perf::KernelCost &cost, const perf::GpuTarget &gpu,
               const perf::MathMode &math, rt::DType dtype) {
  struct Rank {
    int64_t ns; // the estimate, to a nanosecond, so that equal means equal
    int64_t threads;
    double inFlight;
    double us;
    int64_t config;
  };
  std::vector<Rank> ranks;
  for (int64_t c = 0; c < int64_t(k.configs.size()); ++c) {
    const rt::PlanConfig &pc = k.configs[size_t(c)];
    perf::LaunchShape launch;
    launch.blocks = uint64_t(pc.grid[0] * pc.grid[1] * pc.grid[2]);
    launch.threads = int(pc.block[0] * pc.block[1] * pc.block[2]);
    launch.smemBytes = pc.smemBytes;
    const perf::TileTraffic tiles = perf::tileTraffic(k, pc, cost, dtype);
    const double us = perf::estimateFromTiles(gpu, cost, math, launch, tiles).seconds * 1e6;
    ranks.push_back({std::isfinite(us) ? std::llround(us * 1e3) : INT64_MAX, launch.threads,
                     tiles.bytesInFlight, us, c});
  }
  std::stable_sort(ranks.begin(), ranks.end(), [](const Rank &a, const Rank &b) {
    return std::tie(a.ns, b.threads, b.inFlight) < std::tie(b.ns, a.threads, a.inFlight);
  });
  std::vector<std::pair<double, int64_t>> out;
  for (const Rank &r : ranks)
    out.emplace_back(r.us, r.config);
  return out;
}

/// The default, then the emitter's first choices for half of `top`, then
/// the best of the rest by the tile estimate (the emitter's order without
/// a modeled GPU).
std::vector<int64_t> chooseCandidates(const rt::PlanKernel &k, const perf::KernelCost &cost,
                                      const perf::GpuTarget *gpu, const perf::MathMode &math,
                                      rt::DType dtype, size_t top) {
  std::vector<int64_t> out{k.defaultConfig};
  auto add = [&](int64_t c) {
    if (out.size() < top && std::find(out.begin(), out.end(), c) == out.end())
      out.push_back(c);
  };
  const int64_t n = int64_t(k.configs.size());
  for (int64_t c = 0; c < n && out.size() < (top + 1) / 2; ++c)
    add(c);
  if (gpu)
    for (const auto &[us, c] : rankByEstimate(k, cost, *gpu, math, dtype))
      add(c);
  for (int64_t c = 0; c < n; ++c)
    add(c);
  return out;
}

/// How far below the default the tile estimate must put a configuration
/// for --model-only to trace it (without --trace-all). The estimate ranks
/// tilings well but misses what only a trace sees (coalescing, bank
/// conflicts, the SASS), so a small predicted gain is not worth a trace.
constexpr double kScreenMargin = 0.05;

/// Candidates per kernel under the screen when --top is not given.
constexpr size_t kScreenTop = 2;

/// --model-only's screen: the default, then, in rankByEstimate's order, up
/// to `top` - 1 configurations the tile estimate puts kScreenMargin below
/// it; the default alone when none is.
std::vector<int64_t> screenCandidates(const rt::PlanKernel &k, const perf::KernelCost &cost,
                                      const perf::GpuTarget &gpu, const perf::MathMode &math,
                                      rt::DType dtype, size_t top) {
  const auto ranked = rankByEstimate(k, cost, gpu, math, dtype);
  const auto byDefault = std::find_if(ranked.begin(), ranked.end(),
                                      [&](const auto &r) { return r.second == k.defaultConfig; });
  const double limit = byDefault->first * (1 - kScreenMargin);
  std::vector<int64_t> out{k.defaultConfig};
  for (const auto &[us, c] : ranked)
    if (out.size() < top && c != k.defaultConfig && us < limit)
      out.push_back(c);
  return out;
}

std::string configOf(const rt::PlanKernel &k, int64_t c) {
  return fmt::format("{} ({})", c, rt::configText(k.configs[size_t(c)].tunables));
}

/// Times every candidate of the groups in `batch` with the performance
/// model, its traffic sampled lightly unless `fullTrace` (the performance
/// report's sampling). One report for the whole batch keeps every core busy
/// through its compiles, host builds, disassemblies and traces.
rt::Status modelGroups(const std::vector<rt::TuneGroup *> &batch, const CompiledModel &model,
                       const std::vector<perf::KernelCost> &costs, const perf::GpuTarget &gpu,
                       const perf::MathMode &math, int64_t batchSize, rt::KernelCache &cache,
                       bool fullTrace) {
  rt::Plan trial = model.plan;
  trial.kernels.clear();
  std::vector<int64_t> configs;
  std::vector<perf::KernelInput> inputs;
  std::vector<std::pair<rt::TuneGroup *, size_t>> slots; // per trial kernel: group, candidate
  for (rt::TuneGroup *g : batch) {
    const rt::PlanKernel &k = model.plan.kernels[g->kernels.front()];
    const std::string code = rt::canonicalSource({k.name, k.entry, k.source});
    for (size_t ci = 0; ci < g->candidates.size(); ++ci) {
      const int64_t c = g->candidates[ci];
      slots.emplace_back(g, ci);
      trial.kernels.push_back(k);
      trial.kernels.back().defaultConfig = c;
      configs.push_back(c);
      perf::KernelInput in;
      in.cost = costs[g->kernels.front()];
      in.codeKey = code + fmt::format("|config {}", c);
      inputs.push_back(std::move(in));
    }
  }
  auto compiled = rt::compilePlan(trial, configs, trial.arch, &cache, 0);
  if (!compiled)
    return compiled.status();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto [g, ci] = slots[i];
    const rt::CompiledKernel &ck = compiled->distinct[compiled->distinctOf[i]];
    inputs[i].registers = std::max(0, ck.resources.registers);
    inputs[i].staticSmem = ck.resources.smemBytes;
    inputs[i].cubin = ck.cubin;
    if (ck.resources.spillBytes > 0 && ci > 0)
      g->rejected[ci] = fmt::format("spills {} bytes of registers", ck.resources.spillBytes);
  }
  perf::ReportOptions options;
  if (!fullTrace) {
    // About 8x fewer accesses recorded than the performance report's
    // sampling: mambaout_tiny's model-only tune 219 s -> 88 s on 2 cores,
    // with the same winner for 23 of its 24 distinct kernels.
    options.sampling.fullRecords = 4'000'000;
    options.sampling.statsRecords = 2'000'000;
    options.sampling.windowRecords = 2'000'000;
    options.sampling.warmupRecords = 6'000'000;
    options.sampling.windows = 3;
  }
  options.gpu = &gpu;
  options.model = model.plan.model;
  options.dtype = model.dtype();
  options.batch = batchSize;
  options.math = math;
  auto report = perf::buildReport(trial, inputs, options);
  if (!report)
    return report.status();
  for (size_t i = 0; i < inputs.size(); ++i) {
    const auto [g, ci] = slots[i];
    if (!report->kernels[i].modeled)
      return rt::Status::error(
          fmt::format("model-only tuning counts each candidate's traffic on the CPU, which "
                      "cannot be done here: {}",
                      report->notes.empty() ? "no trace" : report->notes.front()));
    g->us[ci] = report->kernels[i].modeled->seconds * 1e6;
  }
  return rt::Status::success();
}

} // namespace

int tuneModel(const Options &o) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  if (!rt::TuningDb::available())
    return fail("this ssmc was built without SQLite, so it has no tuning database: install "
                "libsqlite3-dev (scripts/setup.sh) and reconfigure");
  if (!o.modelOnly && !o.gpu.empty())
    return fail("--gpu names the GPU --model-only models; on the GPU present drop --gpu", 2);
  if (!o.modelOnly && o.fullTrace)
    return fail("--full-trace is how --model-only samples the traffic it models: add "
                "--model-only, or drop --full-trace on the GPU present",
                2);
  if (!o.modelOnly && o.traceAll)
    return fail("--trace-all is which kernels --model-only traces: add --model-only, or drop "
                "--trace-all on the GPU present (which times every kernel's candidates)",
                2);

  // The target: the modeled GPU, or the GPU present.
  Options target = o;
  std::optional<perf::GpuTarget> gpu;
  const rt::Driver *driver = nullptr;
  rt::TuningDevice device;
  if (o.modelOnly) {
    const perf::GpuTarget *t = perf::findGpuTarget(o.gpu.empty() ? "h100" : o.gpu);
    if (!t)
      return fail(fmt::format("--gpu '{}' is not a GPU ssmc models: use one of {}", o.gpu,
                              perf::gpuTargetNames()),
                  2);
    gpu = *t;
    if (!o.arch.empty() && o.arch != t->arch)
      return fail(fmt::format("--arch {} does not match --gpu {} ({}): drop --arch", o.arch,
                              t->name, t->arch),
                  2);
    target.arch = std::string(t->arch);
    target.sms = t->sms;
    device = {std::string(t->description), target.arch, t->sms, 0, 0};
  } else {
    auto d = rt::Driver::load();
    auto info = d ? (*d)->queryDevice(0) : rt::Expected<rt::DeviceInfo>(d.status());
    if (!info)
      return fail(fmt::format("tuning times the kernels on a GPU, and there is none here ({}); "
                              "add --model-only to record the performance model's choices",
                              info.message()));
    driver = *d;
    target.arch = info->arch();
    if (rt::Status s = checkArch(target.arch); !s.ok())
      return fail(fmt::format("the GPU '{}' is {}: {}", info->name, target.arch, s.message()));
    // --arch sm_90a on an sm_90 GPU: the candidates include wgmma GEMMs.
    if (o.arch == target.arch + "a")
      target.arch = o.arch;
    target.sms = info->smCount;
    // The first stage ranks for the modeled GPU of the present one's arch.
    gpu = modeledTargetFor(target.arch, info->smCount);
    device = tuningDevice(info->arch(), info->smCount);
  }

  std::map<std::string, shape::Shape> shapes(o.inputShapes.begin(), o.inputShapes.end());
  auto built = buildModel(target, shapes);
  if (!built)
    return fail(built.message());
  if (rt::Status s = lowerModel(*built, target); !s.ok())
    return fail(s.message());
  auto model = generateModel(*built->module, target);
  if (!model)
    return fail(model.message());
  const std::vector<perf::KernelCost> costs = kernelCosts(*built->module);
  if (costs.size() != model->plan.kernels.size())
    return fail("the plan's kernels and the module's kernel groups disagree");
  perf::MathMode math;
  math.matmul = model->plan.dtype != rt::DType::F32 ? "tensor16"
                : o.f32Gemm == "ffma"               ? "ffma"
                                                    : "tf32";

  const bool screen = o.modelOnly && !o.traceAll;
  // Under the screen, the default and the best alternative unless --top
  // says otherwise: on 2 cores that keeps a first tune of mambaout_tiny or
  // vim_tiny within 10 s, with most of what 4 candidates find.
  const bool topGiven = std::find(o.given.begin(), o.given.end(), "--top") != o.given.end();
  const size_t top = screen && !topGiven ? kScreenTop : size_t(o.top);
  std::vector<rt::TuneGroup> groups = rt::groupKernels(model->plan, [&](size_t k) {
    if (screen)
      return screenCandidates(model->plan.kernels[k], costs[k], *gpu, math, model->plan.dtype, top);
    return chooseCandidates(model->plan.kernels[k], costs[k], gpu ? &*gpu : nullptr, math,
                            model->plan.dtype, top);
  });
  // Kernels the screen left with their default alone are not traced: the
  // model's choice is the default, and the database is not told (a later
  // --trace-all still traces them).
  size_t screenedOut = 0;
  if (screen) {
    const size_t before = groups.size();
    std::erase_if(groups, [](const rt::TuneGroup &g) { return g.candidates.size() < 2; });
    screenedOut = before - groups.size();
  }

  auto db = openTuningDb(o);
  if (!db)
    return fail(db.message());
  const std::string path = db->path();

  // Kernels this device already has timings of this kind for are done
  // (a budget or a Ctrl-C stopped an earlier run after them) unless --retune.
  size_t alreadyTuned = 0;
  if (!o.retune) {
    auto dropped = rt::dropTuned(groups, *db, device, !o.modelOnly);
    if (!dropped)
      return fail(dropped.message());
    alreadyTuned = *dropped;
  }
  size_t candidates = 0;
  for (const rt::TuneGroup &g : groups)
    candidates += g.candidates.size();
  const rt::Plan &plan = model->plan;
  const int64_t batch = o.batch.value_or(
      plan.inputs.empty() || plan.inputs[0].shape.empty() ? 1 : plan.inputs[0].shape[0]);
  if (!o.quiet) {
    std::fprintf(stderr,
                 "ssmc: tuning %s (%s, batch %lld) for %s (%s, %lld SMs): %zu kernels, %zu "
                 "distinct to tune, %zu candidate configurations, %s\n",
                 plan.model.c_str(), model->dtype().c_str(), (long long)batch, device.gpu.c_str(),
                 device.arch.c_str(), (long long)device.sms, plan.kernels.size(),
                 groups.size() + screenedOut, candidates,
                 o.modelOnly ? "modeled (performance report)" : "timed on the GPU");
    if (screenedOut)
      std::fprintf(stderr,
                   "ssmc: %zu distinct kernels keep their default configuration: the tile "
                   "estimate puts no other %.0f%% below it (not traced; --trace-all traces "
                   "them)\n",
                   screenedOut, kScreenMargin * 100);
    if (alreadyTuned)
      std::fprintf(stderr,
                   "ssmc: %zu distinct kernels already tuned in %s are skipped "
                   "(--retune times them again)\n",
                   alreadyTuned, path.c_str());
  }
  interrupted = false;
  std::signal(SIGINT, onInterrupt);
  struct RestoreSignal {
    ~RestoreSignal() { std::signal(SIGINT, SIG_DFL); }
  } restore;
  auto outOfTime = [&] {
    return interrupted || (o.budgetSeconds > 0 && elapsed() > o.budgetSeconds);
  };
  auto timeLeft = [&] {
    return o.budgetSeconds > 0 ? fmt::format(", {:.0f} s of the budget left",
                                             std::max(0.0, o.budgetSeconds - elapsed()))
                               : std::string();
  };
  auto progress = [&](size_t gi) {
    const rt::TuneGroup &g = groups[gi];
    const rt::PlanKernel &k = model->plan.kernels[g.kernels.front()];
    size_t timed = 0;
    for (double us : g.us)
      timed += !std::isnan(us);
    const size_t best = rt::bestOf(g);
    std::fprintf(stderr,
                 "  [%zu/%zu] %s%s: %zu/%zu candidates, best %.2f us with configuration %s, "
                 "default %.2f us%s\n",
                 gi + 1, groups.size(), k.name.c_str(),
                 g.kernels.size() > 1 ? fmt::format(" (x{})", g.kernels.size()).c_str() : "", timed,
                 g.candidates.size(), g.us[best], configOf(k, g.candidates[best]).c_str(), g.us[0],
                 timeLeft().c_str());
  };

  if (groups.empty()) {
    if (alreadyTuned)
      fmt::print("{}: every distinct kernel {}is tuned already in {} (--retune times them "
                 "again)\n",
                 plan.model, screenedOut ? "the tile estimate leaves " : "", path);
    else
      fmt::print("{}: every distinct kernel keeps its default configuration by the tile "
                 "estimate; nothing recorded in {} (--trace-all traces them)\n",
                 plan.model, path);
    return 0;
  }
  rt::KernelCache cache;
  std::string stopped;
  if (o.modelOnly) {
    // Groups go in batches of about eight candidates a core, so that the
    // cores stay busy; the budget, Ctrl-C and the database see each batch.
    const size_t perChunk = 8 * std::max(1u, std::thread::hardware_concurrency());
    for (size_t first = 0; first < groups.size();) {
      if (outOfTime()) {
        stopped = interrupted ? "interrupted" : "out of budget";
        break;
      }
      std::vector<rt::TuneGroup *> chunk;
      size_t chunkCandidates = 0;
      size_t end = first;
      for (; end < groups.size() && (chunk.empty() || chunkCandidates < perChunk); ++end) {
        chunk.push_back(&groups[end]);
        chunkCandidates += groups[end].candidates.size();
      }
      if (rt::Status s = modelGroups(chunk, *model, costs, *gpu, math, batch, cache, o.fullTrace);
          !s.ok()) {
        if (interrupted) {
          stopped = "interrupted";
          break;
        }
        return fail(s.message());
      }
      for (size_t gi = first; gi < end; ++gi) {
        rt::TuneGroup &g = groups[gi];
        if (rt::Status s =
                db->record(device, rt::entriesOf(g, model->plan.kernels[g.kernels.front()], false));
            !s.ok())
          return fail(s.message());
        if (!o.quiet)
          progress(gi);
      }
      first = end;
    }
  } else {
    const interp::TensorMap weights = randomWeights(built->params, o.seed);
    std::vector<rt::TensorView> views;
    for (const auto &[name, t] : weights)
      views.push_back({name, rt::DType::F32, t.shape, reinterpret_cast<const std::byte *>(t.data),
                       size_t(t.numElements()) * sizeof(float)});
    const rt::WeightSource source = rt::WeightSource::of("random weights", views);
    rt::FloatTensorMap inputs;
    for (const auto &[name, t] : randomInputs(built->inputs, o.seed))
      inputs[name] = {t.shape, std::vector<float>(t.data, t.data + t.numElements())};
    rt::GpuTuneOptions options;
    options.driver = driver;
    options.cache = &cache;
    options.seed = o.seed;
    options.stop = outOfTime;
    options.roundDone = [&](size_t done, size_t rounds) {
      if (!o.quiet)
        std::fprintf(stderr, "  candidate round %zu/%zu done in %.1f s%s\n", done, rounds,
                     elapsed(), timeLeft().c_str());
    };
    options.roundFailed = [&](size_t round, const std::string &why) {
      std::fprintf(stderr, "ssmc: warning: candidate round %zu skipped: %s\n", round + 1,
                   why.c_str());
    };
    auto rounds = rt::tuneOnGpu(plan, groups, source, inputs, *db, device, options);
    if (!rounds)
      return fail(rounds.message());
    size_t total = 0;
    for (const rt::TuneGroup &g : groups)
      total = std::max(total, g.candidates.size());
    if (*rounds < total)
      stopped = interrupted ? "interrupted" : "out of budget";
    if (!o.quiet)
      for (size_t gi = 0; gi < groups.size(); ++gi)
        if (!std::isnan(groups[gi].us[0]))
          progress(gi);
  }

  // What changed, kernel by kernel, and for the whole forward.
  double before = 0, after = 0;
  size_t improved = 0;
  for (const rt::TuneGroup &g : groups) {
    if (std::isnan(g.us[0]))
      continue;
    const size_t best = rt::bestOf(g);
    before += g.us[0] * double(g.kernels.size());
    after += g.us[best] * double(g.kernels.size());
    improved += best != 0;
    for (size_t i = 1; i < g.candidates.size(); ++i)
      if (!g.rejected[i].empty() && !o.quiet)
        std::fprintf(stderr, "ssmc: note: %s: configuration %s may not win: %s\n",
                     model->plan.kernels[g.kernels.front()].name.c_str(),
                     configOf(model->plan.kernels[g.kernels.front()], g.candidates[i]).c_str(),
                     g.rejected[i].c_str());
  }
  fmt::print("{}: {} of {} distinct kernels improved{}; sum of the kernels {:.2f} us -> {:.2f} us "
             "({:.2f}x, {}) in {:.1f} s; recorded in {}\n",
             model->plan.model, improved, groups.size(),
             screenedOut
                 ? fmt::format(" ({} more kept their defaults by the tile estimate)", screenedOut)
                 : std::string(),
             before, after, after > 0 ? before / after : 1.0, o.modelOnly ? "modeled" : "measured",
             elapsed(), path);
  std::fflush(stdout); // before what stderr says next
  if (!stopped.empty()) {
    std::fprintf(stderr,
                 "ssmc: %s: what was timed is kept; run `ssmc tune` again to time the "
                 "rest\n",
                 stopped.c_str());
    return interrupted ? 130 : 0;
  }
  return 0;
}

} // namespace ssmc::cli
