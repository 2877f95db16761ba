// ---- ssmc GEMM template (codegen/Templates/Gemm.cuh, embedded at build time) ----
//
// C[z][M, N] = A[z](M, K) . W[z](N, K)^T for the z-th linear of the group
// (blockIdx.z), one BM x BN tile of C per block, the K axis in steps of BK
// staged in shared memory. The generated Group supplies:
//   g.a(z, m, k)                 the prologue: A's element, fp32
//   g.b(z, k, n)                 the weight W[n, k], fp32
//   g.bRow(z, n)                 &W[z][n][0] (kGemmBVec: W row-major, K or its rows'
//                                zero-padded pitch a multiple of 16 bytes), staged
//                                with 16-byte asynchronous copies;
//                                kGemmBShift: K is not, rows staged as the aligned
//                                chunks that cover them, then realigned
//   g.aVec(z, m, k, v)           A(m, k..k+kGemmAVecElems-1) into v (kGemmAVec: the prologue's
//                                inputs gathered 16 or 8 bytes of T at a time)
//   g.aRow(z, m)                 &A[z][m][0] (kGemmACopy: A is a group input read as
//                                it is, row-major), staged like W's rows (kGemmAShift:
//                                like W's shifted rows)
//   g.bindStats(p), g.stats(w, l, panel)
//                                row statistics of prologue norms, one warp per row;
//                                kGemmPanelFromStats: stats() also writes the
//                                panel's A(m, k) for k < K from the registers it
//                                summed (A is the norm's output), so a panel is
//                                never filled by fillA
//   g.rowStats(z, tile, ld, w, l) row statistics of the output's norms from the
//                                C tile (kGemmRowStats: the tile holds whole rows)
//   g.epilogue(z, m, n, acc)     bias, activations, residuals; writes the results
//   g.epilogueVec(z, m, n, acc)  the same at n..n+V-1 (V = kGemmEpiVec: inputs and results
//                                16, 8 or 4 bytes at a time)
//   g.extra(first, stride)       results that read no linear (C's first N tile, z = 0)
//   g.m0, g.firstN               set here: the block's first row; whether its tile is
//                                C's first N tile (writers of per-row results)
//   g.image(), G::kImg*          kGemmAImage: the channels-first image a convolution
//                                reads (NCHW) and its geometry; its rows are staged
//                                in shared memory (g.imageRows: set here) and A
//                                gathered from them
//   G::kSpan*                    kGemmASpan: the geometry of the channels-last input a
//                                convolution reads (NHWC, C whole 16-byte pieces); each
//                                K step is one tap row (kGemmSpanRowK = KW x C columns,
//                                zeros to BK), its pieces evaluated by aVec along the
//                                input's rows (fillSpan)
//   kGemmM, kGemmN, kGemmK, kGemmStats (floats per row of statistics), kGemmRowStats,
//   kGemmNFastest (the block order), kGemmARowsFastest (the element-wise gather along M)
// SSMC_GEMM_MODE: 1 = mma.sync m16n8k16 on T (bf16/f16; SSMC_MMA_F16 picks
// f16), its fragments loaded with ldmatrix; 2 = wmma 16x16x8 TF32; 0 = FFMA
// (exact fp32). Accumulation is fp32 in every mode.
// The K loop runs SSMC_STAGES deep: the tiles of the next STAGES - 1 K steps
// are in flight (cp.async groups) while the warps multiply the current one.
// SSMC_WGMMA = 1 (mode 1, sm_90a only; off unless a configuration asks):
// warpgroups of four warps multiply with wgmma.mma_async m64nBNk16 straight
// from the swizzled stage tiles (matrix descriptors) instead of ldmatrix +
// mma.sync; the generated source supplies wgmmaTile<BN> (the instruction
// for its configurations' BN).
// SSMC_SPLIT_K S > 1 (split K, mma.sync without a panel; a grid that leaves
// SMs idle): blockIdx.z = z * S + s, and block s of a tile multiplies its
// share of the K steps. Each block stores its C tile (fp32) in the
// workspace and counts itself on the tile's counter; the last to arrive adds
// the S tiles in order 0..S-1 (the same sums whichever block is last), runs
// the epilogue and sets the counter back to 0. The workspace's first
// kGemmCounterBytes are those counters (zero between kernels), the tiles
// follow.

#if SSMC_GEMM_MODE == 2
#include <mma.h>
#endif
#ifndef SSMC_MMA_F16
#define SSMC_MMA_F16 0
#endif
#ifndef SSMC_WGMMA
#define SSMC_WGMMA 0
#endif

namespace ssmc_gemm {

struct alignas(16) Vec16 { // one 16-byte load or store
  unsigned w[4];
};
// Two floats as one 8-byte store (STS.64; the host build records one access).
__device__ __forceinline__ void store2(float *p, float a, float b) {
  const float pair[2] = {a, b};
  unsigned long long bits;
  memcpy(&bits, pair, sizeof bits);
  *reinterpret_cast<unsigned long long *>(p) = bits;
}

// cp.async (Templates/Async.cuh).
using ssmc_async::commit;
using ssmc_async::copy16;
using ssmc_async::wait;

#ifndef SSMC_HOST_SHIM
// A loop iteration's id, the same in every lane of the warp: nothing on a
// GPU; the host trace groups the lanes' accesses by it (ssmc_shim::step), as
// the warp runs a predicated access once with the skipping lanes off.
__device__ __forceinline__ void traceStep(unsigned long long) {}
// A shared-memory pointer as the 32-bit address PTX's shared instructions take.
__device__ __forceinline__ unsigned sharedAddress(const void *p) {
  return (unsigned)__cvta_generic_to_shared(p);
}
// One 16-byte shared-memory load (LDS.128) kept whole: a plain load whose
// words are then selected by a variable may become one LDS.32 a word.
__device__ __forceinline__ Vec16 loadShared16(const void *p) {
  const unsigned s = sharedAddress(p);
  Vec16 v;
  asm volatile("ld.shared.v4.u32 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(v.w[0]), "=r"(v.w[1]), "=r"(v.w[2]), "=r"(v.w[3])
               : "r"(s));
  return v;
}
// ldmatrix.x4: lane l gives the address of row l % 8 of 8x8 matrix l / 8
// (16 bytes of b16); r[j] gets matrix j's elements (l / 4, 2 (l % 4) + {0, 1}).
__device__ __forceinline__ void ldmatrixX4(unsigned (&r)[4], const void *row) {
  const unsigned s = sharedAddress(row);
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(s));
}
// d += a . b for a 16x16 (row) by 16x8 (col) tile, fragments as the PTX ISA
// lays them out for m16n8k16; fp32 accumulators.
__device__ __forceinline__ void mma16816(float (&d)[4], const unsigned (&a)[4],
                                         const unsigned (&b)[2]) {
#if SSMC_MMA_F16
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
#else
  asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
#endif
               "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
               : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
               : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}
#else
using ssmc_shim::sharedAddress;
__device__ __forceinline__ void traceStep(unsigned long long id) { ssmc_shim::step(id); }
__device__ __forceinline__ Vec16 loadShared16(const void *p) {
  Vec16 v;
  memcpy(&v, p, sizeof v);
  return v;
}
__device__ __forceinline__ void ldmatrixX4(unsigned (&r)[4], const void *row) {
  ssmc_shim::ldmatrixX4(r, row);
}
__device__ __forceinline__ void mma16816(float (&d)[4], const unsigned (&a)[4],
                                         const unsigned (&b)[2]) {
  ssmc_shim::mma16816(d, a, b, SSMC_MMA_F16);
}
#endif

#if SSMC_WGMMA
#if !defined(SSMC_HOST_SHIM) && !defined(__CUDA_ARCH_FEAT_SM90_ALL)
#error "SSMC_WGMMA=1 needs the sm_90a target: ssmc compile MODEL --arch sm_90a"
#endif
// A wgmma matrix descriptor for the K-major, 128-byte-swizzled tile rows at
// p (rows of 128 bytes; 8-row groups 1024 bytes apart; the tile 1024-byte
// aligned, p a row and 32-byte K step into it): start address >> 4 (bits
// 0-13), leading offset unused by this layout (1), stride offset 1024 >> 4
// (bits 32-45), swizzle 128 B (bits 62-63 = 1).
__device__ __forceinline__ unsigned long long wgmmaDescriptor(const void *p) {
  return (unsigned long long)((sharedAddress(p) & 0x3ffff) >> 4) | 1ull << 16 |
         (unsigned long long)(1024 >> 4) << 32 | 1ull << 62;
}
#ifndef SSMC_HOST_SHIM
__device__ __forceinline__ void wgmmaFence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmmaCommit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmmaWaitAll() {
  asm volatile("wgmma.wait_group.sync.aligned 0;\n" ::: "memory");
}
// The stage tiles written by cp.async and plain stores (the generic proxy)
// are read by wgmma (the async proxy).
__device__ __forceinline__ void fenceProxyAsync() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}
#else
inline void wgmmaFence() {}
inline void wgmmaCommit() {}
inline void wgmmaWaitAll() {}
inline void fenceProxyAsync() {}
#endif
#endif

constexpr int kBM = SSMC_BM, kBN = SSMC_BN, kBK = SSMC_BK;
// SSMC_WARPS_K S > 1 (sliced K, mma.sync only): S warps share each warp
// tile of C, each multiplying its own BK / S columns of every stage, and
// add their sums in the C tile; S times the warps (and loads in flight) a
// block where a grid of few blocks leaves SMs idle.
#ifndef SSMC_WARPS_K
#define SSMC_WARPS_K 1
#endif
constexpr int kWarpsM = SSMC_WARPS_M, kWarpsN = SSMC_WARPS_N, kWarpsK = SSMC_WARPS_K;
constexpr int kWarps = kWarpsM * kWarpsN * kWarpsK, kThreads = 32 * kWarps;
static_assert(kWarpsK == 1 || (SSMC_GEMM_MODE == 1 && !SSMC_WGMMA && kBK % (16 * kWarpsK) == 0 &&
                               kGemmStats == 0 && !kGemmRowStats),
              "sliced K: mma.sync tiles, whole 16-column steps a slice, no norm statistics (their "
              "warps are the M x N warps)");
#ifndef SSMC_SPLIT_K
#define SSMC_SPLIT_K 1
#endif
constexpr int kSplitK = SSMC_SPLIT_K;
static_assert(kSplitK >= 1, "SPLIT_K is at least 1");
static_assert(kBM % (16 * kWarpsM) == 0 && kBN % (16 * kWarpsN) == 0,
              "each warp owns whole 16x16 fragments");
static_assert(kBK % 16 == 0, "BK is a multiple of 16");
static_assert(!kGemmASpan || (SSMC_GEMM_MODE == 1 && !SSMC_WGMMA && kGemmBVec &&
                              kBK >= kGemmSpanRowK && kBK < kGemmSpanRowK + 16 &&
                              kGemmK % kGemmSpanRowK == 0),
              "A read along the input's rows: 16-bit tiles, BK a tap row rounded up to 16");
static_assert(!kGemmRowStats || kBN >= kGemmN, "norms of the output need whole rows: BN >= N");

#if SSMC_GEMM_MODE == 1
typedef T TileT; // tensor cores read the storage type
constexpr int kPad = 8;
__device__ __forceinline__ TileT toTile(float v) { return st(v); }
#else
typedef float TileT;
constexpr int kPad = 4;
__device__ __forceinline__ TileT toTile(float v) { return v; }
#endif
#if SSMC_GEMM_MODE == 1 && !SSMC_WGMMA
// Per warp: kFragM x kFragN8 tiles of 16 x 8, four fp32 accumulators a lane.
constexpr int kFragM = kBM / kWarpsM / 16, kFragN8 = kBN / kWarpsN / 8;
#elif SSMC_GEMM_MODE == 2
constexpr int kFragM = kBM / kWarpsM / 16, kFragN = kBN / kWarpsN / 16; // per warp
constexpr int kFragK = 8;
#endif
constexpr bool kWgmma = SSMC_WGMMA;
#if SSMC_WGMMA
// Warpgroups stacked along M, each kGroupRows rows x all BN columns of C:
// kGroupM instructions of 64 rows a K step of 16.
constexpr int kGroups = kWarps / 4, kGroupRows = kBM / kGroups, kGroupM = kGroupRows / 64;
static_assert(SSMC_GEMM_MODE == 1 && kBK == 64,
              "wgmma reads 16-bit stage tiles of 128-byte rows (BK 64)");
static_assert(kWarpsN == 1 && kWarps % 4 == 0 && kBM % (kGroups * 64) == 0,
              "wgmma: warpgroups of 4 warps along M, 64 rows per instruction");
static_assert(kBN % 8 == 0 && kBN <= 256, "wgmma's N is 8 to 256");
#endif

// SSMC_PANEL P > 0: A's BM rows are staged whole (BM x K, K padded to BK)
// once per block, and the block walks every P-th N tile against them
// (grid.y = P, the P blocks of a panel side by side), so each row's prologue
// (loads, norm statistics, the norm itself) is evaluated P times per kernel
// rather than once per N tile; P > 1 gives more blocks where a panel per
// block would leave the last wave half empty. 0: A and B tiles per K step.
#ifndef SSMC_PANEL
#define SSMC_PANEL 0
#endif
#ifndef SSMC_STAGES
#define SSMC_STAGES 3
#endif
constexpr bool kPanel = SSMC_PANEL > 0;
static_assert(!(kGemmASpan && kPanel), "A read along the input's rows is staged per K step");
static_assert(kSplitK == 1 || (SSMC_GEMM_MODE == 1 && !SSMC_WGMMA && !kPanel),
              "split K: mma.sync tiles staged per K step");
constexpr int kPanelParts = SSMC_PANEL > 0 ? SSMC_PANEL : 1;
constexpr int kStages = SSMC_STAGES;
static_assert(kStages >= 2, "at least two stages: one in flight while one is consumed");
constexpr int kPanelK = (kGemmK + kBK - 1) / kBK * kBK;

// Shared memory, in floats: [the A panel] then kStages stage tiles (A and B,
// or B alone with a panel), the C tile over the same bytes once the K loop is
// done; the norm statistics after all.
// Stage tiles are [rows][BK] (k contiguous, as A's and W's rows are). With
// ldmatrix they are unpadded and swizzled: the 16-byte chunk c of row r sits
// at chunk c ^ (r / R % C) (C chunks a row, R rows per 128 bytes), so that
// both ldmatrix's eight rows and a quarter warp's 16-byte stores fall in
// eight distinct bank groups. Otherwise rows are padded (wmma and FFMA read
// them with a plain leading dimension).
// The panel's rows are padded: (K + 8) b16 is 16 or 80 bytes past a multiple
// of 128, so ldmatrix's eight rows again fall in distinct bank groups. The C
// tile's pad keeps the accumulators' 8-byte stores (rows 8 floats apart mod
// 32) free of conflicts.
// A BK that is not a power of two (a tap row's span, kGemmASpan: 80 for
// 3 x 24 channels) has no XOR swizzle within its row; its rows are padded by
// 16 bytes instead (an odd number of 16-byte chunks a row: ldmatrix's eight
// rows again in distinct bank groups).
constexpr bool kSwizzle = SSMC_GEMM_MODE == 1 && (kBK & (kBK - 1)) == 0;
constexpr int kLdT = kSwizzle ? kBK : kBK + kPad; // a stage tile's row stride
constexpr int kLdA = kPanelK + kPad, kLdC = kBN + 8;
// With wgmma the panel is K blocks of 64 columns, each [BM][64] swizzled as
// a stage tile is (panelAt), which wgmma's descriptors read as they are.
constexpr int kPanelBytes =
    !kPanel  ? 0
    : kWgmma ? kBM * kPanelK * (int)sizeof(TileT)
             : (kBM * kLdA * (int)sizeof(TileT) + 127) / 128 * 128;
constexpr int kATileElems = kPanel ? 0 : kBM * kLdT, kBTileElems = kBN * kLdT;
// Shifted rows (kGemmAShift, kGemmBShift: K's bytes not a multiple of 16, so
// a row's BK columns start s bytes past a 16-byte boundary): a stage holds
// the kRawChunks aligned 16-byte chunks that cover each row's columns, and
// one tile outside the stages receives them realigned before the MMAs.
static_assert(!(kGemmAShift && kPanel), "a panel's A is evaluated, not copied");
static_assert(!kWgmma || !(kGemmAShift || kGemmBShift), "wgmma reads no realigned rows");
static_assert(!(kGemmAShift || kGemmBShift) || sizeof(TileT) == sizeof(T),
              "shifted rows are copied as stored");
constexpr int kRawChunks = kBK * (int)sizeof(TileT) / 16 + 1, kChunkElems = 16 / (int)sizeof(TileT);
constexpr int kAStageElems = kGemmAShift ? kBM * kRawChunks * kChunkElems : kATileElems;
constexpr int kStageElems = kAStageElems + (kGemmBShift ? kBN * kRawChunks * kChunkElems : kBTileElems);
constexpr int kRealignedElems = (kGemmAShift ? kATileElems : 0) + (kGemmBShift ? kBTileElems : 0);
constexpr int kStageBytes = (kStages * kStageElems + kRealignedElems) * (int)sizeof(TileT);
constexpr int kCBytes = kBM * kLdC * 4;
// wgmma's tiles start on 1024 bytes (the swizzle's period): room to align.
constexpr int kAlignBytes = kWgmma ? 1024 : 0;
constexpr int kMainFloats =
    (kPanelBytes + kAlignBytes + (kStageBytes > kCBytes ? kStageBytes : kCBytes) + 127) / 128 * 32;
// A convolution's channels-first image (kGemmAImage): the rows of every
// channel and tap row of the output rows that a block's BM rows of C span,
// after the statistics (kGemmImageRowBytes an output row, kGemmImageOW
// output pixels a row).
constexpr int kImageOutRows = kGemmAImage ? (kBM + kGemmImageOW - 2) / kGemmImageOW + 1 : 0;
constexpr int kImageBytes = kImageOutRows * kGemmImageRowBytes;
constexpr int kSmemBytes =
    (kMainFloats + kGemmStats * kBM) * 4 + kImageBytes; // what the plan launches with
// __launch_bounds__'s blocks per SM: none, or, where the NVRTC layer's
// spill retry defines SSMC_SMEM_BLOCKS, as many as the shared memory lets
// an SM hold (kGemmSmemLimit a block, 1 KiB more an SM, 1 KiB reserved a
// block; no more than 2048 threads an SM runs). ptxas may otherwise budget
// registers for more blocks than fit (128-thread blocks: 128 registers)
// and spill where the occupancy the kernel gets leaves room.
#ifdef SSMC_SMEM_BLOCKS
constexpr int kSmemBlocks = (kGemmSmemLimit + 1024) / (kSmemBytes + 1024);
constexpr int kMinBlocks = kSmemBlocks < 2048 / kThreads ? kSmemBlocks : 2048 / kThreads;
#else
constexpr int kMinBlocks = 0;
#endif
static_assert(kSmemBytes <= kGemmSmemLimit,
              "more shared memory than the target gives a block: smaller tiles or fewer stages");

/// The offset of (row r, column k) in a stage tile.
__device__ __forceinline__ int tileAt(int r, int k) {
  if (kSwizzle) {
    constexpr int kChunks = kBK / 8, kRowsPer128 = kChunks >= 8 ? 1 : 8 / kChunks;
    return r * kBK + ((((k >> 3) ^ (r / kRowsPer128 % kChunks)) << 3) | (k & 7));
  }
  return r * kLdT + k;
}

/// The offset of (row r, column k) in the panel: rows of kLdA, or (wgmma)
/// K blocks of 64 columns swizzled like a stage tile (tileAt's formula at
/// BK 64, with k's block and chunk taken by shifts and masks: k % 64 on a
/// signed k cost the LayerNorm panel kernel 25 more registers).
__device__ __forceinline__ int panelAt(int r, int k) {
  if (kWgmma)
    return k / 64 * (kBM * 64) + r * 64 + ((((k >> 3) & 7) ^ (r % 8)) << 3) + (k & 7);
  return r * kLdA + k;
}

/// The image's rows for the block's rows m0.. into shared memory
/// (kGemmAImage), 16-byte copies along the image's rows: row s holds
/// channel c, tap row ky of output row r0 + r (r0 = m0 / OW, over every
/// image of the batch), s = (r * C + c) * KH + ky; rows outside the image,
/// or past the batch, are zeros.
template <class G> __device__ __forceinline__ void stageImage(G &g, T *rows, idx_t m0, int tid) {
  if constexpr (kGemmAImage) {
    constexpr int kChunk = 16 / (int)sizeof(T), kChunks = G::kImgW / kChunk;
    constexpr int kRows = kImageOutRows * G::kImgC * G::kImgKH;
    const idx_t r0 = m0 / G::kImgOW;
    for (int e = tid; e < kRows * kChunks; e += kThreads) {
      const int s = e / kChunks, x = e % kChunks * kChunk;
      const int ky = s % G::kImgKH, c = s / G::kImgKH % G::kImgC;
      const idx_t r = r0 + s / (G::kImgKH * G::kImgC), b = r / G::kImgOH;
      const idx_t y = r % G::kImgOH * G::kImgSH - G::kImgPH + ky;
      const bool valid = b < G::kImgB && y >= 0 && y < G::kImgH;
      copy16(rows + s * G::kImgW + x,
             g.image() + (valid ? ((b * G::kImgC + c) * G::kImgH + y) * G::kImgW + x : 0),
             valid ? 16 : 0);
    }
  }
}

/// A(m, k) from the staged image rows (kGemmAImage): `rows` are output
/// row m / OW's, x0 its first input column (m % OW * SW - PW); k is a tap
/// (ky, kx, ci), or (ci, ky, kx) where kImgTapCFirst.
template <class G> __device__ __forceinline__ float imageTap(const T *rows, idx_t x0, idx_t k) {
  const int kx = G::kImgTapCFirst ? k % G::kImgKW : k / G::kImgC % G::kImgKW;
  const int ky = G::kImgTapCFirst ? k / G::kImgKW % G::kImgKH : k / (G::kImgC * G::kImgKW);
  const int ci = G::kImgTapCFirst ? k / (G::kImgKW * G::kImgKH) : k % G::kImgC;
  const idx_t x = x0 + kx;
  return x >= 0 && x < G::kImgW ? ld(rows[(ci * G::kImgKH + ky) * G::kImgW + x]) : 0.0f;
}

/// A channels-last convolution's A, read along the input's rows
/// (kGemmASpan). K step ky holds tap row ky (KW x C columns; the rest of BK
/// stays zero), and the output pixels ow..ow' of one output row read, at
/// that tap row, one contiguous span of the input row oh * SH - PH + ky:
/// pixels ow * SW - PW to ow' * SW - PW + KW - 1. Consecutive threads take
/// consecutive 16-byte pieces of the span, each evaluated once by the
/// prologue (g.aVec at the first (pixel, kx) that reads it: its loads are
/// the span's, whole sectors), and store it at every (pixel, kx) that reads
/// it: with stride 2 and 3 taps, an odd input pixel is kx 0 of one output
/// pixel and kx 2 of the one before. Gathering each pixel's taps instead
/// reads a piece once per tap that uses it.
template <class G>
__device__ __forceinline__ void fillSpan(G &g, int z, TileT *As, idx_t m0, idx_t k0, int tid) {
  constexpr int kVec = kGemmAVecElems;
  constexpr int kPix = G::kSpanC / kVec;                // pieces a pixel
  constexpr int kTap = G::kSpanKW * kPix;               // pieces a tap row (KW x C)
  constexpr int kStride = G::kSpanSW * kPix;            // from one output pixel's to the next's
  constexpr int kHits = (kTap + kStride - 1) / kStride; // output pixels that read a piece, at most
  static_assert(kGemmAVec && kVec * sizeof(TileT) == 16 && G::kSpanC % kVec == 0 &&
                    kTap * kVec == kGemmSpanRowK,
                "whole 16-byte pieces a pixel, from aVec");
  const int ky = (int)(k0 / kBK);
  const idx_t mEnd = m0 + kBM < kGemmM ? m0 + kBM : kGemmM;
  for (idx_t m = m0; m < mEnd;) { // one output row's pixels of the block at a time
    const int owA = (int)(m % G::kSpanOW);
    const int owB = mEnd - m < G::kSpanOW - owA ? owA + (int)(mEnd - m) - 1 : G::kSpanOW - 1;
    const int r0 = (int)(m - m0) - owA; // the tile row of this output row's pixel 0
    // Piece v: input pixel v / kPix - PW, channels from v % kPix * kVec.
    const int vEnd = owB * kStride + kTap;
    for (int first = owA * kStride; first < vEnd; first += kThreads) {
      // Steps named by the output row and the first piece: the second store
      // below is predicated per lane.
      traceStep(((unsigned long long)(m - m0) << 32 | (unsigned)first) + 1);
      const int v = first + tid;
      if (v >= vEnd)
        break;
      // The first (pixel, tap piece) that reads piece v: past the row's
      // last pixel, the one before; a stride wider than the taps skips some.
      int ow = v / kStride, t = v - ow * kStride;
      if (ow > owB) {
        ow -= 1;
        t += kStride;
      }
      if (t >= kTap)
        continue;
      float vals[kVec];
      g.aVec(z, m0 + r0 + ow, (idx_t)ky * kGemmSpanRowK + t * kVec, vals);
      struct alignas(16) Piece {
        TileT t[kVec];
      } piece;
#pragma unroll
      for (int q = 0; q < kVec; ++q)
        piece.t[q] = toTile(vals[q]);
#pragma unroll
      for (int h = 0; h < kHits; ++h) {
        const int o = v / kStride - h, tap = v - o * kStride;
        if (o >= owA && o <= owB && tap < kTap)
          *reinterpret_cast<Piece *>(As + tileAt(r0 + o, tap * kVec)) = piece;
      }
    }
    m += owB - owA + 1;
  }
}

// cp.async copies a thread issues unrolled: they hold no registers once issued.
constexpr int kCopiesUnrolled = 16;

/// f(r, p) for each piece (row r, piece p) of a kRows x kPieces grid that
/// thread tid copies: pieces tid, tid + kThreads, ..., row-major. The trip
/// count is a constant (unrolled up to kUnroll pieces a thread; more, a
/// panel's, four at a time: four pieces' loads in flight), and where
/// kThreads is whole rows of pieces the row and piece come from tid once:
/// the piece is the same in every copy and the row steps by kThreads /
/// kPieces. A loop over e = tid.. with e / kPieces each time left ptxas a
/// remainder loop and a signed division per copy in every K step.
template <int kRows, int kPieces, int kUnroll, class F>
__device__ __forceinline__ void forPieces(int tid, F &&f) {
  constexpr int kTotal = kRows * kPieces, kIters = (kTotal + kThreads - 1) / kThreads;
  constexpr bool kWhole = kTotal % kThreads == 0, kRowsOfThreads = kThreads % kPieces == 0;
  constexpr int kUnrollBy = kIters <= kUnroll ? kIters : 4;
  const unsigned t = (unsigned)tid;
  const int p0 = (int)(t % kPieces), r0 = (int)(t / kPieces);
#pragma unroll kUnrollBy
  for (int i = 0; i < kIters; ++i) {
    if constexpr (kRowsOfThreads) {
      const int r = r0 + i * (kThreads / kPieces);
      if (kWhole || r < kRows)
        f(r, p0);
    } else {
      const unsigned e = t + (unsigned)(i * kThreads);
      if (kWhole || e < (unsigned)kTotal)
        f((int)(e / kPieces), (int)(e % kPieces));
    }
  }
}

/// A's rows m0.. and columns k0..k0+kCols-1 into As (row stride kLdA):
/// consecutive threads walk k, the contiguous axis of row-major inputs, a
/// 16-byte piece each where the prologue allows (kGemmAVec).
template <int kCols, class G>
__device__ __forceinline__ void fillA(G &g, int z, TileT *As, idx_t m0, idx_t k0, int tid) {
  static_assert(!kGemmAImage || (kGemmARowsFastest && kCols % (16 / (int)sizeof(TileT)) == 0),
                "the staged image is gathered 16 bytes of A a thread");
  if constexpr (kGemmASpan) {
    fillSpan(g, z, As, m0, k0, tid);
  } else if (kGemmACopy) {
    // A read as it is: 16-byte asynchronous copies, like W's rows.
    constexpr int kVec = 16 / (int)sizeof(TileT), kPieces = kCols / kVec;
    forPieces<kBM, kPieces, kCopiesUnrolled>(tid, [&](int r, int p) {
      const int c = p * kVec;
      const idx_t m = m0 + r, k = k0 + c;
      const bool valid = m < kGemmM && k < kGemmK;
      copy16(As + (kPanel ? panelAt(r, c) : tileAt(r, c)), g.aRow(z, valid ? m : 0) + (valid ? k : 0),
             valid ? 16 : 0);
    });
  } else if (kGemmAVec) {
    // 16 bytes of TileT a piece, or 8 (kGemmAVecElems: halves, where an
    // input is fp32 and so read 16 bytes a thread).
    constexpr int kVec = kGemmAVecElems, kPieces = kCols / kVec;
    static_assert(kCols % kVec == 0, "whole pieces");
    static_assert(kVec * sizeof(TileT) == 16 || kVec * sizeof(TileT) == 8, "16 or 8 bytes");
    forPieces<kBM, kPieces, 4>(tid, [&](int r, int p) { // four pieces' values in registers
      const int c = p * kVec;
      const idx_t m = m0 + r, k = k0 + c;
      float v[kVec];
      if (m < kGemmM && k < kGemmK) {
        g.aVec(z, m, k, v);
      } else {
#pragma unroll
        for (int t = 0; t < kVec; ++t)
          v[t] = 0.0f;
      }
      struct alignas(kVec * sizeof(TileT)) Packed {
        TileT t[kVec];
      } packed;
#pragma unroll
      for (int t = 0; t < kVec; ++t)
        packed.t[t] = toTile(v[t]);
      *reinterpret_cast<Packed *>(As + (kPanel ? panelAt(r, c) : tileAt(r, c))) = packed;
    });
  } else if (kGemmARowsFastest && kCols % (16 / (int)sizeof(TileT)) == 0) {
    // Element by element with consecutive threads along M (the input is
    // contiguous along M: a channels-first image), 16 bytes of a row's
    // consecutive k a thread: each load instruction still walks M across
    // the warp, and a warp stores 32 rows' 16-byte chunks (four wavefronts
    // for 512 bytes) rather than 32 two-byte elements of one column (which
    // the 64-byte rows put in eight banks: four wavefronts for 64 bytes).
    constexpr int kRun = 16 / (int)sizeof(TileT);
    for (int e = tid; e < kBM * (kCols / kRun); e += kThreads) {
      const int r = e % kBM, c = e / kBM * kRun;
      const idx_t m = m0 + r;
      struct alignas(16) Chunk {
        TileT t[kRun];
      } chunk;
      if constexpr (kGemmAImage) { // from the staged rows: the output pixel's once
        const idx_t r = m / G::kImgOW - m0 / G::kImgOW;
        const idx_t x0 = m % G::kImgOW * G::kImgSW - G::kImgPW;
        const T *rows = g.imageRows + r * (G::kImgC * G::kImgKH * G::kImgW);
#pragma unroll
        for (int t = 0; t < kRun; ++t)
          chunk.t[t] = toTile(m < kGemmM && k0 + c + t < kGemmK
                                  ? imageTap<G>(rows, x0, k0 + c + t)
                                  : 0.0f);
      } else {
#pragma unroll
        for (int t = 0; t < kRun; ++t)
          chunk.t[t] = toTile(m < kGemmM && k0 + c + t < kGemmK ? g.a(z, m, k0 + c + t) : 0.0f);
      }
      *reinterpret_cast<Chunk *>(As + (kPanel ? panelAt(r, c) : tileAt(r, c))) = chunk;
    }
  } else {
    // Element by element (a conv's taps over few channels, K not whole
    // pieces): unrolled, so that a thread has several loads in flight
    // rather than one memory wait per element. Consecutive threads take
    // consecutive k, or consecutive rows where the input is contiguous
    // along M (kGemmARowsFastest).
#pragma unroll 4
    for (int e = tid; e < kBM * kCols; e += kThreads) {
      const int r = kGemmARowsFastest ? e % kBM : e / kCols,
                c = kGemmARowsFastest ? e / kBM : e % kCols;
      const idx_t m = m0 + r, k = k0 + c;
      As[kPanel ? panelAt(r, c) : tileAt(r, c)] =
          toTile(m < kGemmM && k < kGemmK ? g.a(z, m, k) : 0.0f);
    }
  }
}

/// Shifted rows, the copy: rows r0.. (of `rows`) of the row-major [rows, K]
/// operand at `base`, the aligned chunks covering columns k0..k0+BK-1, by
/// cp.async, kRawChunks a row. A chunk past the columns needed is zero-filled
/// without a read; one that runs past the operand's end reads only its bytes.
/// `base` is 16-byte aligned (group inputs and weights start 256-byte
/// aligned), so no chunk starts before it.
template <int kRows>
__device__ __forceinline__ void fillShifted(TileT *raw, const T *base, idx_t r0, idx_t rows,
                                            idx_t k0, int tid) {
  const unsigned long long end = (unsigned long long)(base + rows * kGemmK);
  const idx_t cols = kGemmK - k0 < kBK ? kGemmK - k0 : kBK;
  for (int e = tid; e < kRows * kRawChunks; e += kThreads) {
    const int r = e / kRawChunks, c = e % kRawChunks;
    const idx_t row = r0 + r;
    const T *first = base + (row < rows ? row : 0) * kGemmK + k0;
    const unsigned long long chunk = ((unsigned long long)first & ~15ull) + 16ull * c;
    int bytes = 0;
    if (row < rows && chunk < (unsigned long long)(first + cols))
      bytes = end - chunk < 16 ? (int)(end - chunk) : 16;
    copy16(raw + e * kChunkElems, bytes ? (const void *)chunk : (const void *)base, bytes);
  }
}

/// Shifted rows, the realignment: each 16-byte piece of the tile from the
/// two raw chunks it straddles (a funnel shift by the row's offset), columns
/// at or past K zeroed (they hold the next row's values); one 16-byte store.
/// A thread takes kPer consecutive pieces of a row from kPer + 1 chunk
/// loads; consecutive threads take consecutive rows: eight rows kRawChunks
/// (odd) chunks apart fall in eight distinct bank groups, and so do their
/// pieces in the swizzled tile.
template <int kRows>
__device__ __forceinline__ void realign(TileT *tile, const TileT *rawTile, const T *base,
                                        idx_t r0, idx_t k0, int tid) {
  constexpr int kVec = 16 / (int)sizeof(T), kPieces = kBK / kVec;
  constexpr int kPer = kPieces < 4 ? kPieces : 4, kGroups = kPieces / kPer;
  static_assert(kRawChunks % 2 == 1 && kRows % 8 == 0 && kPieces % kPer == 0,
                "conflict-free rows, whole groups of pieces");
  const Vec16 *raw = reinterpret_cast<const Vec16 *>(rawTile);
  for (int e = tid; e < kRows * kGroups; e += kThreads) {
    const int r = e % kRows, p0 = e / kRows * kPer;
    const unsigned s = (unsigned)((unsigned long long)(base + (r0 + r) * kGemmK + k0) & 15u);
    unsigned w[4 * (kPer + 1)];
#pragma unroll
    for (int j = 0; j <= kPer; ++j) {
      const Vec16 c = loadShared16(raw + r * kRawChunks + p0 + j);
#pragma unroll
      for (int t = 0; t < 4; ++t)
        w[4 * j + t] = c.w[t];
    }
    const unsigned q = s / 4, bits = s % 4 * 8;
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      unsigned x[5]; // words 4i + q.., selected without indexing by q
#pragma unroll
      for (int j = 0; j < 5; ++j)
        x[j] = q == 0   ? w[4 * i + j]
               : q == 1 ? w[4 * i + j + 1]
               : q == 2 ? w[4 * i + j + 2]
                        : w[4 * i + j + 3];
      const idx_t k = k0 + (p0 + i) * kVec;
      const int valid =
          k + kVec <= kGemmK ? 16 : k >= kGemmK ? 0 : (int)(kGemmK - k) * (int)sizeof(T);
      Vec16 out;
#pragma unroll
      for (int t = 0; t < 4; ++t) {
        const unsigned v = (unsigned)((((unsigned long long)x[t + 1] << 32) | x[t]) >> bits);
        out.w[t] = 4 * t + 4 <= valid ? v : 4 * t >= valid ? 0u : v & 0xffffu;
      }
      *reinterpret_cast<Vec16 *>(tile + tileAt(r, (p0 + i) * kVec)) = out;
    }
  }
}

/// W's rows n0.. and A's rows m0.. (without a panel) for the K step at k0
/// into stage tiles: W always (16-byte copies where kGemmBVec), A through
/// the prologue or copied (kGemmACopy); shifted rows as raw chunks.
template <class G>
__device__ __forceinline__ void fillStage(G &g, int z, TileT *stage, idx_t m0, idx_t n0, idx_t k0,
                                          int tid) {
  if (kGemmAShift)
    fillShifted<kBM>(stage, g.aRow(z, 0), m0, kGemmM, k0, tid);
  else if (!kPanel)
    fillA<kBK>(g, z, stage, m0, k0, tid);
  TileT *Bs = stage + kAStageElems;
  if (kGemmBShift) {
    fillShifted<kBN>(Bs, g.bRow(z, 0), n0, kGemmN, k0, tid);
    return;
  }
  // B[k][n] = W[n][k], stored [n][k]: consecutive threads walk k, W's
  // contiguous axis, 16 bytes at a time where W's rows allow.
  // A tap row a K step (kGemmASpan): W's columns of tap row k0 / BK (the
  // rest of BK holds the zeros run() wrote once).
  if (kGemmBVec) {
    constexpr int kVec = 16 / (int)sizeof(TileT);
    constexpr int kPieces = kGemmASpan ? kGemmSpanRowK / kVec : kBK / kVec;
    forPieces<kBN, kPieces, kCopiesUnrolled>(tid, [&](int c, int p) {
      const int r = p * kVec;
      const idx_t n = n0 + c, k = kGemmASpan ? k0 / kBK * kGemmSpanRowK + r : k0 + r;
      const bool valid = n < kGemmN && k < kGemmK;
      copy16(Bs + tileAt(c, r), g.bRow(z, valid ? n : 0) + (valid ? k : 0), valid ? 16 : 0);
    });
  } else {
#pragma unroll 4
    for (int e = tid; e < kBK * kBN; e += kThreads) {
      const int c = e / kBK, r = e % kBK;
      const idx_t n = n0 + c, k = k0 + r;
      Bs[tileAt(c, r)] = toTile(n < kGemmN && k < kGemmK ? g.b(z, k, n) : 0.0f);
    }
  }
}

// Split K: stores this block's C tile (fp32 at Cs, rows kLdC apart) as
// share `s` of tile `tile` in the workspace `ws` and counts it. True in the
// tile's last block, whose Cs then holds the sum of every share, added in
// share order; false in the others, which are done. Only the tile's rows
// in C (m0 onwards) go through the workspace.
__device__ __forceinline__ bool gatherSplits(float *Cs, float *ws, idx_t tile, idx_t m0, int s,
                                             int tid) {
  __shared__ int last;
  constexpr int kTileFloats = kBM * kBN;
  const int quads = (kGemmM - m0 < kBM ? (int)(kGemmM - m0) : kBM) * (kBN / 4);
  int *counter = reinterpret_cast<int *>(ws) + tile;
  float *shares = ws + kGemmCounterBytes / 4 + tile * kSplitK * kTileFloats;
  for (int e = tid; e < quads; e += kThreads) {
    const int r = e / (kBN / 4), c = e % (kBN / 4) * 4;
    *reinterpret_cast<float4 *>(shares + s * kTileFloats + r * kBN + c) =
        *reinterpret_cast<const float4 *>(Cs + r * kLdC + c);
  }
  __threadfence(); // the share is visible before it is counted
  __syncthreads();
  if (tid == 0) {
#ifdef SSMC_HOST_TRACE
    // The performance report's trace runs some blocks only (a sampled
    // window) and ignores values: the last share stands for the last block.
    last = s == kSplitK - 1;
    (void)counter;
#else
    last = atomicAdd(counter, 1) == kSplitK - 1;
    if (last)
      *counter = 0; // zero again for the next kernel
#endif
  }
  __syncthreads();
  if (!last)
    return false;
  __threadfence();
  for (int e = tid; e < quads; e += kThreads) {
    const int r = e / (kBN / 4), c = e % (kBN / 4) * 4;
    float4 *own = reinterpret_cast<float4 *>(Cs + r * kLdC + c);
    float4 sum = {0.0f, 0.0f, 0.0f, 0.0f};
#pragma unroll 1
    for (int q = 0; q < kSplitK; ++q) {
      const float4 v =
          q == s ? *own : __ldcg(reinterpret_cast<const float4 *>(shares + q * kTileFloats +
                                                                  r * kBN + c));
      sum.x += v.x;
      sum.y += v.y;
      sum.z += v.z;
      sum.w += v.w;
    }
    *own = sum;
  }
  __syncthreads();
  return true;
}

template <class G> __device__ __forceinline__ void run(G &g, float *smem, float *ws = nullptr) {
  // blockIdx.z = z * kSplitK + the block's share of K.
  const int z = blockIdx.z / kSplitK;
  [[maybe_unused]] const int split = blockIdx.z % kSplitK;
  // The block's tile of C. N-fastest where A is the larger operand
  // (kGemmNFastest) and for a panel's parts: the blocks that read the same
  // rows of A run side by side, so A comes from DRAM about once while W
  // stays in the L2.
  constexpr bool kNFastest = kGemmNFastest || kPanel;
  const idx_t block = blockIdx.x + (idx_t)blockIdx.y * gridDim.x;
  const idx_t tileM = kNFastest ? block / gridDim.y : blockIdx.x;
  const idx_t tileN = kNFastest ? block % gridDim.y : blockIdx.y;
  const idx_t m0 = tileM * kBM;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  g.m0 = m0;
  g.firstN = tileN == 0;
  // wgmma's tiles (the panel, else the stages) start on 1024 bytes.
  char *base = reinterpret_cast<char *>(smem);
  if (kWgmma)
    base += (1024 - sharedAddress(base) % 1024) % 1024;
  TileT *As = reinterpret_cast<TileT *>(base); // the panel
  g.bindStats(smem + kMainFloats);
  if (kPanel && kGemmPanelFromStats && kPanelK > kGemmK) {
    // stats() writes columns 0..K-1 of the panel; the K padding is zeros.
    constexpr int kPadCols = kPanelK > kGemmK ? kPanelK - (int)kGemmK : 1; // > 0 where it runs
    for (int e = tid; e < kBM * kPadCols; e += kThreads)
      As[panelAt(e / kPadCols, kGemmK + e % kPadCols)] = toTile(0.0f);
  }
  g.stats(warp, lane, As);
  __syncthreads();

  char *stageBytes = base + kPanelBytes; // a multiple of 1024 with wgmma
  TileT *stages = reinterpret_cast<TileT *>(stageBytes);
  TileT *realigned = stages + kStages * kStageElems; // shifted rows' tiles
  float *Cs = reinterpret_cast<float *>(stageBytes);

  if constexpr (kGemmAImage) { // the image's rows the block gathers A from, once
    T *rows = reinterpret_cast<T *>(smem + kMainFloats + kGemmStats * kBM);
    stageImage(g, rows, m0, tid);
    commit();
    wait<0>();
    __syncthreads();
    g.imageRows = rows;
  }

  if (kPanel && !kGemmPanelFromStats) {
    fillA<kPanelK>(g, z, As, m0, 0, tid); // A's rows, once
    commit();
    wait<0>();
    __syncthreads();
  }

#if SSMC_GEMM_MODE != 0 && !SSMC_WGMMA
  // The warp's tile of C, and (sliced K) its slice of each stage's columns.
  // (Constants where K is not sliced, so the fragment addresses fold.)
  const int warpMN = kWarpsK == 1 ? warp : warp % (kWarpsM * kWarpsN);
  [[maybe_unused]] const int slice = kWarpsK == 1 ? 0 : warp / (kWarpsM * kWarpsN);
  const int wRow = warpMN / kWarpsN * (kBM / kWarpsM), wCol = warpMN % kWarpsN * (kBN / kWarpsN);
  [[maybe_unused]] constexpr int kSliceK = kBK / kWarpsK;
#endif
#if SSMC_GEMM_MODE == 2
  using namespace nvcuda;
  typedef wmma::precision::tf32 FragT;
#elif SSMC_GEMM_MODE == 0
  // FFMA: thread t owns tile elements t, t + kThreads, ...
  constexpr int kPer = kBM * kBN / kThreads;
  static_assert(kBM * kBN % kThreads == 0, "whole elements per thread");
#endif

  // A tap row a K step where A is read along the input's rows.
  constexpr int kTilesK = kGemmASpan ? kGemmK / kGemmSpanRowK : (kGemmK + kBK - 1) / kBK;
  // Split K: the block's K steps, kt0 onwards.
  constexpr int kSplitTiles = (kTilesK + kSplitK - 1) / kSplitK;
  const int kt0 = split * kSplitTiles;
  const int tilesK = kTilesK - kt0 < kSplitTiles ? kTilesK - kt0 : kSplitTiles;
  if constexpr (kGemmASpan) {
    // What fillSpan and fillStage never write, once in every stage: A's and
    // W's columns past a tap row's, and A's rows past M (zeros, so the MMAs
    // add nothing).
    constexpr int kVec = 16 / (int)sizeof(TileT), kRowPieces = kBK / kVec;
    constexpr int kPadPieces = kRowPieces - kGemmSpanRowK / kVec;
    const uint4 zero = {};
    if constexpr (kPadPieces > 0)
      for (int e = tid; e < kStages * (kBM + kBN) * kPadPieces; e += kThreads) {
        const int c = kRowPieces - kPadPieces + e % kPadPieces;
        const int r = e / kPadPieces % (kBM + kBN); // A's rows, then W's
        *reinterpret_cast<uint4 *>(stages + e / ((kBM + kBN) * kPadPieces) * kStageElems +
                                   (r < kBM ? tileAt(r, c * kVec)
                                            : kAStageElems + tileAt(r - kBM, c * kVec))) = zero;
      }
    const int rows = kGemmM - m0 < kBM ? (int)(kGemmM - m0) : kBM;
    for (int e = tid; e < kStages * (kBM - rows) * kRowPieces; e += kThreads) {
      const int c = e % kRowPieces, r = rows + e / kRowPieces % (kBM - rows);
      *reinterpret_cast<uint4 *>(stages + e / ((kBM - rows) * kRowPieces) * kStageElems +
                                 tileAt(r, c * kVec)) = zero;
    }
  }
  // A panel's part walks every kPanelParts-th N tile from its own.
  const idx_t nStep = kPanel ? (idx_t)kBN * kPanelParts : kGemmN;
  for (idx_t n0 = tileN * kBN; n0 < kGemmN; n0 += nStep) {
#if SSMC_WGMMA
    float acc[kGroupM][kBN / 2]; // wgmma's D fragments
#pragma unroll
    for (int i = 0; i < kGroupM; ++i)
#pragma unroll
      for (int q = 0; q < kBN / 2; ++q)
        acc[i][q] = 0.0f;
#elif SSMC_GEMM_MODE == 1
    float acc[kFragM][kFragN8][4];
#pragma unroll
    for (int i = 0; i < kFragM; ++i)
#pragma unroll
      for (int j = 0; j < kFragN8; ++j)
#pragma unroll
        for (int q = 0; q < 4; ++q)
          acc[i][j][q] = 0.0f;
#elif SSMC_GEMM_MODE == 2
    wmma::fragment<wmma::accumulator, 16, 16, kFragK, float> acc[kFragM][kFragN];
#pragma unroll
    for (int i = 0; i < kFragM; ++i)
#pragma unroll
      for (int j = 0; j < kFragN; ++j)
        wmma::fill_fragment(acc[i][j], 0.0f);
#else
    float acc[kPer];
#pragma unroll
    for (int i = 0; i < kPer; ++i)
      acc[i] = 0.0f;
#endif

    // The pipeline: the first kStages - 1 K steps in flight, one group each
    // (empty past K, so that wait<kStages - 2> always means "this step's").
    // Not unrolled: STAGES - 1 copies of the fill's address arithmetic made
    // ptxas spill its loop-invariant values (a 3-stage 128-thread conv: 24
    // bytes at 72 registers; rolled, none at 60).
#pragma unroll 1
    for (int s = 0; s < kStages - 1; ++s) {
      if (s < tilesK)
        fillStage(g, z, stages + s * kStageElems, m0, n0, (idx_t)(kt0 + s) * kBK, tid);
      commit();
    }
    // The stages step kt reads and fills, counted round rather than kt %
    // kStages (a division's worth of instructions twice a K step).
    int readSlot = 0, fillSlot = kStages - 1;
    for (int kt = 0; kt < tilesK; ++kt) {
      wait<kStages - 2>(); // this thread's copies of step kt have landed
#if SSMC_WGMMA
      fenceProxyAsync(); // and wgmma sees them (and this thread's stores)
#endif
      __syncthreads();     // everyone's have, and step kt - 1's stage is consumed
      const TileT *stage = stages + readSlot * kStageElems;
      const idx_t k0 = (idx_t)(kt0 + kt) * kBK;
      if constexpr (kGemmAShift || kGemmBShift) {
        // Shifted rows into the realigned tiles (read by the last step's
        // MMAs, which every warp has finished at the barrier above).
        if constexpr (kGemmAShift)
          realign<kBM>(realigned, stage, g.aRow(z, 0), m0, k0, tid);
        if constexpr (kGemmBShift)
          realign<kBN>(realigned + (kGemmAShift ? kATileElems : 0), stage + kAStageElems,
                       g.bRow(z, 0), n0, k0, tid);
        __syncthreads();
      }
      if (kt + kStages - 1 < tilesK)
        fillStage(g, z, stages + fillSlot * kStageElems, m0, n0,
                  (idx_t)(kt0 + kt + kStages - 1) * kBK, tid);
      commit();
      readSlot = readSlot + 1 == kStages ? 0 : readSlot + 1;
      fillSlot = fillSlot + 1 == kStages ? 0 : fillSlot + 1;
      const TileT *At = kGemmAShift ? realigned : stage;
      const TileT *Bs = kGemmBShift ? realigned + (kGemmAShift ? kATileElems : 0)
                                    : stage + kAStageElems;
#if SSMC_WGMMA
      // The warpgroup's rows of A and all of B's, K steps of 16 (32 bytes
      // into the 128-byte rows); done before the barrier that lets the next
      // fill overwrite this stage.
      wgmmaFence();
#pragma unroll
      for (int kk = 0; kk < kBK; kk += 16)
#pragma unroll
        for (int i = 0; i < kGroupM; ++i)
          wgmmaTile<kBN>(acc[i],
                         wgmmaDescriptor((kPanel ? As + kt * (kBM * kBK) : At) +
                                         (warp / 4 * kGroupRows + i * 64) * kBK + kk),
                         wgmmaDescriptor(Bs + kk));
      wgmmaCommit();
      wgmmaWaitAll();
#elif SSMC_GEMM_MODE == 1
#pragma unroll
      for (int q = 0; q < kSliceK; q += 16) {
        const int kk = slice * kSliceK + q;
        // A: matrices (rows 0-7, k 0-7), (8-15, 0-7), (0-7, 8-15), (8-15, 8-15).
        unsigned a[kFragM][4];
#pragma unroll
        for (int i = 0; i < kFragM; ++i) {
          const int row = wRow + i * 16 + lane % 16, col = kk + lane / 16 * 8;
          ldmatrixX4(a[i], kPanel ? As + panelAt(row, k0 + col) : At + tileAt(row, col));
        }
        // B ([n][k]): matrices (n 0-7, k 0-7), (0-7, 8-15), (8-15, 0-7), (8-15, 8-15):
        // the fragments of two 8-column tiles.
#pragma unroll
        for (int j = 0; j < kFragN8; j += 2) {
          unsigned b[4];
          ldmatrixX4(b, Bs + tileAt(wCol + j * 8 + lane % 8 + lane / 16 * 8, kk + lane / 8 % 2 * 8));
          const unsigned b0[2] = {b[0], b[1]}, b1[2] = {b[2], b[3]};
#pragma unroll
          for (int i = 0; i < kFragM; ++i) {
            mma16816(acc[i][j], a[i], b0);
            mma16816(acc[i][j + 1], a[i], b1);
          }
        }
      }
#else
      // This K step's columns of A: the panel's, or the stage tile's.
      const TileT *Ak = kPanel ? As + k0 : At;
      constexpr int kLdAk = kPanel ? kLdA : kLdT;
#if SSMC_GEMM_MODE == 2
#pragma unroll
      for (int kk = 0; kk < kBK; kk += kFragK) {
        wmma::fragment<wmma::matrix_a, 16, 16, kFragK, FragT, wmma::row_major> a[kFragM];
        wmma::fragment<wmma::matrix_b, 16, 16, kFragK, FragT, wmma::col_major> b[kFragN];
#pragma unroll
        for (int i = 0; i < kFragM; ++i) {
          wmma::load_matrix_sync(a[i], Ak + (wRow + i * 16) * kLdAk + kk, kLdAk);
          for (int t = 0; t < a[i].num_elements; ++t)
            a[i].x[t] = wmma::__float_to_tf32(a[i].x[t]);
        }
#pragma unroll
        for (int j = 0; j < kFragN; ++j) {
          wmma::load_matrix_sync(b[j], Bs + (wCol + j * 16) * kLdT + kk, kLdT);
          for (int t = 0; t < b[j].num_elements; ++t)
            b[j].x[t] = wmma::__float_to_tf32(b[j].x[t]);
        }
#pragma unroll
        for (int i = 0; i < kFragM; ++i)
#pragma unroll
          for (int j = 0; j < kFragN; ++j)
            wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
      }
#else
      // k ascending for every element, one FFMA each: the reference's order.
#pragma unroll 1
      for (int kk = 0; kk < kBK; ++kk)
#pragma unroll
        for (int i = 0; i < kPer; ++i) {
          const int e = tid + i * kThreads;
          acc[i] += Ak[(e / kBN) * kLdAk + kk] * Bs[(e % kBN) * kLdT + kk];
        }
#endif
#endif
    }
    wait<0>();
    __syncthreads(); // every stage consumed before the C tile lands on them

    // The C tile through shared memory, then the epilogue element by element.
#if SSMC_WGMMA
    // Thread t of a warpgroup (warp w = t / 32 % 4) holds in acc[i][4j + q]
    // row 16 w + lane / 4 + 8 (q / 2), column 8 j + 2 (lane % 4) + q % 2 of
    // its instruction i's 64 rows.
#pragma unroll
    for (int i = 0; i < kGroupM; ++i)
#pragma unroll
      for (int j = 0; j < kBN / 8; ++j) {
        float *c = Cs + (warp / 4 * kGroupRows + i * 64 + warp % 4 * 16 + lane / 4) * kLdC + j * 8 +
                   lane % 4 * 2;
        store2(c, acc[i][4 * j], acc[i][4 * j + 1]);
        store2(c + 8 * kLdC, acc[i][4 * j + 2], acc[i][4 * j + 3]);
      }
#elif SSMC_GEMM_MODE == 1
    // Lane (g, t) = (lane / 4, lane % 4) holds rows g and g + 8, columns 2t, 2t + 1.
    // Sliced K: slice 0 stores its sums, then each next slice adds its own.
#pragma unroll 1
    for (int s = 0; s < kWarpsK; ++s) {
      if (slice == s)
#pragma unroll
        for (int i = 0; i < kFragM; ++i)
#pragma unroll
          for (int j = 0; j < kFragN8; ++j) {
            float *c = Cs + (wRow + i * 16 + lane / 4) * kLdC + wCol + j * 8 + lane % 4 * 2;
            if (s == 0) {
              store2(c, acc[i][j][0], acc[i][j][1]);
              store2(c + 8 * kLdC, acc[i][j][2], acc[i][j][3]);
            } else {
              store2(c, c[0] + acc[i][j][0], c[1] + acc[i][j][1]);
              store2(c + 8 * kLdC, c[8 * kLdC] + acc[i][j][2], c[8 * kLdC + 1] + acc[i][j][3]);
            }
          }
      if (kWarpsK > 1)
        __syncthreads();
    }
#elif SSMC_GEMM_MODE == 2
#pragma unroll
    for (int i = 0; i < kFragM; ++i)
#pragma unroll
      for (int j = 0; j < kFragN; ++j)
        wmma::store_matrix_sync(Cs + (wRow + i * 16) * kLdC + wCol + j * 16, acc[i][j], kLdC,
                                wmma::mem_row_major);
#else
#pragma unroll
    for (int i = 0; i < kPer; ++i) {
      const int e = tid + i * kThreads;
      Cs[(e / kBN) * kLdC + e % kBN] = acc[i];
    }
#endif
    __syncthreads();
    if constexpr (kSplitK > 1)
      if (!gatherSplits(Cs, ws, ((idx_t)z * gridDim.x + tileM) * gridDim.y + tileN, m0, split,
                        tid))
        continue; // another block of the tile runs the epilogue
    if (kGemmRowStats) {
      g.rowStats(z, Cs, kLdC, warp, lane);
      __syncthreads();
    }
    if (kGemmEpiVec) {
      // V consecutive columns a thread (16, 8 or 4 bytes of T): the
      // epilogue's inputs and results V values at a time. N is whole pieces,
      // so a piece that starts inside N ends inside it.
      constexpr int kV = kGemmEpiVec > 1 ? kGemmEpiVec : 2, kPieces = kBN / kV;
      static_assert(kBN % kV == 0, "whole pieces of a tile row");
      for (int e = tid; e < kBM * kPieces; e += kThreads) {
        const int r = e / kPieces, c = e % kPieces * kV;
        const idx_t m = m0 + r, n = n0 + c;
        if (m < kGemmM && n < kGemmN) {
          // The piece's floats by 16-byte loads, the two halves in an order
          // that puts a quarter warp's eight loads in distinct bank groups
          // (lanes 4-7 take their second half first).
          // Load h reads quarter (h + turn) % kQ; selects put each value in
          // place, so both arrays keep constant indices (registers, no stack).
          constexpr int kQ = kV / 4;
          const int turn = tid / 4 % (kQ > 0 ? kQ : 1);
          float acc[kV], part[kQ > 0 ? kQ : 1][4];
#pragma unroll
          for (int h = 0; h < kQ; ++h) {
            const Vec16 raw =
                *reinterpret_cast<const Vec16 *>(Cs + r * kLdC + c + (h + turn) % kQ * 4);
            memcpy(part[h], &raw, 16);
          }
#pragma unroll
          for (int q = 0; q < kQ; ++q)
#pragma unroll
            for (int i = 0; i < 4; ++i) {
              float v = part[0][i];
#pragma unroll
              for (int h = 1; h < kQ; ++h)
                v = (h + turn) % kQ == q ? part[h][i] : v;
              acc[q * 4 + i] = v;
            }
          if (kV == 2) { // two floats, one 8-byte load
            const unsigned long long raw =
                *reinterpret_cast<const unsigned long long *>(Cs + r * kLdC + c);
            memcpy(acc, &raw, 8);
          }
          g.epilogueVec(z, m, n, acc);
        }
      }
    } else {
      for (int e = tid; e < kBM * kBN; e += kThreads) {
        const int r = e / kBN, c = e % kBN;
        const idx_t m = m0 + r, n = n0 + c;
        if (m < kGemmM && n < kGemmN)
          g.epilogue(z, m, n, Cs[r * kLdC + c]);
      }
    }
    if (kPanel)
      __syncthreads(); // the C tile is read before the next N tile's B lands on it
  }
  if (tileN == 0 && blockIdx.z == 0) // gridDim.x blocks, tileM 0..gridDim.x - 1
    g.extra(tileM * kThreads + tid, (idx_t)gridDim.x * kThreads);
}

} // namespace ssmc_gemm
// ---- end of the GEMM template ----
