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

#include <limits>

#include <sys/wait.h>

using namespace ssmc::rt;
using namespace ssmc::rt::test;
namespace fs = std::filesystem;

namespace {

#define EXPECT_HAS(Message, Part)                                                                  \
  EXPECT_NE(std::string(Message).find(Part), std::string::npos)                                    \
      << "expected to find: " << (Part) << "\nin: " << (Message)

struct Result {
  int code = -1;
  std::string out; ///< stdout and stderr together
};

/// Runs `ssmc-rt ARGS` with the environment assignments \p Env.
Result ssmcRt(const std::string &args, const std::string &env = "") {
  // The caller's $SSMC_CUDA_DRIVER never leaks in: each test says which
  // driver it means.
  std::string cmd = "env -u SSMC_CUDA_DRIVER " + env + " '" SSMC_RT_BINARY "' " + args + " 2>&1";
  Result r;
  FILE *p = popen(cmd.c_str(), "r");
  if (!p)
    return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    r.out.append(buf.data(), n);
  int st = pclose(p);
  r.code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

const std::string fakeDriver = "SSMC_CUDA_DRIVER='" SSMC_FAKE_CUDA_LIB "'";

class SsmcRt : public ::testing::Test {
protected:
  void SetUp() override {
    t_ = makeTiny(DType::BF16, 500);
    ASSERT_TRUE(writeTinyFiles(t_, dir_.path()).ok());
    art_ = dir_ / "artifact";
    files_ = " --weights " + (dir_ / "weights.safetensors") + " --inputs " +
             (dir_ / "inputs.safetensors");
    env_ = fakeDriver + " SSMC_CACHE_DIR='" + (dir_ / "cache") + "'";
  }
  TempDir dir_;
  TinyArtifact t_;
  std::string art_, files_, env_;
};

} // namespace

TEST(SsmcRtUsage, ErrorsExitTwoWithOneMessage) {
  struct Case {
    std::string args, message;
  } cases[] = {
      {"", "no command given"},
      {"frobnicate", "unknown command 'frobnicate': use info, validate, run, "
                     "bench, check, check-kernels or tune"},
      {"tune art --top 0", "--top takes an integer of at least 1"},
      {"tune art --budget -1", "--budget takes a positive number of seconds"},
      {"tune art --weights w", "unknown option '--weights' for 'tune'"},
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
  for (const Case &c : cases) {
    Result r = ssmcRt(c.args);
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out;
    EXPECT_HAS(r.out, "ssmc-rt: " + c.message);
  }
  Result help = ssmcRt("--help");
  EXPECT_EQ(help.code, 0);
  EXPECT_HAS(help.out, "usage: ssmc-rt COMMAND");
}

TEST(SsmcRtNoGpu, InfoSaysThereIsNoGpuAndHowToRunAnyway) {
  if (Driver::load().ok())
    GTEST_SKIP() << "this machine has a GPU";
  Result r = ssmcRt("info");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "--device cpu");
  EXPECT_TRUE(r.out.find("no CUDA driver") != std::string::npos ||
              r.out.find("no GPU") != std::string::npos)
      << r.out;
}

TEST_F(SsmcRt, RunWithoutAGpuFailsClearlyAndWritesNothing) {
  if (Driver::load().ok())
    GTEST_SKIP() << "this machine has a GPU";
  std::string out = dir_ / "out.safetensors";
  Result r = ssmcRt("run " + art_ + files_ + " --output " + out);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "--device cpu");
  EXPECT_HAS(r.out, "ssmc-rt runs artifacts on NVIDIA GPUs only");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(SsmcRt, ValidateNeedsNoGpu) {
  Result r = ssmcRt("validate " + art_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "'tiny', bf16 for sm_90, 2 kernels (6 configurations), 1 "
                    "inputs, 2 outputs, 1 weights");
  fs::remove(dir_ / "artifact/kernels/g00_mul.cu");
  r = ssmcRt("validate " + art_);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "kernel 'g00_mul' needs");
}

TEST_F(SsmcRt, LocalMistakesComeBeforeTheGpu) {
  std::string out = " --output " + (dir_ / "o.safetensors");
  Result r = ssmcRt("run " + (dir_ / "nowhere") + files_ + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "does not exist: compile one with `ssmc compile");

  r = ssmcRt("run " + art_ + " --inputs " + (dir_ / "inputs.safetensors") + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "'tiny' has 1 weights: pass them with --weights");

  r = ssmcRt("run " + art_ + " --weights " + (dir_ / "weights.safetensors") + " --inputs " +
             (dir_ / "nope.safetensors") + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "nope.safetensors");

  // The weights file has no 'x'; a wrong shape is named with the fix.
  r = ssmcRt("run " + art_ + " --weights " + (dir_ / "weights.safetensors") + " --inputs " +
             (dir_ / "weights.safetensors") + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "input 'x' [500] is not in");
  std::vector<float> tooShort(7);
  ASSERT_TRUE(
      writeSafetensors(dir_ / "short.safetensors", {{"x", DType::F32, {7}, tooShort.data(), 28}})
          .ok());
  r = ssmcRt("run " + art_ + " --weights " + (dir_ / "weights.safetensors") + " --inputs " +
             (dir_ / "short.safetensors") + out);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "input 'x' is [7] in");
  EXPECT_HAS(r.out, "compiled for [500] (recompile with --input-shape/--batch");

  r = ssmcRt("run " + art_ + files_ + " --output " + (dir_ / "no/such/o.st"));
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "directory " + (dir_ / "no/such") + " does not exist");
}

TEST_F(SsmcRt, InfoOnTheFakeDriver) {
  Result r = ssmcRt("info", env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "driver: CUDA 13.0 (13000), 1 device");
  EXPECT_HAS(r.out, "device 0: Fake GPU (ssmc tests), sm_90 (compute "
                    "capability 9.0), 4 SMs, 227 KiB");
}

TEST_F(SsmcRt, RunWritesEveryOutputAsF32) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  for (const char *mode : {"", " --graph"}) {
    std::string out = dir_ / "out.safetensors";
    fs::remove(out);
    Result r =
        ssmcRt("run " + art_ + files_ + " --output " + out + mode + " --config g00_mul=2", env_);
    ASSERT_EQ(r.code, 0) << r.out;
    EXPECT_HAS(r.out, "z [500] -> " + out);
    EXPECT_HAS(r.out, "compiled 2 kernels (2 distinct) for sm_90");
    auto f = SafetensorsFile::open(out);
    ASSERT_TRUE(f.ok()) << f.message();
    const TensorView *z = (*f)->find("z");
    ASSERT_NE(z, nullptr);
    EXPECT_EQ(z->dtype, DType::F32);
    auto values = SafetensorsFile::toF32(*z);
    ASSERT_TRUE(values.ok());
    EXPECT_EQ(*values, t_.expectZ);
    EXPECT_EQ((*f)->metadata().at("launch"), *mode ? "cuda-graph" : "stream");
  }
}

TEST_F(SsmcRt, CheckPassesAndFailsWithTheWorstError) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  Result r = ssmcRt("check " + art_ + files_ + " --expected " + (dir_ / "expected.safetensors") +
                        " --quiet",
                    env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "rtol 0.05, atol 1e-05");
  EXPECT_HAS(r.out, "rel err 0.000e+00");
  EXPECT_HAS(r.out, "PASS");

  // One element of z off by 1: rel err 1 / max|z| fails a tight tolerance.
  std::vector<float> z = t_.expectZ;
  z[17] += 1.0f;
  ASSERT_TRUE(writeSafetensors(dir_ / "wrong.safetensors",
                               {{"y", DType::F32, {500}, t_.expectY.data(), 2000},
                                {"z", DType::F32, {500}, z.data(), 2000}})
                  .ok());
  std::string out = dir_ / "got.safetensors";
  r = ssmcRt("check " + art_ + files_ + " --expected " + (dir_ / "wrong.safetensors") +
                 " --rtol 1e-3 --atol 0 --quiet --output " + out,
             env_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "max abs err 1.000e+00");
  EXPECT_HAS(r.out, "worst at 17");
  EXPECT_HAS(r.out, "FAIL");
  EXPECT_TRUE(fs::exists(out)); // what it got, for a closer look

  // An output missing from the expected file fails too.
  ASSERT_TRUE(writeSafetensors(dir_ / "only-y.safetensors",
                               {{"y", DType::F32, {500}, t_.expectY.data(), 2000}})
                  .ok());
  r = ssmcRt("check " + art_ + files_ + " --expected " + (dir_ / "only-y.safetensors") + " --quiet",
             env_);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "MISSING from the expected file");
}

TEST_F(SsmcRt, AReferenceThatIsNotFiniteChecksNothingAndFails) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  // An all-NaN expected file once passed with "max abs err 0".
  std::vector<float> nan(500, std::numeric_limits<float>::quiet_NaN());
  ASSERT_TRUE(
      writeSafetensors(dir_ / "nan.safetensors", {{"y", DType::F32, {500}, nan.data(), 2000},
                                                  {"z", DType::F32, {500}, nan.data(), 2000}})
          .ok());
  Result r = ssmcRt(
      "check " + art_ + files_ + " --expected " + (dir_ / "nan.safetensors") + " --quiet", env_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "500 NaN/Inf in the expected file (a reference must be finite)");
  EXPECT_HAS(r.out, "FAIL");
}

TEST_F(SsmcRt, NonFiniteInputsAndOutputsAreSaidAndAnEmptyOutputNameRefused) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  std::vector<float> x(500, 1.0f);
  x[3] = std::numeric_limits<float>::infinity();
  ASSERT_TRUE(
      writeSafetensors(dir_ / "inf.safetensors", {{"x", DType::F32, {500}, x.data(), 2000}}).ok());
  std::string out = dir_ / "out.safetensors";
  Result r = ssmcRt("run " + art_ + " --weights " + (dir_ / "weights.safetensors") + " --inputs " +
                        (dir_ / "inf.safetensors") + " --output " + out + " --quiet",
                    env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "ssmc-rt: warning: input 'x' has 0 NaN and 1 Inf of 500 values");
  EXPECT_HAS(r.out, "ssmc-rt: warning: output 'y' has ");

  r = ssmcRt("run " + art_ + files_ + " --output ''", env_);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_HAS(r.out, "--output needs a value, not an empty string");
}

TEST_F(SsmcRt, BenchPrintsMedianAndMinimum) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  Result r =
      ssmcRt("bench " + art_ + files_ + " --iters 5 --warmup 1 --no-cache --per-kernel", env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "5 iterations after 1 warm-up");
  EXPECT_HAS(r.out, "plain launches: median");
  EXPECT_HAS(r.out, "CUDA graph:     median");
  EXPECT_HAS(r.out, "per kernel (median ms");
  EXPECT_HAS(r.out, "g01_add1");
}

TEST_F(SsmcRt, BenchDrawsItsOwnDataWithRandom) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  Result r = ssmcRt("bench " + art_ + " --random --iters 2 --warmup 0 --no-cache", env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "2 iterations after 0 warm-up");
}

TEST_F(SsmcRt, FailedRunLeavesNoOutputFile) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  std::string out = dir_ / "out.safetensors";
  Result r = ssmcRt("run " + art_ + files_ + " --output " + out,
                    env_ + " SSMC_FAKE_CUDA_FAULT=" + t_.plan.kernels[1].entry);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "CUDA_ERROR_ILLEGAL_ADDRESS");
  EXPECT_FALSE(fs::exists(out));
  r = ssmcRt("run " + art_ + files_ + " --output " + out + " --config nope=1", env_);
  EXPECT_EQ(r.code, 1);
  EXPECT_HAS(r.out, "kernel 'nope', which artifact");
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(SsmcRt, CheckKernelsNeedsTheReferencesAndSaysHowToGetThem) {
  // Everything here is decided before the GPU is looked for.
  Result r = ssmcRt("check-kernels " + art_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "artifact '" + art_ + "' has no kernel references (" + art_ +
                        "/refs is missing): compile it with `ssmc "
                        "compile MODEL -o DIR --kernel-refs`");
  ASSERT_TRUE(writeTinyRefs(t_, art_).ok());
  r = ssmcRt("check-kernels " + art_ + " --only g07_nope");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "--only g07_nope: artifact '" + art_ +
                        "' has no such "
                        "kernel; it has g00_mul, g01_add1");
  fs::remove(dir_ / "artifact/refs/g01_add1.safetensors");
  r = ssmcRt("check-kernels " + art_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "1 of the 2 kernels checked have no reference in " + art_ +
                        "/refs (g01_add1): compile it with");
  std::vector<float> tooShort(7);
  ASSERT_TRUE(writeSafetensors(dir_ / "artifact/refs/g01_add1.safetensors",
                               {{"in0", DType::F32, {7}, tooShort.data(), 28}})
                  .ok());
  r = ssmcRt("check-kernels " + art_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "'in0' in " + art_ +
                        "/refs/g01_add1.safetensors is [7], "
                        "but kernel parameter 'y' is [500]");
  EXPECT_HAS(r.out, "g01_add1.safetensors has no 'out0' (kernel parameter "
                    "'z')");
}

TEST_F(SsmcRt, CheckKernelsWithoutAGpuNamesTheCpuPath) {
  if (Driver::load().ok())
    GTEST_SKIP() << "this machine has a GPU";
  ASSERT_TRUE(writeTinyRefs(t_, art_).ok());
  Result r = ssmcRt("check-kernels " + art_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "ssmc-rt runs artifacts on NVIDIA GPUs only");
  EXPECT_HAS(r.out, "--device cpu");
}

TEST_F(SsmcRt, CheckKernelsRunsEachKernelAlone) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  ASSERT_TRUE(writeTinyRefs(t_, art_).ok());
  Result r = ssmcRt("check-kernels " + art_ + " --rtol 0 --atol 0 --quiet", env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "tiny (bf16) on Fake GPU (ssmc tests) (sm_90): ");
  EXPECT_HAS(r.out, "2 of 2 kernels, each alone on the reference executor's "
                    "inputs (" +
                        art_ + "/refs, seed 0)");
  EXPECT_HAS(r.out, "g00_mul.out0");
  EXPECT_HAS(r.out, "g01_add1.out0");
  EXPECT_HAS(r.out, "PASS: 2 kernels; worst rel err 0.000e+00");
  // Each kernel alone: a wrong input of g01 gives a wrong z even though g00
  // is right, and only g01 fails.
  std::vector<float> y = t_.expectY;
  y[3] += 4.0f;
  ASSERT_TRUE(writeSafetensors(dir_ / "artifact/refs/g01_add1.safetensors",
                               {{"in0", DType::F32, {500}, y.data(), 2000},
                                {"out0", DType::F32, {500}, t_.expectZ.data(), 2000}})
                  .ok());
  r = ssmcRt("check-kernels " + art_ + " --quiet", env_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_HAS(r.out, "rtol 0.03, atol 1e-05"); // bf16's default
  EXPECT_HAS(r.out, "worst at 3");
  EXPECT_HAS(r.out, "FAIL: 1 of 2 kernels differ from the reference "
                    "(g01_add1)");
  r = ssmcRt("check-kernels " + art_ + " --quiet --only g00_mul", env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "1 of 2 kernels");
}

TEST_F(SsmcRt, CheckAndBenchTakeTheirFilesFromTheReferences) {
  if (!nvrtcAvailable())
    GTEST_SKIP() << "built without the CUDA toolkit";
  Result r = ssmcRt("check " + art_ + " --quiet", env_);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_HAS(r.out, "'check' needs --inputs FILE.safetensors (or an artifact "
                    "compiled with --kernel-refs, which carries its own)");
  ASSERT_TRUE(writeTinyRefs(t_, art_).ok());
  r = ssmcRt("check " + art_ + " --quiet --rtol 0 --atol 0", env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "against " + art_ + "/refs/outputs.safetensors");
  EXPECT_HAS(r.out, "PASS");
  r = ssmcRt("bench " + art_ + " --quiet --iters 2 --warmup 0", env_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_HAS(r.out, "2 iterations after 0 warm-up");
}
