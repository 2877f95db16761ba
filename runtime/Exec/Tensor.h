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
struct HostTensor {
  std::vector<int64_t> shape;
  std::vector<float> data;

  /// The tensor \p V (F32, F16, BF16 or F64) as float32.
  static Expected<HostTensor> fromView(const TensorView &V) {
    auto Data = SafetensorsFile::toF32(V);
    if (!Data)
      return Data.status();
    return HostTensor{V.shape, std::move(*Data)};
  }
};

using TensorMap = std::map<std::string, HostTensor>;

inline uint32_t floatBits(float F) {
  uint32_t U;
  std::memcpy(&U, &F, 4);
  return U;
}

inline float bitsFloat(uint32_t U) {
  float F;
  std::memcpy(&F, &U, 4);
  return F;
}

inline uint16_t f32ToBf16(float F) {
  uint32_t U = floatBits(F);
  if ((U & 0x7FFFFFFFu) > 0x7F800000u) // NaN: keep it quiet, keep the sign
    return uint16_t((U >> 16) | 0x0040u);
  U += 0x7FFFu + ((U >> 16) & 1u); // round to nearest even
  return uint16_t(U >> 16);
}

inline float bf16ToF32(uint16_t H) { return bitsFloat(uint32_t(H) << 16); }

inline uint16_t f32ToF16(float F) {
  uint32_t U = floatBits(F);
  uint16_t Sign = uint16_t((U >> 16) & 0x8000u);
  uint32_t Abs = U & 0x7FFFFFFFu;
  if (Abs >= 0x7F800000u) // Inf or NaN
    return Sign | (Abs > 0x7F800000u ? 0x7E00u : 0x7C00u);
  if (Abs >= 0x477FF000u) // rounds to 65520 or more: infinity
    return Sign | 0x7C00u;
  if (Abs >= 0x38800000u) { // a normal half: rebias, round to nearest even
    uint32_t R = Abs - 0x38000000u;
    R += 0xFFFu + ((R >> 13) & 1u);
    return Sign | uint16_t(R >> 13);
  }
  // Subnormal (or zero): in units of 2^-24, exact scaling, then rounding to
  // nearest even (the default rounding mode).
  float Units = std::nearbyint(std::fabs(F) * 16777216.0f);
  return Sign | uint16_t(Units);
}

inline float f16ToF32(uint16_t H) {
  uint32_t Sign = uint32_t(H & 0x8000u) << 16;
  uint32_t Exp = (H >> 10) & 0x1Fu;
  uint32_t Mant = H & 0x3FFu;
  if (Exp == 0) { // zero or subnormal: Mant * 2^-24
    float V = float(Mant) * (1.0f / 16777216.0f);
    return Sign ? -V : V;
  }
  if (Exp == 31)
    return bitsFloat(Sign | 0x7F800000u | (Mant << 13));
  return bitsFloat(Sign | ((Exp + 112u) << 23) | (Mant << 13));
}

/// \p Values stored as \p D (F32, BF16 or F16), appended to \p Out.
inline void encodeAs(DType D, const float *Values, size_t N,
                     std::vector<std::byte> &Out) {
  size_t Start = Out.size();
  Out.resize(Start + N * (D == DType::F32 ? 4 : 2));
  std::byte *P = Out.data() + Start;
  for (size_t I = 0; I < N; ++I) {
    if (D == DType::F32) {
      std::memcpy(P + 4 * I, &Values[I], 4);
    } else {
      uint16_t H = D == DType::BF16 ? f32ToBf16(Values[I]) : f32ToF16(Values[I]);
      std::memcpy(P + 2 * I, &H, 2);
    }
  }
}

/// \p N values stored as \p D (F32, BF16 or F16), as float32.
inline std::vector<float> decodeFrom(DType D, const std::byte *P, size_t N) {
  std::vector<float> Out(N);
  for (size_t I = 0; I < N; ++I) {
    if (D == DType::F32) {
      std::memcpy(&Out[I], P + 4 * I, 4);
    } else {
      uint16_t H;
      std::memcpy(&H, P + 2 * I, 2);
      Out[I] = D == DType::BF16 ? bf16ToF32(H) : f16ToF32(H);
    }
  }
  return Out;
}

/// The value \p F becomes when stored as \p D and read back.
inline float roundTrip(DType D, float F) {
  if (D == DType::BF16)
    return bf16ToF32(f32ToBf16(F));
  if (D == DType::F16)
    return f16ToF32(f32ToF16(F));
  return F;
}

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_EXEC_TENSOR_H
