// Calibration: a coalesced copy of 2^25 floats, one element per thread.
// Expected: memory-bound at the copy rate (docs/performance.md).
typedef float T;
constexpr int kN = 1 << 25;
extern "C" __global__ void __launch_bounds__(256) copy(const T *__restrict__ in, T *__restrict__ out) {
  const int i = blockIdx.x * 256 + threadIdx.x;
  if (i < kN)
    out[i] = in[i];
}
