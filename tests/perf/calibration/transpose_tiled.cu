// Calibration: the same transpose through a shared-memory tile padded to 33
// columns, so both the global reads and writes are coalesced and the
// column reads of the tile hit 32 different banks.
typedef float T;
constexpr int kN = 4096, kTile = 32, kRows = 8;
extern "C" __global__ void __launch_bounds__(256) transpose_tiled(const T *__restrict__ in,
                                                                  T *__restrict__ out) {
  __shared__ float tile[kTile][kTile + 1];
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
  int x = blockIdx.x * kTile + tx, y = blockIdx.y * kTile + ty;
  for (int j = 0; j < kTile; j += kRows)
    tile[ty + j][tx] = in[(y + j) * kN + x];
  __syncthreads();
  x = blockIdx.y * kTile + tx;
  y = blockIdx.x * kTile + ty;
  for (int j = 0; j < kTile; j += kRows)
    out[(y + j) * kN + x] = tile[tx][ty + j];
}
