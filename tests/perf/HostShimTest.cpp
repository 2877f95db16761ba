//===- HostShimTest.cpp - what the run-mode shim exposes ------------------===//
//
// The run-mode shim is the stand-in for a GPU when none is lent: it must
// make the bugs a GPU would show visible on the CPU. Shared memory that a
// block reads before writing comes back NaN when poisoned (static and
// dynamic); blocks run in another order change the result of a kernel whose
// blocks race on one element; built with AddressSanitizer an index past a
// shared array is reported, and with ThreadSanitizer two threads of a block
// racing on shared memory (and not threads separated by __syncthreads).
//
//===----------------------------------------------------------------------===//

#include "HostKernel.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using namespace ssmc;

namespace {

using RunFn = void (*)(void **, const unsigned *, unsigned, size_t, int);

/// Whether this test binary is itself instrumented (a -DSSMC_SANITIZE
/// build): ThreadSanitizer's runtime cannot be preloaded into it, and the
/// kernels' threads are OS threads (HostKernel.cpp), not the fibers.
constexpr bool kBuiltWithSanitizer =
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    true;
#else
    false;
#endif

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

TEST(HostShim, ThreadsExchangeThroughBarriersAndWarpShuffles) {
  if (!perf::hostBuildUnavailable().empty())
    GTEST_SKIP() << perf::hostBuildUnavailable();
  // Each warp sums its lanes by shuffles, then thread 0 adds the warps'
  // sums after a barrier: every thread's turn must come at every meeting.
  Built b = build(R"(
typedef float T;
extern "C" __global__ void k(const float *x, float *y) {
  __shared__ float sums[4];
  float v = x[threadIdx.x] * float(threadIdx.x);
  for (int m = 16; m > 0; m /= 2)
    v += __shfl_xor_sync(0xffffffffu, v, m);
  if (threadIdx.x % 32 == 0)
    sums[threadIdx.x / 32] = v;
  __syncthreads();
  y[threadIdx.x] = sums[0] + sums[1] + sums[2] + sums[3];
}
)");
  ASSERT_TRUE(b.run);
  for (float v : launch(b, 3, 128, 0, perf::HostBlockOrder::Shuffled, true))
    EXPECT_EQ(v, 127.0f * 128.0f / 2.0f);
}

TEST(HostShim, EachThreadKeepsItsValuesAcrossSwitches) {
  if (!perf::hostBuildUnavailable().empty())
    GTEST_SKIP() << perf::hostBuildUnavailable();
  // Many values live across each barrier (in callee-saved and in vector
  // registers, spilled to each fiber's own stack), 64 switches a thread:
  // every thread must find its own after each switch.
  Built b = build(R"(
typedef float T;
extern "C" __global__ void k(const float *x, float *y) {
  __shared__ float total[1];
  const unsigned t = threadIdx.x;
  unsigned long a = t, c = 3u * t + 1u, d = t ^ 5u, e = 7u, f = t * t;
  double g = double(t) * 0.5, h = 1.0 + t;
  float acc = 0.0f;
  for (int i = 0; i < 64; ++i) {
    if (t == 0)
      total[0] = float(i);
    __syncthreads();
    acc += total[0] * x[t];
    __syncthreads();
    a += c; c ^= d; d += e; e += f & 3u; f += a & 1u; g += h; h *= 1.0;
  }
  y[t] = acc + float(a % 7u + c % 5u + d % 3u + e % 2u + f % 11u) + float(g - h * 64.0);
}
)");
  ASSERT_TRUE(b.run);
  const std::vector<float> y = launch(b, 2, 96, 0, perf::HostBlockOrder::InOrder, false);
  for (unsigned t = 0; t < 96; ++t) {
    unsigned long a = t, c = 3u * t + 1u, d = t ^ 5u, e = 7u, f = t * t;
    double g = double(t) * 0.5, h = 1.0 + t;
    float acc = 0.0f;
    for (int i = 0; i < 64; ++i) {
      acc += float(i) * 1.0f;
      a += c;
      c ^= d;
      d += e;
      e += f & 3u;
      f += a & 1u;
      g += h;
      h *= 1.0;
    }
    EXPECT_EQ(y[t], acc + float(a % 7u + c % 5u + d % 3u + e % 2u + f % 11u) + float(g - h * 64.0))
        << "thread " << t;
  }
}

TEST(HostShimDeathTest, ABarrierNotEveryThreadReachesIsReportedNotAHang) {
  if (!perf::hostBuildUnavailable().empty())
    GTEST_SKIP() << perf::hostBuildUnavailable();
  if (kBuiltWithSanitizer)
    GTEST_SKIP() << "built with a sanitizer: the kernel's threads are OS threads, which would wait "
                    "forever";
  Built b = build(R"(
typedef float T;
extern "C" __global__ void k(const float *x, float *y) {
  if (threadIdx.x == 5)
    return;
  __syncthreads();
  y[threadIdx.x] = x[threadIdx.x];
}
)");
  ASSERT_TRUE(b.run);
  EXPECT_DEATH(launch(b, 1, 32, 0, perf::HostBlockOrder::InOrder, false),
               "block \\(0, 0, 0\\): 31 of its 32 threads wait at a barrier that can never open");
}

// The kernels under a sanitizer (SSMC_HOST_SANITIZE): each case below runs in
// a child process of this test binary with the sanitizer's runtime preloaded
// (as scripts/host-sanitize.sh runs the host-run suite), and its report is
// read from the child's output. The DISABLED_ tests are the children's
// bodies; they never run on their own.

namespace {

const char *const kSharedPastTheEnd = R"(
typedef float T;
extern "C" __global__ void k(const float *x, float *y) {
  __shared__ float tile[32];
  tile[threadIdx.x + 1] = x[threadIdx.x]; // one past the end for the last thread
  __syncthreads();
  y[threadIdx.x] = tile[threadIdx.x];
}
)";

const char *const kDynamicPastTheEnd = R"(
typedef float T;
extern "C" __global__ void k(const float *x, float *y) {
  extern __shared__ float dyn[];
  dyn[threadIdx.x + 1] = x[threadIdx.x]; // the launch gives 32 floats
  __syncthreads();
  y[threadIdx.x] = dyn[threadIdx.x];
}
)";

const char *const kRaceInShared = R"(
typedef float T;
extern "C" __global__ void k(const float *x, float *y) {
  __shared__ float total;
  if (threadIdx.x == 0)
    total = 0;
  __syncthreads();
  total += x[threadIdx.x]; // every thread, no barrier between them
  __syncthreads();
  y[threadIdx.x] = total;
}
)";

const char *const kBarrierSeparated = R"(
typedef float T;
extern "C" __global__ void k(const float *x, float *y) {
  __shared__ float tile[32];
  tile[threadIdx.x] = x[threadIdx.x];
  __syncthreads();
  y[threadIdx.x] = tile[31 - threadIdx.x];
}
)";

/// Whether the host compiler has `Sanitizer`'s runtime library.
bool sanitizerRuntime(const std::string &sanitizer) {
  const std::string cmd = fmt::format("test -f \"$({} -print-file-name={})\"", perf::hostCompiler(),
                                      sanitizer == "address" ? "libasan.so" : "libtsan.so");
  return std::system(cmd.c_str()) == 0;
}

/// Runs this binary's test `Name` with `Sanitizer`'s runtime preloaded;
/// its output and exit status.
std::pair<std::string, int> runSanitizedChild(const std::string &name,
                                              const std::string &sanitizer) {
  const std::string runtime = sanitizer == "address" ? "libasan.so" : "libtsan.so";
  const std::string cmd =
      fmt::format("env LD_PRELOAD=\"$({} -print-file-name={})\" SSMC_HOST_SANITIZE={} "
                  "ASAN_OPTIONS=detect_leaks=0 TSAN_OPTIONS=exitcode=66 /proc/{}/exe "
                  "--gtest_also_run_disabled_tests --gtest_filter=HostShimSanitizedChild.{} 2>&1",
                  perf::hostCompiler(), runtime, sanitizer, getpid(), name);
  std::string out;
  FILE *pipe = popen(cmd.c_str(), "r");
  if (!pipe)
    return {"popen failed", -1};
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, pipe))
    out.append(buf, n);
  const int status = pclose(pipe);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

void runInChild(const char *source, size_t smem) {
  auto sanitizer = perf::hostSanitizer();
  ASSERT_TRUE(sanitizer.ok() && !sanitizer->empty()) << "a child of HostShimSanitized only";
  Built b = build(source);
  ASSERT_TRUE(b.run);
  launch(b, 2, 32, smem, perf::HostBlockOrder::InOrder, false);
}

} // namespace

TEST(HostShimSanitizedChild, DISABLED_SharedPastTheEnd) { runInChild(kSharedPastTheEnd, 0); }
TEST(HostShimSanitizedChild, DISABLED_DynamicPastTheEnd) {
  runInChild(kDynamicPastTheEnd, 32 * sizeof(float));
}
TEST(HostShimSanitizedChild, DISABLED_RaceInShared) { runInChild(kRaceInShared, 0); }
TEST(HostShimSanitizedChild, DISABLED_BarrierSeparated) { runInChild(kBarrierSeparated, 0); }

TEST(HostShimSanitized, AddressSanitizerReportsAnIndexPastASharedArray) {
  if (!perf::hostBuildUnavailable().empty())
    GTEST_SKIP() << perf::hostBuildUnavailable();
  if (!sanitizerRuntime("address"))
    GTEST_SKIP() << "the host compiler has no libasan.so";
  auto [out, status] = runSanitizedChild("DISABLED_SharedPastTheEnd", "address");
  EXPECT_NE(status, 0) << out;
  EXPECT_NE(out.find("global-buffer-overflow"), std::string::npos) << out;
  auto [dyn, dynStatus] = runSanitizedChild("DISABLED_DynamicPastTheEnd", "address");
  EXPECT_NE(dynStatus, 0) << dyn;
  EXPECT_NE(dyn.find("heap-buffer-overflow"), std::string::npos) << dyn;
}

TEST(HostShimSanitized, ThreadSanitizerReportsARaceWithinABlockAndNotABarrier) {
  if (!perf::hostBuildUnavailable().empty())
    GTEST_SKIP() << perf::hostBuildUnavailable();
  if (!sanitizerRuntime("thread"))
    GTEST_SKIP() << "the host compiler has no libtsan.so";
  if (kBuiltWithSanitizer)
    GTEST_SKIP() << "this binary is built with a sanitizer (SSMC_SANITIZE): ThreadSanitizer's "
                    "runtime cannot be preloaded into it";
  auto [out, status] = runSanitizedChild("DISABLED_RaceInShared", "thread");
  EXPECT_EQ(status, 66) << out;
  EXPECT_NE(out.find("WARNING: ThreadSanitizer: data race"), std::string::npos) << out;
  auto [clean, cleanStatus] = runSanitizedChild("DISABLED_BarrierSeparated", "thread");
  EXPECT_EQ(cleanStatus, 0) << clean;
  EXPECT_EQ(clean.find("ThreadSanitizer"), std::string::npos) << clean;
}
