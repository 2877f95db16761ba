//===- Sampler.h - a whole grid's traffic from some of its blocks -*- C++ -*-===//
//
// Blocks are issued in hardware order (blockIdx.x fastest); the blocks in
// flight together (a wave: SMs x resident blocks per SM) run side by side,
// so their line streams are interleaved in proportion to their progress.
//
// A grid whose trace fits `fullRecords` accesses runs entirely, wave after
// wave, through a cold L2: its counts are exact for the model. A larger grid
// is sampled (docs/performance.md has the method and its measured error):
// - request statistics from about `statsRecords` accesses of blocks drawn
//   from each edge class (first / interior / last in every grid dimension,
//   since tail tiles and first rows differ), each standing for its class;
// - DRAM bytes from `windows` windows of blocks that run together, per
//   stratum (the first row, the first column of later rows where a wave
//   spans rows, the rest): a cold one at block 0, the rest spread over the
//   grid, each a rectangle of the same columns in the rows of one wave
//   where a wave spans rows. The window's predecessors one row or plane
//   back (a GEMM's A tile for the next N tile) run with it, uncounted, when
//   they are in its wave, and enter the L2 at their estimated reuse
//   distance when they are in an earlier one. Each window is replayed after
//   a warm-up of the blocks issued before it (latest first, until they fill
//   the L2, reach the grid's start, bring nothing the window uses, or spend
//   their share of `warmupRecords`) through a reuse-distance LRU model whose
//   distances inside the window are stretched by the rest of the wave
//   (WindowL2).
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
  std::vector<RequestStats> byOperand; ///< global requests (Tracer::setOperands): by plan parameter
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
  bool fromCache = false; ///< read from the result cache (perf/ResultCache.h), not traced now
};

rt::Expected<KernelTraffic> sampleKernel(Tracer &tracer, const SampleOptions &options);

} // namespace ssmc::perf

#endif // SSMC_PERF_SAMPLER_H
