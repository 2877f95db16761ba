//===- AtomicFileTest.cpp - files written whole or not at all -------------===//
//
// Crashes are real: a child process writes and is killed (SIGKILL) before,
// during and after its commit; the target must then hold the old bytes or
// the new ones, never a mix, and nothing may carry the target's name early.
//
//===----------------------------------------------------------------------===//

#include "Support/AtomicFile.h"

#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace {

class AtomicFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    char pattern[] = "/tmp/ssmc-atomic-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string &name) const { return (dir_ / name).string(); }
  static std::string read(const std::string &path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  size_t entries() const {
    return size_t(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()));
  }
  /// Runs `Body` in a child that is killed at the point it raises SIGKILL.
  template <class F> void crashIn(F body) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      body();
      ::_exit(0);
    }
    int waitStatus = 0;
    ASSERT_EQ(::waitpid(pid, &waitStatus, 0), pid);
  }

  fs::path dir_;
};

TEST_F(AtomicFileTest, WritesAndReplaces) {
  const std::string p = path("a.json");
  ASSERT_TRUE(writeFileAtomically(p, "old").ok());
  EXPECT_EQ(read(p), "old");
  ASSERT_TRUE(writeFileAtomically(p, "new contents").ok());
  EXPECT_EQ(read(p), "new contents");
  EXPECT_EQ(entries(), 1u); // no temporary left
  struct stat st;
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_TRUE(st.st_mode & S_IRUSR);
  EXPECT_TRUE(st.st_mode & S_IWUSR);
}

TEST_F(AtomicFileTest, UncommittedLeavesTheTargetAndNoTemporary) {
  const std::string p = path("a.bin");
  ASSERT_TRUE(writeFileAtomically(p, "old").ok());
  {
    auto f = AtomicFile::create(p);
    ASSERT_TRUE(f.ok()) << f.message();
    ASSERT_TRUE(f->write("half of the new").ok());
    EXPECT_TRUE(fs::exists(f->tempPath()));
    EXPECT_TRUE(isAtomicFileTemporary(fs::path(f->tempPath()).filename().string()));
  } // destroyed without commit: an error path in the caller
  EXPECT_EQ(read(p), "old");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, KilledBeforeCommitLeavesTheOldFile) {
  const std::string p = path("model.safetensors");
  ASSERT_TRUE(writeFileAtomically(p, "old").ok());
  crashIn([&] {
    auto f = AtomicFile::create(p);
    if (f.ok() && f->write(std::string(1 << 20, 'x')).ok())
      ::raise(SIGKILL);
  });
  EXPECT_EQ(read(p), "old");
  // The killed writer's temporary is all that may remain, and it is named so.
  for (const auto &e : fs::directory_iterator(dir_)) {
    if (e.path().string() != p) {
      EXPECT_TRUE(isAtomicFileTemporary(e.path().filename().string())) << e.path();
    }
  }
}

TEST_F(AtomicFileTest, AKilledWritersTemporaryGoesWithTheNextWrite) {
  const std::string p = path("out.safetensors");
  ASSERT_TRUE(writeFileAtomically(p, "old").ok());
  crashIn([&] {
    auto f = AtomicFile::create(p);
    if (f.ok() && f->write("partial").ok())
      ::raise(SIGKILL);
  });
  EXPECT_EQ(entries(), 2u); // the target and the killed writer's temporary
  // Another writer's temporary, alive (this process), stays.
  auto live = AtomicFile::create(p);
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE(writeFileAtomically(p, "new").ok());
  EXPECT_EQ(read(p), "new");
  EXPECT_EQ(entries(), 2u); // the target and the live writer's temporary
  EXPECT_TRUE(fs::exists(live->tempPath()));
}

TEST_F(AtomicFileTest, AFullDiskIsAnErrorAndLeavesNothing) {
  // A file-size limit stands in for a full disk: writes fail with EFBIG.
  const std::string p = path("big.bin");
  ASSERT_TRUE(writeFileAtomically(p, "old").ok());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit {
      4096, 4096
    };
    ::setrlimit(RLIMIT_FSIZE, &limit);
    Status s = writeFileAtomically(p, std::string(1 << 20, 'x'));
    ::_exit(!s.ok() && s.message().find(p) != std::string::npos ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "no clean error";
  EXPECT_EQ(read(p), "old");
  EXPECT_EQ(entries(), 1u); // no temporary left
}

TEST_F(AtomicFileTest, KilledAfterCommitLeavesTheNewFile) {
  const std::string p = path("plan.json");
  ASSERT_TRUE(writeFileAtomically(p, "old").ok());
  crashIn([&] {
    if (writeFileAtomically(p, "new").ok())
      ::raise(SIGKILL);
  });
  EXPECT_EQ(read(p), "new");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, ConcurrentWritersNeverMix) {
  const std::string p = path("entry");
  const std::string a(300000, 'a'), b(200000, 'b');
  std::vector<pid_t> pids;
  for (int w = 0; w < 4; ++w) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (int i = 0; i < 20; ++i)
        if (!writeFileAtomically(p, (w + i) % 2 ? a : b).ok())
          ::_exit(1);
      ::_exit(0);
    }
    pids.push_back(pid);
  }
  for (int i = 0; i < 200; ++i) {
    const std::string seen = read(p);
    EXPECT_TRUE(seen.empty() || seen == a || seen == b) << "a torn file of " << seen.size();
  }
  for (pid_t pid : pids) {
    int waitStatus = 0;
    ASSERT_EQ(::waitpid(pid, &waitStatus, 0), pid);
    EXPECT_TRUE(WIFEXITED(waitStatus) && WEXITSTATUS(waitStatus) == 0);
  }
  const std::string last = read(p);
  EXPECT_TRUE(last == a || last == b);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, ErrorsNameThePathAndTheReason) {
  Status s = writeFileAtomically(path("no/such/dir/f.txt"), "x");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cannot write '" + path("no/such/dir/f.txt") + "'"), std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos) << s.message();
  EXPECT_FALSE(writeFileAtomically("", "x").ok());
}

TEST_F(AtomicFileTest, TemporaryNames) {
  EXPECT_TRUE(isAtomicFileTemporary("plan.json.tmp.Ab12Cd"));
  EXPECT_TRUE(isAtomicFileTemporary("plan.json.tmp.4242.Ab12Cd"));
  EXPECT_FALSE(isAtomicFileTemporary("plan.json"));
  EXPECT_FALSE(isAtomicFileTemporary(".tmp.Ab12Cd"));
  EXPECT_FALSE(isAtomicFileTemporary("x.tmp.toolongname"));
}

} // namespace
