//===- Support/Safetensors.cpp - Strict safetensors reader/writer ---------===//
//
// Exceptions (from nlohmann::json, std::bad_alloc, ...) are caught at every
// public entry point and turned into Status errors: callers use
// -fno-exceptions.
//
//===----------------------------------------------------------------------===//

#include "Support/Safetensors.h"
#include "Support/AtomicFile.h"

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
constexpr uint64_t MaxHeaderBytes = uint64_t(100) << 20;
constexpr std::string_view MetadataKey = "__metadata__";

struct DTypeInfo {
  DType Type;
  std::string_view Name;
  size_t Size;
};

constexpr std::array<DTypeInfo, 13> DTypeTable = {{
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

const DTypeInfo &info(DType D) {
  for (const DTypeInfo &I : DTypeTable)
    if (I.Type == D)
      return I;
  return DTypeTable[0]; // Unreachable for valid enumerators.
}

std::string formatShape(const std::vector<int64_t> &Shape) {
  return fmt::format("[{}]", fmt::join(Shape, ", "));
}

/// product(Shape) * ElemSize, or nullopt if a dimension is negative or the
/// product does not fit in 64 bits.
std::optional<uint64_t> byteSize(const std::vector<int64_t> &Shape,
                                 size_t ElemSize) {
  uint64_t Bytes = ElemSize;
  for (int64_t Dim : Shape) {
    if (Dim < 0 || __builtin_mul_overflow(Bytes, uint64_t(Dim), &Bytes))
      return std::nullopt;
  }
  return Bytes;
}

template <class... Args>
Status corrupt(const std::string &Path, fmt::format_string<Args...> Fmt,
               Args &&...A) {
  return Status::error(fmt::format("corrupt safetensors '{}': {}", Path,
                                   fmt::format(Fmt, std::forward<Args>(A)...)));
}

/// Owns a file descriptor.
class UniqueFd {
public:
  explicit UniqueFd(int Fd) : Fd(Fd) {}
  UniqueFd(const UniqueFd &) = delete;
  UniqueFd &operator=(const UniqueFd &) = delete;
  ~UniqueFd() {
    if (Fd >= 0)
      ::close(Fd);
  }
  int get() const { return Fd; }
  /// Closes now and reports the result (close can report deferred IO errors).
  int close() {
    int Rc = ::close(Fd);
    Fd = -1;
    return Rc;
  }

private:
  int Fd;
};

/// Owns an mmap'ed region until released to a SafetensorsFile.
class UniqueMap {
public:
  UniqueMap(void *Addr, size_t Size) : Addr(Addr), Size(Size) {}
  UniqueMap(const UniqueMap &) = delete;
  UniqueMap &operator=(const UniqueMap &) = delete;
  ~UniqueMap() {
    if (Addr)
      ::munmap(Addr, Size);
  }
  void *release() { return std::exchange(Addr, nullptr); }

private:
  void *Addr;
  size_t Size;
};

uint64_t readLE64(const unsigned char *P) {
  uint64_t V = 0;
  for (int I = 7; I >= 0; --I)
    V = (V << 8) | P[I];
  return V;
}

/// Records the first key that repeats within one JSON object at any depth;
/// nlohmann itself silently keeps only one of them.
struct DuplicateKeyFinder {
  std::vector<std::set<std::string>> OpenObjects;
  std::optional<std::string> Duplicate;
  bool DuplicateAtTopLevel = false;

  bool operator()(int, Json::parse_event_t Event, Json &Parsed) {
    switch (Event) {
    case Json::parse_event_t::object_start:
      OpenObjects.emplace_back();
      break;
    case Json::parse_event_t::object_end:
      if (!OpenObjects.empty())
        OpenObjects.pop_back();
      break;
    case Json::parse_event_t::key:
      if (!Duplicate && !OpenObjects.empty() &&
          !OpenObjects.back().insert(Parsed.get<std::string>()).second) {
        Duplicate = Parsed.get<std::string>();
        DuplicateAtTopLevel = OpenObjects.size() == 1;
      }
      break;
    default:
      break;
    }
    return true;
  }
};

/// A parsed header entry before its data pointer is known.
struct Entry {
  TensorView View;
  uint64_t Begin, End;
};

/// Checks one tensor entry of the header against the data section size.
Expected<Entry> parseEntry(const std::string &Path, const std::string &Name,
                           const Json &Value, uint64_t DataBytes) {
  if (!Value.is_object())
    return corrupt(Path, "entry for tensor '{}' is not a JSON object", Name);
  for (const char *Field : {"dtype", "shape", "data_offsets"})
    if (!Value.contains(Field))
      return corrupt(Path, "tensor '{}' is missing '{}'", Name, Field);

  const Json &DTypeJson = Value["dtype"];
  if (!DTypeJson.is_string())
    return corrupt(Path, "tensor '{}' has 'dtype' {} which is not a string",
                   Name, DTypeJson.dump());
  std::optional<DType> D = parseDType(DTypeJson.get<std::string>());
  if (!D)
    return corrupt(Path, "tensor '{}' has unknown dtype '{}'", Name,
                   DTypeJson.get<std::string>());

  const Json &ShapeJson = Value["shape"];
  if (!ShapeJson.is_array())
    return corrupt(Path, "tensor '{}' has 'shape' {} which is not an array",
                   Name, ShapeJson.dump());
  std::vector<int64_t> Shape;
  for (const Json &Dim : ShapeJson) {
    if (!Dim.is_number_integer())
      return corrupt(Path,
                     "tensor '{}' has 'shape' {} with non-integer dimension {}",
                     Name, ShapeJson.dump(), Dim.dump());
    if (Dim.is_number_unsigned()) {
      if (Dim.get<uint64_t>() > uint64_t(std::numeric_limits<int64_t>::max()))
        return corrupt(Path,
                       "tensor '{}' has 'shape' {} with absurd dimension {}",
                       Name, ShapeJson.dump(), Dim.dump());
    } else if (Dim.get<int64_t>() < 0) {
      return corrupt(Path,
                     "tensor '{}' has negative dimension {} in 'shape' {}",
                     Name, Dim.dump(), ShapeJson.dump());
    }
    Shape.push_back(Dim.get<int64_t>());
  }

  const Json &Offsets = Value["data_offsets"];
  if (!Offsets.is_array() || Offsets.size() != 2 ||
      !Offsets[0].is_number_unsigned() || !Offsets[1].is_number_unsigned())
    return corrupt(Path,
                   "tensor '{}' has 'data_offsets' {} which is not 2 "
                   "non-negative integers",
                   Name, Offsets.dump());
  uint64_t Begin = Offsets[0].get<uint64_t>(), End = Offsets[1].get<uint64_t>();
  if (Begin > End)
    return corrupt(Path,
                   "tensor '{}' has data_offsets [{}, {}] with begin > end",
                   Name, Begin, End);

  std::optional<uint64_t> Need = byteSize(Shape, dtypeSize(*D));
  if (!Need)
    return corrupt(Path, "tensor '{}' has shape {} whose byte size overflows",
                   Name, formatShape(Shape));
  if (End - Begin != *Need)
    return corrupt(Path,
                   "tensor '{}' has data_offsets [{}, {}] but dtype {} and "
                   "shape {} need {} bytes",
                   Name, Begin, End, dtypeName(*D), formatShape(Shape), *Need);
  if (End > DataBytes)
    return corrupt(Path,
                   "truncated data: file has {} data bytes, tensor '{}' needs "
                   "up to {}",
                   DataBytes, Name, End);

  TensorView View{Name, *D, std::move(Shape), nullptr, size_t(End - Begin)};
  return Entry{std::move(View), Begin, End};
}

/// Sorts non-empty tensors by offset and reports the first overlapping pair.
Status checkOverlaps(const std::string &Path,
                     const std::vector<Entry> &Entries) {
  std::vector<const Entry *> Sorted;
  for (const Entry &E : Entries)
    if (E.End > E.Begin)
      Sorted.push_back(&E);
  std::sort(Sorted.begin(), Sorted.end(), [](const Entry *A, const Entry *B) {
    return std::pair(A->Begin, A->End) < std::pair(B->Begin, B->End);
  });
  // Sorted by begin, any overlap implies one between neighbours.
  for (size_t I = 1; I < Sorted.size(); ++I) {
    const Entry &Prev = *Sorted[I - 1], &Cur = *Sorted[I];
    if (Cur.Begin < Prev.End)
      return corrupt(Path, "tensors '{}' [{}, {}] and '{}' [{}, {}] overlap",
                     Prev.View.name, Prev.Begin, Prev.End, Cur.View.name,
                     Cur.Begin, Cur.End);
  }
  return Status::success();
}

uint16_t loadU16(const std::byte *P) {
  uint16_t V;
  std::memcpy(&V, P, sizeof V);
  return V;
}

float halfToFloat(uint16_t H) {
  uint32_t Sign = uint32_t(H & 0x8000) << 16;
  uint32_t Exp = (H >> 10) & 0x1f;
  uint32_t Mant = H & 0x3ff;
  if (Exp == 0) {
    // Zero or subnormal: Mant * 2^-24, exact in float.
    float Mag = std::ldexp(float(Mant), -24);
    return Sign ? -Mag : Mag;
  }
  if (Exp == 0x1f) // Inf or NaN; keep the NaN payload.
    return std::bit_cast<float>(Sign | 0x7f800000u | (Mant << 13));
  return std::bit_cast<float>(Sign | ((Exp + 127 - 15) << 23) | (Mant << 13));
}

float bfloat16ToFloat(uint16_t B) {
  return std::bit_cast<float>(uint32_t(B) << 16);
}

/// Checks the tensors and builds the padded JSON header.
Expected<std::string>
buildHeader(const std::string &Path, const std::vector<TensorToWrite> &Tensors,
            const std::map<std::string, std::string> &Metadata) {
  auto Fail = [&](const std::string &Msg) {
    return Status::error(
        fmt::format("cannot write safetensors '{}': {}", Path, Msg));
  };
  Json Header = Json::object();
  if (!Metadata.empty()) {
    Json Meta = Json::object();
    for (const auto &[Key, Value] : Metadata)
      Meta[Key] = Value;
    Header[std::string(MetadataKey)] = std::move(Meta);
  }
  std::set<std::string_view> Seen;
  uint64_t Offset = 0;
  for (const TensorToWrite &T : Tensors) {
    if (T.name == MetadataKey)
      return Fail(
          fmt::format("'{}' is reserved, not a tensor name", MetadataKey));
    if (!Seen.insert(T.name).second)
      return Fail(fmt::format("duplicate tensor name '{}'", T.name));
    std::optional<uint64_t> Need = byteSize(T.shape, dtypeSize(T.dtype));
    if (!Need)
      return Fail(fmt::format("tensor '{}' has invalid shape {}", T.name,
                              formatShape(T.shape)));
    if (T.numBytes != *Need)
      return Fail(fmt::format("tensor '{}' has {} bytes but dtype {} and "
                              "shape {} need {} bytes",
                              T.name, T.numBytes, dtypeName(T.dtype),
                              formatShape(T.shape), *Need));
    if (T.numBytes > 0 && !T.data)
      return Fail(fmt::format("tensor '{}' has no data", T.name));
    Header[T.name] = {{"dtype", dtypeName(T.dtype)},
                      {"shape", T.shape},
                      {"data_offsets", {Offset, Offset + T.numBytes}}};
    Offset += T.numBytes;
  }
  std::string Text = Header.dump();
  // Padding keeps the data section 8-byte aligned in the file.
  Text.append((8 - Text.size() % 8) % 8, ' ');
  if (Text.size() > MaxHeaderBytes)
    return Fail(fmt::format("header of {} bytes exceeds the limit of {} bytes",
                            Text.size(), MaxHeaderBytes));
  return Text;
}

Status writeImpl(const std::string &Path,
                 const std::vector<TensorToWrite> &Tensors,
                 const std::map<std::string, std::string> &Metadata) {
  Expected<std::string> Header = buildHeader(Path, Tensors, Metadata);
  if (!Header)
    return Header.status();

  auto File = AtomicFile::create(Path);
  if (!File)
    return File.status();
  unsigned char Prefix[8];
  for (int I = 0; I < 8; ++I)
    Prefix[I] = static_cast<unsigned char>(uint64_t(Header->size()) >> (8 * I));
  if (Status S = File->write(Prefix, sizeof Prefix); !S)
    return S;
  if (Status S = File->write(*Header); !S)
    return S;
  for (const TensorToWrite &T : Tensors)
    if (Status S = File->write(T.data, T.numBytes); !S)
      return S;
  return File->commit();
}

} // namespace

//===----------------------------------------------------------------------===//
// DType
//===----------------------------------------------------------------------===//

std::optional<DType> ssmc::rt::parseDType(std::string_view Name) {
  for (const DTypeInfo &I : DTypeTable)
    if (I.Name == Name)
      return I.Type;
  return std::nullopt;
}

std::string_view ssmc::rt::dtypeName(DType D) { return info(D).Name; }

size_t ssmc::rt::dtypeSize(DType D) { return info(D).Size; }

int64_t TensorView::numElements() const {
  int64_t N = 1;
  for (int64_t Dim : shape)
    N *= Dim;
  return N;
}

//===----------------------------------------------------------------------===//
// SafetensorsFile
//===----------------------------------------------------------------------===//

SafetensorsFile::SafetensorsFile(SafetensorsFile &&Other) noexcept
    : Path(std::move(Other.Path)), Map(std::exchange(Other.Map, nullptr)),
      MapSize(std::exchange(Other.MapSize, 0)),
      Tensors(std::move(Other.Tensors)),
      IndexByName(std::move(Other.IndexByName)),
      Metadata(std::move(Other.Metadata)) {}

SafetensorsFile &SafetensorsFile::operator=(SafetensorsFile &&Other) noexcept {
  if (this != &Other) {
    release();
    Path = std::move(Other.Path);
    Map = std::exchange(Other.Map, nullptr);
    MapSize = std::exchange(Other.MapSize, 0);
    Tensors = std::move(Other.Tensors);
    IndexByName = std::move(Other.IndexByName);
    Metadata = std::move(Other.Metadata);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() { release(); }

void SafetensorsFile::release() {
  if (Map)
    ::munmap(Map, MapSize);
  Map = nullptr;
  MapSize = 0;
}

const TensorView *SafetensorsFile::find(std::string_view Name) const {
  auto It = IndexByName.find(Name);
  return It == IndexByName.end() ? nullptr : &Tensors[It->second];
}

Expected<std::shared_ptr<SafetensorsFile>>
SafetensorsFile::open(const std::string &Path) try {
  UniqueFd Fd(::open(Path.c_str(), O_RDONLY | O_CLOEXEC));
  if (Fd.get() < 0)
    return Status::error(
        fmt::format("cannot open '{}': {}", Path, std::strerror(errno)));
  struct stat St;
  if (::fstat(Fd.get(), &St) != 0)
    return Status::error(
        fmt::format("cannot open '{}': {}", Path, std::strerror(errno)));
  if (!S_ISREG(St.st_mode))
    return Status::error(
        fmt::format("cannot open '{}': not a regular file", Path));
  uint64_t FileSize = uint64_t(St.st_size);
  if (FileSize < 8)
    return corrupt(Path,
                   "file is {} bytes, shorter than 8 bytes of header length",
                   FileSize);

  void *Addr = ::mmap(nullptr, FileSize, PROT_READ, MAP_PRIVATE, Fd.get(), 0);
  if (Addr == MAP_FAILED)
    return Status::error(
        fmt::format("cannot mmap '{}': {}", Path, std::strerror(errno)));
  UniqueMap Mapping(Addr, FileSize);
  const auto *Bytes = static_cast<const unsigned char *>(Addr);

  // A PyTorch checkpoint (a zip, or a pickle from before zip) is a common
  // mistake; a safetensors header opens with '{' after its length, whose
  // bytes may well look like a pickle's (0x280 = 80 02 ...).
  const bool Zip = Bytes[0] == 'P' && Bytes[1] == 'K' && Bytes[2] == 3 &&
                   Bytes[3] == 4;
  const bool Pickle = Bytes[0] == 0x80 && Bytes[1] >= 2 && Bytes[1] <= 5;
  if ((Zip || Pickle) && (FileSize < 9 || Bytes[8] != '{'))
    return Status::error(fmt::format(
        "'{}' is a PyTorch checkpoint ({}), not safetensors: convert it with "
        "`python3 scripts/convert-checkpoint.py {} OUT.safetensors`",
        Path, Zip ? "zip" : "pickle", Path));

  uint64_t HeaderLen = readLE64(Bytes);
  if (HeaderLen == 0)
    return corrupt(Path, "header length is 0");
  if (HeaderLen > MaxHeaderBytes)
    return corrupt(Path, "header length {} exceeds the limit of {} bytes",
                   HeaderLen, MaxHeaderBytes);
  if (8 + HeaderLen > FileSize)
    return corrupt(Path,
                   "truncated header: header length {} needs {} bytes "
                   "but file has {}",
                   HeaderLen, 8 + HeaderLen, FileSize);
  uint64_t DataBytes = FileSize - 8 - HeaderLen;
  const auto *HeaderBegin = reinterpret_cast<const char *>(Bytes + 8);

  Json Header;
  DuplicateKeyFinder Dups;
  try {
    Header = Json::parse(HeaderBegin, HeaderBegin + HeaderLen, std::ref(Dups));
  } catch (const Json::exception &E) {
    return corrupt(Path, "header is not valid JSON: {}", E.what());
  }
  if (!Header.is_object())
    return corrupt(Path, "header is not a JSON object");
  if (Dups.Duplicate)
    return Dups.DuplicateAtTopLevel
               ? corrupt(Path, "duplicate tensor name '{}' in header",
                         *Dups.Duplicate)
               : corrupt(Path, "duplicate key '{}' in a header object",
                         *Dups.Duplicate);

  SafetensorsFile File;
  File.Path = Path;
  std::vector<Entry> Entries;
  for (const auto &[Name, Value] : Header.items()) {
    if (Name == MetadataKey) {
      if (!Value.is_object())
        return corrupt(Path, "'{}' is not an object of strings", MetadataKey);
      for (const auto &[Key, Str] : Value.items()) {
        if (!Str.is_string())
          return corrupt(Path,
                         "'{}' is not an object of strings: value of "
                         "'{}' is {}",
                         MetadataKey, Key, Str.dump());
        File.Metadata[Key] = Str.get<std::string>();
      }
      continue;
    }
    Expected<Entry> E = parseEntry(Path, Name, Value, DataBytes);
    if (!E)
      return E.status();
    Entries.push_back(std::move(*E));
  }
  if (Status S = checkOverlaps(Path, Entries); !S)
    return S;

  const auto *Data = reinterpret_cast<const std::byte *>(Bytes + 8 + HeaderLen);
  for (Entry &E : Entries) {
    E.View.data = Data + E.Begin;
    File.IndexByName.emplace(E.View.name, File.Tensors.size());
    File.Tensors.push_back(std::move(E.View));
  }
  File.MapSize = FileSize;
  File.Map = Mapping.release();
  return std::make_shared<SafetensorsFile>(std::move(File));
} catch (const std::exception &E) {
  return Status::error(
      fmt::format("cannot read safetensors '{}': {}", Path, E.what()));
} catch (...) {
  return Status::error(
      fmt::format("cannot read safetensors '{}': unknown error", Path));
}

Expected<std::vector<float>> SafetensorsFile::toF32(const TensorView &T) try {
  size_t N = T.numBytes / dtypeSize(T.dtype);
  std::vector<float> Out(N);
  switch (T.dtype) {
  case DType::F32:
    if (N)
      std::memcpy(Out.data(), T.data, N * sizeof(float));
    break;
  case DType::F64:
    for (size_t I = 0; I < N; ++I) {
      double V;
      std::memcpy(&V, T.data + I * sizeof V, sizeof V);
      Out[I] = float(V);
    }
    break;
  case DType::F16:
    for (size_t I = 0; I < N; ++I)
      Out[I] = halfToFloat(loadU16(T.data + 2 * I));
    break;
  case DType::BF16:
    for (size_t I = 0; I < N; ++I)
      Out[I] = bfloat16ToFloat(loadU16(T.data + 2 * I));
    break;
  default:
    return Status::error(
        fmt::format("cannot convert tensor '{}' of dtype {} to F32", T.name,
                    dtypeName(T.dtype)));
  }
  return Out;
} catch (const std::exception &E) {
  return Status::error(
      fmt::format("cannot convert tensor '{}' to F32: {}", T.name, E.what()));
} catch (...) {
  return Status::error(
      fmt::format("cannot convert tensor '{}' to F32: unknown error", T.name));
}

Status
ssmc::rt::writeSafetensors(const std::string &Path,
                           const std::vector<TensorToWrite> &Tensors,
                           const std::map<std::string, std::string> &Metadata) {
  try {
    return writeImpl(Path, Tensors, Metadata);
  } catch (const std::exception &E) {
    ::unlink(fmt::format("{}.tmp.{}", Path, ::getpid()).c_str());
    return Status::error(
        fmt::format("cannot write safetensors '{}': {}", Path, E.what()));
  } catch (...) {
    ::unlink(fmt::format("{}.tmp.{}", Path, ::getpid()).c_str());
    return Status::error(
        fmt::format("cannot write safetensors '{}': unknown error", Path));
  }
}
