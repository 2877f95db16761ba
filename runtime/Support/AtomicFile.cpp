//===- Support/AtomicFile.cpp - a file written whole or not at all --------===//

#include "Support/AtomicFile.h"

#include <fmt/format.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ssmc::rt {

namespace {
/// The writer's pid in a temporary's name ("NAME.tmp.<pid>.XXXXXX"), or 0.
pid_t writerOf(std::string_view fileName) {
  const size_t tmp = fileName.rfind(".tmp.");
  if (tmp == std::string_view::npos)
    return 0;
  std::string_view rest = fileName.substr(tmp + 5);
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos || dot == 0 || rest.size() - dot != 7)
    return 0;
  pid_t pid = 0;
  for (char c : rest.substr(0, dot)) {
    if (c < '0' || c > '9' || pid > 100000000)
      return 0;
    pid = pid * 10 + (c - '0');
  }
  return pid;
}

/// Removes what writers of `path` killed before their commit left: the
/// temporaries next to it whose writer process no longer exists.
void removeDeadWritersTemporaries(const std::string &path) {
  const std::filesystem::path target(path);
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code ec;
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(prefix, 0) != 0)
      continue;
    const pid_t pid = writerOf(name);
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) {
      std::error_code ignored;
      std::filesystem::remove(it->path(), ignored);
    }
  }
}
} // namespace

Expected<AtomicFile> AtomicFile::create(const std::string &path) {
  if (path.empty())
    return Status::error("cannot write a file with an empty name");
  removeDeadWritersTemporaries(path);
  std::string temp = fmt::format("{}.tmp.{}.XXXXXX", path, ::getpid());
  const int fd = ::mkstemp(temp.data());
  if (fd < 0)
    return Status::error(fmt::format("cannot write '{}': cannot create a file in its directory: {}",
                                     path, std::strerror(errno)));
  // mkstemp makes the file 0600; a written file gets the usual 0644 less
  // the umask, as open(2) would have given it.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::fchmod(fd, 0644 & ~mask);
  return AtomicFile(path, std::move(temp), fd);
}

AtomicFile::AtomicFile(AtomicFile &&other) noexcept
    : path_(std::move(other.path_)), tempPath_(std::move(other.tempPath_)), fd_(other.fd_) {
  other.fd_ = -1;
  other.tempPath_.clear();
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0)
    ::close(fd_);
  if (!tempPath_.empty())
    ::unlink(tempPath_.c_str());
}

Status AtomicFile::fail(const char *what, int error) {
  if (fd_ >= 0)
    ::close(fd_);
  fd_ = -1;
  if (!tempPath_.empty())
    ::unlink(tempPath_.c_str());
  tempPath_.clear();
  return Status::error(fmt::format("cannot write '{}': {}: {}", path_, what, std::strerror(error)));
}

Status AtomicFile::write(const void *data, size_t bytes) {
  if (fd_ < 0)
    return Status::error(fmt::format("cannot write '{}': the file is closed", path_));
  const char *p = static_cast<const char *>(data);
  while (bytes > 0) {
    const ssize_t n = ::write(fd_, p, bytes);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return fail("write", n < 0 ? errno : EIO);
    p += n;
    bytes -= size_t(n);
  }
  return Status::success();
}

Status AtomicFile::commit() {
  if (fd_ < 0)
    return Status::error(fmt::format("cannot write '{}': the file is closed", path_));
  if (::fsync(fd_) != 0)
    return fail("fsync", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) // close can report a deferred write error
    return fail("close", errno);
  if (::rename(tempPath_.c_str(), path_.c_str()) != 0)
    return fail("rename", errno);
  tempPath_.clear();
  // The rename itself survives a crash once the directory is synced.
  const size_t slash = path_.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path_.substr(0, slash);
  const int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirFd >= 0) {
    ::fsync(dirFd);
    ::close(dirFd);
  }
  return Status::success();
}

bool isAtomicFileTemporary(std::string_view fileName) {
  const size_t tmp = fileName.rfind(".tmp.");
  // NAME.tmp.XXXXXX (before writers named themselves) or NAME.tmp.<pid>.XXXXXX.
  return tmp != std::string_view::npos && tmp > 0 &&
         (fileName.size() - tmp == 11 || writerOf(fileName) > 0);
}

Status writeFileAtomically(const std::string &path, std::string_view text) {
  auto file = AtomicFile::create(path);
  if (!file)
    return file.status();
  if (Status s = file->write(text); !s.ok())
    return s;
  return file->commit();
}

} // namespace ssmc::rt
