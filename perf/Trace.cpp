//===- Trace.cpp - a kernel's memory accesses, block by block -------------===//

#include "Trace.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <map>

namespace ssmc::perf {
namespace {
// The trace ABI of perf/HostShim.h (SsmcTraceRecord, SsmcTraceFlag,
// SsmcTraceState): keep the two in step.
struct TraceRecord {
  uint64_t addr;
  uint32_t site;
  uint8_t size;
  uint8_t flags;
  uint16_t unused;
};
static_assert(sizeof(TraceRecord) == 16);
enum : uint8_t { kWrite = 1, kShared = 2, kBarrier = 4, kMma = 8, kStep = 16 };
constexpr int kMaxRanges = 40, kMaxGlobalRanges = 32;
struct TraceState {
  TraceRecord *records;
  uint64_t count, capacity;
  int overflow;
  int ranges;
  uint64_t lo[kMaxRanges], hi[kMaxRanges];
  uint8_t shared[kMaxRanges];
  uint64_t below, above;
};

int widthSlot(unsigned bytes) {
  return bytes <= 1 ? 0 : bytes <= 2 ? 1 : bytes <= 4 ? 2 : bytes <= 8 ? 3 : 4;
}

struct Access {
  uint64_t addr;
  uint32_t size;
  uint32_t lane;
};

/// A warp-wide request under construction.
struct Request {
  uint32_t phase;
  uint8_t flags;
  uint32_t begin = 0, count = 0; // into the sorted accesses
};
/// What one request added to `after` since `before`.
RequestStats requestStatsDelta(const RequestStats &after, const RequestStats &before) {
  RequestStats d = after;
  d.add(before, -1.0);
  return d;
}

} // namespace

struct Tracer::Record : TraceRecord {};

void RequestStats::add(const RequestStats &o, double weight) {
  requests += weight * o.requests;
  sectors += weight * o.sectors;
  lines += weight * o.lines;
  bytesRequested += weight * o.bytesRequested;
  bytesUsed += weight * o.bytesUsed;
  wavefronts += weight * o.wavefronts;
  idealWavefronts += weight * o.idealWavefronts;
  for (size_t i = 0; i < byWidth.size(); ++i)
    byWidth[i] += weight * o.byWidth[i];
}

Tracer::Tracer(const HostKernel &kernel, std::vector<void *> args,
               std::vector<std::pair<const void *, const void *>> globals,
               std::array<unsigned, 3> grid, unsigned block, size_t smemBytes)
    : args_(std::move(args)), globals_(std::move(globals)), grid_(grid), block_(block),
      smem_(smemBytes) {
  state_ = kernel.symbol("ssmc_trace");
  launch_ = reinterpret_cast<decltype(launch_)>(kernel.symbol("ssmc_trace_launch"));
  thread_ = reinterpret_cast<decltype(thread_)>(kernel.symbol("ssmc_trace_thread"));
  records_.resize(sizeof(TraceRecord) << 20);
}

rt::Status Tracer::runBlock(uint64_t linear, BlockTrace &out, Detail detail) {
  if (!state_ || !launch_ || !thread_)
    return rt::Status::error("the kernel library was not built in trace mode");
  if (globals_.size() > kMaxGlobalRanges)
    return rt::Status::error(fmt::format("{} device buffers: the tracer takes at most {}",
                                         globals_.size(), kMaxGlobalRanges));
  auto &state = *static_cast<TraceState *>(state_);
  const unsigned bx = unsigned(linear % grid_[0]);
  const unsigned by = unsigned(linear / grid_[0] % grid_[1]);
  const unsigned bz = unsigned(linear / grid_[0] / grid_[1]);
  std::vector<size_t> threadStart(block_ + 1);
  while (true) {
    state.records = reinterpret_cast<TraceRecord *>(records_.data());
    state.capacity = records_.size() / sizeof(TraceRecord);
    state.count = 0;
    state.overflow = 0;
    state.ranges = 0;
    for (auto [lo, hi] : globals_) {
      state.lo[state.ranges] = reinterpret_cast<uint64_t>(lo);
      state.hi[state.ranges] = reinterpret_cast<uint64_t>(hi);
      state.shared[state.ranges++] = 0;
    }
    launch_(grid_.data(), block_, smem_); // adds the shared ranges
    for (unsigned t = 0; t < block_ && !state.overflow; ++t) {
      threadStart[t] = state.count;
      thread_(args_.data(), bx, by, bz, t);
    }
    threadStart[block_] = state.count;
    if (!state.overflow)
      break;
    if (records_.size() >= (size_t(1) << 34))
      return rt::Status::error("one block made more than a billion memory accesses");
    records_.resize(records_.size() * 2); // and run the block again
  }
  lastRecords_ = state.count;
  totalRecords_ += state.count;
  out.globalLoad = out.globalStore = out.sharedLoad = out.sharedStore = RequestStats();
  out.byOperand.assign(operands_.size(), RequestStats());
  out.mmaFlops = 0;
  out.events.clear();
  if (detail == Detail::Lines)
    linesOnly(out);
  else
    process(threadStart, out);
  return rt::Status::success();
}

void Tracer::linesOnly(BlockTrace &out) {
  const auto *records = reinterpret_cast<const TraceRecord *>(records_.data());
  const uint64_t count = static_cast<const TraceState *>(state_)->count;
  if (lineSet_.size() < 2 * count + 64 || ++generation_ == 0) {
    lineSet_.assign(std::bit_ceil(2 * count + 64), LineSlot{0, 0, 0, 0});
    generation_ = 1;
  }
  const uint64_t mask = lineSet_.size() - 1;
  std::vector<uint64_t> order;
  for (uint64_t i = 0; i < count; ++i) {
    const TraceRecord &r = records[i];
    if (r.flags & (kShared | kBarrier | kMma | kStep))
      continue;
    for (uint64_t sector = r.addr >> 5; sector <= (r.addr + r.size - 1) >> 5; ++sector) {
      const uint64_t line = sector >> 2;
      uint64_t h = (line * 0x9e3779b97f4a7c15ULL) >> 20 & mask;
      while (lineSet_[h].generation == generation_ && lineSet_[h].line != line)
        h = (h + 1) & mask;
      LineSlot &slot = lineSet_[h];
      if (slot.generation != generation_) {
        slot = {line, generation_, 0, 0};
        order.push_back(h);
      }
      (r.flags & kWrite ? slot.written : slot.read) |= uint8_t(1u << (sector & 3));
    }
  }
  for (uint64_t h : order) {
    const LineSlot &slot = lineSet_[h];
    if (slot.read)
      out.events.push_back(lineEvent(slot.line, slot.read, false));
    if (slot.written)
      out.events.push_back(lineEvent(slot.line, slot.written, true));
  }
}

int Tracer::operandOf(uint64_t addr, bool write) const {
  int any = -1;
  for (size_t i = 0; i < operands_.size(); ++i) {
    const Operand &o = operands_[i];
    if (addr < reinterpret_cast<uint64_t>(o.begin) || addr >= reinterpret_cast<uint64_t>(o.end))
      continue;
    if (o.written == write)
      return int(i);
    if (any < 0)
      any = int(i);
  }
  return any;
}

uint32_t Tracer::siteOf(uint32_t site) {
  auto &slot = siteCache_[(site ^ (site >> 8)) & 255];
  if (slot.first == site + 1)
    return slot.second;
  auto [it, fresh] = siteIndex_.try_emplace(site, uint32_t(siteIndex_.size()));
  slot = {site + 1, it->second};
  return it->second;
}

void Tracer::process(const std::vector<size_t> &threadStart, BlockTrace &out) {
  const auto *records = reinterpret_cast<const TraceRecord *>(records_.data());
  const unsigned warps = (block_ + 31) / 32;
  // Per warp: its global requests' line events, each tagged with its phase.
  struct WarpEvents {
    std::vector<uint32_t> phaseOf;      // per global request
    std::vector<uint32_t> eventBegin;   // per global request, plus the end
    std::vector<LineEvent> events;
  };
  std::vector<WarpEvents> perWarp(warps);
  uint32_t maxPhase = 0;

  // (group, site) -> its requests by occurrence. A group is a barrier
  // phase, or a loop step in one (kStep: the lanes' accesses after the same
  // step id go together, whatever each skipped in the steps before).
  std::map<std::pair<uint32_t, uint64_t>, uint32_t> groupOf;
  const auto groupFor = [&](uint32_t phase, uint64_t step) {
    return groupOf.try_emplace({phase, step}, uint32_t(groupOf.size())).first->second;
  };
  std::vector<int32_t> idOf;
  std::vector<std::vector<uint32_t>> requestsOf;
  std::vector<uint32_t> occurrence;
  std::vector<uint32_t> touched;
  std::vector<Request> requests;
  std::vector<uint32_t> requestOf; // per access
  std::vector<Access> accesses, sorted;
  std::vector<uint32_t> offsets;
  std::vector<uint64_t> words;
  std::vector<std::pair<uint64_t, uint64_t>> spans;

  for (unsigned w = 0; w < warps; ++w) {
    const unsigned firstLane = 32 * w, lanes = std::min(32u, block_ - firstLane);
    groupOf.clear();
    idOf.clear();
    requestsOf.clear();
    occurrence.clear();
    requests.clear();
    requestOf.clear();
    accesses.clear();
    size_t sites = std::max<size_t>(siteIndex_.size(), 64);
    for (unsigned l = 0; l < lanes; ++l) {
      for (uint32_t id : touched)
        occurrence[id] = 0;
      touched.clear();
      uint32_t phase = 0, group = groupFor(0, 0);
      for (size_t i = threadStart[firstLane + l]; i < threadStart[firstLane + l + 1]; ++i) {
        const TraceRecord &r = records[i];
        if (r.flags & kBarrier) {
          group = groupFor(++phase, 0);
          continue;
        }
        if (r.flags & kStep) {
          group = groupFor(phase, r.addr);
          continue;
        }
        if (r.flags & kMma) {
          out.mmaFlops += double(r.addr);
          continue;
        }
        const uint32_t siteIndex = siteOf(r.site);
        if (siteIndex >= sites) { // more sites than the table has columns: rebuild it
          std::vector<int32_t> wider(idOf.size() / sites * (2 * sites), -1);
          for (size_t k = 0; k < idOf.size(); ++k)
            wider[k / sites * 2 * sites + k % sites] = idOf[k];
          idOf.swap(wider);
          sites *= 2;
        }
        const size_t key = size_t(group) * sites + siteIndex;
        if (key >= idOf.size())
          idOf.resize((size_t(group) + 1) * sites, -1);
        if (idOf[key] < 0) {
          idOf[key] = int32_t(requestsOf.size());
          requestsOf.emplace_back();
          occurrence.push_back(0);
        }
        const uint32_t id = uint32_t(idOf[key]);
        if (occurrence[id] == 0)
          touched.push_back(id);
        const uint32_t n = occurrence[id]++;
        std::vector<uint32_t> &list = requestsOf[id];
        if (n == list.size()) {
          list.push_back(uint32_t(requests.size()));
          requests.push_back({phase, uint8_t(r.flags & (kWrite | kShared))});
        }
        requestOf.push_back(list[n]);
        accesses.push_back({r.addr, r.size, l});
        maxPhase = std::max(maxPhase, phase);
      }
    }
    // Group the accesses by request (counting sort, stable).
    offsets.assign(requests.size() + 1, 0);
    for (uint32_t q : requestOf)
      ++offsets[q + 1];
    for (size_t q = 0; q < requests.size(); ++q) {
      requests[q].begin = offsets[q];
      requests[q].count = offsets[q + 1];
      offsets[q + 1] += offsets[q];
    }
    sorted.resize(accesses.size());
    {
      std::vector<uint32_t> fill(offsets.begin(), offsets.end() - 1);
      for (size_t i = 0; i < accesses.size(); ++i)
        sorted[fill[requestOf[i]]++] = accesses[i];
    }

    WarpEvents &we = perWarp[w];
    for (const Request &q : requests) {
      const Access *a = sorted.data() + q.begin;
      unsigned widest = 0;
      double asked = 0;
      for (uint32_t i = 0; i < q.count; ++i) {
        widest = std::max(widest, a[i].size);
        asked += a[i].size;
      }
      if (q.flags & kShared) {
        RequestStats &s = q.flags & kWrite ? out.sharedStore : out.sharedLoad;
        s.requests += 1;
        s.bytesRequested += asked;
        s.byWidth[widthSlot(widest)] += 1;
        // 4-byte accesses are served a warp at a time, wider ones a half
        // warp at a time: a half warp's distinct words in as many
        // wavefronts as the most-used bank needs. So a contiguous LDS.128
        // takes 4 (ideal), one address read by every lane (a broadcast)
        // 2, lanes 0-15 at one address and 16-31 at another 2, and lanes
        // i and i + 16 at offset 32 i (2-way conflicts) 8, as Nsight
        // Compute counts them on sm_86 and sm_90 (NVIDIA developer forum
        // thread 373160, "Does SMEM broadcast across quarter-warps?").
        const unsigned group = widest <= 4 ? 32 : 16;
        for (unsigned g = 0; g < 32; g += group) {
          words.clear();
          for (uint32_t i = 0; i < q.count; ++i)
            if (a[i].lane >= g && a[i].lane < g + group)
              for (uint64_t b = a[i].addr >> 2; b <= (a[i].addr + a[i].size - 1) >> 2; ++b)
                words.push_back(b);
          if (words.empty())
            continue;
          std::sort(words.begin(), words.end());
          words.erase(std::unique(words.begin(), words.end()), words.end());
          unsigned perBank[32] = {};
          unsigned worst = 0;
          for (uint64_t word : words)
            worst = std::max(worst, ++perBank[word & 31]);
          s.wavefronts += worst;
          s.idealWavefronts += double((words.size() + 31) / 32);
          s.bytesUsed += 4.0 * double(words.size());
        }
        continue;
      }
      RequestStats &s = q.flags & kWrite ? out.globalStore : out.globalLoad;
      const RequestStats before = s;
      s.requests += 1;
      s.bytesRequested += asked;
      s.byWidth[widthSlot(widest)] += 1;
      spans.clear();
      for (uint32_t i = 0; i < q.count; ++i)
        spans.emplace_back(a[i].addr, a[i].addr + a[i].size);
      std::sort(spans.begin(), spans.end());
      int64_t lastSector = -1;
      uint64_t curLine = ~uint64_t(0), end = 0;
      unsigned mask = 0;
      we.phaseOf.push_back(q.phase);
      we.eventBegin.push_back(uint32_t(we.events.size()));
      for (auto [lo, hi] : spans) {
        // distinct bytes: the union of the lanes' spans
        const uint64_t from = std::max(lo, end);
        if (hi > from)
          s.bytesUsed += double(hi - from);
        end = std::max(end, hi);
        for (uint64_t sector = lo >> 5; sector <= (hi - 1) >> 5; ++sector) {
          if (int64_t(sector) <= lastSector)
            continue;
          lastSector = int64_t(sector);
          s.sectors += 1;
          if ((sector >> 2) != curLine) {
            if (curLine != ~uint64_t(0)) {
              s.lines += 1;
              we.events.push_back(lineEvent(curLine, mask, q.flags & kWrite));
            }
            curLine = sector >> 2;
            mask = 0;
          }
          mask |= 1u << (sector & 3);
        }
      }
      if (curLine != ~uint64_t(0)) {
        s.lines += 1;
        we.events.push_back(lineEvent(curLine, mask, q.flags & kWrite));
      }
      if (!operands_.empty()) {
        const int operand = operandOf(spans.front().first, q.flags & kWrite);
        if (operand >= 0)
          out.byOperand[size_t(operand)].add(requestStatsDelta(s, before));
      }
    }
    we.eventBegin.push_back(uint32_t(we.events.size()));
  }
  // The block's stream: phase by phase, the warps' requests in turn.
  std::vector<size_t> next(warps, 0);
  for (uint32_t phase = 0; phase <= maxPhase; ++phase)
    for (bool any = true; any;) {
      any = false;
      for (unsigned w = 0; w < warps; ++w) {
        WarpEvents &we = perWarp[w];
        size_t &q = next[w];
        if (q < we.phaseOf.size() && we.phaseOf[q] == phase) {
          out.events.insert(out.events.end(), we.events.begin() + we.eventBegin[q],
                            we.events.begin() + we.eventBegin[q + 1]);
          ++q;
          any = true;
        }
      }
    }
}

} // namespace ssmc::perf
