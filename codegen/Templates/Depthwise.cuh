// ---- ssmc depthwise-conv template (codegen/Templates/Depthwise.cuh, embedded at build time) ----
//
// One block per tile of kTH x kTW output pixels of one image and one of kCG
// channel groups (grid: tile columns, tile rows, images x groups), so that
// small batches fill the SMs; without groups (kCG 1, large batches) a block
// has every channel. A group writes about 1 / kCG of the results' channels
// (whole pieces) and computes the conv channels those read: the results
// read the conv at channels [kDwConvBegin, kDwConvEnd), conv channel c -
// kDwConvShift at channel c (kDwGroups: the emitter found them so).
// Phase 1, per chunk of kCB conv channels of the group: the input tile with
// its halo and the chunk's weights are staged in shared memory (channels
// fastest, so global loads walk NHWC's contiguous axis), then each thread
// computes one channel along one row of the tile: kTW outputs from a
// sliding window of kTW + KW - 1 inputs per kernel row, accumulated in
// registers in the reference's order (ky, kx ascending) and stored to the
// conv tile (fp32, the group's conv channels at the block's pixels).
// Phase 2: every result of the group at the tile's pixels, a few
// consecutive channels a thread (one 16-byte store); the conv's index
// function reads the conv tile.
// Both phases give each thread several independent pieces, their loads
// issued before any is used: a block waits for memory a few times, not
// once per pixel. The generated Group supplies:
//   g.x(b, iy, ix, c)      the conv's input (fp32), called inside the image only
//   g.xVec(b, iy, ix, c, v) its channels c..c+kV-1 by 16-byte loads (G::kXVec)
//   g.w(c, ky, kx)         the weight W[c, 0, ky, kx]
//   g.pixels(b, first, stride, olo, ohi)  every result at the tile's pixels
//                          and channels [olo, ohi)
//   g.y0, g.x0, g.convTile, g.convBase the tile's origin, the conv tile and
//                          the conv channel of its first column
//   kDwB, kDwH, kDwW, kDwC, kDwKH, kDwKW (input = output sizes; same padding)

namespace ssmc_dw {

constexpr int kTH = SSMC_DW_TH, kTW = SSMC_DW_TW, kCB = SSMC_DW_CB, kCG = SSMC_DW_CG;
constexpr int kThreads = kCB * kTH; // one thread per (channel, row) of a chunk
constexpr int kHaloH = kTH + kDwKH - 1, kHaloW = kTW + kDwKW - 1, kTaps = kDwKH * kDwKW;
constexpr int kLdW = kCB + 1; // weights [tap][c], padded: the staging stores walk taps
// Halo loads: kV consecutive channels a thread (16 bytes of T).
constexpr int kV = 16 / (int)sizeof(T), kHaloPieces = kCB / kV;
static_assert(kCB % kV == 0, "a chunk is whole pieces");
static_assert(kCG == 1 || kDwGroups, "this group's results cannot be cut into channel groups");
// A group's channels of the results (whole pieces), and the conv tile's
// width: every conv channel, or those of one group (no more than its results').
constexpr idx_t kGroupOut = ((kDwOutC + kV - 1) / kV + kCG - 1) / kCG * kV;
constexpr int kTileC = kCG == 1 ? kDwC : kGroupOut;
struct alignas(16) F4 { // four floats as one 16-byte shared access
  float f[4];
};
// kV floats at p (16-byte aligned) to or from shared memory by 16-byte
// accesses. Lanes hold pieces 32 bytes apart when kV is 8, so lanes 4-7 of
// each eight take the second half first: a quarter warp's eight accesses
// then fall in eight distinct bank groups (no conflict).
__device__ __forceinline__ void storePiece(float *p, const float *v) {
  F4 lo, hi;
  memcpy(lo.f, v, 16);
  if (kV == 4) {
    *reinterpret_cast<F4 *>(p) = lo;
    return;
  }
  memcpy(hi.f, v + 4, 16);
  const bool swap = threadIdx.x / 4 % 2;
  *reinterpret_cast<F4 *>(p + (swap ? 4 : 0)) = swap ? hi : lo;
  *reinterpret_cast<F4 *>(p + (swap ? 0 : 4)) = swap ? lo : hi;
}
__device__ __forceinline__ void loadPiece(const float *p, float *out) {
  if (kV == 4) {
    const F4 lo = *reinterpret_cast<const F4 *>(p);
    memcpy(out, lo.f, 16);
    return;
  }
  const bool swap = threadIdx.x / 4 % 2;
  const F4 first = *reinterpret_cast<const F4 *>(p + (swap ? 4 : 0));
  const F4 second = *reinterpret_cast<const F4 *>(p + (swap ? 0 : 4));
  memcpy(out, (swap ? second : first).f, 16);
  memcpy(out + 4, (swap ? first : second).f, 16);
}
// Shared memory in floats: the conv tile, the halo tile, the weights.
constexpr int kConvFloats = kTH * kTW * kTileC, kHaloFloats = kHaloH * kHaloW * kCB;
constexpr int kSmemBytes = (kConvFloats + kHaloFloats + kTaps * kLdW) * 4;
static_assert(kSmemBytes <= 227 * 1024, "more shared memory than any target has");

template <class G> __device__ __forceinline__ void run(G &g, float *smem) {
  const int group = kCG == 1 ? 0 : (int)(blockIdx.z % kCG);
  const idx_t b = blockIdx.z / kCG, y0 = (idx_t)blockIdx.y * kTH, x0 = (idx_t)blockIdx.x * kTW;
  const int tid = threadIdx.x;
  float *convTile = smem, *halo = smem + kConvFloats, *wts = halo + kHaloFloats;
  // The group's channels of the results, and the conv channels they read.
  const idx_t olo = kCG == 1 ? 0 : group * kGroupOut;
  const idx_t ohi = kCG == 1 || olo + kGroupOut > kDwOutC ? kDwOutC : olo + kGroupOut;
  idx_t cBase = 0, cEnd = kDwC;
  if (kCG > 1) {
    const idx_t lo = olo > kDwConvBegin ? olo : kDwConvBegin;
    const idx_t hi = ohi < kDwConvEnd ? ohi : kDwConvEnd;
    cBase = lo - kDwConvShift;
    cEnd = hi > lo ? hi - kDwConvShift : cBase;
  }
  g.y0 = y0;
  g.x0 = x0;
  g.convTile = convTile;
  g.convBase = cBase;

  for (idx_t c0 = cBase; c0 < cEnd; c0 += kCB) {
    // The input tile and its halo, zero outside the image, unrolled so that
    // several loads are in flight: kV channels a thread by 16-byte loads
    // where the input allows (G::kXVec), else a channel a thread (lanes on
    // consecutive channels: coalesced 2- or 4-byte loads).
    if (G::kXVec) {
#pragma unroll 4
      for (int e = tid; e < kHaloH * kHaloW * kHaloPieces; e += kThreads) {
        const int c = e % kHaloPieces * kV, p = e / kHaloPieces;
        const idx_t iy = y0 - kDwKH / 2 + p / kHaloW, ix = x0 - kDwKW / 2 + p % kHaloW;
        float v[kV];
        if (iy >= 0 && iy < kDwH && ix >= 0 && ix < kDwW && c0 + c < cEnd) {
          g.xVec(b, iy, ix, c0 + c, v); // C is whole pieces
        } else {
#pragma unroll
          for (int t = 0; t < kV; ++t)
            v[t] = 0.0f;
        }
        storePiece(halo + p * kCB + c, v);
      }
    } else {
#pragma unroll 4
      for (int e = tid; e < kHaloFloats; e += kThreads) {
        const int c = e % kCB, p = e / kCB;
        const idx_t iy = y0 - kDwKH / 2 + p / kHaloW, ix = x0 - kDwKW / 2 + p % kHaloW;
        halo[e] = c0 + c < cEnd && iy >= 0 && iy < kDwH && ix >= 0 && ix < kDwW
                      ? g.x(b, iy, ix, c0 + c)
                      : 0.0f;
      }
    }
    // The chunk's weights, read in their own (contiguous) order.
#pragma unroll 4
    for (int e = tid; e < kCB * kTaps; e += kThreads) {
      const int c = e / kTaps, tap = e % kTaps;
      wts[tap * kLdW + c] = c0 + c < cEnd ? g.w(c0 + c, tap / kDwKW, tap % kDwKW) : 0.0f;
    }
    __syncthreads();
    {
      const int c = tid % kCB, row = tid / kCB;
      float acc[kTW];
#pragma unroll
      for (int x = 0; x < kTW; ++x)
        acc[x] = 0.0f;
#pragma unroll
      for (int ky = 0; ky < kDwKH; ++ky) {
        float win[kHaloW];
#pragma unroll
        for (int hx = 0; hx < kHaloW; ++hx)
          win[hx] = halo[((row + ky) * kHaloW + hx) * kCB + c];
#pragma unroll
        for (int kx = 0; kx < kDwKW; ++kx) {
          const float wv = wts[(ky * kDwKW + kx) * kLdW + c];
#pragma unroll
          for (int x = 0; x < kTW; ++x)
            acc[x] += win[x + kx] * wv;
        }
      }
      if (c0 + c < cEnd) {
#pragma unroll
        for (int x = 0; x < kTW; ++x)
          convTile[(row * kTW + x) * kTileC + c0 - cBase + c] = acc[x];
      }
    }
    __syncthreads(); // the halo is consumed before the next chunk lands
  }

  // The group's results at the tile's pixels.
  g.pixels(b, tid, kThreads, olo, ohi);
}

} // namespace ssmc_dw
// ---- end of the depthwise-conv template ----
