// Calibration: C = A . B, 1024^3 floats, one thread per element of C, the
// lanes of a warp along a row of C (B's reads coalesced, A's broadcast),
// every operand from global memory.
typedef float T;
constexpr int kN = 1024;
extern "C" __global__ void __launch_bounds__(256) gemm_naive(const T *__restrict__ a,
                                                             const T *__restrict__ b,
                                                             T *__restrict__ c) {
  const int col = blockIdx.x * 32 + threadIdx.x % 32, row = blockIdx.y * 8 + threadIdx.x / 32;
  float acc = 0.0f;
  for (int k = 0; k < kN; ++k)
    acc += a[row * kN + k] * b[k * kN + col];
  c[row * kN + col] = acc;
}
