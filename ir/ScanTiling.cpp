//===- ScanTiling.cpp - what a scan kernel stages --------------------------===//

#include "ScanTiling.h"

#include "Cost.h"

#include "Support/Arch.h"

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace ssmc {

LinearOp stagedDeltaProjection(SelectiveScanOp scan) {
  Value delta = scan.getDelta();
  if (!scan.getChannelsLast()) {
    auto p = delta.getDefiningOp<PermuteOp>();
    if (!p || p.getPerm() != ArrayRef<int64_t>{0, 2, 1})
      return {};
    delta = p.getInput();
  }
  auto linear = delta.getDefiningOp<LinearOp>();
  if (!linear || linear->getBlock() != scan->getBlock())
    return {};
  auto x = cast<RankedTensorType>(linear.getInput().getType());
  auto w = cast<RankedTensorType>(linear.getWeight().getType());
  if (x.getRank() != 3 || w.getRank() != 2 || w.getDimSize(1) > kMaxStagedDeltaInputs)
    return {};
  return linear;
}

int64_t stagedDeltaInputs(SelectiveScanOp scan) {
  LinearOp linear = stagedDeltaProjection(scan);
  return linear ? cast<RankedTensorType>(linear.getWeight().getType()).getDimSize(1) : 0;
}

namespace {
/// stagedRowBytes for `scan` alone.
int64_t ownRowBytes(SelectiveScanOp scan) {
  if (!scan.getChannelsLast())
    return 0;
  auto split = scan.getB().getDefiningOp<SplitOp>();
  if (!split || scan.getC().getDefiningOp<SplitOp>() != split)
    return 0;
  const int64_t deltaInputs = stagedDeltaInputs(scan);
  if (LinearOp dt = stagedDeltaProjection(scan);
      dt && dt.getInput().getDefiningOp<SplitOp>() != split)
    return 0;
  auto rows = dyn_cast<BlockArgument>(split.getInput());
  auto type = cast<RankedTensorType>(split.getInput().getType());
  auto u = cast<RankedTensorType>(scan.getU().getType());
  if (!rows || !isa<KernelGroupOp>(rows.getOwner()->getParentOp()) || type.getRank() != 3 ||
      split.getAxis() != 2 || type.getDimSize(0) != u.getDimSize(0) ||
      type.getDimSize(1) != u.getDimSize(1) || type.getDimSize(2) < 1)
    return 0;
  const int64_t rowBytes = tensorBytes(rows) / (type.getDimSize(0) * type.getDimSize(1));
  const int64_t states = cast<RankedTensorType>(scan.getA().getType()).getDimSize(1);
  const int64_t valueBytes =
      (2 * scanStepPitch(states) + scanStepPitch(deltaInputs)) * int64_t(sizeof(float));
  return 2 * rowBytes <= valueBytes ? rowBytes : 0;
}
} // namespace

int64_t stagedRowBytes(SelectiveScanOp scan) {
  const int64_t own = ownRowBytes(scan);
  if (!own)
    return 0;
  // The scans of one kernel share its shared memory: all rows, or none.
  if (auto group = scan->getParentOfType<KernelGroupOp>())
    for (auto other : group.getBody().front().getOps<SelectiveScanOp>())
      if (other != scan && !ownRowBytes(other))
        return 0;
  return own;
}

namespace {
int64_t ownSequenceTiles(SelectiveScanOp scan) {
  if (scan.getChannelsLast())
    return 0;
  return 1 + (stagedDeltaProjection(scan) ? 0 : 1) + (scan.getZ() ? 1 : 0);
}
} // namespace

int64_t scanSequenceTiles(SelectiveScanOp scan) {
  int64_t tiles = ownSequenceTiles(scan);
  if (auto group = scan->getParentOfType<KernelGroupOp>())
    for (auto other : group.getBody().front().getOps<SelectiveScanOp>())
      tiles = std::max(tiles, ownSequenceTiles(other));
  return tiles;
}

int64_t scanChannels(SelectiveScanOp scan) {
  return cast<RankedTensorType>(scan.getU().getType()).getDimSize(scan.getChannelsLast() ? 2 : 1);
}

int64_t scanLength(SelectiveScanOp scan) {
  return cast<RankedTensorType>(scan.getU().getType()).getDimSize(scan.getChannelsLast() ? 1 : 2);
}

int64_t chooseScanChunk(SelectiveScanOp scan, int64_t channels, int64_t sms, int64_t smemLimit) {
  const int64_t batch = cast<RankedTensorType>(scan.getU().getType()).getDimSize(0);
  const int64_t width = std::max<int64_t>(1, scanChannels(scan));
  const int64_t perBlock = std::clamp<int64_t>(channels, 1, std::min<int64_t>(width, 1024));
  const double blocks = double(batch * ((width + perBlock - 1) / perBlock));
  int64_t best = kDefaultScanChunk, bestResident = 0;
  double bestTail = 0;
  for (int64_t chunk : {kDefaultScanChunk, int64_t(80), int64_t(96), int64_t(48), int64_t(128),
                        int64_t(40), int64_t(32)}) {
    const ScanTilingAttr t = chooseScanTiling(scan, chunk, perBlock, 1);
    if (t.getSmemBytes() > smemLimit)
      continue;
    const int64_t resident = std::min<int64_t>(
        {(smemLimit + 1024) / (t.getSmemBytes() + 1024), 32, 2048 / ((perBlock + 31) / 32 * 32)});
    const double tail =
        rt::lastWaveFactor(blocks, double(std::max<int64_t>(sms, 1)), double(resident));
    // As whole waves, then the most blocks an SM holds, of those it gets
    // (the more warps, the more of each one's loads are hidden).
    const int64_t held =
        std::min<int64_t>(resident, int64_t(std::ceil(blocks / double(std::max<int64_t>(sms, 1)))));
    if (bestTail == 0 || tail < bestTail - 1e-9 ||
        (tail < bestTail + 1e-9 && held > bestResident)) {
      best = t.getChunk();
      bestTail = tail;
      bestResident = held;
    }
  }
  return best;
}

ScanTilingAttr chooseScanTiling(SelectiveScanOp scan, int64_t chunk, int64_t channels,
                                int64_t splits) {
  const int64_t length = std::max<int64_t>(1, scanLength(scan));
  const int64_t perBlock =
      std::clamp<int64_t>(channels, 1, std::clamp<int64_t>(scanChannels(scan), 1, 1024));
  const int64_t parts = std::clamp<int64_t>(splits, 1, std::min(length, 1024 / perBlock));
  const int64_t steps = std::clamp<int64_t>(chunk, 1, (length + parts - 1) / parts);
  const int64_t states = cast<RankedTensorType>(scan.getA().getType()).getDimSize(1);
  // Rows only without a time split: a split's parts stage a few steps each,
  // and copies of them would double its shared memory (fewer blocks an SM).
  const int64_t rowBytes = parts == 1 ? stagedRowBytes(scan) : 0;
  return ScanTilingAttr::get(scan.getContext(), steps, perBlock, parts, rowBytes,
                             scanSharedBytes(states, stagedDeltaInputs(scan), steps, perBlock,
                                             parts, rowBytes, scanSequenceTiles(scan)));
}

int64_t chooseSplitChunk(SelectiveScanOp scan, int64_t channels, int64_t parts, int64_t smemLimit) {
  const int64_t partSteps = (std::max<int64_t>(1, scanLength(scan)) + parts - 1) / parts;
  if (partSteps > kSplitScanChunk &&
      chooseScanTiling(scan, partSteps, channels, parts).getSmemBytes() <=
          std::min(kSplitWholePartBytes, smemLimit))
    return partSteps;
  return kSplitScanChunk;
}

std::pair<int64_t, int64_t> chooseScanSplit(SelectiveScanOp scan, int64_t channels, int64_t sms) {
  const int64_t batch = cast<RankedTensorType>(scan.getU().getType()).getDimSize(0);
  const int64_t width = std::max<int64_t>(1, scanChannels(scan));
  const auto blocks = [&](int64_t c) { return batch * ((width + c - 1) / c); };
  int64_t c = std::clamp<int64_t>(channels, 1, width);
  // Two blocks an SM at least: a block of 32 channels is one warp, whose
  // steps' dependent MUFU and shared-memory latencies one warp an SM cannot
  // hide (vim_small at batch 8: 192 blocks of 32 channels, modeled H100
  // 27.2 us; 384 of 16 channels in two parts: see docs/performance.md).
  if (blocks(c) >= 2 * sms)
    return {c, 1};
  // Fewer channels a block only where parts make up a warp again: a block
  // of a few threads gains nothing from an SM of its own.
  const int64_t maxSplits = std::clamp<int64_t>(scanLength(scan) / kMinScanPartSteps, 1, 32);
  const int64_t fewest = std::min(c, std::max<int64_t>(1, 32 / maxSplits));
  // Halved at least once (a grid of one to two blocks an SM), then until
  // the blocks fill the SMs.
  if (c > fewest)
    do
      c = std::max(fewest, (c + 1) / 2);
    while (c > fewest && blocks(c) < sms);
  const int64_t splits = std::min(maxSplits, std::max<int64_t>(1, 32 / c));
  return {c, splits};
}

} // namespace ssmc
