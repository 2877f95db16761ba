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
  void update(const void *Data, size_t Size);
  void update(std::string_view S) { update(S.data(), S.size()); }
  /// Feeds the length, then the bytes, so that concatenated fields cannot
  /// collide ("ab"+"c" vs "a"+"bc").
  void updateField(std::string_view S);
  /// The digest as 64 lowercase hex digits; the object is spent afterwards.
  std::string hexDigest();

  static std::string hex(std::string_view S) {
    Sha256 H;
    H.update(S);
    return H.hexDigest();
  }

private:
  void block(const uint8_t *P);

  std::array<uint32_t, 8> State;
  std::array<uint8_t, 64> Buffer{};
  size_t Buffered = 0;
  uint64_t TotalBytes = 0;
};

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_CUDA_SHA256_H
