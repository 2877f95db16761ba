//===- Sampler.h - a whole grid's traffic from some of its blocks -*- C++ -*-===//
//
// Blocks are issued in hardware order (blockIdx.x fastest); the blocks in
// flight together (a wave: SMs x resident blocks per SM) run side by side,
// so their line streams are interleaved in proportion to their progress.
//
// A grid whose trace fits `fullRecords` accesses runs entirely, wave after
// wave, through a cold L2: its counts are exact for the model. A larger grid
// is sampled in `windows` windows of consecutive blocks spread evenly from
// the first block to the last, as long as a wave or shorter so that together
// they record about `windowRecords` accesses; each window stands for its
// share of the grid. Before a window, the blocks preceding it are run
// (addresses only) and put into the L2 most recent first: an LRU cache
// holds exactly the most recently used lines, so once they fill it, its
// state is the one a run of the whole grid would reach. The warm-up grows
// (a wave, then doubling) until the window's DRAM traffic stops changing,
// the L2 is full, the grid's start is reached, or its share of
// `warmupRecords` is spent (then reuse from further back is counted as DRAM
// traffic, and the result says the warm-up was truncated).
// tests/perf checks sampled against full runs.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_SAMPLER_H
#define SSMC_PERF_SAMPLER_H

#include "Trace.h"

#include <functional>

namespace ssmc::perf {

struct SampleOptions {
  uint64_t waveBlocks = 1; ///< blocks in flight at once: SMs x resident blocks per SM
  uint64_t l2Bytes = 50ull << 20;
  uint64_t fullRecords = 40'000'000;
  uint64_t statsRecords = 12'000'000;
  uint64_t windowRecords = 16'000'000;
  uint64_t warmupRecords = 48'000'000;
  unsigned windows = 6;
  /// Called after each block run with (accesses recorded so far, an estimate
  /// of the total).
  std::function<void(uint64_t, uint64_t)> progress;
};

/// A kernel's counts, extrapolated to its whole grid.
struct KernelTraffic {
  RequestStats globalLoad, globalStore, sharedLoad, sharedStore;
  double mmaFlops = 0;
  double dramReadBytes = 0, dramWriteBytes = 0;
  double distinctBytes = 0; ///< sectors touched at all (sampled: within the warm-up's reach)
  uint64_t blocks = 0, waveBlocks = 0;
  uint64_t blocksRun = 0;    ///< measured and warm-up
  uint64_t blocksMeasured = 0;
  uint64_t recordsRun = 0;   ///< accesses recorded
  bool sampled = false;
  bool warmupTruncated = false;
  bool fitsInL2 = false; ///< every buffer together fits: DRAM capped at one pass (PlanTrace)
  size_t sites = 0; ///< distinct load and store instructions seen
  double seconds = 0; ///< the tracing's own CPU time
};

rt::Expected<KernelTraffic> sampleKernel(Tracer &tracer, const SampleOptions &options);

} // namespace ssmc::perf

#endif // SSMC_PERF_SAMPLER_H
