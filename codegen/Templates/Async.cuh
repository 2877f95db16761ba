// ---- ssmc asynchronous copies (codegen/Templates/Async.cuh, embedded at build time) ----
//
// 16-byte global -> shared copies: cp.async.cg (through L2, LDGSTS) from
// sm_80, of which the first `bytes` (0 to 16) are read and the rest
// zero-filled; commit() closes a group of them, wait<N>() leaves at most N
// groups in flight. The host shim supplies its own. Used by the GEMM and
// scan templates.

namespace ssmc_async {
#ifndef SSMC_HOST_SHIM
__device__ __forceinline__ void copy16(void *dst, const void *src, int bytes) {
#if __CUDA_ARCH__ >= 800
  const unsigned s = (unsigned)__cvta_generic_to_shared(dst);
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(s), "l"(src), "r"(bytes));
#else
  struct alignas(16) Bytes16 {
    unsigned char b[16];
  } v = {};
  memcpy(&v, src, bytes);
  *reinterpret_cast<Bytes16 *>(dst) = v;
#endif
}
__device__ __forceinline__ void commit() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}
template <int N> __device__ __forceinline__ void wait() {
#if __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
#endif
}
#else
using ssmc_shim::commit;
using ssmc_shim::copy16;
using ssmc_shim::wait;
#endif
} // namespace ssmc_async
