//===- Cuda/Sha256.cpp - SHA-256 for cache keys and checksums -------------===//

#include "Cuda/Sha256.h"

#include <algorithm>
#include <bit>
#include <cstring>

using namespace ssmc::rt;

namespace {

constexpr std::array<uint32_t, 64> K = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
    0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

uint32_t loadBigEndian(const uint8_t *P) {
  return uint32_t(P[0]) << 24 | uint32_t(P[1]) << 16 | uint32_t(P[2]) << 8 |
         uint32_t(P[3]);
}

} // namespace

Sha256::Sha256()
    : State{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19} {}

void Sha256::block(const uint8_t *P) {
  uint32_t W[64];
  for (int I = 0; I < 16; ++I)
    W[I] = loadBigEndian(P + 4 * I);
  for (int I = 16; I < 64; ++I) {
    uint32_t S0 =
        std::rotr(W[I - 15], 7) ^ std::rotr(W[I - 15], 18) ^ (W[I - 15] >> 3);
    uint32_t S1 =
        std::rotr(W[I - 2], 17) ^ std::rotr(W[I - 2], 19) ^ (W[I - 2] >> 10);
    W[I] = W[I - 16] + S0 + W[I - 7] + S1;
  }
  uint32_t A = State[0], B = State[1], C = State[2], D = State[3], E = State[4],
           F = State[5], G = State[6], H = State[7];
  for (int I = 0; I < 64; ++I) {
    uint32_t S1 = std::rotr(E, 6) ^ std::rotr(E, 11) ^ std::rotr(E, 25);
    uint32_t Ch = (E & F) ^ (~E & G);
    uint32_t T1 = H + S1 + Ch + K[I] + W[I];
    uint32_t S0 = std::rotr(A, 2) ^ std::rotr(A, 13) ^ std::rotr(A, 22);
    uint32_t Maj = (A & B) ^ (A & C) ^ (B & C);
    uint32_t T2 = S0 + Maj;
    H = G;
    G = F;
    F = E;
    E = D + T1;
    D = C;
    C = B;
    B = A;
    A = T1 + T2;
  }
  State[0] += A;
  State[1] += B;
  State[2] += C;
  State[3] += D;
  State[4] += E;
  State[5] += F;
  State[6] += G;
  State[7] += H;
}

void Sha256::update(const void *Data, size_t Size) {
  const auto *P = static_cast<const uint8_t *>(Data);
  TotalBytes += Size;
  if (Buffered) {
    size_t Take = std::min(Size, Buffer.size() - Buffered);
    std::memcpy(Buffer.data() + Buffered, P, Take);
    Buffered += Take;
    P += Take;
    Size -= Take;
    if (Buffered < Buffer.size())
      return;
    block(Buffer.data());
    Buffered = 0;
  }
  for (; Size >= 64; P += 64, Size -= 64)
    block(P);
  std::memcpy(Buffer.data(), P, Size);
  Buffered = Size;
}

void Sha256::updateField(std::string_view S) {
  uint8_t Len[8];
  for (int I = 0; I < 8; ++I)
    Len[I] = uint8_t(uint64_t(S.size()) >> (8 * I));
  update(Len, sizeof(Len));
  update(S);
}

std::string Sha256::hexDigest() {
  uint64_t Bits = TotalBytes * 8;
  uint8_t Pad[72] = {0x80};
  size_t PadLen = (Buffered < 56 ? 56 : 120) - Buffered;
  for (int I = 0; I < 8; ++I)
    Pad[PadLen + I] = uint8_t(Bits >> (56 - 8 * I));
  update(Pad, PadLen + 8);

  static constexpr char Digits[] = "0123456789abcdef";
  std::string Out;
  Out.reserve(64);
  for (uint32_t Word : State)
    for (int Shift = 28; Shift >= 0; Shift -= 4)
      Out += Digits[(Word >> Shift) & 0xf];
  return Out;
}
