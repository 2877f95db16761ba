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

#define REQUIRE_NVRTC()                                                                            \
  if (!nvrtcAvailable())                                                                           \
  GTEST_SKIP() << "built without the CUDA toolkit"

/// The path after "source saved to " in a failure message.
std::string savedPath(const std::string &message) {
  std::smatch m;
  if (!std::regex_search(message, m, std::regex("source saved to (.*)$")))
    return {};
  return m[1].str();
}

} // namespace

TEST(Nvrtc, CommandLine) {
  NvrtcOptions opts;
  opts.arch = "sm_80";
  opts.extra = {"-DTILE=64"};
  std::vector<std::string> args = nvrtcCommandLine(opts);
  ASSERT_GE(args.size(), 5u);
  EXPECT_EQ(args[0], "--gpu-architecture=sm_80");
  EXPECT_EQ(args[1], "-std=c++17");
  EXPECT_EQ(args[2], "-default-device");
  EXPECT_EQ(args.back(), "-DTILE=64");
  EXPECT_NE(std::find(args.begin(), args.end(), "--ptxas-options=-v"), args.end());
  EXPECT_EQ(std::find(args.begin(), args.end(), "--use_fast_math"), args.end());

  ::setenv("SSMC_CUDA_INCLUDE", "/opt/a:/opt/b", 1);
  args = nvrtcCommandLine(opts);
  ::unsetenv("SSMC_CUDA_INCLUDE");
  EXPECT_NE(std::find(args.begin(), args.end(), "-I/opt/a"), args.end());
  EXPECT_NE(std::find(args.begin(), args.end(), "-I/opt/b"), args.end());
}

TEST(Nvrtc, BuiltWithoutToolkitSaysSo) {
  if (nvrtcAvailable()) {
    EXPECT_NE(nvrtcVersion(), "unavailable");
    return;
  }
  auto k = compileKernel({"lonely", "add_one", addKernelSource()}, {});
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.message().find("kernel lonely: ssmc was built without the CUDA "
                             "toolkit"),
            std::string::npos)
      << k.message();
}

TEST(Nvrtc, VersionIsMajorDotMinor) {
  REQUIRE_NVRTC();
  EXPECT_TRUE(std::regex_match(nvrtcVersion(), std::regex(R"(\d+\.\d+)"))) << nvrtcVersion();
}

TEST(Nvrtc, CompilesFp16Bf16WmmaForSm80AndSm90) {
  REQUIRE_NVRTC();
  for (const char *arch : {"sm_80", "sm_90"}) {
    NvrtcOptions opts;
    opts.arch = arch;
    auto start = std::chrono::steady_clock::now();
    auto k = compileKernel({"tile_mma_group", "tile_mma", wmmaKernelSource()}, opts);
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    ASSERT_TRUE(k.ok()) << k.message();
    std::cout << arch << ": " << ms << " ms, " << k->cubin.size() << " bytes of cubin, "
              << k->resources.registers << " registers\n";
    EXPECT_EQ(k->name, "tile_mma_group");
    EXPECT_EQ(k->entry, "tile_mma");
    EXPECT_FALSE(k->fromCache);
    ASSERT_GE(k->cubin.size(), 4u);
    EXPECT_EQ(std::string(k->cubin.data() + 1, 3), "ELF");
    EXPECT_GT(k->resources.registers, 0);
    EXPECT_EQ(k->resources.spillBytes, 0);
    EXPECT_EQ(k->resources.smemBytes, 1024);
    EXPECT_NE(k->log.find(std::string("for '") + arch + "'"), std::string::npos) << k->log;
  }
}

TEST(Nvrtc, SyntaxErrorNamesKernelLogAndSavedSource) {
  REQUIRE_NVRTC();
  TempDir dir;
  NvrtcOptions opts;
  opts.failureDir = dir / "failed";
  KernelSource src{"broken_group", "broken",
                   "extern \"C\" __global__ void broken(float *x) { x[0] = y; }\n"};
  auto k = compileKernel(src, opts);
  ASSERT_FALSE(k.ok());
  const std::string &m = k.message();
  EXPECT_EQ(m.rfind("kernel broken_group: NVRTC failed (NVRTC_ERROR_COMPILATION)", 0), 0u) << m;
  EXPECT_NE(m.find("broken_group.cu(1): error: identifier \"y\" is undefined"), std::string::npos)
      << m;
  std::string path = savedPath(m);
  EXPECT_EQ(path, dir / "failed/broken_group.cu") << m;
  ASSERT_TRUE(std::filesystem::exists(path)) << m;
  EXPECT_EQ(readText(path), src.source);
}

TEST(Nvrtc, FailedSourceGoesToAPrivateTempDirByDefault) {
  REQUIRE_NVRTC();
  TempDir dir;
  // A link planted at the predictable name must not be followed.
  writeText(dir / "victim.txt", "untouched");
  std::filesystem::create_symlink(dir / "victim.txt", dir / "tmp_broken.cu");
  ::setenv("TMPDIR", dir.path().c_str(), 1);
  auto k = compileKernel({"tmp_broken", "k", "this is not C++"}, {});
  ::unsetenv("TMPDIR");
  ASSERT_FALSE(k.ok());
  const std::filesystem::path saved = savedPath(k.message());
  EXPECT_EQ(saved.parent_path().parent_path(), dir.path()) << k.message();
  EXPECT_EQ(saved.parent_path().filename().string().rfind("ssmc-nvrtc-", 0), 0u) << saved;
  EXPECT_EQ(saved.filename(), "tmp_broken.cu");
  EXPECT_EQ(readText(saved), "this is not C++");
  EXPECT_EQ(std::filesystem::status(saved.parent_path()).permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  EXPECT_EQ(readText(dir / "victim.txt"), "untouched");
}

TEST(Nvrtc, WarningFailsOnlyWithWarningsAsErrors) {
  REQUIRE_NVRTC();
  TempDir dir;
  NvrtcOptions opts;
  opts.failureDir = dir.path();
  KernelSource src{"warned", "add_one",
                   "#warning this kernel is experimental\n" + addKernelSource()};
  auto lenient = compileKernel(src, opts);
  ASSERT_TRUE(lenient.ok()) << lenient.message();
  EXPECT_TRUE(logHasWarnings(lenient->log)) << lenient->log;
  EXPECT_NE(lenient->log.find("this kernel is experimental"), std::string::npos);

  auto strict = compileKernel(src, opts, nullptr, /*WarningsAsErrors=*/true);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.message().find("kernel warned:"), std::string::npos) << strict.message();
  EXPECT_NE(strict.message().find("warning #1105-D"), std::string::npos) << strict.message();
  EXPECT_TRUE(std::filesystem::exists(savedPath(strict.message()))) << strict.message();

  // A clean kernel passes either way.
  auto clean = compileKernel({"clean", "add_one", addKernelSource()}, opts, nullptr, true);
  ASSERT_TRUE(clean.ok()) << clean.message();
  EXPECT_FALSE(logHasWarnings(clean->log)) << clean->log;
}

TEST(Nvrtc, MissingEntryIsAnError) {
  REQUIRE_NVRTC();
  TempDir dir;
  NvrtcOptions opts;
  opts.failureDir = dir.path();
  auto k = compileKernel({"misnamed", "add_two", addKernelSource()}, opts);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.message().find("no entry function 'add_two'"), std::string::npos) << k.message();
  EXPECT_NE(k.message().find("it has: add_one"), std::string::npos) << k.message();
}

TEST(Nvrtc, VirtualArchIsRejected) {
  REQUIRE_NVRTC();
  NvrtcOptions opts;
  opts.arch = "compute_90";
  auto k = compileKernel({"virt", "add_one", addKernelSource()}, opts);
  ASSERT_FALSE(k.ok());
  EXPECT_NE(k.message().find("arch 'compute_90' is not a real GPU"), std::string::npos)
      << k.message();
}

// A name far past a file name's 255 bytes (the codegen check names kernels
// by their whole header comment): the program's name is cut, so NVRTC's
// automatic precompiled header, a file named after it, can be written; its
// notes stay out of the log.
TEST(Nvrtc, ALongNameCompilesAndTheLogHasNoPchNotes) {
  REQUIRE_NVRTC();
  NvrtcOptions opts;
  auto k = compileKernel({std::string(400, 'k'), "add_one", addKernelSource()}, opts);
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_EQ(k->log.find("precompiled header"), std::string::npos) << k->log;
  EXPECT_NE(k->log.find("add_one"), std::string::npos) << k->log; // ptxas's report stays
}

TEST(Nvrtc, CompileKernelsKeepsOrderAndReportsProgress) {
  REQUIRE_NVRTC();
  TempDir dir;
  NvrtcOptions opts;
  opts.arch = "sm_80";
  opts.failureDir = dir.path();
  std::vector<KernelSource> srcs;
  for (int i = 0; i < 6; ++i) {
    std::string entry = "add_" + std::to_string(i);
    srcs.push_back({"group_" + std::to_string(i), entry,
                    i == 3 ? "syntax error here" : addKernelSource(entry, i)});
  }
  std::vector<std::pair<size_t, size_t>> calls;
  auto results = compileKernels(srcs, opts, nullptr, 3, false, [&](size_t done, size_t total) {
    calls.emplace_back(done, total);
  });
  ASSERT_EQ(results.size(), srcs.size());
  for (size_t i = 0; i < srcs.size(); ++i) {
    if (i == 3) {
      ASSERT_FALSE(results[i].ok());
      EXPECT_NE(results[i].message().find("kernel group_3:"), std::string::npos);
      continue;
    }
    ASSERT_TRUE(results[i].ok()) << results[i].message();
    EXPECT_EQ(results[i]->name, srcs[i].name);
    EXPECT_EQ(results[i]->entry, srcs[i].entry);
  }
  ASSERT_EQ(calls.size(), srcs.size());
  for (size_t i = 0; i < calls.size(); ++i)
    EXPECT_EQ(calls[i], std::make_pair(i + 1, srcs.size()));

  EXPECT_TRUE(compileKernels({}, opts, nullptr).empty());
}

TEST(PtxasInfo, ParsesEntryRegistersSpillsAndSmem) {
  const char *log = R"(k.cu(5): warning #1105-D: #warning directive: hi
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
  KernelResources other = parsePtxasInfo(log, "other");
  EXPECT_EQ(other.registers, 10);
  EXPECT_EQ(other.spillBytes, 0);
  EXPECT_EQ(other.smemBytes, 128);

  KernelResources big = parsePtxasInfo(log, "big");
  EXPECT_EQ(big.registers, 32);
  EXPECT_EQ(big.spillBytes, 516 + 596); // not the helper's
  EXPECT_EQ(big.smemBytes, 0);          // not reported: none

  KernelResources missing = parsePtxasInfo(log, "absent");
  EXPECT_EQ(missing.registers, -1);
  EXPECT_EQ(missing.spillBytes, 0);
  EXPECT_EQ(missing.smemBytes, 0);

  EXPECT_EQ(ptxasEntryFunctions(log), (std::vector<std::string>{"other", "big"}));
}

TEST(PtxasInfo, OlderFormatAndCrLf) {
  // nvcc-style: the spill line without the "ptxas" prefix; Windows endings.
  const char *log = "ptxas info    : Compiling entry function '_Z3fooPf' for 'sm_80'\r\n"
                    "ptxas info    : Function properties for _Z3fooPf\r\n"
                    "    8 bytes stack frame, 4 bytes spill stores, 12 bytes spill loads\r\n"
                    "ptxas info    : Used 255 registers, 49152 bytes smem, 352 bytes "
                    "cmem[0]\r\n";
  KernelResources r = parsePtxasInfo(log, "_Z3fooPf");
  EXPECT_EQ(r.registers, 255);
  EXPECT_EQ(r.spillBytes, 16);
  EXPECT_EQ(r.smemBytes, 49152);
  EXPECT_EQ(parsePtxasInfo("", "x").registers, -1);
}

TEST(PtxasInfo, HugeNumbersDoNotThrow) {
  std::string log = "ptxas info    : Compiling entry function 'k' for 'sm_80'\n"
                    "ptxas info    : Used 99999999999999999999999 registers, "
                    "99999999999999999999999 bytes smem\n";
  KernelResources r = parsePtxasInfo(log, "k");
  EXPECT_GT(r.registers, 0);
  EXPECT_GT(r.smemBytes, 0);
}

TEST(NvrtcLog, Warnings) {
  EXPECT_TRUE(logHasWarnings("k.cu(5): warning #1105-D: #warning directive: x"));
  EXPECT_TRUE(logHasWarnings("nvrtc: warning: \"-std\" followed by \"-std\""));
  EXPECT_TRUE(logHasWarnings("ptxas warning : Registers are spilled"));
  EXPECT_FALSE(logHasWarnings(""));
  EXPECT_FALSE(logHasWarnings("ptxas info    : Compiling entry function 'warning' for 'sm_90'\n"
                              "ptxas info    : Function properties for warning\n"
                              "ptxas info    : Used 8 registers, used 1 barriers, 256 bytes smem"));
}
