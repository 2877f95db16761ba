//===- Support/AtomicFile.h - a file written whole or not at all -*- C++ -*-===//
//
// Every file ssmc writes goes through here: the bytes go to a fresh
// temporary file next to the target (PATH.tmp.<pid>.XXXXXX, so concurrent
// writers never share one), which is fsynced, renamed over the target, and
// the directory fsynced. A reader sees the old file or the new one, never
// part of one; after a crash at any point the target is the old file or the
// new one. A writer killed before its commit leaves its temporary; the next
// write of the same target removes every temporary whose writer process is
// gone.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SUPPORT_ATOMICFILE_H
#define SSMC_RUNTIME_SUPPORT_ATOMICFILE_H

#include "Support/Status.h"

#include <string>
#include <string_view>

namespace ssmc::rt {

class AtomicFile {
public:
  /// Opens the temporary file. Errors name `path` and the reason.
  static Expected<AtomicFile> create(const std::string &path);
  AtomicFile(AtomicFile &&other) noexcept;
  AtomicFile &operator=(AtomicFile &&) = delete;
  AtomicFile(const AtomicFile &) = delete;
  /// Not committed: the temporary file is removed, the target untouched.
  ~AtomicFile();

  Status write(const void *data, size_t bytes);
  Status write(std::string_view text) { return write(text.data(), text.size()); }
  /// fsync, rename over the target, fsync the directory. Once only.
  Status commit();

  const std::string &path() const { return path_; }
  const std::string &tempPath() const { return tempPath_; }

private:
  AtomicFile(std::string path, std::string tempPath, int fd)
      : path_(std::move(path)), tempPath_(std::move(tempPath)), fd_(fd) {}
  Status fail(const char *what, int error);

  std::string path_, tempPath_;
  int fd_ = -1;
};

/// Whether `fileName` is an AtomicFile's temporary (NAME.tmp.<pid>.XXXXXX,
/// or NAME.tmp.XXXXXX from an older ssmc): what a crashed writer can leave
/// behind.
bool isAtomicFileTemporary(std::string_view fileName);

/// `text` into `path` through an AtomicFile.
Status writeFileAtomically(const std::string &path, std::string_view text);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_ATOMICFILE_H
