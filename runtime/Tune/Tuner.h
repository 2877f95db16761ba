//===- Tune/Tuner.h - timing a plan's candidate configurations --*- C++ -*-===//
//
// What `ssmc tune` (a model, on the GPU or modeled) and `ssmc-rt tune` (an
// artifact, on the GPU) share. Kernels with one signature form a group,
// tuned once; each group has its candidate configurations, the default
// first. On a GPU, round r loads the plan with every group's r-th candidate,
// runs each group's first kernel alone on random inputs and compares its
// results with the default's (round 0), then times every kernel with CUDA
// events inside whole forwards; every round's timings go into the tuning
// database at once, so stopping between rounds keeps what was timed.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_TUNE_TUNER_H
#define SSMC_RUNTIME_TUNE_TUNER_H

#include "Exec/Executor.h"
#include "Tune/TuningDb.h"

#include <functional>
#include <string>
#include <vector>

namespace ssmc::rt {

/// Kernels with one signature, tuned once.
struct TuneGroup {
  std::string signature;
  std::vector<size_t> kernels;       ///< plan order; the first is run alone
  std::vector<int64_t> candidates;   ///< configuration indices, the default first
  std::vector<double> us;            ///< per candidate, microseconds; NaN: not timed
  std::vector<std::string> rejected; ///< per candidate: why it may not win ("" if it may)
};

/// The plan's kernels grouped by signature, in plan order, each group with
/// the candidates `choose` gives for its first kernel (the default is put
/// first if `choose` left it out).
std::vector<TuneGroup> groupKernels(const Plan &plan,
                                    const std::function<std::vector<int64_t>(size_t)> &choose);

/// The default, then the kernel's configurations in their own order (the
/// emitter's preference), `top` in all.
std::vector<int64_t> firstConfigurations(const PlanKernel &kernel, size_t top);

/// Drops the groups `db` already has timings of this kind (measured or
/// modeled) for on `device`: done by an earlier run. Returns how many.
Expected<size_t> dropTuned(std::vector<TuneGroup> &groups, const TuningDb &db,
                           const TuningDevice &device, bool measured);

/// The candidate of `g` that may win with the least time (0, the default,
/// at worst).
size_t bestOf(const TuneGroup &g);

/// `g`'s timings as database entries (rejected and untimed candidates
/// left out; none before the default is timed).
std::vector<TuningEntry> entriesOf(const TuneGroup &g, const PlanKernel &kernel, bool measured);

struct GpuTuneOptions {
  const Driver *driver = nullptr; ///< nullptr: Driver::load()
  KernelCache *cache = nullptr;
  int device = 0;
  bool allowArchMismatch = false;
  uint64_t seed = 0;          ///< of each kernel's random inputs
  int warmup = 3, iters = 10; ///< forwards per round, untimed and timed
  /// Asked before each round: true stops (a budget spent, Ctrl-C).
  std::function<bool()> stop;
  /// After each round (done, rounds).
  std::function<void(size_t, size_t)> roundDone;
  /// A round that could not run (its candidates rejected), for a warning.
  std::function<void(size_t, const std::string &)> roundFailed;
};

/// Times every group's candidates on the GPU, round by round, recording
/// each round's entries in `db` for `device`. An error when the default
/// configurations cannot be timed (round 0); a later round that fails
/// rejects its candidates. Returns the rounds done.
Expected<size_t> tuneOnGpu(const Plan &plan, std::vector<TuneGroup> &groups,
                           const WeightSource &weights, const FloatTensorMap &inputs, TuningDb &db,
                           const TuningDevice &device, const GpuTuneOptions &options);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_TUNE_TUNER_H
