//===- CalibrationTest.cpp - the model against hand analysis --------------===//
//
// Six small CUDA kernels whose costs are known by hand
// (tests/perf/calibration/*.cu): a coalesced copy, a naive, a tiled and a
// bank-conflicted transpose, a naive and a tiled GEMM. Each goes through the
// same path as a model's kernels (a plan, the trace, the L2 model, the
// roofline model) on the H100 row of the GPU table; the counted requests,
// sectors, wavefronts and DRAM bytes and the modeled time must match the
// hand analysis in docs/performance.md, and the ratios must come out in the
// right order. Run it alone to print the table:
//
//   build/bin/ssmc-perf-tests --gtest_filter='Calibration.*'
//
//===----------------------------------------------------------------------===//

#include "Report.h"

#include "Cuda/Nvrtc.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#ifndef SSMC_SOURCE_DIR
#define SSMC_SOURCE_DIR "."
#endif

using namespace ssmc;

namespace {

struct Calibration {
  std::string name;
  int inputs;                    // const T * parameters, then one output
  int64_t inBytes, outBytes;     // per input, the output
  std::array<int64_t, 3> grid;
  perf::KernelCost cost;
  // The hand analysis (docs/performance.md), H100.
  double loadRequests, loadSectors, storeRequests, storeSectors;
  double sharedWavefronts; // loads and stores
  double dramBytes;
  double modeledUs;
  std::string limiter;
};
// Names the case in ctest's listing instead of dumping its bytes.
void PrintTo(const Calibration &c, std::ostream *os) { *os << c.name; }

constexpr double kMiB = 1024.0 * 1024.0;

std::vector<Calibration> calibrations() {
  const double n2 = 4096.0 * 4096.0, g = 1024.0;
  return {
      {"copy", 1, 4 << 25, 4 << 25, {1 << 17, 1, 1}, {0, 0, 8.0 * (1 << 25), 0},
       (1 << 25) / 32.0, (1 << 25) / 8.0, (1 << 25) / 32.0, (1 << 25) / 8.0, 0,
       8.0 * (1 << 25), 91.5, "dram"},
      {"transpose_naive", 1, int64_t(4 * n2), int64_t(4 * n2), {128, 128, 1}, {0, 0, 8 * n2, 0},
       n2 / 32, n2 / 8, n2 / 32, n2, 0, 8 * n2, 75.9, "lsu"},
      {"transpose_tiled", 1, int64_t(4 * n2), int64_t(4 * n2), {128, 128, 1}, {0, 0, 8 * n2, 0},
       n2 / 32, n2 / 8, n2 / 32, n2 / 8, n2 / 16, 8 * n2, 46.7, "dram"},
      {"transpose_conflicts", 1, int64_t(4 * n2), int64_t(4 * n2), {128, 128, 1},
       {0, 0, 8 * n2, 0}, n2 / 32, n2 / 8, n2 / 32, n2 / 8, n2 / 32 + n2, 8 * n2, 80.3, "lsu"},
      {"gemm_naive", 2, int64_t(4 * g * g), int64_t(4 * g * g), {32, 128, 1},
       {2 * g * g * g, 2 * g * g * g, 12 * g * g, 0}, 2 * g * g * g / 32, 5 * g * g * g / 32,
       g * g / 32, g * g / 8, 0, 12 * g * g, 575, "l2"},
      {"gemm_tiled", 2, int64_t(4 * g * g), int64_t(4 * g * g), {32, 32, 1},
       {2 * g * g * g, 2 * g * g * g, 12 * g * g, 0}, 2 * g * g / 32 * 32, 2 * g * g / 8 * 32,
       g * g / 32, g * g / 8, 2 * g * g / 32 * 32 + 5 * g * g * g / 32 / 4, 12 * g * g, 193,
       "lsu"},
  };
}

std::string readSource(const std::string &name) {
  std::ifstream in(std::string(SSMC_SOURCE_DIR) + "/tests/perf/calibration/" + name + ".cu");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The calibration kernel as a one-kernel plan, through buildReport.
rt::Expected<perf::KernelReport> run(const Calibration &c) {
  rt::Plan plan;
  plan.model = c.name;
  rt::PlanKernel k;
  k.name = k.entry = c.name;
  k.kind = "calibration";
  k.source = readSource(c.name);
  if (k.source.empty())
    return rt::Status::error("cannot read the calibration kernel " + c.name);
  k.configs.push_back({{}, c.grid, {256, 1, 1}, 0});
  for (int i = 0; i < c.inputs; ++i) {
    const std::string name = fmt::format("in{}", i);
    plan.inputs.push_back({name, {c.inBytes / 4}, rt::DType::F32});
    rt::PlanParam p;
    p.kind = rt::PlanParam::Kind::Input;
    p.index = i;
    p.name = name;
    p.bytes = c.inBytes;
    p.value = rt::ValueRef::input(name);
    k.params.push_back(p);
  }
  rt::PlanParam out;
  out.kind = rt::PlanParam::Kind::Output;
  out.index = 0;
  out.name = "out0";
  out.bytes = c.outBytes;
  out.value = rt::ValueRef::arena(0);
  k.params.push_back(out);
  plan.arenaBytes = c.outBytes;
  plan.kernels.push_back(k);

  rt::NvrtcOptions nvrtc;
  nvrtc.arch = "sm_90";
  perf::KernelInput in;
  in.cost = c.cost;
  if (rt::nvrtcAvailable()) {
    auto compiled = rt::compileKernel({k.name, k.entry, k.source}, nvrtc);
    if (!compiled)
      return compiled.status();
    in.registers = compiled->resources.registers;
    in.staticSmem = compiled->resources.smemBytes;
    in.cubin = compiled->cubin;
  }
  perf::ReportOptions options;
  options.gpu = perf::findGpuTarget("h100");
  options.math.matmul = "ffma";
  auto report = perf::buildReport(plan, {in}, options);
  if (!report)
    return report.status();
  return report->kernels.front();
}

std::map<std::string, perf::KernelReport> &results() {
  static std::map<std::string, perf::KernelReport> cache;
  return cache;
}

const perf::KernelReport *resultOf(const Calibration &c) {
  auto it = results().find(c.name);
  if (it != results().end())
    return &it->second;
  auto r = run(c);
  if (!r) {
    ADD_FAILURE() << c.name << ": " << r.message();
    return nullptr;
  }
  return &results().emplace(c.name, *r).first->second;
}

void expectNear(double got, double want, double tolerance, const std::string &what) {
  EXPECT_NEAR(got, want, tolerance * std::max(1.0, std::fabs(want)))
      << what << ": counted " << got << ", by hand " << want;
}

class Calibrate : public ::testing::TestWithParam<Calibration> {};

TEST_P(Calibrate, MatchesTheHandAnalysis) {
  if (std::string why = perf::hostBuildUnavailable(); !why.empty())
    GTEST_SKIP() << why;
  const Calibration &c = GetParam();
  const perf::KernelReport *r = resultOf(c);
  ASSERT_TRUE(r && r->traffic && r->modeled);
  const perf::KernelTraffic &t = *r->traffic;
  expectNear(t.globalLoad.requests, c.loadRequests, 0.02, "load requests");
  expectNear(t.globalLoad.sectors, c.loadSectors, 0.02, "load sectors");
  expectNear(t.globalStore.requests, c.storeRequests, 0.02, "store requests");
  expectNear(t.globalStore.sectors, c.storeSectors, 0.02, "store sectors");
  expectNear(t.sharedLoad.wavefronts + t.sharedStore.wavefronts, c.sharedWavefronts, 0.02,
             "shared wavefronts");
  expectNear(t.dramReadBytes + t.dramWriteBytes, c.dramBytes, 0.05, "DRAM bytes");
  expectNear(r->modeled->seconds * 1e6, c.modeledUs, 0.05, "modeled microseconds");
  EXPECT_EQ(r->modeled->limiter, c.limiter);
}

INSTANTIATE_TEST_SUITE_P(Calibration, Calibrate, ::testing::ValuesIn(calibrations()),
                         [](const auto &info) { return info.param.name; });

TEST(Calibration, RatiosComeOutInOrder) {
  if (std::string why = perf::hostBuildUnavailable(); !why.empty())
    GTEST_SKIP() << why;
  std::map<std::string, double> ratio;
  std::string table = fmt::format("{:<20} {:>10} {:>10} {:>8} {:>7} {:>10}\n", "kernel",
                                  "bound us", "modeled us", "limiter", "ratio", "by hand us");
  for (const Calibration &c : calibrations()) {
    const perf::KernelReport *r = resultOf(c);
    ASSERT_TRUE(r && r->modeled);
    ratio[c.name] = r->modeled->seconds / r->bound.seconds;
    table += fmt::format("{:<20} {:>10.1f} {:>10.1f} {:>8} {:>7.2f} {:>10.1f}\n", c.name,
                         r->bound.seconds * 1e6, r->modeled->seconds * 1e6, r->modeled->limiter,
                         ratio[c.name], c.modeledUs);
  }
  std::printf("%s", table.c_str());
  EXPECT_NEAR(ratio["copy"], 1.0, 0.05);
  EXPECT_NEAR(ratio["transpose_tiled"], 1.0, 0.05);
  EXPECT_LT(ratio["transpose_tiled"], ratio["transpose_naive"]);
  EXPECT_LT(ratio["transpose_tiled"], ratio["transpose_conflicts"]);
  EXPECT_LT(ratio["gemm_tiled"], ratio["gemm_naive"]);
  EXPECT_LT(ratio["transpose_naive"], ratio["gemm_tiled"]);
}

// The global requests split by operand add up to the kernel's, and each
// operand's coalescing is its own: the naive transpose reads its input a
// row at a time (whole sectors) and writes a column at a time (4 of each
// sector's 32 bytes).
TEST(Calibration, CountsRequestsByOperand) {
  if (std::string why = perf::hostBuildUnavailable(); !why.empty())
    GTEST_SKIP() << why;
  const Calibration c = calibrations()[1]; // a copy: calibrations() returns a temporary
  ASSERT_EQ(c.name, "transpose_naive");
  const perf::KernelReport *r = resultOf(c);
  ASSERT_TRUE(r && r->traffic);
  const perf::KernelTraffic &t = *r->traffic;
  ASSERT_EQ(t.byOperand.size(), 2u);
  ASSERT_EQ(r->operands.size(), 2u);
  EXPECT_EQ(r->operands[0].name, "in0");
  EXPECT_EQ(r->operands[1].kind, "output");
  const perf::RequestStats &in = t.byOperand[0], &out = t.byOperand[1];
  expectNear(in.requests + out.requests, t.globalLoad.requests + t.globalStore.requests, 1e-9,
             "requests");
  expectNear(in.sectors, t.globalLoad.sectors, 1e-9, "input sectors");
  expectNear(out.sectors, t.globalStore.sectors, 1e-9, "output sectors");
  expectNear(in.bytesUsed / (32 * in.sectors), 1.0, 1e-9, "input coalescing");
  expectNear(out.bytesUsed / (32 * out.sectors), 0.125, 1e-9, "output coalescing");
}

} // namespace
