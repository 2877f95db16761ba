//===- Cuda/KernelCache.cpp - On-disk cache of compiled kernels -----------===//
//
// Exceptions (std::filesystem, nlohmann::json, std::bad_alloc) stay inside:
// every public member catches them and reports a warning instead.
//
//===----------------------------------------------------------------------===//

#include "Cuda/KernelCache.h"
#include "Cuda/Sha256.h"
#include "Support/AtomicFile.h"

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

constexpr std::string_view Magic = "SSMCKC1";
constexpr std::string_view KeyVersion = "ssmc-kernel-cache-v1";
/// Far above any real cubin; guards against reading a huge unrelated file.
constexpr uint64_t MaxEntryBytes = uint64_t(1) << 30;
/// A temporary file this old was left by a writer that died.
constexpr auto StaleTempAge = std::chrono::hours(1);

std::string errnoMessage(int Err) {
  return std::error_code(Err, std::generic_category()).message();
}

std::string env(const char *Name) {
  const char *V = std::getenv(Name);
  return V ? V : "";
}

/// The whole file, nothing when it does not exist, or an error.
Expected<std::optional<std::string>> readFile(const std::string &Path) {
  int Fd = ::open(Path.c_str(), O_RDONLY | O_CLOEXEC);
  if (Fd < 0) {
    if (errno == ENOENT)
      return std::optional<std::string>();
    return Status::error(fmt::format("cannot open: {}", errnoMessage(errno)));
  }
  struct stat St;
  std::string Bytes;
  Status S = Status::success();
  if (::fstat(Fd, &St) != 0)
    S = Status::error(fmt::format("cannot stat: {}", errnoMessage(errno)));
  else if (uint64_t(St.st_size) > MaxEntryBytes)
    S = Status::error(fmt::format("{} bytes, too large", St.st_size));
  else {
    Bytes.resize(size_t(St.st_size));
    size_t Done = 0;
    while (S.ok() && Done < Bytes.size()) {
      ssize_t N = ::read(Fd, Bytes.data() + Done, Bytes.size() - Done);
      if (N < 0 && errno == EINTR)
        continue;
      if (N < 0)
        S = Status::error(fmt::format("cannot read: {}", errnoMessage(errno)));
      else if (N == 0)
        Bytes.resize(Done); // shrank while reading: the checks below catch it
      else
        Done += size_t(N);
    }
  }
  ::close(Fd);
  if (!S.ok())
    return S;
  return std::optional<std::string>(std::move(Bytes));
}

/// Splits the first line off \p Rest; false when there is no line break.
bool takeLine(std::string_view &Rest, std::string_view &Line) {
  size_t End = Rest.find('\n');
  if (End == std::string_view::npos)
    return false;
  Line = Rest.substr(0, End);
  Rest.remove_prefix(End + 1);
  return true;
}

/// The kernel in an entry file's bytes, or why they cannot be trusted.
Expected<CompiledKernel> parseEntry(std::string_view Bytes,
                                    const std::string &Key,
                                    const KernelSource &Src) {
  std::string_view Rest = Bytes, Line;
  if (!takeLine(Rest, Line) || Line != Magic)
    return Status::error(fmt::format("bad magic (not a {} file)", Magic));
  if (!takeLine(Rest, Line) || Line != "key " + Key)
    return Status::error("holds a different key");
  // "payload <length> <digest>"
  uint64_t Length = 0;
  std::string_view Digest;
  if (!takeLine(Rest, Line) || !Line.starts_with("payload "))
    return Status::error("malformed header");
  Line.remove_prefix(8);
  const char *LineEnd = Line.data() + Line.size();
  auto [End, Err] = std::from_chars(Line.data(), LineEnd, Length);
  if (Err != std::errc() || End == LineEnd || *End != ' ')
    return Status::error("malformed header");
  Digest = Line.substr(size_t(End - Line.data()) + 1);
  if (Rest.size() != Length)
    return Status::error(
        fmt::format("{} payload bytes, header says {}{}", Rest.size(), Length,
                    Rest.size() < Length ? " (truncated)" : ""));
  if (Sha256::hex(Rest) != Digest)
    return Status::error("payload checksum mismatch (corrupt)");

  std::string_view Meta;
  if (!takeLine(Rest, Meta))
    return Status::error("malformed payload");
  Json J = Json::parse(Meta, nullptr, /*allow_exceptions=*/false);
  if (!J.is_object() || !J.contains("cubin_bytes") ||
      J["cubin_bytes"] != Rest.size() || J.value("entry", "") != Src.entry)
    return Status::error("malformed payload metadata");

  CompiledKernel K;
  K.name = Src.name;
  K.entry = Src.entry;
  K.cubin.assign(Rest.begin(), Rest.end());
  K.log = J.value("log", "");
  K.resources.registers = J.value("registers", -1);
  K.resources.spillBytes = J.value("spill_bytes", int64_t(0));
  K.resources.smemBytes = J.value("smem_bytes", int64_t(0));
  K.fromCache = true;
  return K;
}

std::string serialize(const std::string &Key, const CompiledKernel &K) {
  Json Meta = {{"name", K.name},
               {"entry", K.entry},
               {"registers", K.resources.registers},
               {"spill_bytes", K.resources.spillBytes},
               {"smem_bytes", K.resources.smemBytes},
               {"log", K.log},
               {"cubin_bytes", K.cubin.size()}};
  std::string Payload =
      Meta.dump(-1, ' ', false, Json::error_handler_t::replace);
  Payload += '\n';
  Payload.append(K.cubin.begin(), K.cubin.end());
  return fmt::format("{}\nkey {}\npayload {} {}\n", Magic, Key, Payload.size(),
                     Sha256::hex(Payload)) +
         Payload;
}

} // namespace

std::string KernelCache::defaultDirectory() {
  if (std::string D = env("SSMC_CACHE_DIR"); !D.empty())
    return D;
  // The XDG spec says relative values are invalid and to be ignored.
  if (std::string X = env("XDG_CACHE_HOME"); !X.empty() && X[0] == '/')
    return X + "/ssmc/kernels";
  if (std::string H = env("HOME"); !H.empty())
    return H + "/.cache/ssmc/kernels";
  return {};
}

KernelCache::KernelCache(std::string Directory) : Dir(std::move(Directory)) {
  if (Dir.empty())
    Dir = defaultDirectory();
  if (Dir.empty()) {
    Disabled = true;
    warn("kernel cache disabled: no directory (set SSMC_CACHE_DIR or HOME)");
    return;
  }
  std::error_code EC;
  fs::create_directories(Dir, EC);
  if (!EC && !fs::is_directory(Dir, EC))
    EC = std::make_error_code(std::errc::not_a_directory);
  if (EC) {
    Disabled = true;
    warn(fmt::format("kernel cache disabled: cannot create directory {} ({})",
                     Dir, EC.message()));
    return;
  }
  removeStaleTempFiles();
}

std::string KernelCache::makeKey(const KernelSource &Src,
                                 const std::vector<std::string> &CommandLine,
                                 const std::string &Arch,
                                 const std::string &NvrtcVersion) {
  Sha256 H;
  H.updateField(KeyVersion);
  H.updateField(NvrtcVersion);
  H.updateField(Arch);
  H.updateField(Src.entry);
  H.updateField(std::to_string(CommandLine.size()));
  for (const std::string &Option : CommandLine)
    H.updateField(Option);
  H.updateField(Src.source);
  return H.hexDigest();
}

bool KernelCache::enabled() const {
  std::lock_guard<std::mutex> Lock(Mutex);
  return !Disabled;
}

std::string KernelCache::entryPath(const std::string &Key) const {
  return Dir + "/" + Key + ".entry";
}

std::optional<CompiledKernel> KernelCache::lookup(const std::string &Key,
                                                  const KernelSource &Src) {
  if (!enabled())
    return std::nullopt;
  std::string Path = entryPath(Key);
  try {
    auto Bytes = readFile(Path);
    if (!Bytes.ok()) {
      warn(fmt::format("kernel cache: cannot read {} for kernel {}: {}; "
                       "recompiling",
                       Path, Src.name, Bytes.message()));
      return std::nullopt;
    }
    if (!Bytes->has_value())
      return std::nullopt;
    auto K = parseEntry(**Bytes, Key, Src);
    if (K.ok())
      return std::move(*K);
    warn(fmt::format("kernel cache: ignoring entry {} for kernel {}: {}; "
                     "recompiling",
                     Path, Src.name, K.message()));
  } catch (const std::exception &E) {
    warn(fmt::format("kernel cache: cannot read {}: {}", Path, E.what()));
  }
  return std::nullopt;
}

void KernelCache::store(const std::string &Key, const CompiledKernel &K) {
  if (!enabled())
    return;
  std::string Path = entryPath(Key);
  Status S = Status::success();
  try {
    S = writeFileAtomically(Path, serialize(Key, K));
  } catch (const std::exception &E) {
    S = Status::error(E.what());
  }
  if (S.ok())
    return;
  {
    std::lock_guard<std::mutex> Lock(Mutex);
    Disabled = true;
  }
  warn(fmt::format("kernel cache disabled: cannot store {} ({})", Path,
                   S.message()));
}

void KernelCache::removeStaleTempFiles() {
  std::error_code EC;
  auto Now = fs::file_time_type::clock::now();
  for (fs::directory_iterator It(Dir, EC), End; !EC && It != End;
       It.increment(EC)) {
    std::string Name = It->path().filename().string();
    if (!isAtomicFileTemporary(Name))
      continue;
    std::error_code TimeEC;
    auto Time = fs::last_write_time(It->path(), TimeEC);
    if (!TimeEC && Now - Time > StaleTempAge)
      fs::remove(It->path(), TimeEC);
  }
}

void KernelCache::warn(std::string Msg) {
  std::lock_guard<std::mutex> Lock(Mutex);
  AllWarnings.push_back(std::move(Msg));
}

std::vector<std::string> KernelCache::warnings() const {
  std::lock_guard<std::mutex> Lock(Mutex);
  return AllWarnings;
}

std::vector<std::string> KernelCache::takeWarnings() {
  std::lock_guard<std::mutex> Lock(Mutex);
  std::vector<std::string> New(AllWarnings.begin() + Taken, AllWarnings.end());
  Taken = AllWarnings.size();
  return New;
}
