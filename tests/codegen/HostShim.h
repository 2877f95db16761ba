//===- HostShim.h - run generated CUDA kernels on the CPU -----------------===//
//
// Prepended to a generated kernel so that the host C++ compiler builds it
// into a shared library: CUDA's qualifiers become nothing, blockIdx and
// threadIdx are thread-local, a block's threads run as OS threads meeting at
// a barrier for __syncthreads() (blocks one after the other, so a function's
// static __shared__ arrays are the block's shared memory), and nvcuda::wmma
// is a plain 16x16 tile per thread. Slow, but it executes exactly the
// generated index arithmetic, which is what the CPU test checks against the
// reference executor. Not a CUDA emulator: only what ssmc's kernels use.
//
//===----------------------------------------------------------------------===//

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#undef __device__
#undef __global__
#undef __forceinline__
#undef __launch_bounds__
#undef __shared__
#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

struct SsmcUint3 {
  unsigned x = 0, y = 0, z = 0;
};
thread_local SsmcUint3 threadIdx, blockIdx;
SsmcUint3 blockDim, gridDim;
static std::barrier<> *ssmcBarrier = nullptr;
static unsigned char *ssmc_dynamic_smem = nullptr;
inline void __syncthreads() {
  if (ssmcBarrier)
    ssmcBarrier->arrive_and_wait();
}
// A warp: its threads meet at their own barrier; shuffles go through slots.
struct SsmcWarp {
  std::barrier<> bar;
  float slots[32];
  explicit SsmcWarp(int threads) : bar(threads) {}
};
thread_local SsmcWarp *ssmcWarp = nullptr;
inline void __syncwarp(unsigned = 0xffffffffu) {
  if (ssmcWarp)
    ssmcWarp->bar.arrive_and_wait();
}
inline float __shfl_xor_sync(unsigned, float v, int laneMask) {
  const unsigned lane = threadIdx.x % 32;
  ssmcWarp->slots[lane] = v;
  ssmcWarp->bar.arrive_and_wait();
  const float r = ssmcWarp->slots[lane ^ unsigned(laneMask)];
  ssmcWarp->bar.arrive_and_wait();
  return r;
}
inline float __int_as_float(int x) {
  float f;
  std::memcpy(&f, &x, sizeof f);
  return f;
}
template <class T> inline T __ldg(const T *p) { return *p; }

// nvcuda::wmma with whole tiles per thread: every thread of a warp holds and
// computes the complete fragment, so stores write identical values.
namespace nvcuda::wmma {
struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
namespace precision {
struct tf32 {};
} // namespace precision
enum layout_t { mem_row_major, mem_col_major };
template <class Use, int M, int N, int K, class E, class Layout = void> struct fragment {
  static constexpr int rows = std::is_same_v<Use, matrix_b> ? K : M;
  static constexpr int cols = std::is_same_v<Use, matrix_a> ? K : N;
  static constexpr int num_elements = rows * cols;
  float x[rows * cols];
};
template <class Use, int M, int N, int K, class E, class L>
inline void fill_fragment(fragment<Use, M, N, K, E, L> &f, float v) {
  for (float &e : f.x)
    e = v;
}
inline float ssmcToFloat(float v) { return v; }
inline float ssmcToFloat(__nv_bfloat16 v) { return __bfloat162float(v); }
inline float ssmcToFloat(__half v) { return __half2float(v); }
template <class Use, int M, int N, int K, class E, class L, class P>
inline void load_matrix_sync(fragment<Use, M, N, K, E, L> &f, const P *p, unsigned ld) {
  using F = fragment<Use, M, N, K, E, L>;
  constexpr bool col = std::is_same_v<L, col_major>;
  for (int r = 0; r < F::rows; ++r)
    for (int c = 0; c < F::cols; ++c)
      f.x[r * F::cols + c] = ssmcToFloat(col ? p[c * ld + r] : p[r * ld + c]);
}
template <int M, int N, int K, class E>
inline void load_matrix_sync(fragment<accumulator, M, N, K, E, void> &f, const float *p,
                             unsigned ld, layout_t layout) {
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c)
      f.x[r * N + c] = layout == mem_row_major ? p[r * ld + c] : p[c * ld + r];
}
template <int M, int N, int K, class EA, class LA, class EB, class LB, class EC>
inline void mma_sync(fragment<accumulator, M, N, K, EC, void> &d,
                     const fragment<matrix_a, M, N, K, EA, LA> &a,
                     const fragment<matrix_b, M, N, K, EB, LB> &b,
                     const fragment<accumulator, M, N, K, EC, void> &c) {
  float out[M * N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float acc = c.x[i * N + j];
      for (int k = 0; k < K; ++k)
        acc += a.x[i * K + k] * b.x[k * N + j];
      out[i * N + j] = acc;
    }
  std::memcpy(d.x, out, sizeof out);
}
template <int M, int N, int K, class E>
inline void store_matrix_sync(float *p, const fragment<accumulator, M, N, K, E, void> &f,
                              unsigned ld, layout_t layout) {
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c)
      (layout == mem_row_major ? p[r * ld + c] : p[c * ld + r]) = f.x[r * N + c];
}
inline float __float_to_tf32(float v) { return v; }
} // namespace nvcuda::wmma
