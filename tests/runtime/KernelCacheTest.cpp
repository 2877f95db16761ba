//===- runtime/KernelCacheTest.cpp - The on-disk kernel cache -------------===//

#include "Cuda/KernelCache.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

using namespace ssmc::rt;
using namespace ssmc::rt::test;
namespace fs = std::filesystem;

namespace {

#define REQUIRE_NVRTC()                                                        \
  if (!nvrtcAvailable())                                                       \
  GTEST_SKIP() << "built without the CUDA toolkit"

KernelSource addKernel() { return {"add_group", "add_one", addKernelSource()}; }

NvrtcOptions sm80() {
  NvrtcOptions Opts;
  Opts.arch = "sm_80";
  return Opts;
}

std::string keyOf(const KernelSource &Src, const NvrtcOptions &Opts) {
  return KernelCache::makeKey(Src, nvrtcCommandLine(Opts), Opts.arch,
                              nvrtcVersion());
}

std::string joined(const std::vector<std::string> &Lines) {
  std::string Out;
  for (const std::string &L : Lines)
    Out += L + "\n";
  return Out;
}

/// Files in \p Dir whose names contain \p Part.
int countFiles(const std::string &Dir, const std::string &Part) {
  int N = 0;
  for (const auto &E : fs::directory_iterator(Dir))
    N += E.path().filename().string().find(Part) != std::string::npos;
  return N;
}

} // namespace

TEST(KernelCache, MissThenHit) {
  REQUIRE_NVRTC();
  TempDir Dir;
  KernelCache Cache(Dir.path());
  ASSERT_TRUE(Cache.enabled());
  auto First = compileKernel(addKernel(), sm80(), &Cache);
  ASSERT_TRUE(First.ok()) << First.message();
  EXPECT_FALSE(First->fromCache);
  EXPECT_TRUE(fs::exists(Cache.entryPath(keyOf(addKernel(), sm80()))));

  auto Second = compileKernel(addKernel(), sm80(), &Cache);
  ASSERT_TRUE(Second.ok()) << Second.message();
  EXPECT_TRUE(Second->fromCache);
  EXPECT_EQ(Second->cubin, First->cubin);
  EXPECT_EQ(Second->log, First->log);
  EXPECT_EQ(Second->name, "add_group");
  EXPECT_EQ(Second->entry, "add_one");
  EXPECT_EQ(Second->resources.registers, First->resources.registers);
  EXPECT_EQ(Second->resources.spillBytes, First->resources.spillBytes);
  EXPECT_EQ(Second->resources.smemBytes, First->resources.smemBytes);
  EXPECT_TRUE(Cache.warnings().empty()) << joined(Cache.warnings());

  // Another cache object on the same directory (another process) hits too.
  KernelCache Other(Dir.path());
  auto Third = compileKernel(addKernel(), sm80(), &Other);
  ASSERT_TRUE(Third.ok());
  EXPECT_TRUE(Third->fromCache);
}

TEST(KernelCache, KeyCoversEverythingThatChangesTheCubin) {
  KernelSource Src = addKernel();
  NvrtcOptions Opts = sm80();
  std::string Base = keyOf(Src, Opts);
  EXPECT_EQ(Base.size(), 64u);
  EXPECT_EQ(Base, keyOf(Src, Opts));

  NvrtcOptions Sm90 = Opts;
  Sm90.arch = "sm_90";
  EXPECT_NE(keyOf(Src, Sm90), Base);
  NvrtcOptions Extra = Opts;
  Extra.extra = {"-DTILE=32"};
  EXPECT_NE(keyOf(Src, Extra), Base);
  KernelSource Edited = Src;
  Edited.source += "\n";
  EXPECT_NE(keyOf(Edited, Opts), Base);
  KernelSource OtherEntry = Src;
  OtherEntry.entry = "add_two";
  EXPECT_NE(keyOf(OtherEntry, Opts), Base);
  EXPECT_NE(
      KernelCache::makeKey(Src, nvrtcCommandLine(Opts), Opts.arch, "99.9"),
      Base);
  // The kernel group's name only labels the result: same cubin, same entry.
  KernelSource Renamed = Src;
  Renamed.name = "another_group";
  EXPECT_EQ(keyOf(Renamed, Opts), Base);
}

namespace {

/// Damages the cached entry of addKernel() with \p Damage, recompiles, and
/// checks the damage was reported with \p Reason and repaired.
void expectRebuilt(const std::function<void(std::string &)> &Damage,
                   const std::string &Reason) {
  TempDir Dir;
  KernelCache Cache(Dir.path());
  auto Good = compileKernel(addKernel(), sm80(), &Cache);
  ASSERT_TRUE(Good.ok()) << Good.message();
  std::string Path = Cache.entryPath(keyOf(addKernel(), sm80()));
  std::string Bytes = readText(Path);
  Damage(Bytes);
  writeText(Path, Bytes);

  auto Rebuilt = compileKernel(addKernel(), sm80(), &Cache);
  ASSERT_TRUE(Rebuilt.ok()) << Rebuilt.message();
  EXPECT_FALSE(Rebuilt->fromCache);
  EXPECT_EQ(Rebuilt->cubin, Good->cubin);
  std::vector<std::string> Warnings = Cache.takeWarnings();
  ASSERT_EQ(Warnings.size(), 1u) << joined(Warnings);
  EXPECT_NE(
      Warnings[0].find("ignoring entry " + Path + " for kernel add_group"),
      std::string::npos)
      << Warnings[0];
  EXPECT_NE(Warnings[0].find(Reason), std::string::npos) << Warnings[0];

  // Rewritten: the next compile hits, silently.
  auto Again = compileKernel(addKernel(), sm80(), &Cache);
  ASSERT_TRUE(Again.ok());
  EXPECT_TRUE(Again->fromCache);
  EXPECT_TRUE(Cache.takeWarnings().empty());
}

} // namespace

TEST(KernelCache, TruncatedEntryIsRebuilt) {
  REQUIRE_NVRTC();
  expectRebuilt([](std::string &B) { B.resize(B.size() / 2); }, "truncated");
  expectRebuilt([](std::string &B) { B.resize(B.find("payload") + 5); },
                "malformed header");
  expectRebuilt([](std::string &B) { B.clear(); }, "bad magic");
}

TEST(KernelCache, FlippedByteIsRebuilt) {
  REQUIRE_NVRTC();
  expectRebuilt([](std::string &B) { B[B.size() - 100] ^= 0x20; },
                "checksum mismatch");
}

TEST(KernelCache, WrongMagicIsRebuilt) {
  REQUIRE_NVRTC();
  expectRebuilt([](std::string &B) { B[6] = '0'; }, "bad magic");
}

TEST(KernelCache, EntryOfAnotherKeyIsRebuilt) {
  REQUIRE_NVRTC();
  TempDir Dir;
  KernelCache Cache(Dir.path());
  KernelSource Plus2{"add_group", "add_one", addKernelSource("add_one", 2.0f)};
  ASSERT_TRUE(compileKernel(Plus2, sm80(), &Cache).ok());
  // An entry copied under the wrong name must not hand out its cubin.
  fs::copy_file(Cache.entryPath(keyOf(Plus2, sm80())),
                Cache.entryPath(keyOf(addKernel(), sm80())));
  auto K = compileKernel(addKernel(), sm80(), &Cache);
  ASSERT_TRUE(K.ok());
  EXPECT_FALSE(K->fromCache);
  std::vector<std::string> Warnings = Cache.warnings();
  ASSERT_EQ(Warnings.size(), 1u) << joined(Warnings);
  EXPECT_NE(Warnings[0].find("holds a different key"), std::string::npos);
}

TEST(KernelCache, ConcurrentWritersLeaveAValidEntry) {
  REQUIRE_NVRTC();
  TempDir Dir;
  for (int Round = 0; Round < 3; ++Round) {
    KernelSource Src{"race", "add_one", addKernelSource("add_one", Round)};
    // Two caches on one directory: two processes compiling the same kernel.
    KernelCache A(Dir.path()), B(Dir.path());
    std::optional<Expected<CompiledKernel>> RA, RB;
    std::thread TA([&] { RA.emplace(compileKernel(Src, sm80(), &A)); });
    std::thread TB([&] { RB.emplace(compileKernel(Src, sm80(), &B)); });
    TA.join();
    TB.join();
    ASSERT_TRUE(RA->ok()) << RA->message();
    ASSERT_TRUE(RB->ok()) << RB->message();
    EXPECT_EQ((*RA)->cubin, (*RB)->cubin);
    EXPECT_TRUE(A.warnings().empty()) << joined(A.warnings());
    EXPECT_TRUE(B.warnings().empty()) << joined(B.warnings());

    KernelCache C(Dir.path());
    auto Hit = C.lookup(keyOf(Src, sm80()), Src);
    ASSERT_TRUE(Hit.has_value()) << joined(C.warnings());
    EXPECT_EQ(Hit->cubin, (*RA)->cubin);
  }
  EXPECT_EQ(countFiles(Dir.path(), ".tmp."), 0);
  EXPECT_EQ(countFiles(Dir.path(), ".entry"), 3);
}

TEST(KernelCache, SharedByCompileKernelsThreads) {
  REQUIRE_NVRTC();
  TempDir Dir;
  KernelCache Cache(Dir.path());
  std::vector<KernelSource> Srcs(6, addKernel()); // same key from 4 threads
  Srcs.push_back({"other", "add_one", addKernelSource("add_one", 5.0f)});
  auto Results = compileKernels(Srcs, sm80(), &Cache, 4);
  for (auto &R : Results)
    ASSERT_TRUE(R.ok()) << R.message();
  EXPECT_TRUE(Cache.warnings().empty()) << joined(Cache.warnings());
  EXPECT_EQ(countFiles(Dir.path(), ".entry"), 2);
}

TEST(KernelCache, UncreatableDirectoryDisablesTheCache) {
  REQUIRE_NVRTC();
  TempDir Dir;
  writeText(Dir / "file", "not a directory");
  KernelCache Cache(Dir / "file/kernels");
  EXPECT_FALSE(Cache.enabled());
  std::vector<std::string> Warnings = Cache.warnings();
  ASSERT_EQ(Warnings.size(), 1u);
  EXPECT_NE(Warnings[0].find("kernel cache disabled: cannot create directory " +
                             Dir / "file/kernels"),
            std::string::npos)
      << Warnings[0];
  auto K = compileKernel(addKernel(), sm80(), &Cache);
  ASSERT_TRUE(K.ok()) << K.message();
  EXPECT_FALSE(K->fromCache);
}

TEST(KernelCache, UnwritableDirectoryDisablesTheCache) {
  REQUIRE_NVRTC();
  TempDir Dir;
  KernelCache Cache(Dir / "kernels");
  ASSERT_TRUE(Cache.enabled());
  // Gone after start-up (root ignores permissions, so no chmod here).
  fs::remove_all(Dir / "kernels");
  auto K = compileKernel(addKernel(), sm80(), &Cache);
  ASSERT_TRUE(K.ok()) << K.message();
  EXPECT_FALSE(Cache.enabled());
  std::vector<std::string> Warnings = Cache.warnings();
  ASSERT_EQ(Warnings.size(), 1u) << joined(Warnings);
  EXPECT_NE(Warnings[0].find("kernel cache disabled: cannot store"),
            std::string::npos)
      << Warnings[0];
  // Disabled: no further warnings, compiling still works.
  ASSERT_TRUE(compileKernel(addKernel(), sm80(), &Cache).ok());
  EXPECT_EQ(Cache.warnings().size(), 1u);
}

TEST(KernelCache, CachedWarningsStillFailWithWarningsAsErrors) {
  REQUIRE_NVRTC();
  TempDir Dir;
  KernelCache Cache(Dir / "kernels");
  NvrtcOptions Opts = sm80();
  Opts.failureDir = Dir / "failed";
  KernelSource Src{"warned", "add_one",
                   "#warning careful\n" + addKernelSource()};
  ASSERT_TRUE(compileKernel(Src, Opts, &Cache).ok());
  auto Strict = compileKernel(Src, Opts, &Cache, /*WarningsAsErrors=*/true);
  ASSERT_FALSE(Strict.ok());
  EXPECT_NE(Strict.message().find("warning #1105-D"), std::string::npos)
      << Strict.message();
}

TEST(KernelCache, DefaultDirectoryFromEnvironment) {
  // Restores the variables this test changes, for the tests after it.
  struct SavedEnv {
    std::vector<std::pair<std::string, std::optional<std::string>>> Vars;
    SavedEnv() {
      for (const char *Name : {"SSMC_CACHE_DIR", "XDG_CACHE_HOME", "HOME"}) {
        const char *V = std::getenv(Name);
        Vars.emplace_back(Name,
                          V ? std::optional<std::string>(V) : std::nullopt);
      }
    }
    ~SavedEnv() {
      for (auto &[Name, V] : Vars)
        V ? ::setenv(Name.c_str(), V->c_str(), 1) : ::unsetenv(Name.c_str());
    }
  } Saved;
  ::setenv("SSMC_CACHE_DIR", "/x/ssmc", 1);
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(KernelCache::defaultDirectory(), "/x/ssmc");
  ::unsetenv("SSMC_CACHE_DIR");
  EXPECT_EQ(KernelCache::defaultDirectory(), "/xdg/ssmc/kernels");
  ::setenv("XDG_CACHE_HOME", "relative", 1); // invalid per the XDG spec
  EXPECT_EQ(KernelCache::defaultDirectory(), "/home/u/.cache/ssmc/kernels");
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(KernelCache::defaultDirectory(), "/home/u/.cache/ssmc/kernels");
  ::unsetenv("HOME");
  EXPECT_EQ(KernelCache::defaultDirectory(), "");
  KernelCache Nowhere;
  EXPECT_FALSE(Nowhere.enabled());
  EXPECT_EQ(Nowhere.warnings().size(), 1u);
}

TEST(KernelCache, StaleTemporaryFilesAreRemoved) {
  TempDir Dir;
  std::string Stale = Dir / "abc.entry.tmp.a1b2c3", Fresh = Dir / "def.entry.tmp.d4e5f6";
  writeText(Stale, "half an entry");
  writeText(Fresh, "being written");
  fs::last_write_time(Stale,
                      fs::file_time_type::clock::now() - std::chrono::hours(2));
  KernelCache Cache(Dir.path());
  EXPECT_FALSE(fs::exists(Stale));
  EXPECT_TRUE(fs::exists(Fresh));
}
