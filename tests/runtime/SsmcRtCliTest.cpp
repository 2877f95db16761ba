//===- runtime/SsmcRtCliTest.cpp - The ssmc-rt command line (label cpu) ---===//
//
// Runs the ssmc-rt binary as a user would: usage errors, artifact and file
// mistakes, the no-GPU messages, and (with $SSMC_CUDA_DRIVER pointing at the
// fake driver) run, check and bench end to end.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Driver.h"
#include "Cuda/Nvrtc.h"
#include "Support/Safetensors.h"
#include "TestUtil.h"
#include "TinyArtifact.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include <sys/wait.h>

using namespace ssmc::rt;
using namespace ssmc::rt::test;
namespace fs = std::filesystem;

namespace {

#define EXPECT_HAS(Message, Part)                                              \
  EXPECT_NE(std::string(Message).find(Part), std::string::npos)                \
      << "expected to find: " << (Part) << "\nin: " << (Message)

struct Result {
  int code = -1;
  std::string out; ///< stdout and stderr together
};

/// Runs `ssmc-rt ARGS` with the environment assignments \p Env.
Result ssmcRt(const std::string &Args, const std::string &Env = "") {
  // The caller's $SSMC_CUDA_DRIVER never leaks in: each test says which
  // driver it means.
  std::string Cmd = "env -u SSMC_CUDA_DRIVER " + Env + " '" SSMC_RT_BINARY
                    "' " + Args + " 2>&1";
  Result R;
  FILE *P = popen(Cmd.c_str(), "r");
  if (!P)
    return R;
  std::array<char, 4096> Buf;
  size_t N;
  while ((N = fread(Buf.data(), 1, Buf.size(), P)) > 0)
    R.out.append(Buf.data(), N);
  int St = pclose(P);
  R.code = WIFEXITED(St) ? WEXITSTATUS(St) : -1;
  return R;
}

const std::string FakeDriver = "SSMC_CUDA_DRIVER='" SSMC_FAKE_CUDA_LIB "'";

class SsmcRt : public ::testing::Test {
protected:
  void SetUp() override {
    T = makeTiny(DType::BF16, 500);
    ASSERT_TRUE(writeTinyFiles(T, Dir.path()).ok());
    Art = Dir / "artifact";
    Files = " --weights " + (Dir / "weights.safetensors") + " --inputs " +
            (Dir / "inputs.safetensors");
    Env = FakeDriver + " SSMC_CACHE_DIR='" + (Dir / "cache") + "'";
  }
  TempDir Dir;
  TinyArtifact T;
  std::string Art, Files, Env;
};

} // namespace

TEST(SsmcRtUsage, ErrorsExitTwoWithOneMessage) {
  struct Case {
    std::string Args, Message;
  } Cases[] = {
      {"", "no command given"},
      {"frobnicate", "unknown command 'frobnicate': use info, validate, run, "
                     "bench, check or check-kernels"},
      {"check-kernels", "'check-kernels' needs an ARTIFACT directory"},
      {"check-kernels art --weights w", "unknown option '--weights' for "
                                        "'check-kernels'"},
      {"check-kernels art --sync", "unknown option '--sync'"},
      {"check-kernels art --rtol x", "--rtol takes a non-negative number"},
      {"run art --bogus", "unknown option '--bogus' for 'run': it takes"},
      {"run art --inputs", "--inputs needs a value"},
      {"run", "'run' needs an ARTIFACT directory"},
      {"run art --inputs i.safetensors", "'run' needs --output FILE"},
      {"check art --inputs i", "'check' needs --expected FILE"},
      {"bench art --inputs i --iters 0", "--iters takes an integer of at "
                                         "least 1, not '0'"},
      {"bench art --inputs i --warmup x", "--warmup takes an integer"},
      {"bench art --random --inputs i", "--random draws the weights and "
                                        "inputs: it takes no --weights or "
                                        "--inputs"},
      {"run art --random", "unknown option '--random' for 'run'"},
      {"check art --inputs i --expected e --rtol -1", "--rtol takes a "
                                                      "non-negative number"},
      {"run art --device cpu", "ssmc-rt runs artifacts on a GPU only; `ssmc "
                               "run MODEL --device cpu` runs a model on the "
                               "CPU"},
      {"run a b", "one artifact at a time"},
      {"info extra", "'info' takes no artifact"},
      {"validate art --graph", "'validate' takes no options"},
      {"run art --graph=yes", "--graph takes no value"},
      {"run art --config g00", "--config takes KERNEL=INDEX"},
      {"run art --no-cache --cache-dir d --inputs i --output o",
       "--no-cache and --cache-dir contradict each other"},
  };
  for (const Case &C : Cases) {
    Result R = ssmcRt(C.Args);
    EXPECT_EQ(R.code, 2) << C.Args << "\n" << R.out;
    EXPECT_HAS(R.out, "ssmc-rt: " + C.Message);
  }
  Result Help = ssmcRt("--help");
  EXPECT_EQ(Help.code, 0);
  EXPECT_HAS(Help.out, "usage: ssmc-rt COMMAND");
}

TEST(SsmcRtNoGpu, InfoSaysThereIsNoGpuAndHowToRunAnyway) {
  if (Driver::load().ok())
    GTEST_SKIP() << "this machine has a GPU";
  Result R = ssmcRt("info");
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "--device cpu");
  EXPECT_TRUE(R.out.find("no CUDA driver") != std::string::npos ||
              R.out.find("no GPU") != std::string::npos)
      << R.out;
}

TEST_F(SsmcRt, RunWithoutAGpuFailsClearlyAndWritesNothing) {
  if (Driver::load().ok())
    GTEST_SKIP() << "this machine has a GPU";
  std::string Out = Dir / "out.safetensors";
  Result R = ssmcRt("run " + Art + Files + " --output " + Out);
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "--device cpu");
  EXPECT_HAS(R.out, "ssmc-rt runs artifacts on NVIDIA GPUs only");
  EXPECT_FALSE(fs::exists(Out));
}

TEST_F(SsmcRt, ValidateNeedsNoGpu) {
  Result R = ssmcRt("validate " + Art);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "'tiny', bf16 for sm_90, 2 kernels (6 configurations), 1 "
                    "inputs, 2 outputs, 1 weights");
  fs::remove(Dir / "artifact/kernels/g00_mul.cu");
  R = ssmcRt("validate " + Art);
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "kernel 'g00_mul' needs");
}

TEST_F(SsmcRt, LocalMistakesComeBeforeTheGpu) {
  std::string Out = " --output " + (Dir / "o.safetensors");
  Result R = ssmcRt("run " + (Dir / "nowhere") + Files + Out);
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "does not exist: compile one with `ssmc compile");

  R = ssmcRt("run " + Art + " --inputs " + (Dir / "inputs.safetensors") + Out);
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "'tiny' has 1 weights: pass them with --weights");

  R = ssmcRt("run " + Art + " --weights " + (Dir / "weights.safetensors") +
             " --inputs " + (Dir / "nope.safetensors") + Out);
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "nope.safetensors");

  // The weights file has no 'x'; a wrong shape is named with the fix.
  R = ssmcRt("run " + Art + " --weights " + (Dir / "weights.safetensors") +
             " --inputs " + (Dir / "weights.safetensors") + Out);
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "input 'x' [500] is not in");
  std::vector<float> Short(7);
  ASSERT_TRUE(writeSafetensors(Dir / "short.safetensors",
                               {{"x", DType::F32, {7}, Short.data(), 28}})
                  .ok());
  R = ssmcRt("run " + Art + " --weights " + (Dir / "weights.safetensors") +
             " --inputs " + (Dir / "short.safetensors") + Out);
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "input 'x' is [7] in");
  EXPECT_HAS(R.out, "compiled for [500] (recompile with --input-shape/--batch");

  R = ssmcRt("run " + Art + Files + " --output " + (Dir / "no/such/o.st"));
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "directory " + (Dir / "no/such") + " does not exist");
}

TEST_F(SsmcRt, InfoOnTheFakeDriver) {
  Result R = ssmcRt("info", Env);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "driver: CUDA 13.0 (13000), 1 device");
  EXPECT_HAS(R.out, "device 0: Fake GPU (ssmc tests), sm_90 (compute "
                    "capability 9.0), 4 SMs, 227 KiB");
}

TEST_F(SsmcRt, RunWritesEveryOutputAsF32) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  for (const char *Mode : {"", " --graph"}) {
    std::string Out = Dir / "out.safetensors";
    fs::remove(Out);
    Result R = ssmcRt("run " + Art + Files + " --output " + Out + Mode +
                          " --config g00_mul=2",
                      Env);
    ASSERT_EQ(R.code, 0) << R.out;
    EXPECT_HAS(R.out, "z [500] -> " + Out);
    EXPECT_HAS(R.out, "compiled 2 kernels (2 distinct) for sm_90");
    auto F = SafetensorsFile::open(Out);
    ASSERT_TRUE(F.ok()) << F.message();
    const TensorView *Z = (*F)->find("z");
    ASSERT_NE(Z, nullptr);
    EXPECT_EQ(Z->dtype, DType::F32);
    auto Values = SafetensorsFile::toF32(*Z);
    ASSERT_TRUE(Values.ok());
    EXPECT_EQ(*Values, T.expectZ);
    EXPECT_EQ((*F)->metadata().at("launch"),
              *Mode ? "cuda-graph" : "stream");
  }
}

TEST_F(SsmcRt, CheckPassesAndFailsWithTheWorstError) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  Result R = ssmcRt("check " + Art + Files + " --expected " +
                        (Dir / "expected.safetensors") + " --quiet",
                    Env);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "rtol 0.05, atol 1e-05");
  EXPECT_HAS(R.out, "rel err 0.000e+00");
  EXPECT_HAS(R.out, "PASS");

  // One element of z off by 1: rel err 1 / max|z| fails a tight tolerance.
  std::vector<float> Z = T.expectZ;
  Z[17] += 1.0f;
  ASSERT_TRUE(writeSafetensors(Dir / "wrong.safetensors",
                               {{"y", DType::F32, {500}, T.expectY.data(), 2000},
                                {"z", DType::F32, {500}, Z.data(), 2000}})
                  .ok());
  std::string Out = Dir / "got.safetensors";
  R = ssmcRt("check " + Art + Files + " --expected " +
                 (Dir / "wrong.safetensors") +
                 " --rtol 1e-3 --atol 0 --quiet --output " + Out,
             Env);
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "max abs err 1.000e+00");
  EXPECT_HAS(R.out, "worst at 17");
  EXPECT_HAS(R.out, "FAIL");
  EXPECT_TRUE(fs::exists(Out)); // what it got, for a closer look

  // An output missing from the expected file fails too.
  ASSERT_TRUE(writeSafetensors(Dir / "only-y.safetensors",
                               {{"y", DType::F32, {500}, T.expectY.data(), 2000}})
                  .ok());
  R = ssmcRt("check " + Art + Files + " --expected " +
                 (Dir / "only-y.safetensors") + " --quiet",
             Env);
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "MISSING from the expected file");
}

TEST_F(SsmcRt, BenchPrintsMedianAndMinimum) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  Result R = ssmcRt("bench " + Art + Files +
                        " --iters 5 --warmup 1 --no-cache --per-kernel",
                    Env);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "5 iterations after 1 warm-up");
  EXPECT_HAS(R.out, "plain launches: median");
  EXPECT_HAS(R.out, "CUDA graph:     median");
  EXPECT_HAS(R.out, "per kernel (median ms");
  EXPECT_HAS(R.out, "g01_add1");
}

TEST_F(SsmcRt, BenchDrawsItsOwnDataWithRandom) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  Result R = ssmcRt("bench " + Art + " --random --iters 2 --warmup 0 --no-cache",
                    Env);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "2 iterations after 0 warm-up");
}

TEST_F(SsmcRt, FailedRunLeavesNoOutputFile) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  std::string Out = Dir / "out.safetensors";
  Result R = ssmcRt("run " + Art + Files + " --output " + Out,
                    Env + " SSMC_FAKE_CUDA_FAULT=" + T.plan.kernels[1].entry);
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "CUDA_ERROR_ILLEGAL_ADDRESS");
  EXPECT_FALSE(fs::exists(Out));
  R = ssmcRt("run " + Art + Files + " --output " + Out + " --config nope=1",
             Env);
  EXPECT_EQ(R.code, 1);
  EXPECT_HAS(R.out, "kernel 'nope', which artifact");
  EXPECT_FALSE(fs::exists(Out));
}

TEST_F(SsmcRt, CheckKernelsNeedsTheReferencesAndSaysHowToGetThem) {
  // Everything here is decided before the GPU is looked for.
  Result R = ssmcRt("check-kernels " + Art);
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "artifact '" + Art + "' has no kernel references (" +
                        Art + "/refs is missing): compile it with `ssmc "
                        "compile MODEL -o DIR --kernel-refs`");
  ASSERT_TRUE(writeTinyRefs(T, Art).ok());
  R = ssmcRt("check-kernels " + Art + " --only g07_nope");
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "--only g07_nope: artifact '" + Art + "' has no such "
                    "kernel; it has g00_mul, g01_add1");
  fs::remove(Dir / "artifact/refs/g01_add1.safetensors");
  R = ssmcRt("check-kernels " + Art);
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "1 of the 2 kernels checked have no reference in " + Art +
                        "/refs (g01_add1): compile it with");
  std::vector<float> Short(7);
  ASSERT_TRUE(writeSafetensors(Dir / "artifact/refs/g01_add1.safetensors",
                               {{"in0", DType::F32, {7}, Short.data(), 28}})
                  .ok());
  R = ssmcRt("check-kernels " + Art);
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "'in0' in " + Art + "/refs/g01_add1.safetensors is [7], "
                    "but kernel parameter 'y' is [500]");
  EXPECT_HAS(R.out, "g01_add1.safetensors has no 'out0' (kernel parameter "
                    "'z')");
}

TEST_F(SsmcRt, CheckKernelsWithoutAGpuNamesTheCpuPath) {
  if (Driver::load().ok())
    GTEST_SKIP() << "this machine has a GPU";
  ASSERT_TRUE(writeTinyRefs(T, Art).ok());
  Result R = ssmcRt("check-kernels " + Art);
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "ssmc-rt runs artifacts on NVIDIA GPUs only");
  EXPECT_HAS(R.out, "--device cpu");
}

TEST_F(SsmcRt, CheckKernelsRunsEachKernelAlone) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  ASSERT_TRUE(writeTinyRefs(T, Art).ok());
  Result R = ssmcRt("check-kernels " + Art + " --rtol 0 --atol 0 --quiet", Env);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "tiny (bf16) on Fake GPU (ssmc tests) (sm_90): ");
  EXPECT_HAS(R.out, "2 of 2 kernels, each alone on the reference executor's "
                    "inputs (" + Art + "/refs, seed 0)");
  EXPECT_HAS(R.out, "g00_mul.out0");
  EXPECT_HAS(R.out, "g01_add1.out0");
  EXPECT_HAS(R.out, "PASS: 2 kernels; worst rel err 0.000e+00");
  // Each kernel alone: a wrong input of g01 gives a wrong z even though g00
  // is right, and only g01 fails.
  std::vector<float> Y = T.expectY;
  Y[3] += 4.0f;
  ASSERT_TRUE(
      writeSafetensors(Dir / "artifact/refs/g01_add1.safetensors",
                       {{"in0", DType::F32, {500}, Y.data(), 2000},
                        {"out0", DType::F32, {500}, T.expectZ.data(), 2000}})
          .ok());
  R = ssmcRt("check-kernels " + Art + " --quiet", Env);
  EXPECT_EQ(R.code, 1) << R.out;
  EXPECT_HAS(R.out, "rtol 0.03, atol 1e-05"); // bf16's default
  EXPECT_HAS(R.out, "worst at 3");
  EXPECT_HAS(R.out, "FAIL: 1 of 2 kernels differ from the reference "
                    "(g01_add1)");
  R = ssmcRt("check-kernels " + Art + " --quiet --only g00_mul", Env);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "1 of 2 kernels");
}

TEST_F(SsmcRt, CheckAndBenchTakeTheirFilesFromTheReferences) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  Result R = ssmcRt("check " + Art + " --quiet", Env);
  EXPECT_EQ(R.code, 2) << R.out;
  EXPECT_HAS(R.out, "'check' needs --inputs FILE.safetensors (or an artifact "
                    "compiled with --kernel-refs, which carries its own)");
  ASSERT_TRUE(writeTinyRefs(T, Art).ok());
  R = ssmcRt("check " + Art + " --quiet --rtol 0 --atol 0", Env);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "against " + Art + "/refs/outputs.safetensors");
  EXPECT_HAS(R.out, "PASS");
  R = ssmcRt("bench " + Art + " --quiet --iters 2 --warmup 0", Env);
  EXPECT_EQ(R.code, 0) << R.out;
  EXPECT_HAS(R.out, "2 iterations after 0 warm-up");
}
