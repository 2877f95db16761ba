//===- runtime/ExecutorFakeTest.cpp - GpuModel on the fake driver (cpu) ---===//
//
// The executor's binding, conversion, graph and error paths, end to end on a
// machine without a GPU: FakeCuda.cpp stands in for libcuda.so.1 and runs
// the tiny artifact's kernels on the host (NVRTC still compiles the real
// sources). GpuExecutorTest.cpp runs the same cases on a real GPU.
//
//===----------------------------------------------------------------------===//

#include "Bench/Bench.h"
#include "Cuda/Driver.h"

#include <string>

#include <dlfcn.h>

namespace {
const ssmc::rt::Driver *testDriver(std::string &whyNot) {
  static auto d = ssmc::rt::Driver::open(SSMC_FAKE_CUDA_LIB);
  if (!d.ok()) {
    whyNot = d.message();
    return nullptr;
  }
  return d->get();
}
} // namespace

#define EXEC_SUITE FakeDriverExecutor
#include "ExecutorCases.inc"

namespace {

/// Launches and graph replays the fake driver has run so far.
std::pair<long, long> fakeStats() {
  void *lib = dlopen(SSMC_FAKE_CUDA_LIB, RTLD_NOW | RTLD_NOLOAD);
  if (!lib)
    return {-1, -1};
  auto fn = reinterpret_cast<int (*)(long *, long *)>(dlsym(lib, "ssmcFakeCudaStats"));
  long l = -1, g = -1;
  if (fn)
    fn(&l, &g);
  dlclose(lib);
  return {l, g};
}

/// Sets an environment variable for the scope.
struct ScopedEnv {
  ScopedEnv(const char *name, const std::string &value) : name(name) {
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(name); }
  const char *name;
};

TEST_F(FakeDriverExecutor, GraphReplaysLaunchNothingAnew) {
  TinyArtifact t = make();
  auto m = load(t, options());
  ASSERT_OK(m);
  ASSERT_OK(m->runGraph(inputs(t))); // captures: no launches run
  auto [Launches, Replays] = fakeStats();
  for (int i = 0; i < 3; ++i)
    ASSERT_OK(m->runGraph(inputs(t)));
  auto [Launches2, Replays2] = fakeStats();
  EXPECT_EQ(Launches2, Launches);
  EXPECT_EQ(Replays2, Replays + 3);
  ASSERT_OK(m->run(inputs(t)));
  EXPECT_EQ(fakeStats().first, Launches + 2); // two kernels, launched
}

TEST_F(FakeDriverExecutor, LaunchFailureNamesKernelAndConfiguration) {
  TinyArtifact t = make();
  auto m = load(t, options());
  ASSERT_OK(m);
  ScopedEnv fail("SSMC_FAKE_CUDA_FAIL_LAUNCH", t.plan.kernels[1].entry);
  auto out = m->run(inputs(t));
  ASSERT_FALSE(out.ok());
  EXPECT_HAS(out.message(), "launching kernel 'g01_add1' (kernels[1], config "
                            "1: grid [16, 1, 1], block [64, 1, 1], 0 bytes");
  EXPECT_HAS(out.message(), "CUDA_ERROR_LAUNCH_FAILED");
}

TEST_F(FakeDriverExecutor, FaultsAreReportedAndSyncModeNamesTheKernel) {
  TinyArtifact t = make();
  {
    auto m = load(t, options());
    ASSERT_OK(m);
    ScopedEnv fault("SSMC_FAKE_CUDA_FAULT", t.plan.kernels[0].entry);
    auto out = m->run(inputs(t));
    ASSERT_FALSE(out.ok());
    EXPECT_HAS(out.message(), "running 'tiny' failed");
    EXPECT_HAS(out.message(), "CUDA_ERROR_ILLEGAL_ADDRESS");
    EXPECT_HAS(out.message(), "rerun with --sync");
  }
  GpuModelOptions o = options();
  o.syncEachKernel = true;
  auto m = load(t, o);
  ASSERT_OK(m);
  ScopedEnv fault("SSMC_FAKE_CUDA_FAULT", t.plan.kernels[0].entry);
  auto out = m->run(inputs(t));
  ASSERT_FALSE(out.ok());
  EXPECT_HAS(out.message(), "kernel 'g00_mul' (kernels[0], config 0");
  EXPECT_HAS(out.message(), "failed while running");
}

TEST_F(FakeDriverExecutor, SharedMemoryAboveTheDeviceLimitIsRefused) {
  TinyArtifact t = make();
  ScopedEnv cc("SSMC_FAKE_CUDA_CC", "80");
  t.plan.arch = "sm_80";
  t.plan.kernels[0].configs[0].smemBytes = 200 * 1024;
  auto m = load(t, options());
  ASSERT_FALSE(m.ok());
  EXPECT_HAS(m.message(), "kernel 'g00_mul' (config 0: grid [8, 1, 1], block "
                          "[128, 1, 1], 204800 bytes of dynamic shared "
                          "memory) needs more shared memory than Fake GPU");
}

TEST_F(FakeDriverExecutor, AModelLargerThanTheDeviceIsRefusedBeforeCompiling) {
  TinyArtifact t = make();
  ScopedEnv mem("SSMC_FAKE_CUDA_MEM_MIB", "1");
  const int64_t arena = t.plan.arenaBytes;
  t.plan.arenaBytes = int64_t(3) << 19; // 1.5 MiB
  auto m = load(t, options());
  ASSERT_FALSE(m.ok());
  EXPECT_HAS(m.message(), "needs 1.5 MiB of GPU memory (activation arena 1.5 MiB, weights");
  EXPECT_HAS(m.message(), "more than the 1.0 MiB of Fake GPU (ssmc tests): compile it for a "
                          "smaller batch or input, or in bf16/f16");
  t.plan.arenaBytes = arena;
  auto fits = load(t, options());
  EXPECT_TRUE(fits.ok()) << fits.message();
}

// The fake driver copies at 1000 GB/s and advances its clock by a launch
// model: the benchmark's figures are exact there.
TEST_F(FakeDriverExecutor, BenchMeasuresCopyBandwidthAndPutsTheReportBeside) {
  TinyArtifact t = make();
  auto m = load(t, options());
  ASSERT_OK(m);
  ASSERT_OK(m->setInputs(inputs(t)));
  auto gbps = m->copyBandwidthGbps(1 << 20, 3);
  ASSERT_OK(gbps);
  EXPECT_NEAR(*gbps, 1000.0, 1.0);
  EXPECT_FALSE(m->copyBandwidthGbps(0, 3).ok());

  ModeledRun modeled;
  modeled.origin = "in memory";
  modeled.gpu = "h100";
  modeled.model = t.plan.model;
  for (const PlanKernel &k : t.plan.kernels)
    modeled.kernels.push_back({k.name, "elementwise", "memory", "", 1e6, 4e6, 1.0, 2.0});
  BenchOptions o;
  o.iters = 4;
  o.warmup = 1;
  o.perKernel = true;
  o.copyBytes = 1 << 20;
  auto r = runBench(*m, o, &modeled);
  ASSERT_OK(r);
  EXPECT_NEAR(r->copyGbps, 1000.0, 1.0);
  ASSERT_EQ(r->kernels.size(), 2u);
  EXPECT_GT(r->graphMedianUs, 0.0);
  EXPECT_GT(r->kernels[0].medianUs, 0.0);
  EXPECT_NE(benchText(*r).find("% of bound"), std::string::npos);
  const std::string json = benchJson(*r);
  for (const char *key : {"\"copy_gbps\"", "\"commit\"", "\"rows\"", "\"fraction_of_bound\""})
    EXPECT_NE(json.find(key), std::string::npos) << key;
  EXPECT_NE(benchMarkdown(*r).find("| g00_mul |"), std::string::npos);
  EXPECT_NE(benchSvg(*r).find("</svg>"), std::string::npos);

  // A report of another plan is refused, naming the kernel.
  modeled.kernels[1].name = "g01_other";
  auto wrong = runBench(*m, o, &modeled);
  ASSERT_FALSE(wrong.ok());
  EXPECT_HAS(wrong.message(), "names kernel 1 'g01_other'");
  modeled.kernels.pop_back();
  EXPECT_HAS(runBench(*m, o, &modeled).message(), "has 1 kernels, the artifact 2");
}

} // namespace
