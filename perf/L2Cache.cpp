//===- L2Cache.cpp - a sectored LRU model of a GPU's L2 -------------------===//

#include "L2Cache.h"

#include <bit>

namespace ssmc::perf {
namespace {
uint64_t hashLine(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  return x;
}
} // namespace

L2Cache::L2Cache(uint64_t bytes) : capacity_(bytes / 128 ? bytes / 128 : 1) {
  line_.resize(capacity_);
  valid_.resize(capacity_);
  dirty_.resize(capacity_);
  prev_.resize(capacity_);
  next_.resize(capacity_);
  table_.assign(std::bit_ceil(2 * capacity_), kNone);
  mask_ = table_.size() - 1;
}

uint32_t L2Cache::find(uint64_t line) const {
  for (uint64_t h = hashLine(line) & mask_;; h = (h + 1) & mask_) {
    const uint32_t slot = table_[h];
    if (slot == kNone || line_[slot] == line)
      return slot;
  }
}

bool L2Cache::contains(uint64_t line) const { return find(line) != kNone; }

void L2Cache::eraseFromTable(uint64_t line) {
  uint64_t h = hashLine(line) & mask_;
  while (line_[table_[h]] != line)
    h = (h + 1) & mask_;
  // Backward shift: pull later entries of the probe run into the hole.
  for (uint64_t j = (h + 1) & mask_; table_[j] != kNone; j = (j + 1) & mask_) {
    const uint64_t home = hashLine(line_[table_[j]]) & mask_;
    // Does j's entry belong at or before the hole h (cyclically)?
    const bool movable = ((j - home) & mask_) >= ((j - h) & mask_);
    if (movable) {
      table_[h] = table_[j];
      h = j;
    }
  }
  table_[h] = kNone;
}

void L2Cache::unlink(uint32_t slot) {
  (prev_[slot] == kNone ? head_ : next_[prev_[slot]]) = next_[slot];
  (next_[slot] == kNone ? tail_ : prev_[next_[slot]]) = prev_[slot];
}

void L2Cache::linkFront(uint32_t slot) {
  prev_[slot] = kNone;
  next_[slot] = head_;
  (head_ == kNone ? tail_ : prev_[head_]) = slot;
  head_ = slot;
}

void L2Cache::linkBack(uint32_t slot) {
  next_[slot] = kNone;
  prev_[slot] = tail_;
  (tail_ == kNone ? head_ : next_[tail_]) = slot;
  tail_ = slot;
}

uint32_t L2Cache::allocate(uint64_t line) {
  uint32_t slot;
  if (used_ < capacity_) {
    slot = uint32_t(used_++);
  } else {
    slot = tail_;
    unlink(slot);
    eraseFromTable(line_[slot]);
  }
  line_[slot] = line;
  valid_[slot] = dirty_[slot] = 0;
  uint64_t h = hashLine(line) & mask_;
  while (table_[h] != kNone)
    h = (h + 1) & mask_;
  table_[h] = slot;
  return slot;
}

void L2Cache::access(LineEvent e) {
  const uint64_t line = eventLine(e);
  const unsigned sectors = eventSectors(e);
  uint32_t slot = find(line);
  if (slot == kNone) {
    slot = allocate(line);
  } else {
    unlink(slot);
  }
  linkFront(slot);
  if (eventWrite(e)) {
    dirtiedSectors += std::popcount(sectors & ~unsigned(dirty_[slot]));
    dirty_[slot] |= uint8_t(sectors);
    valid_[slot] |= uint8_t(sectors);
  } else {
    dramReadSectors += std::popcount(sectors & ~unsigned(valid_[slot]));
    valid_[slot] |= uint8_t(sectors);
  }
}

void L2Cache::pushLeastRecent(uint64_t line, unsigned valid, unsigned dirty) {
  if (const uint32_t present = find(line); present != kNone) {
    // An older access to a line a later one brought in: its sectors were
    // loaded then and are still there.
    valid_[present] |= uint8_t(valid | dirty);
    dirty_[present] |= uint8_t(dirty);
    return;
  }
  if (used_ >= capacity_)
    return;
  const uint32_t slot = allocate(line);
  valid_[slot] = uint8_t(valid | dirty);
  dirty_[slot] = uint8_t(dirty);
  linkBack(slot);
}

WindowL2::WindowL2(uint64_t bytes, double concurrency, size_t expectedAccesses)
    : capacity_(double(bytes / 128)), concurrency_(std::max(1.0, concurrency)),
      tree_(expectedAccesses + 2, 0) {
  lines_.reserve(expectedAccesses);
}

void WindowL2::mark(uint32_t t, int delta) {
  for (size_t i = t + 1; i < tree_.size(); i += i & (~i + 1))
    tree_[i] += delta;
}

uint64_t WindowL2::prefix(uint32_t t) const {
  int64_t sum = 0;
  for (size_t i = std::min<size_t>(t, tree_.size() - 1); i > 0; i -= i & (~i + 1))
    sum += tree_[i];
  return uint64_t(sum);
}

uint64_t WindowL2::count(uint32_t from, uint32_t to) const {
  return to > from ? prefix(to) - prefix(from) : 0;
}

void WindowL2::accessDistant(LineEvent e, double distance) {
  auto [it, fresh] = lines_.try_emplace(eventLine(e), LineState{kDistant, 0, 0, float(distance)});
  if (it->second.last != kDistant)
    return; // a nearer use is known
  const uint8_t sectors = uint8_t(eventSectors(e));
  it->second.valid |= sectors;
  if (eventWrite(e))
    it->second.dirty |= sectors;
}

void WindowL2::beginWindow() {
  windowStart_ = now_;
  inWindow_ = true;
}

void WindowL2::access(LineEvent e) {
  if (now_ + 2 >= tree_.size()) {
    // Grow the Fenwick tree: rebuild it from the lines' last accesses.
    tree_.assign(2 * tree_.size(), 0);
    for (const auto &[line, state] : lines_)
      if (state.last != kDistant)
        for (size_t i = state.last + 1; i < tree_.size(); i += i & (~i + 1))
          ++tree_[i];
  }
  const unsigned sectors = eventSectors(e);
  auto [it, fresh] = lines_.try_emplace(eventLine(e), LineState{now_, 0, 0, 0});
  LineState &line = it->second;
  if (!fresh) {
    const uint32_t since = line.last == kDistant ? 0 : line.last + 1;
    const double all = double(count(since, now_)) + (line.last == kDistant ? line.distance : 0);
    const double inWindow = inWindow_ ? double(count(std::max(since, windowStart_), now_)) : 0;
    if ((all - inWindow) + inWindow * concurrency_ >= capacity_)
      line.valid = line.dirty = 0; // evicted since: its dirty sectors went back then
    if (line.last != kDistant)
      mark(line.last, -1);
  }
  const bool counted = eventCounted(e);
  if (eventWrite(e)) {
    dirtiedSectors += counted * std::popcount(sectors & ~unsigned(line.dirty));
    line.dirty |= uint8_t(sectors);
    line.valid |= uint8_t(sectors);
  } else {
    dramReadSectors += counted * std::popcount(sectors & ~unsigned(line.valid));
    line.valid |= uint8_t(sectors);
  }
  line.last = now_;
  mark(now_, +1);
  ++now_;
}

} // namespace ssmc::perf
