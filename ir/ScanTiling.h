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

/// Shared memory of one scan thread block: for each step of a chunk, B and
/// C (`states` each) and the delta projection's `deltaInputs`, fp32.
constexpr int64_t scanSharedBytes(int64_t states, int64_t deltaInputs, int64_t chunk) {
  return (2 * scanStepPitch(states) + scanStepPitch(deltaInputs)) * chunk *
         int64_t(sizeof(float));
}

/// The scan's channels (D) and length (L), whichever its layout.
int64_t scanChannels(SelectiveScanOp scan);
int64_t scanLength(SelectiveScanOp scan);

/// The tiling of `scan` with chunks of `chunk` steps and `channels` per
/// block, each clamped to the scan's length and channels, and the shared
/// memory that takes. ssmc-tile-scan sets it; the scan emitter uses it for
/// a scan the pass has not tiled.
ScanTilingAttr chooseScanTiling(SelectiveScanOp scan, int64_t chunk, int64_t channels);

/// ssmc-tile-scan's defaults.
constexpr int64_t kDefaultScanChunk = 64, kDefaultScanChannels = 32;

} // namespace ssmc

#endif // SSMC_IR_SCANTILING_H
