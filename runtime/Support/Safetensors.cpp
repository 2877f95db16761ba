//===- Support/Safetensors.cpp - Strict safetensors reader/writer ---------===//
//
// Exceptions (from nlohmann::json, std::bad_alloc, ...) are caught at every
// public entry point and turned into Status errors: callers use
// -fno-exceptions.
//
//===----------------------------------------------------------------------===//

#include "Support/Safetensors.h"
#include "Support/AtomicFile.h"
#include "Support/JsonKeys.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace ssmc::rt;
using Json = nlohmann::ordered_json;

namespace {

/// Upper bound on the JSON header; real headers are a few KiB to a few MiB.
constexpr uint64_t kMaxHeaderBytes = uint64_t(100) << 20;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeInfo {
  DType type;
  std::string_view name;
  size_t size;
};

constexpr std::array<DTypeInfo, 13> kDTypeTable = {{
    {DType::Bool, "BOOL", 1},
    {DType::U8, "U8", 1},
    {DType::I8, "I8", 1},
    {DType::I16, "I16", 2},
    {DType::U16, "U16", 2},
    {DType::F16, "F16", 2},
    {DType::BF16, "BF16", 2},
    {DType::I32, "I32", 4},
    {DType::U32, "U32", 4},
    {DType::F32, "F32", 4},
    {DType::F64, "F64", 8},
    {DType::I64, "I64", 8},
    {DType::U64, "U64", 8},
}};

const DTypeInfo &info(DType d) {
  for (const DTypeInfo &i : kDTypeTable)
    if (i.type == d)
      return i;
  return kDTypeTable[0]; // Unreachable for valid enumerators.
}

std::string formatShape(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

/// product(Shape) * ElemSize, or nullopt if a dimension is negative or the
/// product does not fit in 64 bits.
std::optional<uint64_t> byteSize(const std::vector<int64_t> &shape, size_t elemSize) {
  uint64_t bytes = elemSize;
  for (int64_t dim : shape) {
    if (dim < 0 || __builtin_mul_overflow(bytes, uint64_t(dim), &bytes))
      return std::nullopt;
  }
  return bytes;
}

template <class... Args>
Status corrupt(const std::string &path, fmt::format_string<Args...> fmt, Args &&...a) {
  return Status::error(fmt::format("corrupt safetensors '{}': {}", path,
                                   fmt::format(fmt, std::forward<Args>(a)...)));
}

/// Owns a file descriptor.
class UniqueFd {
public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const { return fd_; }
  /// Closes now and reports the result (close can report deferred IO errors).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

private:
  int fd_;
};

/// Owns an mmap'ed region until released to a SafetensorsFile.
class UniqueMap {
public:
  UniqueMap(void *addr, size_t size) : addr_(addr), size_(size) {}
  UniqueMap(const UniqueMap &) = delete;
  UniqueMap &operator=(const UniqueMap &) = delete;
  ~UniqueMap() {
    if (addr_)
      ::munmap(addr_, size_);
  }
  void *release() { return std::exchange(addr_, nullptr); }

private:
  void *addr_;
  size_t size_;
};

uint64_t readLE64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i)
    v = (v << 8) | p[i];
  return v;
}

/// A parsed header entry before its data pointer is known.
struct Entry {
  TensorView view;
  uint64_t begin, end;
};

/// Checks one tensor entry of the header against the data section size.
Expected<Entry> parseEntry(const std::string &path, const std::string &name, const Json &value,
                           uint64_t dataBytes) {
  if (!value.is_object())
    return corrupt(path, "entry for tensor '{}' is not a JSON object", name);
  for (const char *field : {"dtype", "shape", "data_offsets"})
    if (!value.contains(field))
      return corrupt(path, "tensor '{}' is missing '{}'", name, field);

  const Json &dTypeJson = value["dtype"];
  if (!dTypeJson.is_string())
    return corrupt(path, "tensor '{}' has 'dtype' {} which is not a string", name,
                   dTypeJson.dump());
  std::optional<DType> d = parseDType(dTypeJson.get<std::string>());
  if (!d)
    return corrupt(path, "tensor '{}' has unknown dtype '{}'", name, dTypeJson.get<std::string>());

  const Json &shapeJson = value["shape"];
  if (!shapeJson.is_array())
    return corrupt(path, "tensor '{}' has 'shape' {} which is not an array", name,
                   shapeJson.dump());
  std::vector<int64_t> shape;
  for (const Json &dim : shapeJson) {
    if (!dim.is_number_integer())
      return corrupt(path, "tensor '{}' has 'shape' {} with non-integer dimension {}", name,
                     shapeJson.dump(), dim.dump());
    if (dim.is_number_unsigned()) {
      if (dim.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        return corrupt(path, "tensor '{}' has 'shape' {} with absurd dimension {}", name,
                       shapeJson.dump(), dim.dump());
    } else if (dim.get<int64_t>() < 0) {
      return corrupt(path, "tensor '{}' has negative dimension {} in 'shape' {}", name, dim.dump(),
                     shapeJson.dump());
    }
    shape.push_back(dim.get<int64_t>());
  }

  const Json &offsets = value["data_offsets"];
  if (!offsets.is_array() || offsets.size() != 2 || !offsets[0].is_number_unsigned() ||
      !offsets[1].is_number_unsigned())
    return corrupt(path,
                   "tensor '{}' has 'data_offsets' {} which is not 2 "
                   "non-negative integers",
                   name, offsets.dump());
  uint64_t begin = offsets[0].get<uint64_t>(), end = offsets[1].get<uint64_t>();
  if (begin > end)
    return corrupt(path, "tensor '{}' has data_offsets [{}, {}] with begin > end", name, begin,
                   end);

  std::optional<uint64_t> need = byteSize(shape, dtypeSize(*d));
  if (!need)
    return corrupt(path, "tensor '{}' has shape {} whose byte size overflows", name,
                   formatShape(shape));
  if (end - begin != *need)
    return corrupt(path,
                   "tensor '{}' has data_offsets [{}, {}] but dtype {} and "
                   "shape {} need {} bytes",
                   name, begin, end, dtypeName(*d), formatShape(shape), *need);
  if (end > dataBytes)
    return corrupt(path,
                   "truncated data: file has {} data bytes, tensor '{}' needs "
                   "up to {}",
                   dataBytes, name, end);

  TensorView view{name, *d, std::move(shape), nullptr, size_t(end - begin)};
  return Entry{std::move(view), begin, end};
}

/// Sorts non-empty tensors by offset and reports the first overlapping pair.
Status checkOverlaps(const std::string &path, const std::vector<Entry> &entries) {
  std::vector<const Entry *> sorted;
  for (const Entry &e : entries)
    if (e.end > e.begin)
      sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const Entry *a, const Entry *b) {
    return std::pair(a->begin, a->end) < std::pair(b->begin, b->end);
  });
  // Sorted by begin, any overlap implies one between neighbours.
  for (size_t i = 1; i < sorted.size(); ++i) {
    const Entry &prev = *sorted[i - 1], &cur = *sorted[i];
    if (cur.begin < prev.end)
      return corrupt(path, "tensors '{}' [{}, {}] and '{}' [{}, {}] overlap", prev.view.name,
                     prev.begin, prev.end, cur.view.name, cur.begin, cur.end);
  }
  return Status::success();
}

uint16_t loadU16(const std::byte *p) {
  uint16_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

float halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  if (exp == 0) {
    // Zero or subnormal: Mant * 2^-24, exact in float.
    float mag = std::ldexp(float(mant), -24);
    return sign ? -mag : mag;
  }
  if (exp == 0x1f) // Inf or NaN; keep the NaN payload.
    return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  return std::bit_cast<float>(sign | ((exp + 127 - 15) << 23) | (mant << 13));
}

float bfloat16ToFloat(uint16_t b) { return std::bit_cast<float>(uint32_t(b) << 16); }

/// Checks the tensors and builds the padded JSON header.
Expected<std::string> buildHeader(const std::string &path,
                                  const std::vector<TensorToWrite> &tensors,
                                  const std::map<std::string, std::string> &metadata) {
  auto fail = [&](const std::string &msg) {
    return Status::error(fmt::format("cannot write safetensors '{}': {}", path, msg));
  };
  Json header = Json::object();
  if (!metadata.empty()) {
    Json meta = Json::object();
    for (const auto &[Key, Value] : metadata)
      meta[Key] = Value;
    header[std::string(kMetadataKey)] = std::move(meta);
  }
  std::set<std::string_view> seen;
  uint64_t offset = 0;
  for (const TensorToWrite &t : tensors) {
    if (t.name == kMetadataKey)
      return fail(fmt::format("'{}' is reserved, not a tensor name", kMetadataKey));
    if (!seen.insert(t.name).second)
      return fail(fmt::format("duplicate tensor name '{}'", t.name));
    std::optional<uint64_t> need = byteSize(t.shape, dtypeSize(t.dtype));
    if (!need)
      return fail(fmt::format("tensor '{}' has invalid shape {}", t.name, formatShape(t.shape)));
    if (t.numBytes != *need)
      return fail(fmt::format("tensor '{}' has {} bytes but dtype {} and "
                              "shape {} need {} bytes",
                              t.name, t.numBytes, dtypeName(t.dtype), formatShape(t.shape), *need));
    if (t.numBytes > 0 && !t.data)
      return fail(fmt::format("tensor '{}' has no data", t.name));
    header[t.name] = {{"dtype", dtypeName(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.numBytes}}};
    offset += t.numBytes;
  }
  std::string text = header.dump();
  // Padding keeps the data section 8-byte aligned in the file.
  text.append((8 - text.size() % 8) % 8, ' ');
  if (text.size() > kMaxHeaderBytes)
    return fail(fmt::format("header of {} bytes exceeds the limit of {} bytes", text.size(),
                            kMaxHeaderBytes));
  return text;
}

Status writeImpl(const std::string &path, const std::vector<TensorToWrite> &tensors,
                 const std::map<std::string, std::string> &metadata) {
  Expected<std::string> header = buildHeader(path, tensors, metadata);
  if (!header)
    return header.status();

  auto file = AtomicFile::create(path);
  if (!file)
    return file.status();
  unsigned char prefix[8];
  for (int i = 0; i < 8; ++i)
    prefix[i] = static_cast<unsigned char>(uint64_t(header->size()) >> (8 * i));
  if (Status s = file->write(prefix, sizeof prefix); !s)
    return s;
  if (Status s = file->write(*header); !s)
    return s;
  for (const TensorToWrite &t : tensors)
    if (Status s = file->write(t.data, t.numBytes); !s)
      return s;
  return file->commit();
}

} // namespace

//===----------------------------------------------------------------------===//
// DType
//===----------------------------------------------------------------------===//

std::optional<DType> ssmc::rt::parseDType(std::string_view name) {
  for (const DTypeInfo &i : kDTypeTable)
    if (i.name == name)
      return i.type;
  return std::nullopt;
}

std::string_view ssmc::rt::dtypeName(DType d) { return info(d).name; }

size_t ssmc::rt::dtypeSize(DType d) { return info(d).size; }

int64_t TensorView::numElements() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

SafetensorsFile::SafetensorsFile(SafetensorsFile &&other) noexcept
    : path_(std::move(other.path_)), map_(std::exchange(other.map_, nullptr)),
      mapSize_(std::exchange(other.mapSize_, 0)), tensors_(std::move(other.tensors_)),
      indexByName_(std::move(other.indexByName_)), metadata_(std::move(other.metadata_)) {}

SafetensorsFile &SafetensorsFile::operator=(SafetensorsFile &&other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    map_ = std::exchange(other.map_, nullptr);
    mapSize_ = std::exchange(other.mapSize_, 0);
    tensors_ = std::move(other.tensors_);
    indexByName_ = std::move(other.indexByName_);
    metadata_ = std::move(other.metadata_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() { release(); }

void SafetensorsFile::release() {
  if (map_)
    ::munmap(map_, mapSize_);
  map_ = nullptr;
  mapSize_ = 0;
}

const TensorView *SafetensorsFile::find(std::string_view name) const {
  auto it = indexByName_.find(name);
  return it == indexByName_.end() ? nullptr : &tensors_[it->second];
}

Expected<std::shared_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string &path) try {
  // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused
  // below, not a regular file); reads of a regular file are unaffected.
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (fd.get() < 0)
    return Status::error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  struct stat st;
  if (::fstat(fd.get(), &st) != 0)
    return Status::error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
  if (!S_ISREG(st.st_mode))
    return Status::error(fmt::format("cannot open '{}': not a regular file", path));
  uint64_t fileSize = uint64_t(st.st_size);
  if (fileSize < 8)
    return corrupt(path, "file is {} bytes, shorter than 8 bytes of header length", fileSize);

  void *addr = ::mmap(nullptr, fileSize, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (addr == MAP_FAILED)
    return Status::error(fmt::format("cannot mmap '{}': {}", path, std::strerror(errno)));
  UniqueMap mapping(addr, fileSize);
  const auto *bytes = static_cast<const unsigned char *>(addr);

  // A PyTorch checkpoint (a zip, or a pickle from before zip) is a common
  // mistake; a safetensors header opens with '{' after its length, whose
  // bytes may well look like a pickle's (0x280 = 80 02 ...).
  const bool zip = bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
  const bool pickle = bytes[0] == 0x80 && bytes[1] >= 2 && bytes[1] <= 5;
  if ((zip || pickle) && (fileSize < 9 || bytes[8] != '{'))
    return Status::error(
        fmt::format("'{}' is a PyTorch checkpoint ({}), not safetensors: convert it with "
                    "`python3 scripts/convert-checkpoint.py {} OUT.safetensors`",
                    path, zip ? "zip" : "pickle", path));

  uint64_t headerLen = readLE64(bytes);
  if (headerLen == 0)
    return corrupt(path, "header length is 0");
  if (headerLen > kMaxHeaderBytes)
    return corrupt(path, "header length {} exceeds the limit of {} bytes", headerLen,
                   kMaxHeaderBytes);
  if (8 + headerLen > fileSize)
    return corrupt(path,
                   "truncated header: header length {} needs {} bytes "
                   "but file has {}",
                   headerLen, 8 + headerLen, fileSize);
  uint64_t dataBytes = fileSize - 8 - headerLen;
  const auto *headerBegin = reinterpret_cast<const char *>(bytes + 8);

  Json header;
  DuplicateKeyFinder dups;
  try {
    header = Json::parse(headerBegin, headerBegin + headerLen, std::ref(dups));
  } catch (const Json::exception &e) {
    return corrupt(path, "header is not valid JSON: {}", e.what());
  }
  if (!header.is_object())
    return corrupt(path, "header is not a JSON object");
  if (dups.duplicate)
    return dups.duplicateAtTopLevel
               ? corrupt(path, "duplicate tensor name '{}' in header", *dups.duplicate)
               : corrupt(path, "duplicate key '{}' in a header object", *dups.duplicate);

  SafetensorsFile file;
  file.path_ = path;
  std::vector<Entry> entries;
  for (const auto &[Name, Value] : header.items()) {
    if (Name == kMetadataKey) {
      if (!Value.is_object())
        return corrupt(path, "'{}' is not an object of strings", kMetadataKey);
      for (const auto &[Key, Str] : Value.items()) {
        if (!Str.is_string())
          return corrupt(path,
                         "'{}' is not an object of strings: value of "
                         "'{}' is {}",
                         kMetadataKey, Key, Str.dump());
        file.metadata_[Key] = Str.get<std::string>();
      }
      continue;
    }
    Expected<Entry> e = parseEntry(path, Name, Value, dataBytes);
    if (!e)
      return e.status();
    entries.push_back(std::move(*e));
  }
  if (Status s = checkOverlaps(path, entries); !s)
    return s;

  const auto *data = reinterpret_cast<const std::byte *>(bytes + 8 + headerLen);
  for (Entry &e : entries) {
    e.view.data = data + e.begin;
    file.indexByName_.emplace(e.view.name, file.tensors_.size());
    file.tensors_.push_back(std::move(e.view));
  }
  file.mapSize_ = fileSize;
  file.map_ = mapping.release();
  return std::make_shared<SafetensorsFile>(std::move(file));
} catch (const std::exception &e) {
  return Status::error(fmt::format("cannot read safetensors '{}': {}", path, e.what()));
} catch (...) {
  return Status::error(fmt::format("cannot read safetensors '{}': unknown error", path));
}

Expected<std::vector<float>> SafetensorsFile::toF32(const TensorView &t) try {
  size_t n = t.numBytes / dtypeSize(t.dtype);
  std::vector<float> out(n);
  switch (t.dtype) {
  case DType::F32:
    if (n)
      std::memcpy(out.data(), t.data, n * sizeof(float));
    break;
  case DType::F64:
    for (size_t i = 0; i < n; ++i) {
      double v;
      std::memcpy(&v, t.data + i * sizeof v, sizeof v);
      out[i] = float(v);
    }
    break;
  case DType::F16:
    for (size_t i = 0; i < n; ++i)
      out[i] = halfToFloat(loadU16(t.data + 2 * i));
    break;
  case DType::BF16:
    for (size_t i = 0; i < n; ++i)
      out[i] = bfloat16ToFloat(loadU16(t.data + 2 * i));
    break;
  default:
    return Status::error(
        fmt::format("cannot convert tensor '{}' of dtype {} to F32", t.name, dtypeName(t.dtype)));
  }
  return out;
} catch (const std::exception &e) {
  return Status::error(fmt::format("cannot convert tensor '{}' to F32: {}", t.name, e.what()));
} catch (...) {
  return Status::error(fmt::format("cannot convert tensor '{}' to F32: unknown error", t.name));
}

Status ssmc::rt::writeSafetensors(const std::string &path,
                                  const std::vector<TensorToWrite> &tensors,
                                  const std::map<std::string, std::string> &metadata) {
  try {
    return writeImpl(path, tensors, metadata);
  } catch (const std::exception &e) { // the AtomicFile removed its temporary
    return Status::error(fmt::format("cannot write safetensors '{}': {}", path, e.what()));
  } catch (...) {
    return Status::error(fmt::format("cannot write safetensors '{}': unknown error", path));
  }
}
