//===- HostShim.h - run generated CUDA kernels on the CPU -----------------===//
//
// Prepended to a generated kernel so that the host C++ compiler builds it
// into a shared library. Not a CUDA emulator: only what ssmc's kernels use.
// Two modes:
//
// Run (the default): CUDA's qualifiers become nothing, blockIdx and
// threadIdx are thread-local, a block's threads run as fibers on the
// launching thread, switching where they wait at a barrier for
// __syncthreads() or a warp operation (blocks one after the other, so a
// function's static __shared__ arrays are the block's shared memory), and nvcuda::wmma
// is a plain 16x16 tile per thread. Slow, but it executes exactly the
// generated index arithmetic, which the CPU test checks against the
// reference executor. ssmc_host_options (perf/HostKernel.h) runs the blocks
// reversed or shuffled (a result that depends on the order is a race between
// blocks on a GPU) and fills shared memory with 0xFF bytes (NaN in every
// float type) before each block (a block that reads what it never wrote
// fails).
//
// Run under a sanitizer (SSMC_HOST_SANITIZE=address or thread, perf/
// HostKernel.h): the same run built with -fsanitize=address (static shared
// arrays with redzones, dynamic shared memory allocated at exactly the
// launch's size, global buffers as the caller allocated them: every
// out-of-bounds access reported) or -fsanitize=thread (a block's threads are
// OS threads and __syncthreads a std::barrier, which ThreadSanitizer sees:
// two threads of a block touching the same shared or global bytes without a
// barrier between them, one writing, is reported).
//
// Trace (SSMC_HOST_TRACE, built with -fsanitize=thread): the compiler calls
// a __tsan_* hook for every load and store of the kernel; the hooks below
// record the global and shared-memory ones (address, width, call site) into
// a buffer the performance report reads (perf/Trace.h). A block's threads
// run one after the other, each to its end: __syncthreads() only marks the
// next phase, shuffles return the caller's own value, wmma records the
// accesses a warp's fragment load or store makes (16 bytes per lane, as
// ldmatrix does) and no arithmetic. Values are therefore meaningless; the
// addresses are exact for kernels whose addresses and control flow do not
// depend on loaded data, which holds for every kernel ssmc generates.
//
//===----------------------------------------------------------------------===//

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>
#include <vector>

#include <sys/mman.h>
#if !defined(__x86_64__)
#include <ucontext.h>
#endif

#undef __device__
#undef __global__
#undef __forceinline__
#undef __launch_bounds__
#undef __shared__
#define __device__
#define __global__
#define __forceinline__ inline
#define __launch_bounds__(...)

#ifdef SSMC_HOST_TRACE
// Shim code is not instrumented: it records what the GPU would access itself.
#define SSMC_SHIM __attribute__((no_sanitize_thread))
// Static shared arrays live in their own section, so their addresses are known.
#define __shared__ static __attribute__((section("ssmc_smem")))
#elif defined(SSMC_HOST_ASAN)
#define SSMC_SHIM
// Plain statics under AddressSanitizer (SSMC_HOST_SANITIZE=address), which
// puts a redzone around each (it leaves variables in named sections alone):
// an index past the array the kernel declared is reported. No poisoning of
// static shared memory in this mode (the poisoned run is another one).
#define __shared__ static
#else
#define SSMC_SHIM
// In a section of their own here too, so that a launch can poison them.
#define __shared__ static __attribute__((section("ssmc_smem")))
#endif

struct SsmcUint3 {
  unsigned x = 0, y = 0, z = 0;
};
#ifdef SSMC_HOST_TRACE
inline SsmcUint3 threadIdx, blockIdx; // one thread runs the whole trace
#else
inline thread_local SsmcUint3 threadIdx, blockIdx;
#endif
// Inline: one of each in a kernel's library, whose launcher (run mode) is
// a translation unit of its own.
inline SsmcUint3 blockDim, gridDim;
inline unsigned char *ssmc_dynamic_smem = nullptr;

#ifdef SSMC_HOST_TRACE
//===----------------------------------------------------------------------===//
// Trace mode: the recorder.
//===----------------------------------------------------------------------===//

// One recorded access. `site` is the low 32 bits of the instruction's
// address (the call site of a hook), which tells loads apart.
struct SsmcTraceRecord {
  uint64_t addr;
  uint32_t site;
  uint8_t size;  // bytes
  uint8_t flags; // SsmcTraceFlag
  uint16_t unused;
};
enum SsmcTraceFlag : uint8_t {
  kSsmcWrite = 1,   // a store
  kSsmcShared = 2,  // shared memory (else global)
  kSsmcBarrier = 4, // __syncthreads(): the thread's next phase begins
  kSsmcMma = 8,     // one warp-wide matrix multiply-add; addr holds its FLOPs
  kSsmcStep = 16,   // a loop step (ssmc_shim::step): addr holds its id
};
// Filled by the host (perf/Trace.cpp) before each block; ranges are the
// global buffers [lo, hi); the shared ones are added by ssmc_trace_begin.
struct SsmcTraceState {
  SsmcTraceRecord *records;
  uint64_t count, capacity;
  int overflow;
  int ranges;
  uint64_t lo[40], hi[40];
  uint8_t shared[40];
  uint64_t below, above; // every range lies in [below, above)
};
extern "C" {
__attribute__((visibility("default"))) SsmcTraceState ssmc_trace;
}

SSMC_SHIM inline void ssmcRecord(const void *p, unsigned size, unsigned flags, const void *pc) {
  const uint64_t a = reinterpret_cast<uint64_t>(p);
  SsmcTraceState &s = ssmc_trace;
  if (a < s.below || a >= s.above) // the stack, mostly
    return;
  for (int r = 0; r < s.ranges; ++r)
    if (a >= s.lo[r] && a < s.hi[r]) {
      if (s.count == s.capacity) {
        s.overflow = 1;
        return;
      }
      s.records[s.count++] = {a, static_cast<uint32_t>(reinterpret_cast<uintptr_t>(pc)),
                              static_cast<uint8_t>(size),
                              static_cast<uint8_t>(flags | (s.shared[r] ? kSsmcShared : 0)), 0};
      return;
    }
}
SSMC_SHIM inline void ssmcMark(unsigned flags, uint64_t value) {
  SsmcTraceState &s = ssmc_trace;
  if (s.count == s.capacity) {
    s.overflow = 1;
    return;
  }
  s.records[s.count++] = {value, 0, 0, static_cast<uint8_t>(flags), 0};
}

// The hooks GCC's -fsanitize=thread calls; the program links no TSan runtime.
#define SSMC_TSAN_HOOKS(N)                                                                         \
  extern "C" SSMC_SHIM void __tsan_read##N(void *p) {                                              \
    ssmcRecord(p, N, 0, __builtin_return_address(0));                                              \
  }                                                                                                \
  extern "C" SSMC_SHIM void __tsan_write##N(void *p) {                                             \
    ssmcRecord(p, N, kSsmcWrite, __builtin_return_address(0));                                     \
  }                                                                                                \
  extern "C" SSMC_SHIM void __tsan_unaligned_read##N(void *p) {                                    \
    ssmcRecord(p, N, 0, __builtin_return_address(0));                                              \
  }                                                                                                \
  extern "C" SSMC_SHIM void __tsan_unaligned_write##N(void *p) {                                   \
    ssmcRecord(p, N, kSsmcWrite, __builtin_return_address(0));                                     \
  }
SSMC_TSAN_HOOKS(1)
SSMC_TSAN_HOOKS(2)
SSMC_TSAN_HOOKS(4)
SSMC_TSAN_HOOKS(8)
SSMC_TSAN_HOOKS(16)
#undef SSMC_TSAN_HOOKS
extern "C" SSMC_SHIM void __tsan_read_range(void *p, unsigned long n) {
  for (unsigned long o = 0; o < n; o += 16)
    ssmcRecord(static_cast<char *>(p) + o, n - o < 16 ? n - o : 16, 0, __builtin_return_address(0));
}
extern "C" SSMC_SHIM void __tsan_write_range(void *p, unsigned long n) {
  for (unsigned long o = 0; o < n; o += 16)
    ssmcRecord(static_cast<char *>(p) + o, n - o < 16 ? n - o : 16, kSsmcWrite,
               __builtin_return_address(0));
}
extern "C" SSMC_SHIM void __tsan_func_entry(void *) {}
extern "C" SSMC_SHIM void __tsan_func_exit() {}
extern "C" SSMC_SHIM void __tsan_init() {}
extern "C" SSMC_SHIM void __tsan_vptr_update(void *, void *) {}

SSMC_SHIM inline void __syncthreads() { ssmcMark(kSsmcBarrier, 0); }
SSMC_SHIM inline void __syncwarp(unsigned = 0xffffffffu) {}
SSMC_SHIM inline float __shfl_xor_sync(unsigned, float v, int) { return v; }
// A read-only load is a load: recorded at the caller's site.
template <class T> __attribute__((noinline)) SSMC_SHIM T __ldg(const T *p) {
  ssmcRecord(p, sizeof(T), 0, __builtin_return_address(0));
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// A load that bypasses L1 (ld.global.cg): the same.
template <class T> __attribute__((noinline)) SSMC_SHIM T __ldcg(const T *p) {
  ssmcRecord(p, sizeof(T), 0, __builtin_return_address(0));
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
#else
//===----------------------------------------------------------------------===//
// Run mode: a block's threads as fibers on the launching OS thread, each
// running until it waits at a barrier or ends: no thread is created, and a
// busy machine costs no more than an idle one (an OS thread per CUDA thread
// made each barrier hundreds of context switches, 50 times slower with the
// cores taken). On x86-64 a switch saves the callee-saved registers and the
// stack pointer (ssmc_fiber_switch, in the launcher); glibc's swapcontext
// also saved the signal mask, a system call per switch that was 70 % of a
// run's time. Elsewhere the fibers are ucontext's. Under a sanitizer
// (SSMC_HOST_ASAN, SSMC_HOST_TSAN, or a sanitized harness:
// SSMC_HOST_OS_THREADS) they are OS threads meeting at std::barrier, which
// ThreadSanitizer understands.
//===----------------------------------------------------------------------===//

#if defined(SSMC_HOST_ASAN) || defined(SSMC_HOST_TSAN) || defined(SSMC_HOST_OS_THREADS)
#ifndef SSMC_HOST_OS_THREADS
#define SSMC_HOST_OS_THREADS 1
#endif
#include <barrier>
using SsmcBarrier = std::barrier<>;
#else
namespace ssmc_fiber {
#if defined(__x86_64__)
// A suspended fiber is its stack pointer; its registers are on its stack.
struct Context {
  void *sp = nullptr;
};
extern "C" void ssmc_fiber_switch(void **save, void *load);
inline void switchTo(Context &from, Context &to) { ssmc_fiber_switch(&from.sp, to.sp); }
#else
struct Context {
  ucontext_t uc;
};
inline void switchTo(Context &from, Context &to) { swapcontext(&from.uc, &to.uc); }
#endif
inline Context *scheduler = nullptr; // the launch's loop
inline Context *current = nullptr;   // the fiber running now
inline unsigned long progress = 0;   // arrivals at barriers and fibers ended
inline void yield() { switchTo(*current, *scheduler); }
} // namespace ssmc_fiber
// A barrier among the fibers: the last to arrive opens it and goes on; the
// others yield until it is open.
struct SsmcBarrier {
  explicit SsmcBarrier(int threads) : expected(threads) {}
  void arrive_and_wait() {
    const unsigned long mine = generation;
    ++ssmc_fiber::progress;
    if (++arrived == expected) {
      arrived = 0;
      ++generation;
      return;
    }
    while (generation == mine)
      ssmc_fiber::yield();
  }
  int expected, arrived = 0;
  unsigned long generation = 0;
};
#endif
inline SsmcBarrier *ssmcBarrier = nullptr;
inline void __syncthreads() {
  if (ssmcBarrier)
    ssmcBarrier->arrive_and_wait();
}
// A warp: its threads meet at their own barrier; shuffles go through slots.
struct SsmcWarp {
  SsmcBarrier bar;
  int lanes; // threads in this warp (the last may be partial)
  float slots[32];
  const void *rows[32];  // ldmatrix: each lane's row address
  unsigned frags[32][6]; // mma: each lane's A (4) and B (2) registers
  explicit SsmcWarp(int threads) : bar(threads), lanes(threads) {}
};
inline thread_local SsmcWarp *ssmcWarp = nullptr;
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
template <class T> inline T __ldg(const T *p) { return *p; }
template <class T> inline T __ldcg(const T *p) { return *p; }
#endif

// Split K's tile counters (Gemm.cuh): blocks run one after another, so a
// counter's additions never overlap; atomic all the same, for
// ThreadSanitizer, and not traced (4 bytes a tile).
SSMC_SHIM inline int atomicAdd(int *p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST); }
SSMC_SHIM inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

// Asynchronous 16-byte copies (cp.async). Run mode keeps each thread's
// copies as the hardware may: the source is read at issue, the destination
// written no earlier than a wait that must see it: commit() closes the open
// group, wait<N>() lands every committed group but the newest N (copies not
// yet committed stay pending). A kernel that reads a stage before waiting
// for it reads stale data here, deterministically. Trace mode records the
// global read and the shared write a warp's LDGSTS makes, at the caller's
// site.
#define SSMC_HOST_SHIM 1
namespace ssmc_shim {
// A loop iteration, named by an id every lane of the warp gives it: in trace
// mode the accesses after it (until the next step or barrier) form requests
// with the other lanes' of the same step, so a lane that skips a predicated
// access in one iteration does not join the next iteration's request (on a
// GPU the warp runs the instruction once, that lane off). Nothing otherwise.
#ifdef SSMC_HOST_TRACE
SSMC_SHIM inline void step(uint64_t id) { ssmcMark(kSsmcStep, id); }
#else
inline void step(uint64_t) {}
#endif
#ifdef SSMC_HOST_TRACE
// The shared write has a site of its own (the caller's address + 1, which
// no call returns to): a zero-filling copy reads nothing, and sharing the
// read's site would put its write into the warp's global-read request.
__attribute__((noinline)) SSMC_SHIM inline void copy16(void *dst, const void *src, int bytes) {
  const char *site = static_cast<const char *>(__builtin_return_address(0));
  if (bytes > 0)
    ssmcRecord(src, unsigned(bytes), 0, site);
  ssmcRecord(dst, 16, kSsmcWrite, site + 1);
}
SSMC_SHIM inline void commit() {}
template <int N> SSMC_SHIM inline void wait() {}
inline void dropPendingCopies() {}
#else
struct PendingCopy {
  void *dst;
  unsigned char bytes[16];
};
struct AsyncCopies {
  std::vector<PendingCopy> open;
  std::vector<std::vector<PendingCopy>> groups; // committed, oldest first
};
inline thread_local AsyncCopies asyncCopies;
inline void copy16(void *dst, const void *src, int bytes) {
  PendingCopy c{dst, {}};
  if (bytes > 0)
    std::memcpy(c.bytes, src, size_t(bytes)); // the rest zero-filled, as cp.async's src-size
  asyncCopies.open.push_back(c);
}
inline void commit() {
  asyncCopies.groups.push_back(std::move(asyncCopies.open));
  asyncCopies.open.clear();
}
template <int N> inline void wait() {
  auto &groups = asyncCopies.groups;
  size_t landed = 0;
  for (; groups.size() - landed > size_t(N); ++landed)
    for (const PendingCopy &c : groups[landed])
      std::memcpy(c.dst, c.bytes, 16);
  groups.erase(groups.begin(), groups.begin() + std::ptrdiff_t(landed));
}
/// Between blocks: what a block left in flight is not the next one's.
inline void dropPendingCopies() {
  asyncCopies.open.clear();
  asyncCopies.groups.clear();
}
#endif

// ldmatrix.x4 (b16) and mma.sync m16n8k16 (bf16/f16, fp32 accumulators)
// with the fragment layouts of the PTX ISA. Run mode: the warp's lanes swap
// row addresses and fragments through their SsmcWarp, meeting at its
// barrier, and each lane computes its own accumulators. Trace mode: each
// lane's 16-byte row read; one warp-wide MMA's FLOPs.
#ifdef SSMC_HOST_TRACE
__attribute__((noinline)) SSMC_SHIM void ldmatrixX4(unsigned (&r)[4], const void *row) {
  ssmcRecord(row, 16, 0, __builtin_return_address(0));
  r[0] = r[1] = r[2] = r[3] = 0;
}
SSMC_SHIM inline void mma16816(float (&)[4], const unsigned (&)[4], const unsigned (&)[2], bool) {
  if (threadIdx.x % 32 == 0)
    ssmcMark(kSsmcMma, uint64_t(2) * 16 * 8 * 16);
}
#else
inline void ldmatrixX4(unsigned (&r)[4], const void *row) {
  const unsigned lane = threadIdx.x % 32;
  SsmcWarp &w = *ssmcWarp;
  w.rows[lane] = row;
  w.bar.arrive_and_wait();
  // Matrix j's rows come from lanes 8j..8j+7; this lane gets row lane / 4,
  // elements 2 (lane % 4) and the next.
  for (int j = 0; j < 4; ++j)
    std::memcpy(&r[j], static_cast<const char *>(w.rows[8 * j + lane / 4]) + lane % 4 * 4, 4);
  w.bar.arrive_and_wait();
}
inline float ssmcB16(unsigned bits, bool f16) {
  const unsigned short h = static_cast<unsigned short>(bits & 0xffffu);
  if (f16) {
    __half x;
    std::memcpy(&x, &h, 2);
    return __half2float(x);
  }
  const unsigned f = unsigned(h) << 16;
  float v;
  std::memcpy(&v, &f, 4);
  return v;
}
inline void mma16816(float (&d)[4], const unsigned (&a)[4], const unsigned (&b)[2], bool f16) {
  const int lane = int(threadIdx.x % 32);
  SsmcWarp &w = *ssmcWarp;
  for (int q = 0; q < 4; ++q)
    w.frags[lane][q] = a[q];
  w.frags[lane][4] = b[0];
  w.frags[lane][5] = b[1];
  w.bar.arrive_and_wait();
  // A (16 x 16, row): lane 4 (row % 8) + (k % 8) / 2 holds (row, k) in
  // register (row >= 8) + 2 (k >= 8), half k % 2. B (16 x 8, col): lane
  // 4 n + (k % 8) / 2 holds (k, n) in register k >= 8, half k % 2.
  auto elemA = [&](int row, int k) {
    return ssmcB16(w.frags[(row % 8) * 4 + (k % 8) / 2][(row >= 8) + 2 * (k >= 8)] >> (16 * (k % 2)),
                   f16);
  };
  auto elemB = [&](int k, int n) {
    return ssmcB16(w.frags[n * 4 + (k % 8) / 2][4 + (k >= 8)] >> (16 * (k % 2)), f16);
  };
  // D: lane (g, t) = (lane / 4, lane % 4) holds (g, 2t), (g, 2t + 1), (g + 8, 2t), (g + 8, 2t + 1).
  float out[4];
  for (int q = 0; q < 4; ++q) {
    const int row = lane / 4 + (q >= 2 ? 8 : 0), col = lane % 4 * 2 + q % 2;
    float acc = d[q];
    for (int k = 0; k < 16; ++k)
      acc += elemA(row, k) * elemB(k, col);
    out[q] = acc;
  }
  w.bar.arrive_and_wait();
  for (int q = 0; q < 4; ++q)
    d[q] = out[q];
}
#endif

// wgmma.mma_async m64nNk16 (bf16/f16, fp32 accumulators, A and B both
// K-major in shared memory, 128-byte swizzle), as the PTX ISA defines its
// matrix descriptors and D fragment. The shared-memory window starts at the
// dynamic shared memory (a kernel with wgmma has no static shared arrays).
inline unsigned sharedAddress(const void *p) {
  return unsigned(static_cast<const unsigned char *>(p) - ssmc_dynamic_smem);
}
// Element (row, k) of the 8-row-group K-major layout a descriptor names:
// rows of 128 bytes, 8-row groups SBO bytes apart (bits 32-45, in 16-byte
// units), start address in bits 0-13; the 128-byte swizzle (bits 62-63 = 1)
// XORs address bits 4-6 with bits 7-9.
inline const unsigned char *wgmmaElement(uint64_t desc, int row, int k) {
  const unsigned start = unsigned(desc & 0x3fff) << 4;
  const unsigned sbo = unsigned((desc >> 32) & 0x3fff) << 4;
  unsigned addr = start + unsigned(row / 8) * sbo + unsigned(row % 8) * 128 + unsigned(k) * 2;
  if ((desc >> 62) == 1)
    addr ^= ((addr >> 7) & 7) << 4;
  return ssmc_dynamic_smem + addr;
}
#ifdef SSMC_HOST_TRACE
// Trace: the 128 threads of a warpgroup share the operands' reads, 16 bytes
// each in turn (A: 64 rows of 32 bytes; B: N rows), eight rows of one
// 8-row group a quarter warp (the swizzle puts them in distinct banks, as
// the hardware reads them), and the first thread counts the FLOPs.
template <int N>
__attribute__((noinline)) SSMC_SHIM void wgmma(float (&)[N / 2], uint64_t da, uint64_t db, bool) {
  const int t = int(threadIdx.x % 128);
  auto row = [](int p) { return p % 8 + 8 * (p / 16); };
  auto col = [](int p) { return p / 8 % 2 * 8; };
  ssmcRecord(wgmmaElement(da, row(t), col(t)), 16, 0, __builtin_return_address(0));
  for (int p = t; p < 2 * N; p += 128)
    ssmcRecord(wgmmaElement(db, row(p), col(p)), 16, 0, __builtin_return_address(0));
  if (t == 0)
    ssmcMark(kSsmcMma, uint64_t(2) * 64 * N * 16);
}
#else
// Run: each thread computes its own accumulators from shared memory: thread
// t of the warpgroup (warp w = t / 32) holds, in d[4 j + q], row
// 16 w + lane / 4 + 8 (q / 2), column 8 j + 2 (lane % 4) + q % 2.
template <int N> inline void wgmma(float (&d)[N / 2], uint64_t da, uint64_t db, bool f16) {
  auto value = [&](const unsigned char *p) {
    unsigned short bits;
    std::memcpy(&bits, p, 2);
    return ssmcB16(bits, f16);
  };
  const int t = int(threadIdx.x % 128), w = t / 32, lane = t % 32;
  for (int j = 0; j < N / 8; ++j)
    for (int q = 0; q < 4; ++q) {
      const int row = 16 * w + lane / 4 + 8 * (q / 2), col = 8 * j + lane % 4 * 2 + q % 2;
      float acc = d[4 * j + q];
      for (int k = 0; k < 16; ++k)
        acc += value(wgmmaElement(da, row, k)) * value(wgmmaElement(db, col, k));
      d[4 * j + q] = acc;
    }
}
#endif
} // namespace ssmc_shim

SSMC_SHIM inline float __int_as_float(int x) {
  float f;
  std::memcpy(&f, &x, sizeof f);
  return f;
}

// nvcuda::wmma. Run mode: whole tiles per thread, every thread of a warp
// holds and computes the complete fragment, so stores write identical
// values. Trace mode: the accesses only.
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
SSMC_SHIM inline float ssmcToFloat(float v) { return v; }
SSMC_SHIM inline float ssmcToFloat(__nv_bfloat16 v) { return __bfloat162float(v); }
SSMC_SHIM inline float ssmcToFloat(__half v) { return __half2float(v); }
SSMC_SHIM inline float __float_to_tf32(float v) { return v; }

#ifdef SSMC_HOST_TRACE
// What one lane of a warp accesses when the warp loads or stores a rows x
// cols tile of E with leading dimension ld: the tile's 16-byte row pieces,
// one per lane in turn (ldmatrix's pattern for 16-bit types).
template <class E>
SSMC_SHIM inline void ssmcTileAccess(const E *p, int rows, int cols, unsigned ld, bool colMajor,
                                     unsigned flags, const void *site) {
  const int lane = threadIdx.x % 32;
  const int perLine = cols * int(sizeof(E)) / 16 > 0 ? cols * int(sizeof(E)) / 16 : 1;
  const int width = cols * int(sizeof(E)) < 16 ? cols * int(sizeof(E)) : 16;
  for (int c = lane; c < rows * perLine; c += 32) {
    const int line = c / perLine, piece = c % perLine;
    const char *at = reinterpret_cast<const char *>(p + size_t(line) * ld) + piece * 16;
    (void)colMajor; // the same bytes either way: lines of the stored layout
    ssmcRecord(at, unsigned(width), flags, site);
  }
}
template <class Use, int M, int N, int K, class E, class L>
SSMC_SHIM inline void fill_fragment(fragment<Use, M, N, K, E, L> &, float) {}
template <class Use, int M, int N, int K, class E, class L, class P>
__attribute__((noinline)) SSMC_SHIM void load_matrix_sync(fragment<Use, M, N, K, E, L> &,
                                                          const P *p, unsigned ld) {
  using F = fragment<Use, M, N, K, E, L>;
  constexpr bool col = std::is_same_v<L, col_major>;
  ssmcTileAccess(p, col ? F::cols : F::rows, col ? F::rows : F::cols, ld, col, 0,
                 __builtin_return_address(0));
}
template <int M, int N, int K, class E>
__attribute__((noinline)) SSMC_SHIM void
load_matrix_sync(fragment<accumulator, M, N, K, E, void> &, const float *p, unsigned ld,
                 layout_t layout) {
  const bool col = layout == mem_col_major;
  ssmcTileAccess(p, col ? N : M, col ? M : N, ld, col, 0, __builtin_return_address(0));
}
template <int M, int N, int K, class EA, class LA, class EB, class LB, class EC>
SSMC_SHIM inline void mma_sync(fragment<accumulator, M, N, K, EC, void> &,
                               const fragment<matrix_a, M, N, K, EA, LA> &,
                               const fragment<matrix_b, M, N, K, EB, LB> &,
                               const fragment<accumulator, M, N, K, EC, void> &) {
  if (threadIdx.x % 32 == 0)
    ssmcMark(kSsmcMma, uint64_t(2) * M * N * K);
}
template <int M, int N, int K, class E>
__attribute__((noinline)) SSMC_SHIM void
store_matrix_sync(float *p, const fragment<accumulator, M, N, K, E, void> &, unsigned ld,
                  layout_t layout) {
  const bool col = layout == mem_col_major;
  ssmcTileAccess(p, col ? N : M, col ? M : N, ld, col, kSsmcWrite, __builtin_return_address(0));
}
#else
template <class Use, int M, int N, int K, class E, class L>
inline void fill_fragment(fragment<Use, M, N, K, E, L> &f, float v) {
  for (float &e : f.x)
    e = v;
}
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
// Every lane holds the whole tile here, but each writes only its share of
// it, as a GPU warp's lanes do: no element has two writers (which a
// ThreadSanitizer run would rightly report), and a kernel that reads the
// tile back without a barrier reads elements other lanes have not yet
// written, as it would on a GPU.
template <int M, int N, int K, class E>
inline void store_matrix_sync(float *p, const fragment<accumulator, M, N, K, E, void> &f,
                              unsigned ld, layout_t layout) {
  const int lanes = ssmcWarp ? ssmcWarp->lanes : 1;
  const int lane = ssmcWarp ? int(threadIdx.x % 32) : 0;
  for (int e = lane; e < M * N; e += lanes) {
    const int r = e / N, c = e % N;
    (layout == mem_row_major ? p[r * ld + c] : p[c * ld + r]) = f.x[e];
  }
}
#endif
} // namespace nvcuda::wmma
