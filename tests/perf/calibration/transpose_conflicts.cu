// Calibration: the tiled transpose without the tile's padding column: the
// global accesses are coalesced, but the tile's column reads fall into one
// bank (32-way conflicts).
typedef float T;
constexpr int kN = 4096, kTile = 32, kRows = 8;
extern "C" __global__ void __launch_bounds__(256) transpose_conflicts(const T *__restrict__ in,
                                                                      T *__restrict__ out) {
  __shared__ float tile[kTile][kTile];
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
