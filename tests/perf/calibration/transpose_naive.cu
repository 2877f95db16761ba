// Calibration: out = in^T for a 4096 x 4096 float matrix, read along rows
// (coalesced) and written along columns (a sector per lane). 32 x 8
// threads per 32 x 32 tile, four rows each.
typedef float T;
constexpr int kN = 4096, kTile = 32, kRows = 8;
extern "C" __global__ void __launch_bounds__(256) transpose_naive(const T *__restrict__ in,
                                                                  T *__restrict__ out) {
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
  const int x = blockIdx.x * kTile + tx, y = blockIdx.y * kTile + ty;
  for (int j = 0; j < kTile; j += kRows)
    out[x * kN + y + j] = in[(y + j) * kN + x];
}
