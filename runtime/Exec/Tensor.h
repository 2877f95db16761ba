//===- Exec/Tensor.h - Host tensors and storage-type conversion -*- C++ -*-===//
//
// The executor talks to its callers in float32 host tensors; the device
// stores f32, bf16 or f16. The conversions round to nearest even, keep NaN a
// NaN and saturate to infinity as the hardware does (header-only, so test
// doubles of the driver can use the same definitions).
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_EXEC_TENSOR_H
#define SSMC_RUNTIME_EXEC_TENSOR_H

#include "Support/Safetensors.h"
#include "Support/Status.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace ssmc::rt {

/// A float32 tensor in host memory.
struct FloatTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  /// The tensor \p V (F32, F16, BF16 or F64) as float32.
  static Expected<FloatTensor> fromView(const TensorView &v) {
    auto data = SafetensorsFile::toF32(v);
    if (!data)
      return data.status();
    return FloatTensor{v.shape, std::move(*data)};
  }
};

using FloatTensorMap = std::map<std::string, FloatTensor>;

inline uint32_t floatBits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}

inline float bitsFloat(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

inline uint16_t f32ToBf16(float f) {
  uint32_t u = floatBits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep it quiet, keep the sign
    return uint16_t((u >> 16) | 0x0040u);
  u += 0x7FFFu + ((u >> 16) & 1u); // round to nearest even
  return uint16_t(u >> 16);
}

inline float bf16ToF32(uint16_t h) { return bitsFloat(uint32_t(h) << 16); }

inline uint16_t f32ToF16(float f) {
  uint32_t u = floatBits(f);
  uint16_t sign = uint16_t((u >> 16) & 0x8000u);
  uint32_t abs = u & 0x7FFFFFFFu;
  if (abs >= 0x7F800000u) // Inf or NaN
    return sign | (abs > 0x7F800000u ? 0x7E00u : 0x7C00u);
  if (abs >= 0x477FF000u) // rounds to 65520 or more: infinity
    return sign | 0x7C00u;
  if (abs >= 0x38800000u) { // a normal half: rebias, round to nearest even
    uint32_t r = abs - 0x38000000u;
    r += 0xFFFu + ((r >> 13) & 1u);
    return sign | uint16_t(r >> 13);
  }
  // Subnormal (or zero): in units of 2^-24, exact scaling, then rounding to
  // nearest even (the default rounding mode).
  float units = std::nearbyint(std::fabs(f) * 16777216.0f);
  return sign | uint16_t(units);
}

inline float f16ToF32(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0) { // zero or subnormal: Mant * 2^-24
    float v = float(mant) * (1.0f / 16777216.0f);
    return sign ? -v : v;
  }
  if (exp == 31)
    return bitsFloat(sign | 0x7F800000u | (mant << 13));
  return bitsFloat(sign | ((exp + 112u) << 23) | (mant << 13));
}

/// \p Values stored as \p D (F32, BF16 or F16), appended to \p Out.
inline void encodeAs(DType d, const float *values, size_t n, std::vector<std::byte> &out) {
  size_t start = out.size();
  out.resize(start + n * (d == DType::F32 ? 4 : 2));
  std::byte *p = out.data() + start;
  for (size_t i = 0; i < n; ++i) {
    if (d == DType::F32) {
      std::memcpy(p + 4 * i, &values[i], 4);
    } else {
      uint16_t h = d == DType::BF16 ? f32ToBf16(values[i]) : f32ToF16(values[i]);
      std::memcpy(p + 2 * i, &h, 2);
    }
  }
}

/// \p N values stored as \p D (F32, BF16 or F16), as float32.
inline std::vector<float> decodeFrom(DType d, const std::byte *p, size_t n) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (d == DType::F32) {
      std::memcpy(&out[i], p + 4 * i, 4);
    } else {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      out[i] = d == DType::BF16 ? bf16ToF32(h) : f16ToF32(h);
    }
  }
  return out;
}

/// The value \p F becomes when stored as \p D and read back.
inline float roundTrip(DType d, float f) {
  if (d == DType::BF16)
    return bf16ToF32(f32ToBf16(f));
  if (d == DType::F16)
    return f16ToF32(f32ToF16(f));
  return f;
}

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_EXEC_TENSOR_H
