//===- InstrumentTest.cpp - the performance instrument's parts ------------===//
//
// The L2 models, the SASS reader, occupancy, and the tracer on tiny
// hand-written kernels whose requests are known exactly.
//
//===----------------------------------------------------------------------===//

#include "GpuTarget.h"
#include "L2Cache.h"
#include "Model.h"
#include "PlanTrace.h"
#include "ResultCache.h"
#include "Sass.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace ssmc;
using namespace ssmc::perf;

namespace {

LineEvent read(uint64_t line, unsigned sectors = 15) { return lineEvent(line, sectors, false); }
LineEvent write(uint64_t line, unsigned sectors = 15) { return lineEvent(line, sectors, true); }

TEST(L2Cache, ReadsMissOncePerSectorAndEvictLeastRecentlyUsed) {
  L2Cache l2(2 * 128); // two lines
  l2.access(read(1, 0b0011));
  l2.access(read(1, 0b0111)); // one more sector
  EXPECT_EQ(l2.dramReadSectors, 3u);
  l2.access(read(2));
  l2.access(read(1, 0b0001)); // 1 is now the most recent
  l2.access(read(3));         // evicts 2
  const uint64_t before = l2.dramReadSectors;
  l2.access(read(1, 0b0111)); // still there
  EXPECT_EQ(l2.dramReadSectors, before);
  l2.access(read(2, 0b0001)); // was evicted
  EXPECT_EQ(l2.dramReadSectors, before + 1);
}

TEST(L2Cache, WritesAllocateWithoutReadingAndCountOneWriteBackPerDirtySector) {
  L2Cache l2(4 * 128);
  l2.access(write(7, 0b0011));
  l2.access(write(7, 0b0011)); // already dirty
  l2.access(read(7, 0b0001));  // written, so present
  EXPECT_EQ(l2.dramReadSectors, 0u);
  EXPECT_EQ(l2.dirtiedSectors, 2u);
}

TEST(L2Cache, WarmUpLinesMergeTheirSectors) {
  L2Cache l2(4 * 128);
  l2.pushLeastRecent(5, 0b0001, 0);
  l2.pushLeastRecent(5, 0b0010, 0); // an older use of the same line
  l2.access(read(5, 0b0011));
  EXPECT_EQ(l2.dramReadSectors, 0u);
}

TEST(WindowL2, ReuseInsideTheWindowStretchesWithConcurrency) {
  // A line reused after 3 others: a hit in a 4-line cache, unless the rest
  // of the wave (concurrency 2) doubles the distance.
  for (double concurrency : {1.0, 2.0}) {
    WindowL2 l2(4 * 128, concurrency, 16);
    l2.beginWindow();
    for (uint64_t line : {1, 2, 3, 4, 1})
      l2.access(read(line));
    EXPECT_EQ(l2.dramReadSectors, concurrency == 1.0 ? 16u : 20u) << concurrency;
  }
}

TEST(WindowL2, ReuseFromTheWarmUpCountsAsIssued) {
  WindowL2 l2(4 * 128, 8.0, 16);
  l2.access(read(1)); // warm-up
  l2.access(read(2));
  l2.beginWindow();
  l2.access(read(1)); // distance 1, none of it inside the window
  EXPECT_EQ(l2.dramReadSectors, 8u);
}

TEST(Sass, ReadsOpcodesWidthsDivisionsAndInnermostLoops) {
  const std::string listing = R"(
//--------------------- .text.other               --------------------------
other:
        /*0000*/                   LDG.E R1, desc[UR4][R2.64] ;
//--------------------- .text.k                   --------------------------
k:
.text.k:
        /*0000*/                   I2F.RP R7, R0 ;
        /*0010*/                   MUFU.RCP R7, R7 ;
.L_x_0:
        /*0020*/                   LDG.E.U16 R11, desc[UR6][R10.64] ;
        /*0030*/                   IMAD.HI.U32 R12, R7, R10, RZ ;
.L_x_1:
        /*0040*/                   LDG.E.128 R4, desc[UR6][R8.64] ;
        /*0050*/                   HMMA.16816.F32.BF16 R4, R8, R12, R4 ;
        /*0060*/              @!P1 BRA `(.L_x_1) ;
        /*0070*/                   STG.E.U16 desc[UR6][R12.64], R11 ;
        /*0080*/              @!P1 BRA `(.L_x_0) ;
        /*0090*/                   EXIT ;
.L_x_2:
        /*00a0*/                   BRA `(.L_x_2);
        /*00b0*/                   NOP;
)";
  SassFacts f = parseSass(listing, "k");
  EXPECT_EQ(f.instructions, 11);
  EXPECT_EQ(f.opcodes["LDG"], 2);
  EXPECT_EQ(f.opcodes["HMMA"], 1);
  EXPECT_EQ(f.accessWidths["LDG.16"], 1);
  EXPECT_EQ(f.accessWidths["LDG.128"], 1);
  EXPECT_EQ(f.accessWidths["STG.16"], 1);
  EXPECT_EQ(f.runtimeDivisions, 1);
  EXPECT_EQ(f.mulHigh, 1);
  ASSERT_EQ(f.innermostLoops.size(), 1u); // the outer loop holds the inner one
  EXPECT_EQ(f.innermostLoops[0].instructions, 3);
  EXPECT_EQ(f.innermostLoops[0].opcodes["LDG"], 1);
}

// The result cache: what is stored reads back equal; a torn or foreign file
// reads as absent (and is traced again); keys differ with any field.
TEST(ResultCache, RoundTripsAndIgnoresTornFiles) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / fmt::format("ssmc-result-cache-{}", getpid());
  std::filesystem::remove_all(dir);
  setenv("SSMC_CACHE_DIR", dir.c_str(), 1);
  if (!resultCacheEnabled())
    GTEST_SKIP() << "the result cache is off here (SSMC_RESULT_CACHE=0)";
  KernelTraffic t;
  t.globalLoad.requests = 12;
  t.globalLoad.sectors = 48;
  t.globalLoad.byWidth[4] = 12;
  t.sharedStore.wavefronts = 7.5;
  t.byOperand = {t.globalLoad, RequestStats()};
  t.dramReadBytes = 1536;
  t.blocks = 9;
  t.sampled = true;
  t.sites = 3;
  const std::string key = resultKey({"traffic", "kernel A", "config 0"});
  EXPECT_NE(key, resultKey({"traffic", "kernel A", "config 1"}));
  EXPECT_FALSE(loadTraffic(key));
  storeTraffic(key, t);
  auto back = loadTraffic(key);
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->fromCache);
  EXPECT_EQ(back->globalLoad.sectors, 48);
  EXPECT_EQ(back->globalLoad.byWidth[4], 12);
  EXPECT_EQ(back->sharedStore.wavefronts, 7.5);
  ASSERT_EQ(back->byOperand.size(), 2u);
  EXPECT_EQ(back->byOperand[0].requests, 12);
  EXPECT_EQ(back->dramReadBytes, 1536);
  EXPECT_EQ(back->blocks, 9u);
  EXPECT_TRUE(back->sampled);
  EXPECT_EQ(back->sites, 3u);

  SassFacts f;
  f.opcodes = {{"LDG", 4}, {"HMMA", 16}};
  f.innermostLoops = {{20, {{"HMMA", 8}}}};
  f.instructions = 99;
  storeSass(key, f);
  auto facts = loadSass(key);
  ASSERT_TRUE(facts);
  EXPECT_EQ(facts->opcodes, f.opcodes);
  ASSERT_EQ(facts->innermostLoops.size(), 1u);
  EXPECT_EQ(facts->innermostLoops[0].opcodes.at("HMMA"), 8);

  for (const auto &entry : std::filesystem::directory_iterator(dir / "results")) {
    std::string text;
    {
      std::ifstream in(entry.path());
      std::getline(in, text, '\0');
    }
    std::ofstream(entry.path(), std::ios::trunc) << text.substr(0, text.size() / 2);
  }
  EXPECT_FALSE(loadTraffic(key));
  EXPECT_FALSE(loadSass(key));
  storeTraffic(key, t); // replaced whole
  EXPECT_TRUE(loadTraffic(key));
  std::filesystem::remove_all(dir);
}

TEST(Occupancy, TheTightestLimitWins) {
  const GpuTarget &h100 = *findGpuTarget("h100");
  EXPECT_EQ(residentBlocks(h100, 256, 32, 0), 8);          // threads
  EXPECT_EQ(residentBlocks(h100, 128, 128, 0), 4);         // registers: 16 KiB per block
  EXPECT_EQ(residentBlocks(h100, 128, 32, 100 * 1024), 2); // shared memory
  EXPECT_EQ(residentBlocks(h100, 32, 16, 0), 32);          // blocks per SM
  EXPECT_EQ(findGpuTarget("v100"), nullptr);
  EXPECT_EQ(gpuTargetNames(), "h100, h200, a100");
}

/// A GEMM kernel's configuration with the given tile, for the tile estimate.
rt::PlanConfig gemmConfig(int64_t bm, int64_t bn, int64_t warpsM, int64_t warpsN, int64_t blocks) {
  return {
      {{"BK", 64}, {"BM", bm}, {"BN", bn}, {"STAGES", 3}, {"WARPS_M", warpsM}, {"WARPS_N", warpsN}},
      {blocks, 1, 1},
      {32 * warpsM * warpsN, 1, 1},
      0};
}

TEST(TileEstimate, SmallTilesReReadTheirOperands) {
  // 25088 x 384 x 1536 in bf16: 32 x 32 tiles read A 12x and B 4x more
  // often than 128 x 192 tiles: 4x the L2 traffic, and more wavefronts
  // (global lines, shared stores and fragment loads) than the SMs issue.
  const GpuTarget &h100 = *findGpuTarget("h100");
  KernelCost cost;
  cost.matmulFlops = cost.flops = 2.0 * 25088 * 384 * 1536;
  cost.minBytes = 2.0 * (25088 * 1536 + 384 * 1536 + 25088 * 384);
  rt::PlanKernel k;
  const rt::PlanConfig big = gemmConfig(128, 192, 2, 3, 196 * 2);
  const rt::PlanConfig small = gemmConfig(32, 32, 1, 2, 784 * 12);
  const TileTraffic bigTiles = tileTraffic(k, big, cost, rt::DType::BF16);
  const TileTraffic smallTiles = tileTraffic(k, small, cost, rt::DType::BF16);
  ASSERT_TRUE(bigTiles.known && smallTiles.known);
  EXPECT_NEAR(smallTiles.l2Bytes / bigTiles.l2Bytes, 4.03, 0.01);
  EXPECT_EQ(bigTiles.registers, 64 * 64 / 32 + 16 + 16 + 40);
  auto estimate = [&](const rt::PlanConfig &c, const TileTraffic &t) {
    LaunchShape launch;
    launch.blocks = uint64_t(c.grid[0]);
    launch.threads = int(c.block[0]);
    return estimateFromTiles(h100, cost, MathMode(), launch, t);
  };
  const Modeled fast = estimate(big, bigTiles), slow = estimate(small, smallTiles);
  EXPECT_EQ(slow.limiter, "lsu");
  EXPECT_GT(slow.seconds, 3 * fast.seconds);
  // One warp with a 128 x 128 tile needs 512 accumulator registers: spills.
  const rt::PlanConfig oneWarp = gemmConfig(128, 128, 1, 1, 196 * 3);
  EXPECT_TRUE(
      std::isinf(estimate(oneWarp, tileTraffic(k, oneWarp, cost, rt::DType::BF16)).seconds));
  // A kernel whose tunables the estimate does not know: the launch alone.
  rt::PlanConfig rows{{{"ROW_THREADS", 128}}, {1000, 1, 1}, {128, 1, 1}, 0};
  EXPECT_FALSE(tileTraffic(k, rows, cost, rt::DType::BF16).known);
}

TEST(Issue, TheMmaLoopsInstructionsBoundAKernelThatIssuesMoreThanItsHmmasLeaveRoomFor) {
  SassFacts sass;
  sass.innermostLoops = {
      {100, {{"LDG", 4}}},                           // no MMA: not the K loop
      {300, {{"HMMA", 32}, {"LDGSTS", 6}}},          // the K loop
      {900, {{"HMMA", 64}, {"BSSY", 2}, {"LDG", 8}}} // diverges: its count is not what runs
  };
  EXPECT_DOUBLE_EQ(instructionsPerMma(sass), 300.0 / 32);
  EXPECT_EQ(instructionsPerMma(SassFacts()), 0.0);

  // 2^30 MMA FLOPs on every SM of an H100: the tensor cores (mma.sync's 2/3
  // rate) take less than issuing 9.4 instructions an HMMA at four a clock.
  const GpuTarget &h100 = *findGpuTarget("h100");
  KernelCost cost;
  cost.matmulFlops = cost.flops = std::ldexp(1.0, 30);
  KernelTraffic t;
  t.mmaFlops = cost.matmulFlops;
  LaunchShape launch;
  launch.blocks = uint64_t(h100.sms);
  launch.threads = 256;
  launch.instructionsPerMma = instructionsPerMma(sass);
  const Modeled m = modelTime(h100, cost, MathMode(), launch, t);
  EXPECT_EQ(m.limiter, "issue");
  EXPECT_NEAR(m.terms.at("issue"),
              cost.matmulFlops / 4096 * 300 / 32 / (4 * h100.sms * h100.clockGHz * 1e9), 1e-12);
  EXPECT_GT(m.terms.at("issue"), m.terms.at("tensor"));
  launch.warpgroupMma = true; // wgmma's loop is not counted this way
  EXPECT_EQ(modelTime(h100, cost, MathMode(), launch, t).terms.count("issue"), 0u);
}

TEST(Issue, ACpAsyncPipelineKeepsStagesMinusOneKStepsOfCopiesInFlight) {
  // 128 x 128 tiles, BK 32, 3 stages, 256 threads: (128 + 128) x 32 x 2
  // bytes a step are 4 copies a thread, 8 for the two steps ahead.
  rt::PlanConfig c{
      {{"BK", 32}, {"BM", 128}, {"BN", 128}, {"STAGES", 3}}, {392, 1, 1}, {256, 1, 1}, 0};
  EXPECT_DOUBLE_EQ(pipelinedCopies(c, rt::DType::BF16), 8);
  EXPECT_DOUBLE_EQ(pipelinedCopies(c, rt::DType::F32), 16);
  c.tunables["PANEL"] = 2; // A staged once: W's copies alone
  EXPECT_DOUBLE_EQ(pipelinedCopies(c, rt::DType::BF16), 4);
  c.tunables["STAGES"] = 6;
  c.tunables.erase("PANEL");
  EXPECT_DOUBLE_EQ(pipelinedCopies(c, rt::DType::BF16), 16); // at most 16
  EXPECT_EQ(pipelinedCopies(rt::PlanConfig{{{"ROW_THREADS", 128}}, {1, 1, 1}, {128, 1, 1}, 0},
                            rt::DType::BF16),
            0.0);
}

TEST(TileEstimate, DepthwiseHaloGrowsAsTilesShrink) {
  KernelCost cost;
  cost.minBytes = 2.0 * 128 * 56 * 56 * (96 + 96);
  rt::PlanKernel k;
  rt::PlanParam weight, result;
  weight.kind = rt::PlanParam::Kind::Weight;
  weight.shape = {96, 1, 7, 7};
  result.kind = rt::PlanParam::Kind::Output;
  result.shape = {128, 56, 56, 96};
  k.params = {weight, result};
  auto tile = [&](int64_t th, int64_t tw) {
    rt::PlanConfig c{{{"DW_CB", 32}, {"DW_TH", th}, {"DW_TW", tw}}, {1, 1, 1}, {256, 1, 1}, 0};
    return tileTraffic(k, c, cost, rt::DType::BF16);
  };
  const double convIn = 2.0 * 128 * 56 * 56 * 96;
  EXPECT_DOUBLE_EQ(tile(8, 8).l2Bytes, cost.minBytes + convIn * (14.0 * 14 / 64 - 1));
  EXPECT_GT(tile(2, 8).l2Bytes, tile(4, 8).l2Bytes);
  EXPECT_GT(tile(4, 8).l2Bytes, tile(8, 8).l2Bytes);
  // Only what a kernel reads waits for memory: Little's law over reads.
  EXPECT_EQ(tile(8, 8).readFraction, 1);
  k.params[0].bytes = 1000;
  k.params[1].bytes = 3000;
  EXPECT_DOUBLE_EQ(tile(8, 8).readFraction, 0.25);
}

/// A one-kernel plan over float buffers, traced whole.
KernelTraffic traceSource(const std::string &body, int64_t inBytes, int64_t outBytes,
                          std::array<int64_t, 3> grid, int64_t block) {
  rt::Plan plan;
  plan.model = "unit";
  rt::PlanKernel k;
  k.name = k.entry = "unit";
  k.source = "typedef float T;\nextern \"C\" __global__ void unit(const T *__restrict__ in, "
             "T *__restrict__ out) {\n" +
             body + "\n}\n";
  k.configs.push_back({{}, grid, {block, 1, 1}, 0});
  plan.inputs.push_back({"in", {inBytes / 4}, rt::DType::F32});
  rt::PlanParam in;
  in.kind = rt::PlanParam::Kind::Input;
  in.index = 0;
  in.name = "in";
  in.bytes = inBytes;
  in.value = rt::ValueRef::input("in");
  rt::PlanParam out;
  out.kind = rt::PlanParam::Kind::Output;
  out.index = 0;
  out.name = "out";
  out.bytes = outBytes;
  out.value = rt::ValueRef::arena(0);
  k.params = {in, out};
  plan.arenaBytes = outBytes;
  auto memory = PlanMemory::allocate(plan);
  EXPECT_TRUE(memory) << memory.message();
  SampleOptions options;
  options.waveBlocks = 4;
  auto t = tracePlanKernel(k, **memory, options);
  EXPECT_TRUE(t) << t.message();
  return t ? *t : KernelTraffic();
}

class Tracer : public ::testing::Test {
protected:
  void SetUp() override {
    if (std::string why = hostBuildUnavailable(); !why.empty())
      GTEST_SKIP() << why;
  }
};

TEST_F(Tracer, ACoalescedWarpReadTouchesFourSectors) {
  KernelTraffic t = traceSource("out[threadIdx.x] = in[threadIdx.x];", 128 * 4, 128 * 4, {1, 1, 1},
                                128);
  EXPECT_EQ(t.globalLoad.requests, 4);
  EXPECT_EQ(t.globalLoad.sectors, 16);
  EXPECT_EQ(t.globalLoad.lines, 4);
  EXPECT_EQ(t.globalLoad.bytesUsed, 512);
  EXPECT_EQ(t.globalLoad.byWidth[2], 4); // 4-byte accesses
  EXPECT_EQ(t.globalStore.requests, 4);
  EXPECT_EQ(t.dramReadBytes, 512);
  EXPECT_EQ(t.dramWriteBytes, 512);
  EXPECT_FALSE(t.sampled);
}

TEST_F(Tracer, AStridedReadTouchesASectorPerLaneAndABroadcastOne) {
  KernelTraffic t = traceSource("out[threadIdx.x] = in[threadIdx.x * 32] + in[5];", 32 * 32 * 4,
                                32 * 4, {1, 1, 1}, 32);
  EXPECT_EQ(t.globalLoad.requests, 2);
  EXPECT_EQ(t.globalLoad.sectors, 33); // 32 for the strided read, 1 for in[5]
  EXPECT_EQ(t.globalLoad.bytesUsed, 32 * 4 + 4);
}

TEST_F(Tracer, SharedMemoryBankConflictsAreCounted) {
  // tile[tx][0] with rows of 32 floats: every lane in bank 0 (32-way);
  // rows of 33: every lane in its own bank.
  for (int pad : {0, 1}) {
    KernelTraffic t = traceSource(fmt::format(R"(
  __shared__ float tile[32][32 + {}];
  tile[threadIdx.x][0] = in[threadIdx.x];
  __syncthreads();
  out[threadIdx.x] = tile[threadIdx.x][0];)",
                                              pad),
                                  32 * 4, 32 * 4, {1, 1, 1}, 32);
    EXPECT_EQ(t.sharedStore.requests, 1) << pad;
    EXPECT_EQ(t.sharedLoad.wavefronts, pad ? 1 : 32) << pad;
    EXPECT_EQ(t.sharedLoad.idealWavefronts, 1) << pad;
  }
}

TEST_F(Tracer, SixteenByteSharedLoadsAreServedAHalfWarpAtATime) {
  // Lane l reads the 16 bytes at float offset `index`; Nsight Compute's
  // wavefronts for the same patterns (sm_86, sm_90): contiguous 4, one
  // address for all 2, one per half warp 2, lanes l and l + 16 at 32 l
  // bytes (2-way conflicts in each half warp) 8.
  const std::pair<const char *, double> cases[] = {
      {"threadIdx.x * 4", 4}, {"0", 2}, {"threadIdx.x / 16 * 8", 2}, {"threadIdx.x % 16 * 8", 8}};
  for (auto [index, wavefronts] : cases) {
    KernelTraffic t = traceSource(fmt::format(R"(
  struct alignas(16) Four {{ float v[4]; }};
  __shared__ Four tile[32];
  tile[threadIdx.x].v[0] = in[threadIdx.x];
  __syncthreads();
  Four f;
  memcpy(&f, reinterpret_cast<const float *>(tile) + ({}), sizeof f);
  out[threadIdx.x] = f.v[0];)",
                                              index),
                                  32 * 4, 32 * 4, {1, 1, 1}, 32);
    EXPECT_EQ(t.sharedLoad.requests, 1) << index;
    EXPECT_EQ(t.sharedLoad.byWidth[4], 1) << index; // 16-byte accesses
    EXPECT_EQ(t.sharedLoad.wavefronts, wavefronts) << index;
  }
}

TEST_F(Tracer, AZeroFillingCopyWritesSharedMemoryAndReadsNothing) {
  // cp.async as the GEMM's K tail issues it: lanes 16-31 fill their 16
  // bytes with zeros. The warp reads 256 bytes (one request, 8 sectors) and
  // writes 512 to shared memory (one request), wherever the shared memory
  // lies: the zero-filling lanes' writes are not part of the read.
  KernelTraffic t = traceSource(R"(
  __shared__ __align__(16) float tile[32 * 4];
  ssmc_shim::copy16(tile + 4 * threadIdx.x, in + 4 * threadIdx.x, threadIdx.x < 16 ? 16 : 0);
  __syncthreads();
  out[threadIdx.x] = tile[4 * threadIdx.x];)",
                                32 * 16, 32 * 4, {1, 1, 1}, 32);
  EXPECT_EQ(t.globalLoad.requests, 1);
  EXPECT_EQ(t.globalLoad.sectors, 8);
  EXPECT_EQ(t.sharedStore.requests, 1);
  EXPECT_EQ(t.sharedStore.bytesRequested, 512);
}

TEST_F(Tracer, LoopStepsKeepAPredicatedAccessInItsIteration) {
  // Iteration 0 stores from the even lanes only, iteration 1 from every
  // lane. Paired by count, the odd lanes' only store joins the even lanes'
  // first (8 + 4 sectors); named steps keep each iteration's stores
  // together (4 + 4), as the warp's predicated instruction does. Two
  // iterations the compiler cannot unroll: one store site for both, as in
  // fillSpan.
  for (bool steps : {false, true}) {
    KernelTraffic t = traceSource(fmt::format(R"(
  for (int i = 0; i < (int)blockDim.x / 16; ++i) {{
    if ({})
      ssmc_shim::step(i + 1);
    if (i == 1 || threadIdx.x % 2 == 0)
      out[32 * i + threadIdx.x] = in[threadIdx.x];
  }})",
                                              steps ? "true" : "false"),
                                  32 * 4, 64 * 4, {1, 1, 1}, 32);
    EXPECT_EQ(t.globalStore.requests, 2) << steps;
    EXPECT_EQ(t.globalStore.sectors, steps ? 8 : 12) << steps;
  }
}

TEST_F(Tracer, BlocksRunInHardwareOrderAndReuseStaysInTheL2) {
  // Every block reads the same 4 KiB: once from DRAM, then from the L2.
  KernelTraffic t = traceSource("out[blockIdx.x * 32 + threadIdx.x % 32] = in[threadIdx.x];",
                                1024 * 4, 8 * 32 * 4, {8, 1, 1}, 1024);
  EXPECT_EQ(t.globalLoad.requests, 8 * 32);
  EXPECT_EQ(t.dramReadBytes, 4096);
}

} // namespace
