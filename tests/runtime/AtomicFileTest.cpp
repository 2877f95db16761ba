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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace {

class AtomicFileTest : public ::testing::Test {
protected:
  void SetUp() override {
    char Template[] = "/tmp/ssmc-atomic-XXXXXX";
    ASSERT_NE(::mkdtemp(Template), nullptr);
    Dir = Template;
  }
  void TearDown() override { fs::remove_all(Dir); }

  std::string path(const std::string &Name) const { return (Dir / Name).string(); }
  static std::string read(const std::string &Path) {
    std::ifstream In(Path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(In), {});
  }
  size_t entries() const {
    return size_t(std::distance(fs::directory_iterator(Dir), fs::directory_iterator()));
  }
  /// Runs `Body` in a child that is killed at the point it raises SIGKILL.
  template <class F> void crashIn(F Body) {
    pid_t Pid = ::fork();
    ASSERT_GE(Pid, 0);
    if (Pid == 0) {
      Body();
      ::_exit(0);
    }
    int WaitStatus = 0;
    ASSERT_EQ(::waitpid(Pid, &WaitStatus, 0), Pid);
  }

  fs::path Dir;
};

TEST_F(AtomicFileTest, WritesAndReplaces) {
  const std::string P = path("a.json");
  ASSERT_TRUE(writeFileAtomically(P, "old").ok());
  EXPECT_EQ(read(P), "old");
  ASSERT_TRUE(writeFileAtomically(P, "new contents").ok());
  EXPECT_EQ(read(P), "new contents");
  EXPECT_EQ(entries(), 1u); // no temporary left
  struct stat St;
  ASSERT_EQ(::stat(P.c_str(), &St), 0);
  EXPECT_TRUE(St.st_mode & S_IRUSR);
  EXPECT_TRUE(St.st_mode & S_IWUSR);
}

TEST_F(AtomicFileTest, UncommittedLeavesTheTargetAndNoTemporary) {
  const std::string P = path("a.bin");
  ASSERT_TRUE(writeFileAtomically(P, "old").ok());
  {
    auto F = AtomicFile::create(P);
    ASSERT_TRUE(F.ok()) << F.message();
    ASSERT_TRUE(F->write("half of the new").ok());
    EXPECT_TRUE(fs::exists(F->tempPath()));
    EXPECT_TRUE(isAtomicFileTemporary(fs::path(F->tempPath()).filename().string()));
  } // destroyed without commit: an error path in the caller
  EXPECT_EQ(read(P), "old");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, KilledBeforeCommitLeavesTheOldFile) {
  const std::string P = path("model.safetensors");
  ASSERT_TRUE(writeFileAtomically(P, "old").ok());
  crashIn([&] {
    auto F = AtomicFile::create(P);
    if (F.ok() && F->write(std::string(1 << 20, 'x')).ok())
      ::raise(SIGKILL);
  });
  EXPECT_EQ(read(P), "old");
  // The killed writer's temporary is all that may remain, and it is named so.
  for (const auto &E : fs::directory_iterator(Dir)) {
    if (E.path().string() != P) {
      EXPECT_TRUE(isAtomicFileTemporary(E.path().filename().string())) << E.path();
    }
  }
}

TEST_F(AtomicFileTest, KilledAfterCommitLeavesTheNewFile) {
  const std::string P = path("plan.json");
  ASSERT_TRUE(writeFileAtomically(P, "old").ok());
  crashIn([&] {
    if (writeFileAtomically(P, "new").ok())
      ::raise(SIGKILL);
  });
  EXPECT_EQ(read(P), "new");
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, ConcurrentWritersNeverMix) {
  const std::string P = path("entry");
  const std::string A(300000, 'a'), B(200000, 'b');
  std::vector<pid_t> Pids;
  for (int W = 0; W < 4; ++W) {
    pid_t Pid = ::fork();
    ASSERT_GE(Pid, 0);
    if (Pid == 0) {
      for (int I = 0; I < 20; ++I)
        if (!writeFileAtomically(P, (W + I) % 2 ? A : B).ok())
          ::_exit(1);
      ::_exit(0);
    }
    Pids.push_back(Pid);
  }
  for (int I = 0; I < 200; ++I) {
    const std::string Seen = read(P);
    EXPECT_TRUE(Seen.empty() || Seen == A || Seen == B) << "a torn file of " << Seen.size();
  }
  for (pid_t Pid : Pids) {
    int WaitStatus = 0;
    ASSERT_EQ(::waitpid(Pid, &WaitStatus, 0), Pid);
    EXPECT_TRUE(WIFEXITED(WaitStatus) && WEXITSTATUS(WaitStatus) == 0);
  }
  const std::string Last = read(P);
  EXPECT_TRUE(Last == A || Last == B);
  EXPECT_EQ(entries(), 1u);
}

TEST_F(AtomicFileTest, ErrorsNameThePathAndTheReason) {
  Status S = writeFileAtomically(path("no/such/dir/f.txt"), "x");
  ASSERT_FALSE(S.ok());
  EXPECT_NE(S.message().find("cannot write '" + path("no/such/dir/f.txt") + "'"),
            std::string::npos)
      << S.message();
  EXPECT_NE(S.message().find("No such file or directory"), std::string::npos) << S.message();
  EXPECT_FALSE(writeFileAtomically("", "x").ok());
}

TEST_F(AtomicFileTest, TemporaryNames) {
  EXPECT_TRUE(isAtomicFileTemporary("plan.json.tmp.Ab12Cd"));
  EXPECT_FALSE(isAtomicFileTemporary("plan.json"));
  EXPECT_FALSE(isAtomicFileTemporary(".tmp.Ab12Cd"));
  EXPECT_FALSE(isAtomicFileTemporary("x.tmp.toolongname"));
}

} // namespace
