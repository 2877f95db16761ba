//===- runtime/NvrtcTest.cpp - NVRTC compilation and ptxas's report -------===//

#include "Cuda/Nvrtc.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <regex>

using namespace ssmc::rt;
using namespace ssmc::rt::test;

namespace {

#define REQUIRE_NVRTC()                                                        \
  if (!nvrtcAvailable())                                                       \
  GTEST_SKIP() << "built without the CUDA toolkit"

/// The path after "source saved to " in a failure message.
std::string savedPath(const std::string &Message) {
  std::smatch M;
  if (!std::regex_search(Message, M, std::regex("source saved to (.*)$")))
    return {};
  return M[1].str();
}

} // namespace

TEST(Nvrtc, CommandLine) {
  NvrtcOptions Opts;
  Opts.arch = "sm_80";
  Opts.extra = {"-DTILE=64"};
  std::vector<std::string> Args = nvrtcCommandLine(Opts);
  ASSERT_GE(Args.size(), 5u);
  EXPECT_EQ(Args[0], "--gpu-architecture=sm_80");
  EXPECT_EQ(Args[1], "-std=c++17");
  EXPECT_EQ(Args[2], "-default-device");
  EXPECT_EQ(Args.back(), "-DTILE=64");
  EXPECT_NE(std::find(Args.begin(), Args.end(), "--ptxas-options=-v"),
            Args.end());
  EXPECT_EQ(std::find(Args.begin(), Args.end(), "--use_fast_math"), Args.end());

  ::setenv("SSMC_CUDA_INCLUDE", "/opt/a:/opt/b", 1);
  Args = nvrtcCommandLine(Opts);
  ::unsetenv("SSMC_CUDA_INCLUDE");
  EXPECT_NE(std::find(Args.begin(), Args.end(), "-I/opt/a"), Args.end());
  EXPECT_NE(std::find(Args.begin(), Args.end(), "-I/opt/b"), Args.end());
}

TEST(Nvrtc, BuiltWithoutToolkitSaysSo) {
  if (nvrtcAvailable()) {
    EXPECT_NE(nvrtcVersion(), "unavailable");
    return;
  }
  auto K = compileKernel({"lonely", "add_one", addKernelSource()}, {});
  ASSERT_FALSE(K.ok());
  EXPECT_NE(K.message().find("kernel lonely: ssmc was built without the CUDA "
                             "toolkit"),
            std::string::npos)
      << K.message();
}

TEST(Nvrtc, VersionIsMajorDotMinor) {
  REQUIRE_NVRTC();
  EXPECT_TRUE(std::regex_match(nvrtcVersion(), std::regex(R"(\d+\.\d+)")))
      << nvrtcVersion();
}

TEST(Nvrtc, CompilesFp16Bf16WmmaForSm80AndSm90) {
  REQUIRE_NVRTC();
  for (const char *Arch : {"sm_80", "sm_90"}) {
    NvrtcOptions Opts;
    Opts.arch = Arch;
    auto Start = std::chrono::steady_clock::now();
    auto K =
        compileKernel({"tile_mma_group", "tile_mma", wmmaKernelSource()}, Opts);
    double Ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - Start)
                    .count();
    ASSERT_TRUE(K.ok()) << K.message();
    std::cout << Arch << ": " << Ms << " ms, " << K->cubin.size()
              << " bytes of cubin, " << K->resources.registers
              << " registers\n";
    EXPECT_EQ(K->name, "tile_mma_group");
    EXPECT_EQ(K->entry, "tile_mma");
    EXPECT_FALSE(K->fromCache);
    ASSERT_GE(K->cubin.size(), 4u);
    EXPECT_EQ(std::string(K->cubin.data() + 1, 3), "ELF");
    EXPECT_GT(K->resources.registers, 0);
    EXPECT_EQ(K->resources.spillBytes, 0);
    EXPECT_EQ(K->resources.smemBytes, 1024);
    EXPECT_NE(K->log.find(std::string("for '") + Arch + "'"), std::string::npos)
        << K->log;
  }
}

TEST(Nvrtc, SyntaxErrorNamesKernelLogAndSavedSource) {
  REQUIRE_NVRTC();
  TempDir Dir;
  NvrtcOptions Opts;
  Opts.failureDir = Dir / "failed";
  KernelSource Src{
      "broken_group", "broken",
      "extern \"C\" __global__ void broken(float *x) { x[0] = y; }\n"};
  auto K = compileKernel(Src, Opts);
  ASSERT_FALSE(K.ok());
  const std::string &M = K.message();
  EXPECT_EQ(
      M.rfind("kernel broken_group: NVRTC failed (NVRTC_ERROR_COMPILATION)", 0),
      0u)
      << M;
  EXPECT_NE(M.find("broken_group.cu(1): error: identifier \"y\" is undefined"),
            std::string::npos)
      << M;
  std::string Path = savedPath(M);
  EXPECT_EQ(Path, Dir / "failed/broken_group.cu") << M;
  ASSERT_TRUE(std::filesystem::exists(Path)) << M;
  EXPECT_EQ(readText(Path), Src.source);
}

TEST(Nvrtc, FailedSourceGoesToTempDirByDefault) {
  REQUIRE_NVRTC();
  TempDir Dir;
  ::setenv("TMPDIR", Dir.path().c_str(), 1);
  auto K = compileKernel({"tmp_broken", "k", "this is not C++"}, {});
  ::unsetenv("TMPDIR");
  ASSERT_FALSE(K.ok());
  EXPECT_EQ(savedPath(K.message()), Dir / "tmp_broken.cu") << K.message();
  EXPECT_TRUE(std::filesystem::exists(Dir / "tmp_broken.cu"));
}

TEST(Nvrtc, WarningFailsOnlyWithWarningsAsErrors) {
  REQUIRE_NVRTC();
  TempDir Dir;
  NvrtcOptions Opts;
  Opts.failureDir = Dir.path();
  KernelSource Src{"warned", "add_one",
                   "#warning this kernel is experimental\n" +
                       addKernelSource()};
  auto Lenient = compileKernel(Src, Opts);
  ASSERT_TRUE(Lenient.ok()) << Lenient.message();
  EXPECT_TRUE(logHasWarnings(Lenient->log)) << Lenient->log;
  EXPECT_NE(Lenient->log.find("this kernel is experimental"),
            std::string::npos);

  auto Strict = compileKernel(Src, Opts, nullptr, /*WarningsAsErrors=*/true);
  ASSERT_FALSE(Strict.ok());
  EXPECT_NE(Strict.message().find("kernel warned:"), std::string::npos)
      << Strict.message();
  EXPECT_NE(Strict.message().find("warning #1105-D"), std::string::npos)
      << Strict.message();
  EXPECT_TRUE(std::filesystem::exists(savedPath(Strict.message())))
      << Strict.message();

  // A clean kernel passes either way.
  auto Clean = compileKernel({"clean", "add_one", addKernelSource()}, Opts,
                             nullptr, true);
  ASSERT_TRUE(Clean.ok()) << Clean.message();
  EXPECT_FALSE(logHasWarnings(Clean->log)) << Clean->log;
}

TEST(Nvrtc, MissingEntryIsAnError) {
  REQUIRE_NVRTC();
  TempDir Dir;
  NvrtcOptions Opts;
  Opts.failureDir = Dir.path();
  auto K = compileKernel({"misnamed", "add_two", addKernelSource()}, Opts);
  ASSERT_FALSE(K.ok());
  EXPECT_NE(K.message().find("no entry function 'add_two'"), std::string::npos)
      << K.message();
  EXPECT_NE(K.message().find("it has: add_one"), std::string::npos)
      << K.message();
}

TEST(Nvrtc, VirtualArchIsRejected) {
  REQUIRE_NVRTC();
  NvrtcOptions Opts;
  Opts.arch = "compute_90";
  auto K = compileKernel({"virt", "add_one", addKernelSource()}, Opts);
  ASSERT_FALSE(K.ok());
  EXPECT_NE(K.message().find("arch 'compute_90' is not a real GPU"),
            std::string::npos)
      << K.message();
}

TEST(Nvrtc, CompileKernelsKeepsOrderAndReportsProgress) {
  REQUIRE_NVRTC();
  TempDir Dir;
  NvrtcOptions Opts;
  Opts.arch = "sm_80";
  Opts.failureDir = Dir.path();
  std::vector<KernelSource> Srcs;
  for (int I = 0; I < 6; ++I) {
    std::string Entry = "add_" + std::to_string(I);
    Srcs.push_back({"group_" + std::to_string(I), Entry,
                    I == 3 ? "syntax error here" : addKernelSource(Entry, I)});
  }
  std::vector<std::pair<size_t, size_t>> Calls;
  auto Results = compileKernels(
      Srcs, Opts, nullptr, 3, false,
      [&](size_t Done, size_t Total) { Calls.emplace_back(Done, Total); });
  ASSERT_EQ(Results.size(), Srcs.size());
  for (size_t I = 0; I < Srcs.size(); ++I) {
    if (I == 3) {
      ASSERT_FALSE(Results[I].ok());
      EXPECT_NE(Results[I].message().find("kernel group_3:"),
                std::string::npos);
      continue;
    }
    ASSERT_TRUE(Results[I].ok()) << Results[I].message();
    EXPECT_EQ(Results[I]->name, Srcs[I].name);
    EXPECT_EQ(Results[I]->entry, Srcs[I].entry);
  }
  ASSERT_EQ(Calls.size(), Srcs.size());
  for (size_t I = 0; I < Calls.size(); ++I)
    EXPECT_EQ(Calls[I], std::make_pair(I + 1, Srcs.size()));

  EXPECT_TRUE(compileKernels({}, Opts, nullptr).empty());
}

TEST(PtxasInfo, ParsesEntryRegistersSpillsAndSmem) {
  const char *Log = R"(k.cu(5): warning #1105-D: #warning directive: hi
ptxas info    : 0 bytes gmem
ptxas info    : Compiling entry function 'other' for 'sm_80'
ptxas info    : Function properties for other
ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads
ptxas info    : Used 10 registers, used 0 barriers, 128 bytes smem, 360 bytes cmem[0]
ptxas info    : Compile time = 2.153 ms
ptxas info    : Compiling entry function 'big' for 'sm_80'
ptxas info    : Function properties for big
ptxas         .     504 bytes stack frame, 516 bytes spill stores, 596 bytes spill loads
ptxas info    : Used 32 registers, used 0 barriers, 504 bytes cumulative stack size, 364 bytes cmem[0]
ptxas info    : Compile time = 21.770 ms
ptxas info    : Function properties for _Z6helperPfi
ptxas         .     0 bytes stack frame, 464 bytes spill stores, 504 bytes spill loads
)";
  KernelResources Other = parsePtxasInfo(Log, "other");
  EXPECT_EQ(Other.registers, 10);
  EXPECT_EQ(Other.spillBytes, 0);
  EXPECT_EQ(Other.smemBytes, 128);

  KernelResources Big = parsePtxasInfo(Log, "big");
  EXPECT_EQ(Big.registers, 32);
  EXPECT_EQ(Big.spillBytes, 516 + 596); // not the helper's
  EXPECT_EQ(Big.smemBytes, 0);          // not reported: none

  KernelResources Missing = parsePtxasInfo(Log, "absent");
  EXPECT_EQ(Missing.registers, -1);
  EXPECT_EQ(Missing.spillBytes, 0);
  EXPECT_EQ(Missing.smemBytes, 0);

  EXPECT_EQ(ptxasEntryFunctions(Log),
            (std::vector<std::string>{"other", "big"}));
}

TEST(PtxasInfo, OlderFormatAndCrLf) {
  // nvcc-style: the spill line without the "ptxas" prefix; Windows endings.
  const char *Log =
      "ptxas info    : Compiling entry function '_Z3fooPf' for 'sm_80'\r\n"
      "ptxas info    : Function properties for _Z3fooPf\r\n"
      "    8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads\r\n"
      "ptxas info    : Used 255 registers, 49152 bytes smem, 352 bytes "
      "cmem[0]\r\n";
  KernelResources R = parsePtxasInfo(Log, "_Z3fooPf");
  EXPECT_EQ(R.registers, 255);
  EXPECT_EQ(R.spillBytes, 16);
  EXPECT_EQ(R.smemBytes, 49152);
  EXPECT_EQ(parsePtxasInfo("", "x").registers, -1);
}

TEST(PtxasInfo, HugeNumbersDoNotThrow) {
  std::string Log = "ptxas info    : Compiling entry function 'k' for 'sm_80'\n"
                    "ptxas info    : Used 99999999999999999999999 registers, "
                    "99999999999999999999999 bytes smem\n";
  KernelResources R = parsePtxasInfo(Log, "k");
  EXPECT_GT(R.registers, 0);
  EXPECT_GT(R.smemBytes, 0);
}

TEST(NvrtcLog, Warnings) {
  EXPECT_TRUE(
      logHasWarnings("k.cu(5): warning #1105-D: #warning directive: x"));
  EXPECT_TRUE(logHasWarnings("nvrtc: warning: \"-std\" followed by \"-std\""));
  EXPECT_TRUE(logHasWarnings("ptxas warning : Registers are spilled"));
  EXPECT_FALSE(logHasWarnings(""));
  EXPECT_FALSE(logHasWarnings(
      "ptxas info    : Compiling entry function 'warning' for 'sm_90'\n"
      "ptxas info    : Function properties for warning\n"
      "ptxas info    : Used 8 registers, used 1 barriers, 256 bytes smem"));
}
