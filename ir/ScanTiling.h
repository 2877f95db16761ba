//===- ScanTiling.h - what a scan kernel stages, for pass and emitter -----===//
//
// `ssmc-tile-scan` decides a selective scan's tiling and the scan emitter
// obeys it; both size the shared memory with the functions here, so the
// attribute in the IR is what runs.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_IR_SCANTILING_H
#define SSMC_IR_SCANTILING_H

#include "SsmcOps.h"

#include <cstdint>
#include <utility>

namespace ssmc {

/// The most input features of a delta projection (dt_proj) the scan kernel
/// computes itself, its weight row held in registers.
constexpr int64_t kMaxStagedDeltaInputs = 64;

/// The linear that computes the scan's delta in the same kernel group
/// (dt_proj, [B, L, R] -> [B, L, D], R <= kMaxStagedDeltaInputs), read
/// directly (channels-last) or through a [B, L, D] -> [B, D, L] transpose;
/// null otherwise. The scan kernel stages its input rows per chunk in
/// shared memory and keeps each channel's weights in registers.
LinearOp stagedDeltaProjection(SelectiveScanOp scan);

/// Input features of stagedDeltaProjection (0 without one).
int64_t stagedDeltaInputs(SelectiveScanOp scan);

/// Floats a step of `n` staged values takes: rounded up to whole 16-byte
/// pieces, so a step's values are read with 16-byte shared-memory loads.
constexpr int64_t scanStepPitch(int64_t n) { return (n + 3) / 4 * 4; }

/// Floats one part's staged rows of one kind take: `chunk` steps of
/// `stepFloats`. With several parts each is padded to 4 floats past a
/// multiple of 32, so that the 16-byte loads of a warp's parts (each at its
/// own step) fall in different banks.
constexpr int64_t scanPartFloats(int64_t stepFloats, int64_t chunk, int64_t splits) {
  const int64_t f = stepFloats * chunk;
  return splits == 1 || f == 0 ? f : (f + 31) / 32 * 32 + 4;
}

/// Bytes of one buffer of copied rows: the 16-byte chunks that cover
/// `chunk` rows of `rowBytes` (a row range starts anywhere in a chunk).
constexpr int64_t scanRowBufferBytes(int64_t rowBytes, int64_t chunk) {
  return (chunk * rowBytes + 30) / 16 * 16;
}

/// Floats a channel's row of a sequence tile takes: `chunk` steps, padded to
/// an odd count so that a warp's channels, each reading its own row at the
/// same step, fall in different banks.
constexpr int64_t scanTilePitch(int64_t chunk) { return chunk | 1; }

/// Shared memory of one scan thread block: for each of `splits` parts and
/// each step of a chunk, B and C (`states` each) and the delta projection's
/// `deltaInputs`, fp32; with `rowBytes` > 0, per part, two buffers of the
/// rows they are unpacked from (stagedRowBytes); with `sequenceTiles` > 0
/// (scanSequenceTiles), per part, that many fp32 tiles of `channels` rows of
/// a chunk; with several parts, each (channel, part)'s carried state and
/// summed delta (a row of an odd number of floats).
constexpr int64_t scanSharedBytes(int64_t states, int64_t deltaInputs, int64_t chunk,
                                  int64_t channels, int64_t splits, int64_t rowBytes = 0,
                                  int64_t sequenceTiles = 0) {
  const int64_t values = splits * (2 * scanPartFloats(scanStepPitch(states), chunk, splits) +
                                   scanPartFloats(scanStepPitch(deltaInputs), chunk, splits));
  const int64_t rows = rowBytes ? splits * 2 * scanRowBufferBytes(rowBytes, chunk) : 0;
  const int64_t tiles = splits * sequenceTiles * channels * scanTilePitch(chunk);
  const int64_t carries = splits > 1 ? channels * splits * (scanStepPitch(states) + 1) : 0;
  return (values + tiles + carries) * int64_t(sizeof(float)) + rows;
}

/// Sequence tiles of a sequence-major scan's kernel ([batch, channels,
/// length], where a warp's channels are a row apart): per chunk, u, delta
/// (where it is read, not computed from dt_proj) and z are read along time
/// by consecutive threads into fp32 tiles, one row a channel, and the
/// outputs go back over u's tile before they are stored the same way. The
/// most any scan of the kernel group needs (they share the tiles); 0 for
/// channels-last scans, whose warps read along channels.
int64_t scanSequenceTiles(SelectiveScanOp scan);

/// Bytes of a row of the group input whose columns are `scan`'s B, C and
/// (where it computes delta, stagedDeltaProjection) dt_proj's inputs, as
/// stored, where the scan kernel copies such rows into shared memory as
/// they are (cp.async, a chunk ahead) and unpacks them there: B, C and
/// those inputs are results of one `ssmc.split` of the last axis of a
/// kernel group's input [batch, length, P], channels-last; two buffers of
/// rows take no more shared memory than the fp32 values (as in 16-bit
/// storage, with dt_proj in the kernel); and the same holds for every
/// other scan of the group. 0 otherwise. (chooseScanTiling copies rows
/// only without a time split.)
int64_t stagedRowBytes(SelectiveScanOp scan);

/// The scan's channels (D) and length (L), whichever its layout.
int64_t scanChannels(SelectiveScanOp scan);
int64_t scanLength(SelectiveScanOp scan);

/// The tiling of `scan` with `channels` per block and its sequence cut in
/// `splits` parts walked in chunks of `chunk` steps, each clamped to what
/// the scan has (channels to its width, splits to its length, the chunk to
/// a part), and the shared memory that takes. ssmc-tile-scan sets it; the
/// scan emitter uses it for a scan the pass has not tiled.
ScanTilingAttr chooseScanTiling(SelectiveScanOp scan, int64_t chunk, int64_t channels,
                                int64_t splits = 1);

/// Channels per block and time splits for `scan` on a GPU of `sms` SMs:
/// `channels` and no split when batch x channel blocks give every SM two;
/// else fewer channels per block (halved at least once) until they fill the
/// SMs, and the sequence cut so that a block holds about a warp, in parts of kMinScanPartSteps
/// steps at least (a sequence too short to cut keeps its channels).
std::pair<int64_t, int64_t> chooseScanSplit(SelectiveScanOp scan, int64_t channels, int64_t sms);

/// The chunk of a scan without a time split, tiled `channels` a block for
/// `sms` SMs whose blocks may take `smemLimit` bytes: kDefaultScanChunk,
/// or the length among a few near it whose shared memory lets the SMs hold
/// the blocks in the most nearly whole waves (the performance model's
/// last-wave factor, with the resident blocks as shared memory allows),
/// then the most resident blocks. vim_small at batch 128 in f32: 3072
/// one-warp blocks; 64 steps give 15 a SM, 1.55 waves, 80 give 12, 1.94.
/// In bf16, where rows are copied too, 80 steps give 6 a SM, 3.88 waves,
/// and 40 give 12, 1.94: the same last wave, twice the warps.
int64_t chooseScanChunk(SelectiveScanOp scan, int64_t channels, int64_t sms, int64_t smemLimit);

/// The chunk a time split of `parts` parts stages: the whole part where
/// that takes at most kSplitWholePartBytes (and `smemLimit`), else
/// kSplitScanChunk steps.
int64_t chooseSplitChunk(SelectiveScanOp scan, int64_t channels, int64_t parts, int64_t smemLimit);

/// ssmc-tile-scan's defaults.
constexpr int64_t kDefaultScanChunk = 64, kDefaultScanChannels = 32;
/// The longest chunk a time-split block stages: its parts each stage one,
/// so 32 parts of 16 steps of B and C at d_state 16 already take 64 KiB.
constexpr int64_t kSplitScanChunk = 16;
/// The shared memory a time-split block may take for a chunk as long as its
/// parts (one chunk a part: both passes read what the first staged, so B,
/// C and dt_proj's inputs are read once, not twice): two blocks an SM.
constexpr int64_t kSplitWholePartBytes = 96 * 1024;
/// The shortest part a time split makes: shorter, the second pass and the
/// combination cost more than the parallelism gains.
constexpr int64_t kMinScanPartSteps = 8;

} // namespace ssmc

#endif // SSMC_IR_SCANTILING_H
