//===- Model.h - a kernel's speed of light and modeled time -----*- C++ -*-===//
//
// The bound: the largest of the kernel's FLOPs at the peak of the unit that
// does them (matrix FLOPs on tensor cores, the rest on the FP32 pipes),
// its minimum bytes at the copy rate and its special functions at the MUFU
// rate, plus one launch in a CUDA graph.
//
// The modeled time: the largest of the times the counted work needs on
// each resource, with the SMs the grid can keep busy, plus the launch:
//   dram     counted DRAM bytes (the L2 model) at the copy rate
//   l2       32-byte sectors of every global request at the L2 bandwidth
//   lsu      L1 wavefronts (128-byte lines per global request, bank-conflict
//            wavefronts per shared request), one per clock per SM
//   latency  DRAM bytes read over the bytes the resident warps keep in
//            flight per round trip (loadsInFlight() requests each, of the
//            counted average size)
//   tensor   counted MMA FLOPs at the tensor rate (mma.sync reaches 2/3 of
//            Hopper's dense rate, which needs wgmma)
//   fp32     the other FLOPs (the IR's count) at the FFMA rate
//   mufu     special functions at the MUFU rate
// the per-SM terms (lsu, tensor, fp32, mufu) multiplied by the last wave's
// quantization (ceil(waves) / waves) when the grid has a wave or more, and
// by the busiest SM's share (ceil(blocks / SMs) over blocks / SMs) where
// that is larger: fewer blocks than a wave still leave some SMs with one
// more block than the rest. It is a model: always labelled modeled.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_MODEL_H
#define SSMC_PERF_MODEL_H

#include "GpuTarget.h"
#include "Sampler.h"
#include "Sass.h"

#include "Exec/Plan.h"

#include <map>
#include <string>

namespace ssmc::perf {

/// What the IR says a kernel must do.
struct KernelCost {
  double flops = 0;
  double matmulFlops = 0;     ///< of them, in linears and convolutions
  double minBytes = 0;        ///< inputs, weights and results once, storage type
  double transcendentals = 0; ///< exp, log, erf, tanh, sqrt per element
};

/// How the matrix FLOPs run: "tensor16" (bf16/f16), "tf32", "ffma".
struct MathMode {
  std::string matmul = "tensor16";
};

struct Bound {
  double seconds = 0;
  std::string by; ///< "memory", "tensor", "fp32", "mufu"
  std::map<std::string, double> terms;
};

Bound speedOfLight(const GpuTarget &gpu, const KernelCost &cost, const MathMode &mode);

/// Global load requests a warp keeps in flight when the SASS is unknown.
constexpr double kDefaultLoadsInFlight = 2;

/// Loads a warp issues before it waits for the first: the global loads
/// (LDG, LDGSTS) of the innermost loop that has the most, else of the whole
/// kernel when it has no loop; between 1 and 16. The compiler hoists a loop
/// body's independent loads ahead of their uses, so these are in flight
/// together.
double loadsInFlight(const SassFacts &sass);

/// The K loop's instructions per HMMA: of the innermost loops that issue
/// HMMAs, the one with the most (a GEMM's main loop), its instructions over
/// its HMMAs; 0 if none. Each issue slot an HMMA does not take is one that
/// address arithmetic, copies and fragment loads do. A loop whose branches
/// may diverge (BSSY) is left out: which of its instructions run depends
/// on the data (a prologue's rows past M), and this is a lower bound.
double instructionsPerMma(const SassFacts &sass);

/// A cp.async pipeline's copies a thread keeps in flight: a K step's stage
/// tiles ((BM + BN) x BK, or BN x BK beside a panel; 16 bytes a copy) over
/// the block's threads, for
/// the STAGES - 1 steps ahead of the one the warps multiply (what the tile
/// model assumes, `tileTraffic`); at most 16, as loadsInFlight() counts.
/// 0 for a kernel without those tunables. The SASS cannot say it: a K loop
/// that the compiler unrolls whole, or with the copies' loop inside, shows
/// one stage's copies or none.
double pipelinedCopies(const rt::PlanConfig &config, rt::DType dtype);

/// The launch shape and resources the model needs.
struct LaunchShape {
  uint64_t blocks = 1;
  int threads = 32;
  int registers = 0;     ///< per thread (ptxas); 0 when unknown
  int64_t smemBytes = 0; ///< static + dynamic, per block
  /// Global load requests a warp keeps in flight (loadsInFlight()).
  double loadsInFlight = kDefaultLoadsInFlight;
  /// Its MMAs are wgmma (HGMMA in the SASS): sm_90's full tensor rate.
  bool warpgroupMma = false;
  /// Instructions per HMMA in the loop that issues them (instructionsPerMma());
  /// 0 when the SASS is unknown or has no such loop.
  double instructionsPerMma = 0;
};

struct Modeled {
  double seconds = 0;
  std::string limiter; ///< the largest term
  std::map<std::string, double> terms; ///< seconds each
  int residentBlocks = 1; ///< per SM
  int smsUsed = 0;
  double waves = 0;
};


Modeled modelTime(const GpuTarget &gpu, const KernelCost &cost, const MathMode &mode,
                  const LaunchShape &launch, const KernelTraffic &traffic);

/// The modeled time's terms that need no trace, to rank a kernel's
/// configurations before any is compiled (`ssmc tune`'s first stage): the
/// minimum bytes at the copy rate; the IR's FLOPs and special functions on
/// the SMs the grid keeps busy, with the last wave's quantization; and
/// Little's law with the warps resident (registers unknown: 0 ignores them)
/// each keeping loadsInFlight 16-byte-per-lane requests in flight. Blind to
/// re-reads and coalescing, which only a trace counts.
Modeled estimateFromLaunch(const GpuTarget &gpu, const KernelCost &cost, const MathMode &mode,
                           const LaunchShape &launch);

/// What a configuration's tiling adds to a kernel's traffic, read from its
/// tunables without a trace (`ssmc tune`'s first stage). GEMMs and implicit
/// GEMM convolutions (BM, BN, WARPS_M, WARPS_N, STAGES, BK): A is read once
/// per column of tiles and B once per row of tiles, through L2 into shared
/// memory, and each warp reads its tile's operands from shared memory once
/// per k step. Depthwise convolutions (DW_TH, DW_TW, DW_CB): the input
/// tile's halo is read again by the neighbouring tiles. Other kinds: no
/// tile terms (`known` false). Every kind: the share of its bytes it reads.
struct TileTraffic {
  bool known = false;
  double l2Bytes = 0;          ///< global bytes the SMs request
  double sharedWavefronts = 0; ///< shared-memory stores and loads, 128 bytes each
  double bytesInFlight = 0;    ///< per resident block, while it waits for its loads
  /// Per thread, from the warp tile's accumulators and fragments (GEMMs);
  /// 0 when unknown. Over 255 the configuration would spill.
  int registers = 0;
  /// Of the kernel's parameter bytes, those read (inputs and weights; the
  /// rest are results): only reads wait for memory. Every kind.
  double readFraction = 1;
};

TileTraffic tileTraffic(const rt::PlanKernel &kernel, const rt::PlanConfig &config,
                        const KernelCost &cost, rt::DType dtype);

/// estimateFromLaunch with the tiles' traffic: L2 bandwidth, the L1 and
/// shared-memory wavefronts (lsu), Little's law over the bytes read with
/// the bytes a block keeps in flight, and the occupancy the registers
/// allow. Infinite for a configuration whose registers would spill. Blind
/// to coalescing and bank conflicts.
Modeled estimateFromTiles(const GpuTarget &gpu, const KernelCost &cost, const MathMode &mode,
                          const LaunchShape &launch, const TileTraffic &tiles);

/// Coalescing of the global requests: distinct bytes used over the bytes of
/// the sectors touched (1 when every sector is used whole); 1 with none.
double coalescing(const KernelTraffic &t);

} // namespace ssmc::perf

#endif // SSMC_PERF_MODEL_H
