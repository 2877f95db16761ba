//===- Cuda/Sha256.h - SHA-256 for cache keys and checksums -----*- C++ -*-===//
//
// A small self-contained SHA-256 (FIPS 180-4): the kernel cache keys its
// entries by it and checks their payloads with it. Not constant-time; not
// meant for anything secret.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_CUDA_SHA256_H
#define SSMC_RUNTIME_CUDA_SHA256_H

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace ssmc::rt {

class Sha256 {
public:
  Sha256();
  void update(const void *data, size_t size);
  void update(std::string_view s) { update(s.data(), s.size()); }
  /// Feeds the length, then the bytes, so that concatenated fields cannot
  /// collide ("ab"+"c" vs "a"+"bc").
  void updateField(std::string_view s);
  /// The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hexDigest();

  static std::string hex(std::string_view s) {
    Sha256 h;
    h.update(s);
    return h.hexDigest();
  }

private:
  void block(const uint8_t *p);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t totalBytes_ = 0;
};

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_CUDA_SHA256_H
