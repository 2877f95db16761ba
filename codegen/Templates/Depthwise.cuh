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
// group at each pixel of the tile, channels across the threads; the conv's
// index function reads the conv tile. The generated Group supplies:
//   g.x(b, iy, ix, c)      the conv's input (fp32), called inside the image only
//   g.w(c, ky, kx)         the weight W[c, 0, ky, kx]
//   g.pixel(b, y, x, first, stride)  every result at pixel (b, y, x)
//   g.y0, g.x0, g.convTile the tile's origin and the conv tile
//   kDwB, kDwH, kDwW, kDwC, kDwKH, kDwKW (input = output sizes; same padding)

namespace ssmc_dw {

constexpr int kTH = SSMC_DW_TH, kTW = SSMC_DW_TW, kCB = SSMC_DW_CB;
constexpr int kThreads = kCB * kTH; // one thread per (channel, row) of a chunk
constexpr int kHaloH = kTH + kDwKH - 1, kHaloW = kTW + kDwKW - 1, kTaps = kDwKH * kDwKW;
constexpr int kLdW = kCB + 1; // weights [tap][c], padded: the staging stores walk taps
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
    // The input tile and its halo, zero outside the image; unrolled so that
    // several loads per thread are in flight.
#pragma unroll 4
    for (int e = tid; e < kHaloFloats; e += kThreads) {
      const int c = e % kCB, p = e / kCB;
      const idx_t iy = y0 - kDwKH / 2 + p / kHaloW, ix = x0 - kDwKW / 2 + p % kHaloW;
      halo[e] = c0 + c < kDwC && iy >= 0 && iy < kDwH && ix >= 0 && ix < kDwW
                    ? g.x(b, iy, ix, c0 + c)
                    : 0.0f;
    }
    // The chunk's weights, read in their own (contiguous) order.
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

  // Every result at each pixel of the tile, channels across the threads.
  for (int p = 0; p < kTH * kTW; ++p) {
    const idx_t y = y0 + p / kTW, x = x0 + p % kTW;
    if (y < kDwH && x < kDwW)
      g.pixel(b, y, x, tid, kThreads);
  }
}

} // namespace ssmc_dw
// ---- end of the depthwise-conv template ----
