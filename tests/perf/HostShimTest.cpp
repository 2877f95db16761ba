//===- HostShimTest.cpp - what the run-mode shim exposes ------------------===//
//
// The run-mode shim is the stand-in for a GPU when none is lent: it must
// make the bugs a GPU would show visible on the CPU. Shared memory that a
// block reads before writing comes back NaN when poisoned (static and
// dynamic); blocks run in another order change the result of a kernel whose
// blocks race on one element.
//
//===----------------------------------------------------------------------===//

#include "HostKernel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

using namespace ssmc;

namespace {

using RunFn = void (*)(void **, const unsigned *, unsigned, size_t, int);

struct Built {
  std::unique_ptr<perf::HostKernel> kernel;
  RunFn run = nullptr;
  perf::HostOptionsFn options = nullptr;
};

/// `source`'s entry `k(const float *x, float *y)` built in run mode, or
/// skipped without a host compiler.
Built build(const std::string &source) {
  Built b;
  auto k = perf::HostKernel::build(perf::hostKernelSource(source, "k", "co", perf::HostMode::Run),
                                   {}, perf::HostMode::Run);
  if (!k) {
    ADD_FAILURE() << k.message();
    return b;
  }
  b.kernel = std::move(*k);
  b.run = reinterpret_cast<RunFn>(b.kernel->symbol("ssmc_host_run"));
  b.options = reinterpret_cast<perf::HostOptionsFn>(b.kernel->symbol("ssmc_host_options"));
  EXPECT_TRUE(b.run && b.options);
  return b;
}

std::vector<float> launch(const Built &b, unsigned blocks, unsigned threads, size_t smem,
                          perf::HostBlockOrder order, bool poison) {
  std::vector<float> x(threads, 1.0f), y(threads, -1.0f);
  void *args[] = {x.data(), y.data()};
  const unsigned grid[3] = {blocks, 1, 1};
  b.options(int(order), 7, poison ? 1 : 0);
  b.run(args, grid, threads, smem, 1);
  return y;
}

} // namespace

TEST(HostShim, PoisonedSharedMemoryShowsAReadBeforeAWrite) {
  if (!perf::hostBuildUnavailable().empty())
    GTEST_SKIP() << perf::hostBuildUnavailable();
  // Reads its static and dynamic shared memory without writing either.
  Built b = build(R"(
typedef float T; // the storage type, as generated kernels declare it
extern "C" __global__ void k(const float *x, float *y) {
  __shared__ float tile[32];
  extern __shared__ float dyn[];
  __syncthreads();
  y[threadIdx.x] = threadIdx.x % 2 ? tile[threadIdx.x] : dyn[threadIdx.x];
}
)");
  ASSERT_TRUE(b.run);
  for (float v : launch(b, 1, 32, 32 * sizeof(float), perf::HostBlockOrder::InOrder, false))
    EXPECT_EQ(v, 0.0f); // zero-initialised host memory: the bug hides
  for (float v : launch(b, 1, 32, 32 * sizeof(float), perf::HostBlockOrder::InOrder, true))
    EXPECT_TRUE(std::isnan(v)) << v;
}

TEST(HostShim, AnotherBlockOrderShowsARaceBetweenBlocks) {
  if (!perf::hostBuildUnavailable().empty())
    GTEST_SKIP() << perf::hostBuildUnavailable();
  // Every block writes y[0]: on a GPU any of them may win.
  Built b = build(R"(
typedef float T;
extern "C" __global__ void k(const float *x, float *y) {
  __syncthreads();
  if (threadIdx.x == 0)
    y[0] = float(blockIdx.x);
}
)");
  ASSERT_TRUE(b.run);
  EXPECT_EQ(launch(b, 8, 32, 0, perf::HostBlockOrder::InOrder, true)[0], 7.0f);
  EXPECT_EQ(launch(b, 8, 32, 0, perf::HostBlockOrder::Reversed, true)[0], 0.0f);
  std::vector<float> shuffled = launch(b, 8, 32, 0, perf::HostBlockOrder::Shuffled, true);
  EXPECT_GE(shuffled[0], 0.0f);
  EXPECT_LE(shuffled[0], 7.0f);
}
