// Calibration: C = A . B, 1024^3 floats, 32 x 32 tiles of A and B staged in
// shared memory, 32 x 8 threads per block, four elements of C per thread.
typedef float T;
constexpr int kN = 1024, kTile = 32, kRows = 8;
extern "C" __global__ void __launch_bounds__(256) gemm_tiled(const T *__restrict__ a,
                                                             const T *__restrict__ b,
                                                             T *__restrict__ c) {
  __shared__ float as[kTile][kTile], bs[kTile][kTile];
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
  const int row = blockIdx.y * kTile + ty, col = blockIdx.x * kTile + tx;
  float acc[kTile / kRows] = {};
  for (int k0 = 0; k0 < kN; k0 += kTile) {
    for (int j = 0; j < kTile; j += kRows) {
      as[ty + j][tx] = a[(row + j) * kN + k0 + tx];
      bs[ty + j][tx] = b[(k0 + ty + j) * kN + col];
    }
    __syncthreads();
    for (int k = 0; k < kTile; ++k)
      for (int j = 0; j < kTile / kRows; ++j)
        acc[j] += as[ty + j * kRows][k] * bs[k][tx];
    __syncthreads();
  }
  for (int j = 0; j < kTile / kRows; ++j)
    c[(row + j * kRows) * kN + col] = acc[j];
}
