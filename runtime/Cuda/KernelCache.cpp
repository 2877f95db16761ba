//===- Cuda/KernelCache.cpp - On-disk cache of compiled kernels -----------===//
//
// Exceptions (std::filesystem, nlohmann::json, std::bad_alloc) stay inside:
// every public member catches them and reports a warning instead.
//
//===----------------------------------------------------------------------===//

#include "Cuda/KernelCache.h"
#include "Cuda/Sha256.h"
#include "Support/AtomicFile.h"
#include "Support/CacheHome.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;
using Json = nlohmann::json;

namespace {

constexpr std::string_view kMagic = "SSMCKC1";
constexpr std::string_view kKeyVersion = "ssmc-kernel-cache-v1";
/// Far above any real cubin; guards against reading a huge unrelated file.
constexpr uint64_t kMaxEntryBytes = uint64_t(1) << 30;
/// A temporary file this old was left by a writer that died.
constexpr auto kStaleTempAge = std::chrono::hours(1);

std::string errnoMessage(int err) {
  return std::error_code(err, std::generic_category()).message();
}

std::string env(const char *name) {
  const char *v = std::getenv(name);
  return v ? v : "";
}

/// The whole file, nothing when it does not exist, or an error.
Expected<std::optional<std::string>> readFile(const std::string &path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::optional<std::string>();
    return Status::error(fmt::format("cannot open: {}", errnoMessage(errno)));
  }
  struct stat st;
  std::string bytes;
  Status s = Status::success();
  if (::fstat(fd, &st) != 0)
    s = Status::error(fmt::format("cannot stat: {}", errnoMessage(errno)));
  else if (uint64_t(st.st_size) > kMaxEntryBytes)
    s = Status::error(fmt::format("{} bytes, too large", st.st_size));
  else {
    bytes.resize(size_t(st.st_size));
    size_t done = 0;
    while (s.ok() && done < bytes.size()) {
      ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        s = Status::error(fmt::format("cannot read: {}", errnoMessage(errno)));
      else if (n == 0)
        bytes.resize(done); // shrank while reading: the checks below catch it
      else
        done += size_t(n);
    }
  }
  ::close(fd);
  if (!s.ok())
    return s;
  return std::optional<std::string>(std::move(bytes));
}

/// Splits the first line off \p Rest; false when there is no line break.
bool takeLine(std::string_view &rest, std::string_view &line) {
  size_t end = rest.find('\n');
  if (end == std::string_view::npos)
    return false;
  line = rest.substr(0, end);
  rest.remove_prefix(end + 1);
  return true;
}

/// The kernel in an entry file's bytes, or why they cannot be trusted.
Expected<CompiledKernel> parseEntry(std::string_view bytes, const std::string &key,
                                    const KernelSource &src) {
  std::string_view rest = bytes, line;
  if (!takeLine(rest, line) || line != kMagic)
    return Status::error(fmt::format("bad magic (not a {} file)", kMagic));
  if (!takeLine(rest, line) || line != "key " + key)
    return Status::error("holds a different key");
  // "payload <length> <digest>"
  uint64_t length = 0;
  std::string_view digest;
  if (!takeLine(rest, line) || !line.starts_with("payload "))
    return Status::error("malformed header");
  line.remove_prefix(8);
  const char *lineEnd = line.data() + line.size();
  auto [End, Err] = std::from_chars(line.data(), lineEnd, length);
  if (Err != std::errc() || End == lineEnd || *End != ' ')
    return Status::error("malformed header");
  digest = line.substr(size_t(End - line.data()) + 1);
  if (rest.size() != length)
    return Status::error(fmt::format("{} payload bytes, header says {}{}", rest.size(), length,
                                     rest.size() < length ? " (truncated)" : ""));
  if (Sha256::hex(rest) != digest)
    return Status::error("payload checksum mismatch (corrupt)");

  std::string_view meta;
  if (!takeLine(rest, meta))
    return Status::error("malformed payload");
  Json j = Json::parse(meta, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("cubin_bytes") || j["cubin_bytes"] != rest.size() ||
      j.value("entry", "") != src.entry)
    return Status::error("malformed payload metadata");

  CompiledKernel k;
  k.name = src.name;
  k.entry = src.entry;
  k.cubin.assign(rest.begin(), rest.end());
  k.log = j.value("log", "");
  k.resources.registers = j.value("registers", -1);
  k.resources.spillBytes = j.value("spill_bytes", int64_t(0));
  k.resources.smemBytes = j.value("smem_bytes", int64_t(0));
  k.fromCache = true;
  return k;
}

std::string serialize(const std::string &key, const CompiledKernel &k) {
  Json meta = {{"name", k.name},
               {"entry", k.entry},
               {"registers", k.resources.registers},
               {"spill_bytes", k.resources.spillBytes},
               {"smem_bytes", k.resources.smemBytes},
               {"log", k.log},
               {"cubin_bytes", k.cubin.size()}};
  std::string payload = meta.dump(-1, ' ', false, Json::error_handler_t::replace);
  payload += '\n';
  payload.append(k.cubin.begin(), k.cubin.end());
  return fmt::format("{}\nkey {}\npayload {} {}\n", kMagic, key, payload.size(),
                     Sha256::hex(payload)) +
         payload;
}

} // namespace

std::string KernelCache::defaultDirectory() {
  if (std::string d = env("SSMC_CACHE_DIR"); !d.empty())
    return d;
  const std::string home = cacheHome();
  return home.empty() ? home : home + "/kernels";
}

KernelCache::KernelCache(std::string directory) : dir_(std::move(directory)) {
  if (dir_.empty())
    dir_ = defaultDirectory();
  if (dir_.empty()) {
    disabled_ = true;
    warn("kernel cache disabled: no directory (set SSMC_CACHE_DIR or HOME)");
    return;
  }
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (!ec && !fs::is_directory(dir_, ec))
    ec = std::make_error_code(std::errc::not_a_directory);
  if (ec) {
    disabled_ = true;
    warn(fmt::format("kernel cache disabled: cannot create directory {} ({})", dir_, ec.message()));
    return;
  }
  removeStaleTempFiles();
}

std::string KernelCache::makeKey(const KernelSource &src,
                                 const std::vector<std::string> &commandLine,
                                 const std::string &arch, const std::string &nvrtcVersion) {
  Sha256 h;
  h.updateField(kKeyVersion);
  h.updateField(nvrtcVersion);
  h.updateField(arch);
  h.updateField(src.entry);
  h.updateField(std::to_string(commandLine.size()));
  for (const std::string &option : commandLine)
    h.updateField(option);
  h.updateField(src.source);
  return h.hexDigest();
}

bool KernelCache::enabled() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !disabled_;
}

std::string KernelCache::entryPath(const std::string &key) const {
  return dir_ + "/" + key + ".entry";
}

std::optional<CompiledKernel> KernelCache::lookup(const std::string &key, const KernelSource &src) {
  if (!enabled())
    return std::nullopt;
  std::string path = entryPath(key);
  try {
    auto bytes = readFile(path);
    if (!bytes.ok()) {
      warn(fmt::format("kernel cache: cannot read {} for kernel {}: {}; "
                       "recompiling",
                       path, src.name, bytes.message()));
      return std::nullopt;
    }
    if (!bytes->has_value())
      return std::nullopt;
    auto k = parseEntry(**bytes, key, src);
    if (k.ok())
      return std::move(*k);
    warn(fmt::format("kernel cache: ignoring entry {} for kernel {}: {}; "
                     "recompiling",
                     path, src.name, k.message()));
    // Gone, so that a later store (or run) does not meet it again.
    std::error_code ignored;
    fs::remove(path, ignored);
  } catch (const std::exception &e) {
    warn(fmt::format("kernel cache: cannot read {}: {}", path, e.what()));
  }
  return std::nullopt;
}

void KernelCache::store(const std::string &key, const CompiledKernel &k) {
  if (!enabled())
    return;
  std::string path = entryPath(key);
  Status s = Status::success();
  try {
    s = writeFileAtomically(path, serialize(key, k));
  } catch (const std::exception &e) {
    s = Status::error(e.what());
  }
  if (s.ok())
    return;
  // One entry that cannot be written (a file in the way, a full disk for a
  // moment) costs that entry only; a directory we cannot write in disables
  // the cache.
  if (::access(dir_.c_str(), W_OK | X_OK) == 0) {
    warn(fmt::format("kernel cache: cannot store {} ({}); it will be compiled again next time",
                     path, s.message()));
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    disabled_ = true;
  }
  warn(fmt::format("kernel cache disabled: cannot store {} ({})", path, s.message()));
}

void KernelCache::removeStaleTempFiles() {
  std::error_code ec;
  auto now = fs::file_time_type::clock::now();
  for (fs::directory_iterator it(dir_, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!isAtomicFileTemporary(name))
      continue;
    std::error_code timeEc;
    auto time = fs::last_write_time(it->path(), timeEc);
    if (!timeEc && now - time > kStaleTempAge)
      fs::remove(it->path(), timeEc);
  }
}

void KernelCache::warn(std::string msg) {
  std::lock_guard<std::mutex> lock(mutex_);
  allWarnings_.push_back(std::move(msg));
}

std::vector<std::string> KernelCache::warnings() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return allWarnings_;
}

std::vector<std::string> KernelCache::takeWarnings() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> fresh(allWarnings_.begin() + taken_, allWarnings_.end());
  taken_ = allWarnings_.size();
  return fresh;
}
