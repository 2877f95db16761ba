//===- Support/Safetensors.h - Strict safetensors reader/writer -*- C++ -*-===//
//
// Layout: [u64 little-endian N][N bytes JSON header][data section]. The header
// maps tensor names to {"dtype", "shape", "data_offsets": [begin, end]} with
// offsets relative to the data section, plus an optional "__metadata__" object
// of string values. The reader memory-maps the file and rejects anything
// malformed with a message naming the file (and tensor) at fault.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SUPPORT_SAFETENSORS_H
#define SSMC_RUNTIME_SUPPORT_SAFETENSORS_H

#include "Support/Status.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssmc::rt {

enum class DType { Bool, U8, I8, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64 };

/// "F32" -> DType::F32; std::nullopt for an unknown name.
std::optional<DType> parseDType(std::string_view name);
/// DType::F32 -> "F32".
std::string_view dtypeName(DType d);
/// Size of one element in bytes.
size_t dtypeSize(DType d);

/// A tensor inside a mapped file. `data` is not necessarily aligned for the
/// element type; copy (or memcpy) before reading it as anything but bytes.
struct TensorView {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const std::byte *data;
  size_t numBytes;

  /// Product of the shape (1 for a scalar).
  int64_t numElements() const;
};

/// A read-only, memory-mapped safetensors file. The views it hands out stay
/// valid for as long as the object lives.
class SafetensorsFile {
public:
  static Expected<std::shared_ptr<SafetensorsFile>> open(const std::string &path);

  SafetensorsFile(SafetensorsFile &&other) noexcept;
  SafetensorsFile &operator=(SafetensorsFile &&other) noexcept;
  SafetensorsFile(const SafetensorsFile &) = delete;
  SafetensorsFile &operator=(const SafetensorsFile &) = delete;
  ~SafetensorsFile();

  /// In header (file) order.
  const std::vector<TensorView> &tensors() const { return tensors_; }
  /// nullptr if there is no tensor called \p Name.
  const TensorView *find(std::string_view name) const;
  const std::map<std::string, std::string> &metadata() const { return metadata_; }
  const std::string &path() const { return path_; }

  /// Copies F32/F16/BF16/F64 data as float32; any other dtype is an error
  /// naming the tensor and its dtype.
  static Expected<std::vector<float>> toF32(const TensorView &t);

private:
  SafetensorsFile() = default;
  void release();

  std::string path_;
  // The descriptor is closed right after mmap; the mapping keeps the file.
  void *map_ = nullptr;
  size_t mapSize_ = 0;
  std::vector<TensorView> tensors_;
  std::map<std::string, size_t, std::less<>> indexByName_;
  std::map<std::string, std::string> metadata_;
};

struct TensorToWrite {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  const void *data;
  size_t numBytes;
};

/// Writes \p Tensors (contiguously, in the given order) through an
/// AtomicFile (Support/AtomicFile.h), so \p Path is either untouched or
/// complete. Checks every tensor before creating any file:
/// numBytes must equal product(shape) * dtypeSize and names must be unique.
Status writeSafetensors(const std::string &path, const std::vector<TensorToWrite> &tensors,
                        const std::map<std::string, std::string> &metadata = {});

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_SAFETENSORS_H
