//===- Sampler.cpp - a whole grid's traffic from some of its blocks -------===//

#include "Sampler.h"
#include "L2Cache.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <unordered_map>

namespace ssmc::perf {
namespace {

void addStats(BlockTrace &to, const BlockTrace &from, double weight = 1.0) {
  to.globalLoad.add(from.globalLoad, weight);
  to.globalStore.add(from.globalStore, weight);
  to.sharedLoad.add(from.sharedLoad, weight);
  to.sharedStore.add(from.sharedStore, weight);
  to.mmaFlops += weight * from.mmaFlops;
}

class BlockRunner {
public:
  BlockRunner(Tracer &tracer, const SampleOptions &options, uint64_t estimate)
      : tracer_(tracer), options_(options), estimate_(estimate) {}

  /// Runs blocks [first, last) side by side: their statistics summed into
  /// `stats`, their line streams merged into `stream` (event j of a block
  /// with n events goes to progress bucket floor(j * R / n); buckets in
  /// order, blocks in order within one).
  rt::Status together(uint64_t first, uint64_t last, BlockTrace &stats,
                      std::vector<LineEvent> &stream) {
    traces_.resize(last - first);
    size_t longest = 0, total = 0;
    for (uint64_t b = first; b < last; ++b) {
      BlockTrace &t = traces_[b - first];
      if (rt::Status s = run(b, t, Tracer::Detail::Full); !s.ok())
        return s;
      addStats(stats, t);
      longest = std::max(longest, t.events.size());
      total += t.events.size();
    }
    const size_t buckets = std::max<size_t>(1, std::min<size_t>(4096, longest));
    std::vector<size_t> start(buckets + 1, 0);
    auto bucketOf = [&](size_t j, size_t n) { return j * buckets / n; };
    for (uint64_t b = first; b < last; ++b)
      for (size_t j = 0, n = traces_[b - first].events.size(); j < n; ++j)
        ++start[bucketOf(j, n) + 1];
    for (size_t k = 0; k < buckets; ++k)
      start[k + 1] += start[k];
    const size_t base = stream.size();
    stream.resize(base + total);
    for (uint64_t b = first; b < last; ++b) {
      const std::vector<LineEvent> &events = traces_[b - first].events;
      for (size_t j = 0; j < events.size(); ++j)
        stream[base + start[bucketOf(j, events.size())]++] = events[j];
    }
    return rt::Status::success();
  }

  rt::Status run(uint64_t b, BlockTrace &out, Tracer::Detail detail) {
    if (rt::Status s = tracer_.runBlock(b, out, detail); !s.ok())
      return s;
    ++blocksRun;
    if (options_.progress)
      options_.progress(tracer_.totalRecords(), std::max(estimate_, tracer_.totalRecords()));
    return rt::Status::success();
  }

  uint64_t blocksRun = 0;

private:
  Tracer &tracer_;
  const SampleOptions &options_;
  uint64_t estimate_;
  std::vector<BlockTrace> traces_;
};

/// Sectors first seen: `seen` holds each line's sectors so far.
double newSectors(const std::vector<LineEvent> &stream,
                  std::unordered_map<uint64_t, uint8_t> &seen) {
  double fresh = 0;
  for (LineEvent e : stream) {
    uint8_t &mask = seen[eventLine(e)];
    fresh += std::popcount(eventSectors(e) & ~unsigned(mask));
    mask |= uint8_t(eventSectors(e));
  }
  return fresh;
}

/// The DRAM reads and write-backs of `stream` from the L2 state `warm`.
std::pair<uint64_t, uint64_t> replay(const L2Cache &warm, const std::vector<LineEvent> &stream) {
  L2Cache l2 = warm;
  for (LineEvent e : stream)
    l2.access(e);
  return {l2.dramReadSectors - warm.dramReadSectors, l2.dirtiedSectors - warm.dirtiedSectors};
}
} // namespace

rt::Expected<KernelTraffic> sampleKernel(Tracer &tracer, const SampleOptions &options) {
  KernelTraffic out;
  const uint64_t blocks = out.blocks = tracer.numBlocks();
  const uint64_t wave = out.waveBlocks = std::max<uint64_t>(1, options.waveBlocks);
  BlockTrace total;

  // A pilot block in the middle of the grid sizes the work.
  BlockTrace pilot;
  if (rt::Status s = tracer.runBlock(blocks / 2, pilot, Tracer::Detail::Lines); !s.ok())
    return s;
  const double perBlock = std::max<double>(1, double(tracer.lastRecords()));

  if (double(blocks) * perBlock <= double(options.fullRecords)) {
    BlockRunner runner(tracer, options, uint64_t(double(blocks) * perBlock));
    L2Cache l2(options.l2Bytes);
    std::unordered_map<uint64_t, uint8_t> seen;
    std::vector<LineEvent> stream;
    for (uint64_t first = 0; first < blocks; first += wave) {
      stream.clear();
      if (rt::Status s = runner.together(first, std::min(blocks, first + wave), total, stream);
          !s.ok())
        return s;
      for (LineEvent e : stream)
        l2.access(e);
      out.distinctBytes += 32 * newSectors(stream, seen);
    }
    out.dramReadBytes = 32.0 * double(l2.dramReadSectors);
    out.dramWriteBytes = 32.0 * double(l2.dirtiedSectors);
    out.blocksRun = out.blocksMeasured = runner.blocksRun;
  } else {
    out.sampled = true;
    const unsigned windows = std::max(2u, options.windows);
    const uint64_t longest = std::min(wave, blocks / windows);
    const uint64_t length = std::clamp<uint64_t>(
        uint64_t(double(options.windowRecords) / (windows * perBlock)), 1, longest);
    // The first window starts cold. In a grid of several rows it spans the
    // first row where it can, since later rows often reuse what the first
    // one loaded (a GEMM's A tiles, one row per N tile).
    const uint64_t rowBlocks = tracer.gridX();
    uint64_t firstLength = length;
    if (rowBlocks < blocks)
      firstLength = std::clamp<uint64_t>(
          rowBlocks, length,
          std::max(length, std::min<uint64_t>(longest, uint64_t(double(options.windowRecords) /
                                                                 (2 * perBlock)))));
    const double firstShare = double(blocks) / windows;
    const double share = (double(blocks) - firstShare) / (windows - 1);
    const uint64_t warmupBudget = options.warmupRecords / windows;
    BlockRunner runner(tracer, options, options.windowRecords + options.warmupRecords / 2);
    std::vector<LineEvent> stream;
    BlockTrace lines;
    std::array<double, 3> cold{}, warm{}; // reads, write-backs, new sectors (per block: warm)
    for (unsigned w = 0; w < windows; ++w) {
      const uint64_t len = w == 0 ? firstLength : length;
      const uint64_t start = w == 0 ? 0 : firstLength + (blocks - len - firstLength) * w / (windows - 1);
      stream.clear();
      BlockTrace stats;
      if (rt::Status s = runner.together(start, start + len, stats, stream); !s.ok())
        return s;
      addStats(total, stats, (w == 0 ? firstShare : share) / double(len));
      out.blocksMeasured += len;

      // Warm-up: blocks before the window, latest first; a block's lines go
      // in behind every line of a later block.
      L2Cache l2(options.l2Bytes);
      auto [reads, writes] = replay(l2, stream);
      std::unordered_map<uint64_t, uint8_t> seen;
      const uint64_t recordsBefore = tracer.totalRecords();
      const uint64_t enough = std::min(wave, 4 * len); // before "settled" may stop it
      uint64_t next = start; // the earliest block run so far
      bool truncated = false;
      for (uint64_t chunk = std::min(start, len); chunk > 0 && l2.size() < l2.capacityLines();
           chunk = std::min(next, start - next)) {
        for (uint64_t b = next; b-- > next - chunk;) {
          if (tracer.totalRecords() - recordsBefore >= warmupBudget) {
            truncated = out.warmupTruncated = true;
            chunk = next - b - 1; // the blocks run
            break;
          }
          if (rt::Status s = runner.run(b, lines, Tracer::Detail::Lines); !s.ok())
            return s;
          for (LineEvent e : lines.events) {
            const bool write = eventWrite(e);
            l2.pushLeastRecent(eventLine(e), write ? 0 : eventSectors(e),
                               write ? eventSectors(e) : 0);
            seen[eventLine(e)] |= uint8_t(eventSectors(e));
          }
        }
        next -= chunk;
        auto [r, wr] = replay(l2, stream);
        const bool settled = std::fabs(double(r) - double(reads)) <= 0.005 * double(reads) + 8;
        reads = r;
        writes = wr;
        if (truncated || (settled && start - next >= enough))
          break;
      }
      const double fresh = newSectors(stream, seen);
      if (w == 0) {
        cold = {double(reads), double(writes), fresh};
        continue;
      }
      warm[0] += double(reads) / double(len);
      warm[1] += double(writes) / double(len);
      warm[2] += fresh / double(len);
    }
    // The cold window's misses happen once per grid; the rest of its share
    // and every other share go as the warm windows do, block for block.
    double sum[3];
    for (int i = 0; i < 3; ++i) {
      const double perBlockWarm = warm[i] / (windows - 1);
      sum[i] = 32.0 * (cold[i] + (firstShare - double(firstLength)) * perBlockWarm +
                       share * warm[i]);
    }
    out.dramReadBytes = sum[0];
    out.dramWriteBytes = sum[1];
    out.distinctBytes = sum[2];
    out.blocksRun = runner.blocksRun;
  }
  out.globalLoad = total.globalLoad;
  out.globalStore = total.globalStore;
  out.sharedLoad = total.sharedLoad;
  out.sharedStore = total.sharedStore;
  out.mmaFlops = total.mmaFlops;
  out.sites = tracer.numSites();
  out.recordsRun = tracer.totalRecords();
  return out;
}

} // namespace ssmc::perf
