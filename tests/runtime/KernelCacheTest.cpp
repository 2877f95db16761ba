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

#define REQUIRE_NVRTC()                                                                            \
  if (!nvrtcAvailable())                                                                           \
  GTEST_SKIP() << "built without the CUDA toolkit"

KernelSource addKernel() { return {"add_group", "add_one", addKernelSource()}; }

NvrtcOptions sm80() {
  NvrtcOptions opts;
  opts.arch = "sm_80";
  return opts;
}

std::string keyOf(const KernelSource &src, const NvrtcOptions &opts) {
  return nvrtcCacheKey(src, opts);
}

std::string joined(const std::vector<std::string> &lines) {
  std::string out;
  for (const std::string &l : lines)
    out += l + "\n";
  return out;
}

/// Files in \p Dir whose names contain \p Part.
int countFiles(const std::string &dir, const std::string &part) {
  int n = 0;
  for (const auto &e : fs::directory_iterator(dir))
    n += e.path().filename().string().find(part) != std::string::npos;
  return n;
}

} // namespace

TEST(KernelCache, MissThenHit) {
  REQUIRE_NVRTC();
  TempDir dir;
  KernelCache cache(dir.path());
  ASSERT_TRUE(cache.enabled());
  auto first = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_FALSE(first->fromCache);
  EXPECT_TRUE(fs::exists(cache.entryPath(keyOf(addKernel(), sm80()))));

  auto second = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(second.ok()) << second.message();
  EXPECT_TRUE(second->fromCache);
  EXPECT_EQ(second->cubin, first->cubin);
  EXPECT_EQ(second->log, first->log);
  EXPECT_EQ(second->name, "add_group");
  EXPECT_EQ(second->entry, "add_one");
  EXPECT_EQ(second->resources.registers, first->resources.registers);
  EXPECT_EQ(second->resources.spillBytes, first->resources.spillBytes);
  EXPECT_EQ(second->resources.smemBytes, first->resources.smemBytes);
  EXPECT_TRUE(cache.warnings().empty()) << joined(cache.warnings());

  // Another cache object on the same directory (another process) hits too.
  KernelCache other(dir.path());
  auto third = compileKernel(addKernel(), sm80(), &other);
  ASSERT_TRUE(third.ok());
  EXPECT_TRUE(third->fromCache);
}

TEST(KernelCache, KeyCoversEverythingThatChangesTheCubin) {
  KernelSource src = addKernel();
  NvrtcOptions opts = sm80();
  std::string base = keyOf(src, opts);
  EXPECT_EQ(base.size(), 64u);
  EXPECT_EQ(base, keyOf(src, opts));

  NvrtcOptions sm90 = opts;
  sm90.arch = "sm_90";
  EXPECT_NE(keyOf(src, sm90), base);
  NvrtcOptions extra = opts;
  extra.extra = {"-DTILE=32"};
  EXPECT_NE(keyOf(src, extra), base);
  KernelSource edited = src;
  edited.source += "\n";
  EXPECT_NE(keyOf(edited, opts), base);
  KernelSource otherEntry = src;
  otherEntry.entry = "add_two";
  EXPECT_NE(keyOf(otherEntry, opts), base);
  EXPECT_NE(KernelCache::makeKey(src, nvrtcCommandLine(opts), opts.arch, "99.9"), base);
  // The kernel group's name only labels the result: same cubin, same entry.
  KernelSource renamed = src;
  renamed.name = "another_group";
  EXPECT_EQ(keyOf(renamed, opts), base);
}

namespace {

/// Damages the cached entry of addKernel() with \p Damage, recompiles, and
/// checks the damage was reported with \p Reason and repaired.
void expectRebuilt(const std::function<void(std::string &)> &damage, const std::string &reason) {
  TempDir dir;
  KernelCache cache(dir.path());
  auto good = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(good.ok()) << good.message();
  std::string path = cache.entryPath(keyOf(addKernel(), sm80()));
  std::string bytes = readText(path);
  damage(bytes);
  writeText(path, bytes);

  auto rebuilt = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(rebuilt.ok()) << rebuilt.message();
  EXPECT_FALSE(rebuilt->fromCache);
  EXPECT_EQ(rebuilt->cubin, good->cubin);
  std::vector<std::string> warnings = cache.takeWarnings();
  ASSERT_EQ(warnings.size(), 1u) << joined(warnings);
  EXPECT_NE(warnings[0].find("ignoring entry " + path + " for kernel add_group"), std::string::npos)
      << warnings[0];
  EXPECT_NE(warnings[0].find(reason), std::string::npos) << warnings[0];

  // Rewritten: the next compile hits, silently.
  auto again = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->fromCache);
  EXPECT_TRUE(cache.takeWarnings().empty());
}

} // namespace

TEST(KernelCache, TruncatedEntryIsRebuilt) {
  REQUIRE_NVRTC();
  expectRebuilt([](std::string &b) { b.resize(b.size() / 2); }, "truncated");
  expectRebuilt([](std::string &b) { b.resize(b.find("payload") + 5); }, "malformed header");
  expectRebuilt([](std::string &b) { b.clear(); }, "bad magic");
}

TEST(KernelCache, FlippedByteIsRebuilt) {
  REQUIRE_NVRTC();
  expectRebuilt([](std::string &b) { b[b.size() - 100] ^= 0x20; }, "checksum mismatch");
}

TEST(KernelCache, WrongMagicIsRebuilt) {
  REQUIRE_NVRTC();
  expectRebuilt([](std::string &b) { b[6] = '0'; }, "bad magic");
}

TEST(KernelCache, EntryOfAnotherKeyIsRebuilt) {
  REQUIRE_NVRTC();
  TempDir dir;
  KernelCache cache(dir.path());
  KernelSource plus2{"add_group", "add_one", addKernelSource("add_one", 2.0f)};
  ASSERT_TRUE(compileKernel(plus2, sm80(), &cache).ok());
  // An entry copied under the wrong name must not hand out its cubin.
  fs::copy_file(cache.entryPath(keyOf(plus2, sm80())), cache.entryPath(keyOf(addKernel(), sm80())));
  auto k = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(k.ok());
  EXPECT_FALSE(k->fromCache);
  std::vector<std::string> warnings = cache.warnings();
  ASSERT_EQ(warnings.size(), 1u) << joined(warnings);
  EXPECT_NE(warnings[0].find("holds a different key"), std::string::npos);
}

TEST(KernelCache, ConcurrentWritersLeaveAValidEntry) {
  REQUIRE_NVRTC();
  TempDir dir;
  for (int round = 0; round < 3; ++round) {
    KernelSource src{"race", "add_one", addKernelSource("add_one", round)};
    // Two caches on one directory: two processes compiling the same kernel.
    KernelCache a(dir.path()), b(dir.path());
    std::optional<Expected<CompiledKernel>> ra, rb;
    std::thread ta([&] { ra.emplace(compileKernel(src, sm80(), &a)); });
    std::thread tb([&] { rb.emplace(compileKernel(src, sm80(), &b)); });
    ta.join();
    tb.join();
    ASSERT_TRUE(ra->ok()) << ra->message();
    ASSERT_TRUE(rb->ok()) << rb->message();
    EXPECT_EQ((*ra)->cubin, (*rb)->cubin);
    EXPECT_TRUE(a.warnings().empty()) << joined(a.warnings());
    EXPECT_TRUE(b.warnings().empty()) << joined(b.warnings());

    KernelCache c(dir.path());
    auto hit = c.lookup(keyOf(src, sm80()), src);
    ASSERT_TRUE(hit.has_value()) << joined(c.warnings());
    EXPECT_EQ(hit->cubin, (*ra)->cubin);
  }
  EXPECT_EQ(countFiles(dir.path(), ".tmp."), 0);
  EXPECT_EQ(countFiles(dir.path(), ".entry"), 3);
}

TEST(KernelCache, SharedByCompileKernelsThreads) {
  REQUIRE_NVRTC();
  TempDir dir;
  KernelCache cache(dir.path());
  std::vector<KernelSource> srcs(6, addKernel()); // same key from 4 threads
  srcs.push_back({"other", "add_one", addKernelSource("add_one", 5.0f)});
  auto results = compileKernels(srcs, sm80(), &cache, 4);
  for (auto &r : results)
    ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_TRUE(cache.warnings().empty()) << joined(cache.warnings());
  EXPECT_EQ(countFiles(dir.path(), ".entry"), 2);
}

TEST(KernelCache, UncreatableDirectoryDisablesTheCache) {
  REQUIRE_NVRTC();
  TempDir dir;
  writeText(dir / "file", "not a directory");
  KernelCache cache(dir / "file/kernels");
  EXPECT_FALSE(cache.enabled());
  std::vector<std::string> warnings = cache.warnings();
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(
      warnings[0].find("kernel cache disabled: cannot create directory " + dir / "file/kernels"),
      std::string::npos)
      << warnings[0];
  auto k = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_FALSE(k->fromCache);
}

TEST(KernelCache, UnwritableDirectoryDisablesTheCache) {
  REQUIRE_NVRTC();
  TempDir dir;
  KernelCache cache(dir / "kernels");
  ASSERT_TRUE(cache.enabled());
  // Gone after start-up (root ignores permissions, so no chmod here).
  fs::remove_all(dir / "kernels");
  auto k = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_FALSE(cache.enabled());
  std::vector<std::string> warnings = cache.warnings();
  ASSERT_EQ(warnings.size(), 1u) << joined(warnings);
  EXPECT_NE(warnings[0].find("kernel cache disabled: cannot store"), std::string::npos)
      << warnings[0];
  // Disabled: no further warnings, compiling still works.
  ASSERT_TRUE(compileKernel(addKernel(), sm80(), &cache).ok());
  EXPECT_EQ(cache.warnings().size(), 1u);
}

TEST(KernelCache, OneEntryThatCannotBeWrittenCostsThatEntryOnly) {
  REQUIRE_NVRTC();
  TempDir dir;
  KernelCache cache(dir.path());
  // A directory where the entry should go: the rename over it fails.
  const std::string path = cache.entryPath(keyOf(addKernel(), sm80()));
  fs::create_directories(path + "/in-the-way");
  auto k = compileKernel(addKernel(), sm80(), &cache);
  ASSERT_TRUE(k.ok()) << k.message();
  EXPECT_TRUE(cache.enabled()); // the other kernels are still cached
  std::vector<std::string> warnings = cache.takeWarnings();
  ASSERT_FALSE(warnings.empty());
  EXPECT_NE(joined(warnings).find("kernel cache: cannot store " + path), std::string::npos)
      << joined(warnings);
  EXPECT_NE(joined(warnings).find("it will be compiled again next time"), std::string::npos);
}

TEST(KernelCache, CachedWarningsStillFailWithWarningsAsErrors) {
  REQUIRE_NVRTC();
  TempDir dir;
  KernelCache cache(dir / "kernels");
  NvrtcOptions opts = sm80();
  opts.failureDir = dir / "failed";
  KernelSource src{"warned", "add_one", "#warning careful\n" + addKernelSource()};
  ASSERT_TRUE(compileKernel(src, opts, &cache).ok());
  auto strict = compileKernel(src, opts, &cache, /*WarningsAsErrors=*/true);
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.message().find("warning #1105-D"), std::string::npos) << strict.message();
}

TEST(KernelCache, DefaultDirectoryFromEnvironment) {
  // Restores the variables this test changes, for the tests after it.
  struct SavedEnv {
    std::vector<std::pair<std::string, std::optional<std::string>>> vars;
    SavedEnv() {
      for (const char *name : {"SSMC_CACHE_DIR", "XDG_CACHE_HOME", "HOME"}) {
        const char *v = std::getenv(name);
        vars.emplace_back(name, v ? std::optional<std::string>(v) : std::nullopt);
      }
    }
    ~SavedEnv() {
      for (auto &[Name, V] : vars)
        V ? ::setenv(Name.c_str(), V->c_str(), 1) : ::unsetenv(Name.c_str());
    }
  } saved;
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
  KernelCache nowhere;
  EXPECT_FALSE(nowhere.enabled());
  EXPECT_EQ(nowhere.warnings().size(), 1u);
}

TEST(KernelCache, StaleTemporaryFilesAreRemoved) {
  TempDir dir;
  std::string stale = dir / "abc.entry.tmp.a1b2c3", fresh = dir / "def.entry.tmp.d4e5f6";
  writeText(stale, "half an entry");
  writeText(fresh, "being written");
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(2));
  KernelCache cache(dir.path());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(fresh));
}
