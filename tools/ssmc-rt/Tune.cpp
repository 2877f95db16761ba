//===- Tune.cpp - ssmc-rt tune --------------------------------------------===//
//
// Tuning on a GPU machine that has no LLVM: each distinct kernel of an
// artifact, its first K configurations (the default, then the emitter's
// next choices: an artifact carries no performance model), timed by the
// runtime's tuner (Tune/Tuner.h) on random weights and inputs, and recorded
// in the tuning database, which run, bench and check then use.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Cuda/KernelCache.h"
#include "Tune/Tuner.h"

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>

using namespace ssmc::rt;

namespace ssmc::rtcli {
namespace {
std::atomic<bool> interrupted{false};
extern "C" void onInterrupt(int) {
  interrupted = true;
  std::signal(SIGINT, SIG_DFL); // a second Ctrl-C ends the process at once
}
} // namespace

int cmdTune(const Options &options) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Options o = options;
  o.random = true; // timings do not depend on the values
  if (!TuningDb::available())
    return fail("this ssmc-rt was built without SQLite, so it has no tuning database: install "
                "libsqlite3-dev and rebuild");
  Session s;
  if (auto r = prepare(o, s))
    return *r;
  auto driver = loadDriver();
  if (!driver)
    return failNoGpu(driver.status());
  auto info = (*driver)->queryDevice(o.device);
  if (!info)
    return failNoGpu(info.status());
  if (info->arch() != s.p.arch && !o.allowArch)
    return fail(fmt::format("'{}' was compiled for {}, but device {} ({}) is {}: recompile it "
                            "with `ssmc compile MODEL --arch {} -o DIR`",
                            o.artifact, s.p.arch, o.device, info->name, info->arch(),
                            info->arch()));
  const TuningDevice device = measuredDevice(*info);
  const std::string path = o.db.empty() ? TuningDb::defaultPath() : o.db;
  if (path.empty())
    return fail("no place for the tuning database: set HOME or XDG_CACHE_HOME, or give --db PATH");
  std::string notice;
  auto db = TuningDb::open(path, &notice);
  if (!db)
    return fail(db.message());
  if (!notice.empty())
    std::fprintf(stderr, "ssmc-rt: warning: %s\n", notice.c_str());

  std::vector<TuneGroup> groups = groupKernels(
      s.p, [&](size_t k) { return firstConfigurations(s.p.kernels[k], size_t(o.top)); });
  size_t already = 0;
  if (!o.retune) {
    auto dropped = dropTuned(groups, *db, device, true);
    if (!dropped)
      return fail(dropped.message());
    already = *dropped;
  }
  if (!o.quiet) {
    size_t candidates = 0;
    for (const TuneGroup &g : groups)
      candidates += g.candidates.size();
    std::fprintf(stderr,
                 "ssmc-rt: tuning '%s' on %s (%s, %d SMs): %zu kernels, %zu distinct to tune, "
                 "%zu candidate configurations%s\n",
                 s.p.model.c_str(), info->name.c_str(), info->arch().c_str(), info->smCount,
                 s.p.kernels.size(), groups.size(), candidates,
                 already
                     ? fmt::format(" ({} tuned before: --retune times them again)", already).c_str()
                     : "");
  }
  if (groups.empty()) {
    std::printf("%s: every distinct kernel is tuned already in %s\n", s.p.model.c_str(),
                path.c_str());
    return 0;
  }

  std::unique_ptr<KernelCache> cache;
  if (!o.noCache)
    cache = std::make_unique<KernelCache>(o.cacheDir);
  GpuTuneOptions t;
  t.driver = *driver;
  t.cache = cache.get();
  t.device = o.device;
  t.allowArchMismatch = o.allowArch;
  t.warmup = o.warmupGiven ? o.warmup : 3;
  t.iters = o.itersGiven ? o.iters : 10;
  t.stop = [&] { return interrupted || (o.budgetSeconds > 0 && elapsed() > o.budgetSeconds); };
  t.roundDone = [&](size_t done, size_t rounds) {
    if (!o.quiet)
      std::fprintf(stderr, "  candidate round %zu/%zu done in %.1f s\n", done, rounds, elapsed());
  };
  t.roundFailed = [&](size_t round, const std::string &why) {
    std::fprintf(stderr, "ssmc-rt: warning: candidate round %zu skipped: %s\n", round + 1,
                 why.c_str());
  };
  interrupted = false;
  std::signal(SIGINT, onInterrupt);
  const std::vector<TensorView> none;
  const WeightSource weights =
      s.weights ? WeightSource::of(*s.weights) : WeightSource::of("no weights", none);
  auto rounds = tuneOnGpu(s.p, groups, weights, s.inputTensors, *db, device, t);
  std::signal(SIGINT, SIG_DFL);
  if (!rounds)
    return fail(rounds.message());

  double before = 0, after = 0;
  size_t improved = 0, total = 0;
  for (const TuneGroup &g : groups) {
    total = std::max(total, g.candidates.size());
    const PlanKernel &k = s.p.kernels[g.kernels.front()];
    const size_t best = bestOf(g);
    before += g.us[0] * double(g.kernels.size());
    after += g.us[best] * double(g.kernels.size());
    improved += best != 0;
    std::printf("  %-44s x%-3zu default %9.2f us  best %9.2f us  config %lld (%s)\n",
                k.name.c_str(), g.kernels.size(), g.us[0], g.us[best],
                (long long)g.candidates[best],
                configText(k.configs[size_t(g.candidates[best])].tunables).c_str());
    for (size_t i = 1; i < g.candidates.size(); ++i)
      if (!g.rejected[i].empty() && !o.quiet)
        std::fprintf(stderr, "ssmc-rt: note: %s: configuration %lld may not win: %s\n",
                     k.name.c_str(), (long long)g.candidates[i], g.rejected[i].c_str());
  }
  std::printf("%s: %zu of %zu distinct kernels improved; sum of the kernels %.2f us -> %.2f us "
              "(%.2fx, measured) in %.1f s; recorded in %s\n",
              s.p.model.c_str(), improved, groups.size(), before, after,
              after > 0 ? before / after : 1.0, elapsed(), path.c_str());
  std::fflush(stdout);
  if (*rounds < total) {
    std::fprintf(stderr,
                 "ssmc-rt: %s: what was timed is kept; run `ssmc-rt tune` again to time "
                 "the rest\n",
                 interrupted ? "interrupted" : "out of budget");
    return interrupted ? 130 : 0;
  }
  return 0;
}

} // namespace ssmc::rtcli
