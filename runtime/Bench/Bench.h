//===- Bench/Bench.h - Timing a loaded model, measured beside modeled -*- C++ -*-===//
//
// runBench times a GpuModel the way `ssmc bench` and `ssmc-rt bench` report
// it: the device's copy bandwidth (device-to-device copies, the yardstick for
// memory-bound kernels, measured in the same run), whole forwards as plain
// launches and as CUDA-graph replays, and optionally each kernel alone in
// plain forwards. With the performance report of the same plan (`ssmc
// compile --perf-report=json`, or the perf-report.json that `ssmc compile -o
// DIR --perf-report` leaves in DIR) every kernel gets its minimum traffic,
// FLOPs, bound and modeled time beside the measured one, and from them the
// achieved GB/s and TFLOP/s and the fraction of its bound it reaches.
//
// The result is written as text (stdout of both tools; the per-kernel lines
// keep the format scripts/perf-compare.py reads), JSON, a Markdown table and
// an SVG chart.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_BENCH_BENCH_H
#define SSMC_RUNTIME_BENCH_BENCH_H

#include "Exec/Executor.h"
#include "Support/Status.h"

#include <optional>
#include <string>
#include <vector>

namespace ssmc::rt {

/// One kernel of a performance report.
struct ModeledKernel {
  std::string name, kind, boundBy;
  std::string signature;          ///< rt::kernelSignature; empty in reports that predate it
  double flops = 0, minBytes = 0; ///< what the IR says it must do
  double boundUs = 0;             ///< the larger of its memory and compute time at the peaks
  double modeledUs = 0;           ///< 0: the report could not model it
};

/// A performance report (`ssmc compile --perf-report=json`), as far as a
/// benchmark reads it.
struct ModeledRun {
  std::string origin; ///< the file it was read from
  std::string gpu;    ///< the modeled GPU ("h100")
  std::string model, dtype;
  int64_t batch = 0;
  double speedOfLightUs = 0, modeledUs = 0;
  std::vector<ModeledKernel> kernels;
};

/// Reads a performance report; a clear error for a file that is not one.
Expected<ModeledRun> readPerfReport(const std::string &path);

/// Checks that `Modeled` describes `P`'s kernels (the same model, names in
/// the same order, and the same signatures: shapes and code); the mismatch
/// named otherwise.
Status checkReportMatches(const ModeledRun &modeled, const Plan &p);

struct BenchOptions {
  int warmup = 10, iters = 100;
  bool perKernel = false;
  size_t copyBytes = size_t(256) << 20; ///< per buffer, for the copy bandwidth
};

struct BenchKernelRow {
  std::string name;
  int64_t config = 0;
  std::string tunables; ///< "BM=128,BN=128"
  int registers = 0;
  int64_t spillBytes = 0;
  double medianUs = 0, minUs = 0;
  std::optional<ModeledKernel> modeled;
};

struct BenchResult {
  std::string model, dtype;
  int64_t batch = 0;
  size_t kernelCount = 0; ///< the plan's kernels
  DeviceInfo device;
  std::string nvrtc, commit;
  int warmup = 0, iters = 0;
  size_t copyBytes = 0;
  double copyGbps = 0;
  double plainMedianUs = 0, plainMinUs = 0, graphMedianUs = 0, graphMinUs = 0;
  std::vector<BenchKernelRow> kernels; ///< empty without perKernel
  std::optional<ModeledRun> modeled;

  /// The whole model's minimum traffic and FLOPs (0 without a report).
  double minBytes() const;
  double flops() const;
};

/// Times `Model` (its inputs must be set). `Modeled` (may be null) must
/// match the model's plan (checkReportMatches).
Expected<BenchResult> runBench(GpuModel &model, const BenchOptions &options,
                               const ModeledRun *modeled);

/// The result as the tools print it.
std::string benchText(const BenchResult &r);
/// {"gpu", "driver", "nvrtc", "commit", "copy_gbps", "forward", "modeled",
///  "rows": [one per kernel]}; docs/artifact.md lists the fields.
std::string benchJson(const BenchResult &r);
/// A Markdown table: the run's header, the forward, and one row per kernel.
std::string benchMarkdown(const BenchResult &r);
/// A chart: per kernel (or, without per-kernel times, for the forward) the
/// measured time beside the modeled time and the bound.
std::string benchSvg(const BenchResult &r);

/// Writes the files asked for (an empty path: none), each atomically.
Status writeBenchFiles(const BenchResult &r, const std::string &json, const std::string &markdown,
                       const std::string &svg);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_BENCH_BENCH_H
