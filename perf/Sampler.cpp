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
  if (to.byOperand.size() < from.byOperand.size())
    to.byOperand.resize(from.byOperand.size());
  for (size_t i = 0; i < from.byOperand.size(); ++i)
    to.byOperand[i].add(from.byOperand[i], weight);
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
  /// Blocks in `alongside` run with the others (in issue order, like all)
  /// but their events are marked uncountedEvent() and their statistics left
  /// out.
  rt::Status together(const std::vector<uint64_t> &ids, BlockTrace &stats,
                      std::vector<LineEvent> &stream,
                      const std::unordered_set<uint64_t> &alongside = {}) {
    traces_.resize(ids.size());
    size_t longest = 0, total = 0;
    for (size_t i = 0; i < ids.size(); ++i) {
      const uint64_t b = ids[i];
      BlockTrace &t = traces_[i];
      if (rt::Status s = run(b, t, Tracer::Detail::Full); !s.ok())
        return s;
      if (!alongside.count(b))
        addStats(stats, t);
      else
        for (LineEvent &e : t.events)
          e = uncountedEvent(e);
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
    fresh += eventCounted(e) * std::popcount(eventSectors(e) & ~unsigned(mask));
    mask |= uint8_t(eventSectors(e));
  }
  return fresh;
}

/// The whole grid, wave after wave, through a cold L2: exact for the model.
rt::Status traceWhole(Tracer &tracer, BlockRunner &runner, const SampleOptions &options,
                      uint64_t wave, BlockTrace &total, KernelTraffic &out) {
  const uint64_t blocks = tracer.numBlocks();
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
  return rt::Status::success();
}

/// Request statistics from a stratified sample. Edge blocks differ from
/// interior ones (a tail tile stores less, the first row of a GEMM does the
/// results that read no linear), so each grid dimension splits into first /
/// interior / last; each class of blocks is sampled in proportion to its
/// size (at least two where it has them), spread by goldenPosition, and its
/// blocks stand for the class.
rt::Status sampleRequests(Tracer &tracer, BlockRunner &runner, const SampleOptions &options,
                          double perBlock, BlockTrace &total) {
  const uint64_t blocks = tracer.numBlocks();
  const uint64_t wanted = std::clamp<uint64_t>(uint64_t(double(options.statsRecords) / perBlock),
                                               std::min<uint64_t>(blocks, 16), blocks);
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
  return rt::Status::success();
}

/// Strata of the DRAM estimate. A grid of several rows (blockIdx.y or z)
/// has its first row apart, since its blocks often do more (the GEMM's
/// results that read no linear) or load first what later rows reuse. Where
/// a wave spans several rows, the first column of the other rows is apart
/// too: its blocks load first what the rest of their row shares (a GEMM's
/// A tile), and a window of a few columns would otherwise see that either
/// always or never. A one-row grid is one stratum (kRest).
enum Stratum { kFirstRow, kFirstColumn, kRest, kStrata };

struct GridShape {
  uint64_t blocks, wave;
  uint64_t rowBlocks, totalRows; ///< gridDim.x, blocks / gridDim.x
  uint64_t waveRows;             ///< rows a wave spans (1: a wave within a row)
  bool rows() const { return totalRows > 1; }
  bool firstColumnApart() const { return rows() && waveRows > 1 && rowBlocks > 1; }
  double size(Stratum s) const {
    const double first = rows() ? double(rowBlocks) : 0.0;
    const double column = firstColumnApart() ? double(totalRows - 1) : 0.0;
    return s == kFirstRow ? first : s == kFirstColumn ? column : double(blocks) - first - column;
  }
};

/// Blocks that run together: `length` consecutive blocks in each of `rows`
/// rows `rowStride` apart (1 row: a run of consecutive blocks).
struct Window {
  uint64_t start, length, rows = 1, rowStride = 0;
  Stratum stratum;
  std::vector<uint64_t> blocks() const {
    std::vector<uint64_t> ids;
    for (uint64_t r = 0; r < rows; ++r)
      for (uint64_t j = 0; j < length; ++j)
        ids.push_back(start + r * rowStride + j);
    return ids;
  }
};

/// The cold window at block 0 first (it measures the one-time misses:
/// weights, the first tiles), then one in the middle of the first row where
/// it is long enough, one down the first column where that is a stratum,
/// and the rest spread over the grid. Where a wave spans several rows, a
/// window beyond the first row is a rectangle: the same columns in as many
/// rows as a wave holds, since those blocks run together and share what
/// their column loads.
std::vector<Window> planWindows(const GridShape &g, uint64_t length, unsigned windows) {
  std::vector<Window> plan = {{0, length, 1, 0, g.rows() ? kFirstRow : kRest}};
  unsigned rest = windows - 1;
  if (g.rows() && g.rowBlocks >= 3 * length) {
    plan.push_back({g.rowBlocks / 2 - length / 2, length, 1, 0, kFirstRow});
    --rest;
  }
  // Rows from `row` down that run in the same wave as column `column` of
  // `row` (a wave runs its blocks in the same progress steps), at most a
  // wave's rows.
  auto heightAt = [&](uint64_t row, uint64_t column, uint64_t width) {
    const uint64_t wave = (row * g.rowBlocks + column) / g.wave;
    uint64_t height = 1;
    while (height < g.waveRows && row + height < g.totalRows &&
           ((row + height) * g.rowBlocks + column + width - 1) / g.wave == wave)
      ++height;
    return height;
  };
  if (g.firstColumnApart()) {
    const uint64_t row = 1 + (g.totalRows - 1 - std::min(g.waveRows, g.totalRows - 1)) / 2;
    plan.push_back({row * g.rowBlocks, 1, heightAt(row, 0, 1), g.rowBlocks, kFirstColumn});
    --rest;
  }
  const uint64_t from = g.rows() ? g.rowBlocks : length;
  if (g.blocks - from < length * rest)
    rest = unsigned(std::max<uint64_t>(1, (g.blocks - from) / length));
  const uint64_t firstColumn = g.firstColumnApart() ? 1 : 0;
  for (unsigned w = 0; w < rest; ++w) {
    const uint64_t start = from + (g.blocks - from - length) * (2 * w + 1) / (2 * rest);
    if (g.waveRows == 1) {
      plan.push_back({start, length, 1, 0, kRest});
      continue;
    }
    // A rectangle: the same columns in the rows of its wave below.
    const uint64_t row = std::max<uint64_t>(1, start / g.rowBlocks);
    const uint64_t column0 = std::max(start % g.rowBlocks, firstColumn);
    const uint64_t height = heightAt(row, column0, 1);
    const uint64_t width = std::min(g.rowBlocks - column0, std::max<uint64_t>(1, length / height));
    plan.push_back({row * g.rowBlocks + column0, width, heightAt(row, column0, width),
                    g.rowBlocks, kRest});
  }
  return plan;
}

/// One window's DRAM reads, write-backs and first-seen sectors (in
/// sectors), after the warm-up its position implies.
rt::Expected<std::array<double, 3>> measureWindow(Tracer &tracer, BlockRunner &runner,
                                                 const SampleOptions &options,
                                                 const GridShape &g, const Window &win,
                                                 uint64_t warmupBudget,
                                                 KernelTraffic &out) {
  const uint64_t start = win.start, len = win.length, blocks = g.blocks;
  // The same columns one row (blockIdx.y) and one plane (blockIdx.z) back
  // load what the window then shares (a GEMM's A tile for the next N
  // tile). In the same wave they run alongside the window, in the same
  // progress steps: they run with it, uncounted (`ahead`). In an earlier
  // wave they are periodic predecessors (`behind`, below).
  std::vector<uint64_t> ids = win.blocks();
  const size_t counted = ids.size();
  const std::unordered_set<uint64_t> member(ids.begin(), ids.end());
  std::unordered_set<uint64_t> ahead;
  std::vector<std::pair<uint64_t, std::vector<uint64_t>>> behind; // period, blocks
  for (uint64_t period : {tracer.gridX(), tracer.gridX() * tracer.gridY()}) {
    if (period >= blocks)
      continue;
    behind.push_back({period, {}});
    for (size_t i = 0; i < counted; ++i) {
      if (ids[i] < period || member.count(ids[i] - period))
        continue;
      const uint64_t before = ids[i] - period;
      if (before / g.wave == ids[i] / g.wave)
        ahead.insert(before);
      else
        behind.back().second.push_back(before);
    }
  }
  // The blocks just before a one-row window in its own wave run with it
  // too: a wave's blocks share what every block reads (a panel GEMM's whole
  // weight) at the same progress, not one after another as a warm-up would
  // have it, where the rest of the wave's lines would push it out between.
  uint64_t next = start; // the earliest block run so far
  if (win.rows == 1)
    for (uint64_t b = start; b > start / g.wave * g.wave && start - b < std::max<uint64_t>(len, 2);
         --b)
      if (!member.count(b - 1) && ahead.insert(b - 1).second)
        next = b - 1;
  ids.insert(ids.end(), ahead.begin(), ahead.end());
  std::sort(ids.begin(), ids.end());
  std::vector<LineEvent> stream;
  BlockTrace lines, ignored;
  if (rt::Status s = runner.together(ids, ignored, stream, ahead); !s.ok())
    return s;
  out.blocksMeasured += counted;

  // Warm-up: the blocks before the window, latest first, until they hold as
  // many distinct lines as the L2 (older uses cannot hit), the grid's start,
  // the budget, or (after `enough` blocks) a doubling that brings no line
  // the window uses. Then the warm-up in issue order and the window through
  // the L2.
  std::unordered_set<uint64_t> windowLines;
  for (LineEvent e : stream)
    windowLines.insert(eventLine(e));
  std::unordered_map<uint64_t, uint8_t> seen; // warm-up lines and their sectors
  std::vector<std::vector<LineEvent>> warmup; // latest block first
  const uint64_t recordsBefore = tracer.totalRecords();
  const uint64_t enough = std::min(g.wave, 4 * len);
  const uint64_t capacity = options.l2Bytes / 128;
  for (uint64_t chunk = std::min(next, len); chunk > 0 && seen.size() < capacity;
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
  // A rectangle's lower rows: their own left neighbours, which run in the
  // same wave (the row's weights tile, the halo), as the most recent warm-up.
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
  // columns in the rows below run with it, and what they touch too is not
  // the rest of the wave's own pressure.
  std::unordered_set<uint64_t> alongside;
  if (win.rows == 1 && g.waveRows > 1)
    for (uint64_t r = 1; r < std::min(g.waveRows, g.totalRows - start / g.rowBlocks); ++r)
      for (uint64_t j = 0; j < std::min<uint64_t>(len, 2); ++j) {
        if (rt::Status s = runner.run(start + r * g.rowBlocks + j, lines, Tracer::Detail::Lines);
            !s.ok())
          return s;
        for (LineEvent e : lines.events)
          alongside.insert(eventLine(e));
      }
  // Lines a block adds that no block before or beside it touched, as the
  // wave's blocks share them: the window's own (counted) fresh lines per
  // block, since the window has the wave's shape (rows sharing a tile)
  // and the blocks alongside it do not.
  std::unordered_set<uint64_t> freshLines, shared;
  for (LineEvent e : stream)
    if (!eventCounted(e))
      shared.insert(eventLine(e)); // what the blocks running alongside read too
  for (LineEvent e : stream)
    if (eventCounted(e) && !seen.count(eventLine(e)) && !alongside.count(eventLine(e)) &&
        !shared.count(eventLine(e)))
      freshLines.insert(eventLine(e));
  const double linesPerBlock = double(freshLines.size()) / double(counted);
  // Periodic predecessors in earlier waves, beyond the warm-up: their
  // lines enter the L2 as far back as the blocks between would have pushed
  // them: that many blocks times the window's fresh lines per block.
  std::vector<std::pair<std::vector<LineEvent>, double>> distant; // lines, distance
  for (auto &[period, before] : behind) {
    std::erase_if(before, [&](uint64_t b) { return b >= next; }); // in the warm-up
    if (before.empty())
      continue;
    std::vector<LineEvent> lines0;
    double mean = 0;
    for (uint64_t b : before) {
      if (rt::Status s = runner.run(b, lines, Tracer::Detail::Lines); !s.ok())
        return s;
      lines0.insert(lines0.end(), lines.events.begin(), lines.events.end());
      mean += double(b) / double(before.size());
    }
    const double between = double(next) - mean;
    distant.emplace_back(std::move(lines0), std::max(0.0, between) * linesPerBlock);
  }
  size_t accesses = stream.size() + beside.size();
  for (const auto &events : warmup)
    accesses += events.size();
  // The rest of the wave stretches distances inside the window by the lines
  // it touches meanwhile: the window's lines times (wave - window) /
  // window, counting only the share no earlier block touched (weights and
  // neighbours' tiles are not new lines).
  const double simulated = double(std::min<uint64_t>(g.wave, ids.size()));
  const double others = std::max(0.0, double(std::min(g.wave, blocks)) - simulated);
  const double concurrency =
      windowLines.empty() ? 1.0 : 1.0 + others * linesPerBlock / double(windowLines.size());
  WindowL2 l2(options.l2Bytes, concurrency, accesses);
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
  return std::array<double, 3>{double(l2.dramReadSectors - readsBefore),
                               double(l2.dirtiedSectors - writesBefore),
                               newSectors(stream, seen)};
}

/// DRAM bytes from windows of blocks that run together, per stratum; the
/// cold window's excess over its stratum's warm rate counts once.
rt::Status sampleDram(Tracer &tracer, BlockRunner &runner, const SampleOptions &options,
                      double perBlock, uint64_t wave, KernelTraffic &out) {
  const unsigned windows = std::max(3u, options.windows);
  GridShape g;
  g.blocks = tracer.numBlocks();
  g.wave = wave;
  g.rowBlocks = tracer.gridX();
  g.totalRows = g.blocks / g.rowBlocks;
  g.waveRows = g.rows() && g.rowBlocks < wave ? (wave + g.rowBlocks - 1) / g.rowBlocks : 1;
  const uint64_t length =
      std::clamp<uint64_t>(uint64_t(double(options.windowRecords) / (windows * perBlock)), 1,
                           std::min(wave, g.blocks / windows));
  const std::vector<Window> plan = planWindows(g, length, windows);
  const uint64_t warmupBudget = options.warmupRecords / plan.size();

  std::array<std::array<double, 3>, kStrata> sum{}; // reads, write-backs, new sectors
  std::array<double, kStrata> measured{};           // blocks
  std::array<double, 3> cold{};
  // The cold window counts as its stratum's sample only when the stratum
  // has no warm window of its own (a first row too short for one).
  const bool coldIsSample = g.rows() && !(plan.size() > 1 && plan[1].stratum == kFirstRow);
  for (size_t w = 0; w < plan.size(); ++w) {
    auto got = measureWindow(tracer, runner, options, g, plan[w], warmupBudget, out);
    if (!got)
      return got.status();
    if (w == 0) {
      cold = *got;
      if (!coldIsSample)
        continue;
    }
    for (int i = 0; i < 3; ++i)
      sum[plan[w].stratum][i] += (*got)[i];
    measured[plan[w].stratum] += double(plan[w].blocks().size());
  }
  double result[3];
  for (int i = 0; i < 3; ++i) {
    std::array<double, kStrata> rate{};
    rate[kFirstRow] = measured[kFirstRow] > 0 ? sum[kFirstRow][i] / measured[kFirstRow] : 0;
    rate[kRest] = measured[kRest] > 0 ? sum[kRest][i] / measured[kRest] : rate[kFirstRow];
    rate[kFirstColumn] =
        measured[kFirstColumn] > 0 ? sum[kFirstColumn][i] / measured[kFirstColumn] : rate[kRest];
    // Already in when the cold window is its stratum's sample.
    const double once =
        coldIsSample
            ? 0
            : std::max(0.0, cold[i] - double(plan[0].length) * rate[plan[0].stratum]);
    result[i] = once;
    for (int s = 0; s < kStrata; ++s)
      result[i] += g.size(Stratum(s)) * rate[s];
    result[i] *= 32.0;
  }
  out.dramReadBytes = result[0];
  out.dramWriteBytes = result[1];
  out.distinctBytes = result[2];
  out.blocksRun = runner.blocksRun;
  return rt::Status::success();
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
    if (rt::Status s = traceWhole(tracer, runner, options, wave, total, out); !s.ok())
      return s;
  } else {
    out.sampled = true;
    BlockRunner runner(tracer, options,
                       options.statsRecords + options.windowRecords + options.warmupRecords / 2);
    if (rt::Status s = sampleRequests(tracer, runner, options, perBlock, total); !s.ok())
      return s;
    if (rt::Status s = sampleDram(tracer, runner, options, perBlock, wave, out); !s.ok())
      return s;
  }
  out.globalLoad = total.globalLoad;
  out.globalStore = total.globalStore;
  out.sharedLoad = total.sharedLoad;
  out.sharedStore = total.sharedStore;
  out.byOperand = total.byOperand;
  out.mmaFlops = total.mmaFlops;
  out.sites = tracer.numSites();
  out.recordsRun = tracer.totalRecords();
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  return out;
}

} // namespace ssmc::perf
