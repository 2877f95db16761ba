//===- TuningDbTest.cpp - the tuning database -----------------------------===//

#include "Tune/TuningDb.h"
#include "TestUtil.h"

#include <gtest/gtest.h>

#include <csignal>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

using namespace ssmc::rt;
using ssmc::rt::test::readText;
using ssmc::rt::test::TempDir;
using ssmc::rt::test::writeText;

namespace {

const TuningDevice kH200{"NVIDIA H200", "sm_90", 132, 13000, 13000};
const TuningDevice kModeledH100{"NVIDIA H100 SXM5 80 GB (modeled)", "sm_90", 132, 0, 0};

/// A scan-like kernel with two tunables and three configurations.
PlanKernel kernel(const std::string &name = "g04_scan") {
  PlanKernel k;
  k.name = k.entry = name;
  k.kind = "scan";
  k.source = "// header (default 32)\n#ifndef SSMC_SCAN_CHANNELS\n#define SSMC_SCAN_CHANNELS 32\n"
             "#endif\n#ifndef SSMC_SCAN_CHUNK\n#define SSMC_SCAN_CHUNK 64\n#endif\n"
             "extern \"C\" __global__ void " +
             name + "(float *out) { out[0] = SSMC_SCAN_CHUNK; }\n";
  k.tunables = {"SCAN_CHANNELS", "SCAN_CHUNK"};
  for (auto [ch, chunk] : {std::pair{32, 64}, {64, 64}, {32, 16}}) {
    PlanConfig c;
    c.tunables = {{"SCAN_CHANNELS", ch}, {"SCAN_CHUNK", chunk}};
    k.configs.push_back(c);
  }
  return k;
}

TuningEntry entry(const PlanKernel &k, size_t config, double us, bool measured) {
  return {kernelSignature(k), k.name, k.configs[config].tunables, 100.0, us, measured};
}

TuningDb openOrFail(const std::string &path, std::string *notice = nullptr) {
  auto db = TuningDb::open(path, notice);
  if (!db)
    ADD_FAILURE() << db.message();
  return std::move(*db);
}

class TuningDbTest : public ::testing::Test {
protected:
  void SetUp() override {
    if (!TuningDb::available())
      GTEST_SKIP() << "built without SQLite";
  }
  TempDir dir_;
};

} // namespace

TEST(KernelSignature, IgnoresTunablesCommentsAndEntry) {
  PlanKernel a = kernel("g04_scan"), b = kernel("g17_scan");
  EXPECT_EQ(kernelSignature(a), kernelSignature(b)); // the same kernel in another layer
  PlanKernel c = a;
  c.source.replace(c.source.find("#define SSMC_SCAN_CHUNK 64"), 26, "#define SSMC_SCAN_CHUNK 16");
  c.source.replace(c.source.find("(default 32)"), 12, "(default 16)");
  EXPECT_EQ(kernelSignature(a), kernelSignature(c)); // other defaults, the same kernel
  PlanKernel d = a;
  d.source.replace(d.source.find("out[0]"), 6, "out[1]");
  EXPECT_NE(kernelSignature(a), kernelSignature(d)); // other code
  PlanKernel e = a;
  e.kind = "generic";
  EXPECT_NE(kernelSignature(a), kernelSignature(e));
}

TEST_F(TuningDbTest, RoundTripAndRanking) {
  const PlanKernel k = kernel();
  {
    TuningDb db = openOrFail(dir_ / "t.db");
    ASSERT_TRUE(db.record(kH200, {entry(k, 1, 80.0, true), entry(k, 2, 90.0, true)}).ok());
    ASSERT_TRUE(db.record(kModeledH100, {entry(k, 2, 50.0, false)}).ok());
    // The same configuration again replaces the older time.
    ASSERT_TRUE(db.record(kH200, {entry(k, 2, 70.0, true)}).ok());
  }
  TuningDb db = openOrFail(dir_ / "t.db"); // reopened: it was on disk
  auto ranked = db.ranked(kH200, kernelSignature(k));
  ASSERT_TRUE(ranked.ok()) << ranked.message();
  ASSERT_EQ(ranked->size(), 3u);
  // Measured first (fastest first), modeled after, whatever its time.
  EXPECT_EQ((*ranked)[0].config, k.configs[2].tunables);
  EXPECT_DOUBLE_EQ((*ranked)[0].timeUs, 70.0);
  EXPECT_TRUE((*ranked)[0].measured);
  EXPECT_EQ((*ranked)[1].config, k.configs[1].tunables);
  EXPECT_FALSE((*ranked)[2].measured);
  EXPECT_EQ((*ranked)[2].kernel, "g04_scan");
  auto rows = db.all();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 3u);
}

TEST_F(TuningDbTest, AnotherGpusMeasurementsAreIgnored) {
  const PlanKernel k = kernel();
  TuningDb db = openOrFail(dir_ / "t.db");
  TuningDevice otherDriver = kH200;
  otherDriver.driver = 12080;
  TuningDevice a100{"NVIDIA A100", "sm_80", 108, 13000, 13000};
  ASSERT_TRUE(db.record(otherDriver, {entry(k, 1, 10.0, true)}).ok());
  ASSERT_TRUE(db.record(a100, {entry(k, 2, 10.0, true)}).ok());
  auto ranked = db.ranked(kH200, kernelSignature(k));
  ASSERT_TRUE(ranked.ok());
  EXPECT_TRUE(ranked->empty());
  // A modeled entry holds for every GPU of its architecture and SM count.
  ASSERT_TRUE(db.record(kModeledH100, {entry(k, 1, 10.0, false)}).ok());
  EXPECT_EQ(db.ranked(kH200, kernelSignature(k))->size(), 1u);
  EXPECT_TRUE(db.ranked(a100, kernelSignature(k))->size() == 1u); // its own measurement
}

TEST_F(TuningDbTest, DamagedFilesAreMovedAsideAndRebuilt) {
  const PlanKernel k = kernel();
  // Not a database at all.
  writeText(dir_ / "garbage.db", std::string(8192, 'x'));
  std::string notice;
  {
    TuningDb db = openOrFail(dir_ / "garbage.db", &notice);
    EXPECT_NE(notice.find("was damaged"), std::string::npos) << notice;
    EXPECT_NE(notice.find("garbage.db.damaged-"), std::string::npos) << notice;
    EXPECT_TRUE(db.record(kH200, {entry(k, 1, 80.0, true)}).ok());
  }
  int asideFiles = 0;
  for (const auto &f : std::filesystem::directory_iterator(dir_.path()))
    asideFiles += f.path().filename().string().rfind("garbage.db.damaged-", 0) == 0;
  EXPECT_EQ(asideFiles, 1);

  // A real database cut in half (a crash of the disk, a partial copy).
  {
    TuningDb db = openOrFail(dir_ / "cut.db");
    std::vector<TuningEntry> many;
    for (int i = 0; i < 2000; ++i) {
      TuningEntry e = entry(k, 0, 10.0 + i, true);
      e.config["X"] = i; // many distinct rows: several pages
      many.push_back(e);
    }
    ASSERT_TRUE(db.record(kH200, many).ok());
  }
  // Checkpointed into the main file on close; cut it.
  const std::string whole = readText(dir_ / "cut.db");
  ASSERT_GT(whole.size(), 8192u);
  writeText(dir_ / "cut.db", whole.substr(0, whole.size() / 2));
  std::filesystem::remove(dir_ / "cut.db-wal");
  notice.clear();
  TuningDb cut = openOrFail(dir_ / "cut.db", &notice);
  EXPECT_NE(notice.find("was damaged"), std::string::npos) << "no notice for a truncated file";
  auto rows = cut.all();
  ASSERT_TRUE(rows.ok()) << rows.message();
  EXPECT_TRUE(rows->empty());
}

TEST_F(TuningDbTest, TwoProcessesWritingAtOnceKeepBoth) {
  const std::string path = dir_ / "shared.db";
  { TuningDb db = openOrFail(path); }
  const PlanKernel k = kernel();
  auto writer = [&](int who) {
    auto db = TuningDb::open(path);
    if (!db)
      _exit(2);
    for (int i = 0; i < 50; ++i) {
      TuningEntry e = entry(k, 0, 1.0 + i, true);
      e.config["WRITER"] = who;
      e.config["I"] = i;
      if (!db->record(kH200, {e}).ok())
        _exit(3);
    }
    _exit(0);
  };
  pid_t a = fork();
  if (a == 0)
    writer(1);
  pid_t b = fork();
  if (b == 0)
    writer(2);
  int sa = 0, sb = 0;
  waitpid(a, &sa, 0);
  waitpid(b, &sb, 0);
  ASSERT_TRUE(WIFEXITED(sa) && WEXITSTATUS(sa) == 0) << sa;
  ASSERT_TRUE(WIFEXITED(sb) && WEXITSTATUS(sb) == 0) << sb;
  TuningDb db = openOrFail(path);
  auto rows = db.all();
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 100u);
}

// kill -9 in the middle of writing: each record() is one transaction, so
// the database holds whole batches only, passes SQLite's checks (no
// "damaged" notice on opening) and takes more writes.
TEST_F(TuningDbTest, KilledWritersLeaveWholeBatchesOnly) {
  const std::string path = dir_ / "killed.db";
  { TuningDb db = openOrFail(path); }
  const PlanKernel k = kernel();
  constexpr int kBatch = 20;
  size_t before = 0;
  for (int round = 0; round < 6; ++round) {
    pid_t child = fork();
    if (child == 0) {
      auto db = TuningDb::open(path);
      if (!db)
        _exit(2);
      for (int i = 0;; ++i) {
        std::vector<TuningEntry> batch;
        for (int j = 0; j < kBatch; ++j) {
          TuningEntry e = entry(k, 0, 1.0 + j, true);
          e.config["ROUND"] = round;
          e.config["I"] = i;
          e.config["J"] = j;
          batch.push_back(e);
        }
        if (!db->record(kH200, batch).ok())
          _exit(3);
      }
    }
    // Killed at a different moment each round, writes in flight.
    usleep(useconds_t(20000 + 15000 * round));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer ended by itself: " << status;
    std::string notice;
    TuningDb db = openOrFail(path, &notice);
    EXPECT_EQ(notice, "") << "round " << round;
    auto rows = db.all();
    ASSERT_TRUE(rows.ok()) << rows.message();
    EXPECT_EQ(rows->size() % kBatch, 0u) << "round " << round << ": a torn batch";
    EXPECT_GE(rows->size(), before);
    before = rows->size();
  }
  EXPECT_GT(before, 0u) << "no batch was ever committed: the writers were killed too early";
  TuningDb db = openOrFail(path);
  EXPECT_TRUE(db.record(kH200, {entry(k, 1, 5.0, true)}).ok());
}

TEST_F(TuningDbTest, ApplyPicksTheBestExistingConfiguration) {
  Plan plan;
  plan.kernels = {kernel("g04_scan"), kernel("g17_scan")};
  plan.kernels[1].source += "// (no code change: same signature)\n";
  PlanKernel other = kernel("g05_other");
  other.source += "__device__ int more;\n";
  plan.kernels.push_back(other);
  TuningDb db = openOrFail(dir_ / "t.db");
  TuningEntry stale = entry(plan.kernels[0], 0, 5.0, true);
  stale.config = {{"SCAN_CHANNELS", 128}, {"SCAN_CHUNK", 64}}; // a configuration since removed
  ASSERT_TRUE(db.record(kH200, {stale, entry(plan.kernels[0], 2, 60.0, true)}).ok());
  auto applied = applyTuning(plan, db, kH200);
  ASSERT_TRUE(applied.ok()) << applied.message();
  EXPECT_EQ(applied->measured, 2); // both layers' scans
  EXPECT_EQ(applied->modeled, 0);
  EXPECT_EQ(applied->untuned, 1);
  ASSERT_EQ(applied->warnings.size(), 1u); // once, not per layer
  EXPECT_NE(applied->warnings[0].find("SCAN_CHANNELS=128,SCAN_CHUNK=64"), std::string::npos);
  EXPECT_EQ(plan.kernels[0].defaultConfig, 2);
  EXPECT_EQ(plan.kernels[1].defaultConfig, 2);
  EXPECT_EQ(plan.kernels[2].defaultConfig, 0);
}

TEST_F(TuningDbTest, ExportAndImport) {
  const PlanKernel k = kernel();
  TuningDb from = openOrFail(dir_ / "a.db");
  ASSERT_TRUE(from.record(kH200, {entry(k, 1, 80.0, true), entry(k, 2, 90.0, true)}).ok());
  ASSERT_TRUE(from.record(kModeledH100, {entry(k, 2, 50.0, false)}).ok());
  ASSERT_TRUE(exportTuning(from, dir_ / "results.jsonl").ok());
  const std::string text = readText(dir_ / "results.jsonl");
  EXPECT_NE(text.find("\"gpu\":\"NVIDIA H200\""), std::string::npos) << text;
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 3);

  TuningDb to = openOrFail(dir_ / "b.db");
  auto n = importTuning(to, dir_ / "results.jsonl");
  ASSERT_TRUE(n.ok()) << n.message();
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(to.ranked(kH200, kernelSignature(k))->size(), 3u);

  // A bad line: named, and nothing recorded.
  writeText(dir_ / "bad.jsonl", text + "{\"gpu\": 1}\n");
  TuningDb empty = openOrFail(dir_ / "c.db");
  auto bad = importTuning(empty, dir_ / "bad.jsonl");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("line 4"), std::string::npos) << bad.message();
  EXPECT_TRUE(empty.all()->empty());
  writeText(dir_ / "neg.jsonl", text.substr(0, text.find('\n')) + "\n" +
                                    "{\"gpu\":\"g\",\"arch\":\"sm_90\",\"sms\":1,\"driver\":0,"
                                    "\"nvrtc\":0,\"kernel\":\"k\",\"signature\":\"" +
                                    kernelSignature(k) +
                                    "\",\"config\":{},\"default_us\":1,\"time_us\":-1,"
                                    "\"measured\":false}\n");
  auto neg = importTuning(empty, dir_ / "neg.jsonl");
  ASSERT_FALSE(neg.ok());
  EXPECT_NE(neg.message().find("line 2: time_us and default_us must be positive"),
            std::string::npos)
      << neg.message();
  EXPECT_FALSE(importTuning(empty, dir_.path()).ok()); // a directory
}

TEST_F(TuningDbTest, NewerSchemaIsAnErrorNotRebuilt) {
  { TuningDb db = openOrFail(dir_ / "new.db"); }
  // A later ssmc's database (user_version 99) is left alone.
  {
    auto db = TuningDb::open(dir_ / "new.db");
    ASSERT_TRUE(db.ok());
  }
  const std::string sqlite = "sqlite3";
  if (std::system((sqlite + " -version > /dev/null 2>&1").c_str()) != 0)
    GTEST_SKIP() << "no sqlite3 command to set a newer schema version";
  ASSERT_EQ(std::system((sqlite + " " + (dir_ / "new.db") + " 'PRAGMA user_version=99;'").c_str()),
            0);
  auto db = TuningDb::open(dir_ / "new.db");
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.message().find("schema version 99 is newer"), std::string::npos) << db.message();
}
