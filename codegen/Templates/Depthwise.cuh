// ---- ssmc depthwise-conv template (codegen/Templates/Depthwise.cuh, embedded at build time) ----
//
// One block per tile of kTH x kTW output pixels of one image, every channel
// (grid: tile columns, tile rows, images).
// Phase 1, per chunk of kCB conv channels: the input tile with its halo and
// the chunk's weights are staged in shared memory (channels fastest, so
// global loads walk NHWC's contiguous axis), then each thread computes one
// channel along one row of the tile: kTW outputs from a sliding window of
// kTW + KW - 1 inputs per kernel row, accumulated in registers in the
// reference's order (ky, kx ascending) and stored to the conv tile (fp32,
// all conv channels of the block's pixels). Phase 2: every result of the
// group at the tile's pixels, a few consecutive channels a thread (one
// 16-byte store); the conv's index function reads the conv tile.
// Both phases give each thread several independent pieces, their loads
// issued before any is used: a block waits for memory a few times, not
// once per pixel. The generated Group supplies:
//   g.x(b, iy, ix, c)      the conv's input (fp32), called inside the image only
//   g.xVec(b, iy, ix, c, v) its channels c..c+kV-1 by 16-byte loads (G::kXVec)
//   g.w(c, ky, kx)         the weight W[c, 0, ky, kx]
//   g.pixels(b, first, stride)  every result at the tile's pixels
//   g.y0, g.x0, g.convTile the tile's origin and the conv tile
//   kDwB, kDwH, kDwW, kDwC, kDwKH, kDwKW (input = output sizes; same padding)

namespace ssmc_dw {

constexpr int kTH = SSMC_DW_TH, kTW = SSMC_DW_TW, kCB = SSMC_DW_CB;
constexpr int kThreads = kCB * kTH; // one thread per (channel, row) of a chunk
constexpr int kHaloH = kTH + kDwKH - 1, kHaloW = kTW + kDwKW - 1, kTaps = kDwKH * kDwKW;
constexpr int kLdW = kCB + 1; // weights [tap][c], padded: the staging stores walk taps
// Halo loads: kV consecutive channels a thread (16 bytes of T).
constexpr int kV = 16 / (int)sizeof(T), kHaloPieces = kCB / kV;
static_assert(kCB % kV == 0, "a chunk is whole pieces");
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
constexpr int kConvFloats = kTH * kTW * kDwC, kHaloFloats = kHaloH * kHaloW * kCB;
constexpr int kSmemBytes = (kConvFloats + kHaloFloats + kTaps * kLdW) * 4;
static_assert(kSmemBytes <= 227 * 1024, "more shared memory than any target has");

template <class G> __device__ __forceinline__ void run(G &g, float *smem) {
  const idx_t b = blockIdx.z, y0 = (idx_t)blockIdx.y * kTH, x0 = (idx_t)blockIdx.x * kTW;
  const int tid = threadIdx.x;
  float *convTile = smem, *halo = smem + kConvFloats, *wts = halo + kHaloFloats;
  g.y0 = y0;
  g.x0 = x0;
  g.convTile = convTile;

  for (int c0 = 0; c0 < kDwC; c0 += kCB) {
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
        if (iy >= 0 && iy < kDwH && ix >= 0 && ix < kDwW && c0 + c < kDwC) {
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
        halo[e] = c0 + c < kDwC && iy >= 0 && iy < kDwH && ix >= 0 && ix < kDwW
                      ? g.x(b, iy, ix, c0 + c)
                      : 0.0f;
      }
    }
    // The chunk's weights, read in their own (contiguous) order.
#pragma unroll 4
    for (int e = tid; e < kCB * kTaps; e += kThreads) {
      const int c = e / kTaps, tap = e % kTaps;
      wts[tap * kLdW + c] = c0 + c < kDwC ? g.w(c0 + c, tap / kDwKW, tap % kDwKW) : 0.0f;
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
      if (c0 + c < kDwC) {
#pragma unroll
        for (int x = 0; x < kTW; ++x)
          convTile[(row * kTW + x) * kDwC + c0 + c] = acc[x];
      }
    }
    __syncthreads(); // the halo is consumed before the next chunk lands
  }

  // Every result at the tile's pixels.
  g.pixels(b, tid, kThreads);
}

} // namespace ssmc_dw
// ---- end of the depthwise-conv template ----
