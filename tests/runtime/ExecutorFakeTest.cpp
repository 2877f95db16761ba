//===- runtime/ExecutorFakeTest.cpp - GpuModel on the fake driver (cpu) ---===//
//
// The executor's binding, conversion, graph and error paths, end to end on a
// machine without a GPU: FakeCuda.cpp stands in for libcuda.so.1 and runs
// the tiny artifact's kernels on the host (NVRTC still compiles the real
// sources). GpuExecutorTest.cpp runs the same cases on a real GPU.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Driver.h"

#include <string>

#include <dlfcn.h>

namespace {
const ssmc::rt::Driver *testDriver(std::string &WhyNot) {
  static auto D = ssmc::rt::Driver::open(SSMC_FAKE_CUDA_LIB);
  if (!D.ok()) {
    WhyNot = D.message();
    return nullptr;
  }
  return D->get();
}
} // namespace

#define EXEC_SUITE FakeDriverExecutor
#include "ExecutorCases.inc"

namespace {

/// Launches and graph replays the fake driver has run so far.
std::pair<long, long> fakeStats() {
  void *Lib = dlopen(SSMC_FAKE_CUDA_LIB, RTLD_NOW | RTLD_NOLOAD);
  if (!Lib)
    return {-1, -1};
  auto Fn = reinterpret_cast<int (*)(long *, long *)>(
      dlsym(Lib, "ssmcFakeCudaStats"));
  long L = -1, G = -1;
  if (Fn)
    Fn(&L, &G);
  dlclose(Lib);
  return {L, G};
}

/// Sets an environment variable for the scope.
struct ScopedEnv {
  ScopedEnv(const char *Name, const std::string &Value) : Name(Name) {
    setenv(Name, Value.c_str(), 1);
  }
  ~ScopedEnv() { unsetenv(Name); }
  const char *Name;
};

TEST_F(FakeDriverExecutor, GraphReplaysLaunchNothingAnew) {
  TinyArtifact T = make();
  auto M = load(T, options());
  ASSERT_OK(M);
  ASSERT_OK(M->runGraph(inputs(T))); // captures: no launches run
  auto [Launches, Replays] = fakeStats();
  for (int I = 0; I < 3; ++I)
    ASSERT_OK(M->runGraph(inputs(T)));
  auto [Launches2, Replays2] = fakeStats();
  EXPECT_EQ(Launches2, Launches);
  EXPECT_EQ(Replays2, Replays + 3);
  ASSERT_OK(M->run(inputs(T)));
  EXPECT_EQ(fakeStats().first, Launches + 2); // two kernels, launched
}

TEST_F(FakeDriverExecutor, LaunchFailureNamesKernelAndConfiguration) {
  TinyArtifact T = make();
  auto M = load(T, options());
  ASSERT_OK(M);
  ScopedEnv Fail("SSMC_FAKE_CUDA_FAIL_LAUNCH", T.plan.kernels[1].entry);
  auto Out = M->run(inputs(T));
  ASSERT_FALSE(Out.ok());
  EXPECT_HAS(Out.message(), "launching kernel 'g01_add1' (kernels[1], config "
                            "1: grid [16, 1, 1], block [64, 1, 1], 0 bytes");
  EXPECT_HAS(Out.message(), "CUDA_ERROR_LAUNCH_FAILED");
}

TEST_F(FakeDriverExecutor, FaultsAreReportedAndSyncModeNamesTheKernel) {
  TinyArtifact T = make();
  {
    auto M = load(T, options());
    ASSERT_OK(M);
    ScopedEnv Fault("SSMC_FAKE_CUDA_FAULT", T.plan.kernels[0].entry);
    auto Out = M->run(inputs(T));
    ASSERT_FALSE(Out.ok());
    EXPECT_HAS(Out.message(), "running 'tiny' failed");
    EXPECT_HAS(Out.message(), "CUDA_ERROR_ILLEGAL_ADDRESS");
    EXPECT_HAS(Out.message(), "rerun with --sync");
  }
  GpuModelOptions O = options();
  O.syncEachKernel = true;
  auto M = load(T, O);
  ASSERT_OK(M);
  ScopedEnv Fault("SSMC_FAKE_CUDA_FAULT", T.plan.kernels[0].entry);
  auto Out = M->run(inputs(T));
  ASSERT_FALSE(Out.ok());
  EXPECT_HAS(Out.message(), "kernel 'g00_mul' (kernels[0], config 0");
  EXPECT_HAS(Out.message(), "failed while running");
}

TEST_F(FakeDriverExecutor, SharedMemoryAboveTheDeviceLimitIsRefused) {
  TinyArtifact T = make();
  ScopedEnv Cc("SSMC_FAKE_CUDA_CC", "80");
  T.plan.arch = "sm_80";
  T.plan.kernels[0].configs[0].smemBytes = 200 * 1024;
  auto M = load(T, options());
  ASSERT_FALSE(M.ok());
  EXPECT_HAS(M.message(), "kernel 'g00_mul' (config 0: grid [8, 1, 1], block "
                          "[128, 1, 1], 204800 bytes of dynamic shared "
                          "memory) needs more shared memory than Fake GPU");
}

} // namespace
