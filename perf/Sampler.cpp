//===- Sampler.cpp - a whole grid's traffic from some of its blocks -------===//

#include "Sampler.h"
#include "L2Cache.h"

#include <algorithm>
#include <array>
#include <bit>
#include <chrono>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

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

  /// Runs blocks side by side: their statistics summed into
  /// `stats`, their line streams merged into `stream` (event j of a block
  /// with n events goes to progress bucket floor(j * R / n); buckets in
  /// order, blocks in order within one).
  rt::Status together(uint64_t first, uint64_t last, BlockTrace &stats,
                      std::vector<LineEvent> &stream) {
    std::vector<uint64_t> ids;
    for (uint64_t b = first; b < last; ++b)
      ids.push_back(b);
    return together(ids, stats, stream);
  }
  rt::Status together(const std::vector<uint64_t> &ids, BlockTrace &stats,
                      std::vector<LineEvent> &stream) {
    traces_.resize(ids.size());
    size_t longest = 0, total = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      const uint64_t b = ids[i];
      BlockTrace &t = traces_[i];
      if (rt::Status s = run(b, t, Tracer::Detail::Full); !s.ok())
        return s;
      addStats(stats, t);
      longest = std::max(longest, t.events.size());
      total += t.events.size();
    }
    const size_t buckets = std::max<size_t>(1, std::min<size_t>(4096, longest));
    std::vector<size_t> start(buckets + 1, 0);
    auto bucketOf = [&](size_t j, size_t n) { return j * buckets / n; };
    for (const BlockTrace &t : traces_)
      for (size_t j = 0, n = t.events.size(); j < n; ++j)
        ++start[bucketOf(j, n) + 1];
    for (size_t k = 0; k < buckets; ++k)
      start[k + 1] += start[k];
    const size_t base = stream.size();
    stream.resize(base + total);
    for (const BlockTrace &t : traces_) {
      const std::vector<LineEvent> &events = t.events;
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

/// The i-th of a sequence of blocks spread evenly over the grid without a
/// stride (a stride could alias with rows or tiles): the golden ratio's
/// multiples modulo 1.
uint64_t goldenPosition(uint64_t i, uint64_t blocks) {
  return uint64_t(std::fmod(0.5 + double(i) * 0.6180339887498949, 1.0) * double(blocks));
}

/// The blocks whose coordinate in each grid dimension is in one of the
/// ranges first (0), interior (1 .. n-2) or last (n-1).
struct EdgeClass {
  std::array<std::pair<uint64_t, uint64_t>, 3> range; // [begin, end) per dimension
  std::array<unsigned, 3> grid;
  uint64_t count = 1;
  /// The i-th block of the class (x fastest), as a linear block index.
  uint64_t block(uint64_t i) const {
    uint64_t linear = 0, scale = 1;
    for (int d = 0; d < 3; ++d) {
      const uint64_t n = range[d].second - range[d].first;
      linear += (range[d].first + i % n) * scale;
      i /= n;
      scale *= grid[d];
    }
    return linear;
  }
};

std::vector<EdgeClass> edgeClasses(const std::array<unsigned, 3> &grid) {
  std::array<std::vector<std::pair<uint64_t, uint64_t>>, 3> parts;
  for (int d = 0; d < 3; ++d) {
    const uint64_t n = grid[d];
    parts[d].push_back({0, 1});
    if (n > 2)
      parts[d].push_back({1, n - 1});
    if (n > 1)
      parts[d].push_back({n - 1, n});
  }
  std::vector<EdgeClass> classes;
  for (auto x : parts[0])
    for (auto y : parts[1])
      for (auto z : parts[2]) {
        EdgeClass c{{x, y, z}, grid};
        for (auto [b, e] : c.range)
          c.count *= e - b;
        classes.push_back(c);
      }
  return classes;
}

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

} // namespace

rt::Expected<KernelTraffic> sampleKernel(Tracer &tracer, const SampleOptions &options) {
  const auto began = std::chrono::steady_clock::now();
  KernelTraffic out;
  const uint64_t blocks = out.blocks = tracer.numBlocks();
  const uint64_t wave = out.waveBlocks = std::max<uint64_t>(1, options.waveBlocks);
  BlockTrace total;

  // Pilot blocks spread over the grid size the work (blocks can differ a
  // lot: a depthwise conv's blocks on identity channels do no taps).
  BlockTrace pilot;
  const uint64_t pilots = std::min<uint64_t>(blocks, 16);
  const uint64_t before = tracer.totalRecords();
  for (uint64_t i = 0; i < pilots; ++i)
    if (rt::Status s = tracer.runBlock(goldenPosition(i, blocks), pilot, Tracer::Detail::Lines);
        !s.ok())
      return s;
  const double perBlock = std::max(1.0, double(tracer.totalRecords() - before) / double(pilots));

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
    BlockRunner runner(tracer, options,
                       options.statsRecords + options.windowRecords + options.warmupRecords / 2);

    // Request statistics: a stratified sample. Edge blocks differ from
    // interior ones (a tail tile stores less, the first row of a GEMM does
    // the results that read no linear), so each grid dimension splits into
    // first / interior / last; each class of blocks is sampled in proportion
    // to its size (at least two where it has them), spread by goldenPosition,
    // and its blocks stand for the class.
    const uint64_t wanted = std::clamp<uint64_t>(
        uint64_t(double(options.statsRecords) / perBlock), std::min<uint64_t>(blocks, 16), blocks);
    BlockTrace one;
    for (const EdgeClass &c : edgeClasses(tracer.grid())) {
      const uint64_t share = std::clamp<uint64_t>(
          uint64_t(std::ceil(double(wanted) * double(c.count) / double(blocks))),
          std::min<uint64_t>(c.count, 2), c.count);
      std::vector<uint64_t> picks;
      for (uint64_t i = 0; i < share; ++i)
        picks.push_back(c.block(goldenPosition(i, c.count)));
      std::sort(picks.begin(), picks.end());
      picks.erase(std::unique(picks.begin(), picks.end()), picks.end());
      for (uint64_t b : picks) {
        if (rt::Status s = runner.run(b, one, Tracer::Detail::Full); !s.ok())
          return s;
        addStats(total, one, double(c.count) / double(picks.size()));
      }
    }

    // DRAM traffic: windows of blocks running together. Strata: a grid of
    // several rows (blockIdx.y or z) has its first row apart, since its
    // blocks often do more (the GEMM's results that read no linear) or
    // load first what later rows reuse; a one-row grid is one stratum. The
    // cold window at block 0 measures the one-time misses (weights, the
    // first tiles) as its excess over its stratum's warm rate. Where a wave
    // spans several rows, a window beyond the first row is a rectangle:
    // the same columns in as many rows as a wave holds, since those blocks
    // run together and share what their column loads (a GEMM's A tile).
    const unsigned windows = std::max(3u, options.windows);
    const uint64_t rowBlocks = tracer.gridX();
    const bool rows = rowBlocks < blocks;
    const uint64_t length = std::clamp<uint64_t>(
        uint64_t(double(options.windowRecords) / (windows * perBlock)), 1,
        std::min(wave, blocks / windows));
    struct Window {
      uint64_t start, length; // the first block; blocks per row
      uint64_t rows;          // rows of the rectangle (1: consecutive blocks)
      int stratum; // 0: the first row, 1: the rest (or the whole one-row grid)
      std::vector<uint64_t> blocks() const {
        std::vector<uint64_t> ids;
        for (uint64_t r = 0; r < rows; ++r)
          for (uint64_t j = 0; j < length; ++j)
            ids.push_back(start + r * rowStride + j);
        return ids;
      }
      uint64_t rowStride = 0;
    };
    std::vector<Window> plan = {{0, length, 1, rows ? 0 : 1}};
    unsigned rest = windows - 1;
    if (rows && rowBlocks >= 3 * length) {
      plan.push_back({rowBlocks / 2 - length / 2, length, 1, 0});
      --rest;
    }
    const uint64_t from = rows ? rowBlocks : length;
    if (blocks - from < length * rest)
      rest = unsigned(std::max<uint64_t>(1, (blocks - from) / length));
    const uint64_t totalRows = blocks / rowBlocks;
    const uint64_t waveRows = rows && rowBlocks < wave ? (wave + rowBlocks - 1) / rowBlocks : 1;
    for (unsigned w = 0; w < rest; ++w) {
      uint64_t start = from + (blocks - from - length) * (2 * w + 1) / (2 * rest);
      if (waveRows == 1) {
        plan.push_back({start, length, 1, 1});
        continue;
      }
      uint64_t row = start / rowBlocks;
      const uint64_t height = std::min(waveRows, totalRows - row);
      const uint64_t width = std::min(rowBlocks, std::max<uint64_t>(1, length / height));
      const uint64_t column = std::min(start % rowBlocks, rowBlocks - width);
      Window win{row * rowBlocks + column, width, height, 1};
      win.rowStride = rowBlocks;
      plan.push_back(win);
    }

    const uint64_t warmupBudget = options.warmupRecords / plan.size();
    std::vector<LineEvent> stream;
    BlockTrace lines, ignored;
    std::array<std::array<double, 3>, 2> sum{};  // per stratum: reads, write-backs, new sectors
    std::array<double, 2> measured{};            // blocks per stratum
    std::array<double, 3> cold{};
    // The cold window counts as its stratum's sample only when the stratum
    // has no warm window of its own (a first row too short for one).
    const bool coldIsSample = rows && !(plan.size() > 1 && plan[1].stratum == 0);
    for (size_t w = 0; w < plan.size(); ++w) {
      const Window &win = plan[w];
      const uint64_t start = win.start, len = win.length;
      const int stratum = win.stratum;
      const std::vector<uint64_t> ids = win.blocks();
      stream.clear();
      ignored = BlockTrace();
      if (rt::Status s = runner.together(ids, ignored, stream); !s.ok())
        return s;
      out.blocksMeasured += ids.size();

      // Warm-up: the blocks before the window, latest first, until they
      // hold as many distinct lines as the L2 (older uses cannot hit), the
      // grid's start, the budget, or (after `enough` blocks) a doubling that
      // brings no line the window uses. Then the warm-up in issue order and
      // the window through the L2.
      std::unordered_set<uint64_t> windowLines;
      for (LineEvent e : stream)
        windowLines.insert(eventLine(e));
      std::unordered_map<uint64_t, uint8_t> seen; // warm-up lines and their sectors
      std::vector<std::vector<LineEvent>> warmup; // latest block first
      const uint64_t recordsBefore = tracer.totalRecords();
      const uint64_t enough = std::min(wave, 4 * len);
      const uint64_t capacity = options.l2Bytes / 128;
      uint64_t next = start; // the earliest block run so far
      for (uint64_t chunk = std::min(start, len); chunk > 0 && seen.size() < capacity;
           chunk = std::min(next, start - next)) {
        uint64_t reused = 0;
        bool truncated = false;
        for (uint64_t b = next; b-- > next - chunk;) {
          if (tracer.totalRecords() - recordsBefore >= warmupBudget) {
            truncated = out.warmupTruncated = true;
            chunk = next - b - 1; // the blocks run
            break;
          }
          if (rt::Status s = runner.run(b, lines, Tracer::Detail::Lines); !s.ok())
            return s;
          for (LineEvent e : lines.events) {
            auto [it, fresh] = seen.try_emplace(eventLine(e), 0);
            it->second |= uint8_t(eventSectors(e));
            reused += fresh && windowLines.count(eventLine(e));
          }
          warmup.push_back(lines.events);
        }
        next -= chunk;
        if (truncated || (reused == 0 && start - next >= enough))
          break;
      }
      // A rectangle's lower rows: their own left neighbours, which run in
      // the same wave (the row's weights tile, the halo), as the most recent
      // warm-up.
      std::vector<LineEvent> beside;
      const uint64_t column = win.rows > 1 ? start % win.rowStride : 0;
      for (uint64_t r = 1; r < win.rows; ++r)
        for (uint64_t b = start + r * win.rowStride - std::min(column, len);
             b < start + r * win.rowStride; ++b) {
          if (rt::Status s = runner.run(b, lines, Tracer::Detail::Lines); !s.ok())
            return s;
          beside.insert(beside.end(), lines.events.begin(), lines.events.end());
          for (LineEvent e : lines.events)
            seen[eventLine(e)] |= uint8_t(eventSectors(e));
        }
      // A window of one row in a wave of several: a few blocks of the same
      // columns in the rows below run with it, and what they touch too is
      // not the rest of the wave's own pressure.
      std::unordered_set<uint64_t> alongside;
      if (win.rows == 1 && waveRows > 1)
        for (uint64_t r = 1; r < std::min(waveRows, totalRows - start / rowBlocks); ++r)
          for (uint64_t j = 0; j < std::min<uint64_t>(len, 2); ++j) {
            if (rt::Status s = runner.run(start + r * rowBlocks + j, lines, Tracer::Detail::Lines);
                !s.ok())
              return s;
            for (LineEvent e : lines.events)
              alongside.insert(eventLine(e));
          }
      // Lines a block adds that no block before or beside it touched, as
      // the wave's blocks share them: the window's fresh lines per block.
      size_t fresh = 0;
      for (uint64_t line : windowLines)
        fresh += !seen.count(line) && !alongside.count(line);
      const double linesPerBlock = double(fresh) / double(ids.size());
      // Periodic predecessors beyond the warm-up: the same blocks one row
      // (blockIdx.y) and one plane (blockIdx.z) back, which often load what
      // the window reloads (a GEMM's A tiles, one row of blocks per N tile).
      // Their lines enter the L2 as far back as the blocks between would
      // have pushed them: that many blocks times the warm-up's distinct lines
      // per block.
      std::vector<std::pair<std::vector<LineEvent>, double>> distant; // lines, distance
      for (uint64_t period : {tracer.gridX(), tracer.gridX() * tracer.gridY()}) {
        if (period >= blocks || start < period || start - period >= next)
          continue;
        std::vector<LineEvent> lines0;
        for (uint64_t b = start - period; b < std::min(next, start - period + len); ++b) {
          if (rt::Status s = runner.run(b, lines, Tracer::Detail::Lines); !s.ok())
            return s;
          lines0.insert(lines0.end(), lines.events.begin(), lines.events.end());
        }
        const double between = double(next) - double(start - period) - double(len) / 2;
        distant.emplace_back(std::move(lines0), std::max(0.0, between) * linesPerBlock);
      }
      size_t accesses = stream.size() + beside.size();
      for (const auto &events : warmup)
        accesses += events.size();
      // The rest of the wave stretches distances inside the window by the
      // lines it touches meanwhile: the window's lines times (wave -
      // window) / window, counting only the share no earlier block touched
      // (weights and neighbours' tiles are not new lines).
      const double share = windowLines.empty() ? 0 : double(fresh) / double(windowLines.size());
      const double inWindow = double(std::min<uint64_t>(wave, ids.size()));
      const double others = double(std::min(wave, blocks)) - inWindow;
      WindowL2 l2(options.l2Bytes, 1.0 + std::max(0.0, others) / inWindow * share, accesses);
      // The nearer predecessor first: a line both loaded stays at the nearer distance.
      std::sort(distant.begin(), distant.end(),
                [](const auto &a, const auto &b) { return a.second < b.second; });
      for (const auto &[events, distance] : distant)
        for (LineEvent e : events)
          l2.accessDistant(e, distance);
      for (auto it = warmup.rbegin(); it != warmup.rend(); ++it)
        for (LineEvent e : *it)
          l2.access(e);
      for (LineEvent e : beside)
        l2.access(e);
      l2.beginWindow();
      const uint64_t readsBefore = l2.dramReadSectors, writesBefore = l2.dirtiedSectors;
      for (LineEvent e : stream)
        l2.access(e);
      const uint64_t reads = l2.dramReadSectors - readsBefore;
      const uint64_t writes = l2.dirtiedSectors - writesBefore;
      const std::array<double, 3> got = {double(reads), double(writes), newSectors(stream, seen)};
      if (w == 0) {
        cold = got;
        if (!coldIsSample)
          continue;
      }
      for (int i = 0; i < 3; ++i)
        sum[stratum][i] += got[i];
      measured[stratum] += double(ids.size());
    }
    const std::array<double, 2> size = {rows ? double(rowBlocks) : 0.0,
                                        double(blocks) - (rows ? double(rowBlocks) : 0.0)};
    double result[3];
    for (int i = 0; i < 3; ++i) {
      const double rate0 = measured[0] > 0 ? sum[0][i] / measured[0] : 0;
      const double rate1 = measured[1] > 0 ? sum[1][i] / measured[1] : rate0;
      const double coldRate = plan[0].stratum == 0 ? rate0 : rate1;
      // The cold window's excess over its stratum's warm rate happens once
      // (already in when the cold window is the stratum's sample).
      const double once =
          coldIsSample ? 0 : std::max(0.0, cold[i] - double(plan[0].length) * coldRate);
      result[i] = 32.0 * (once + size[0] * rate0 + size[1] * rate1);
    }
    out.dramReadBytes = result[0];
    out.dramWriteBytes = result[1];
    out.distinctBytes = result[2];
    out.blocksRun = runner.blocksRun;
  }
  out.globalLoad = total.globalLoad;
  out.globalStore = total.globalStore;
  out.sharedLoad = total.sharedLoad;
  out.sharedStore = total.sharedStore;
  out.mmaFlops = total.mmaFlops;
  out.sites = tracer.numSites();
  out.recordsRun = tracer.totalRecords();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return out;
}

} // namespace ssmc::perf
