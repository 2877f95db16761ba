//===- L2Cache.h - a sectored LRU model of a GPU's L2 -----------*- C++ -*-===//
//
// 128-byte lines of four 32-byte sectors, least recently used line evicted,
// one cache of the target's whole L2 size. A read of a sector the line does
// not hold costs a 32-byte DRAM read; a write allocates without reading and
// marks the sector dirty, and each clean-to-dirty sector is counted once as
// the 32-byte write-back it will cost. What this ignores (the two L2
// partitions, hashing of addresses to slices, the replacement policy's
// real form) is listed in docs/performance.md.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_L2CACHE_H
#define SSMC_PERF_L2CACHE_H

#include "Trace.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace ssmc::perf {

class L2Cache {
public:
  explicit L2Cache(uint64_t bytes);

  uint64_t capacityLines() const { return capacity_; }
  uint64_t size() const { return used_; }

  /// One line access; adds to the DRAM counters.
  void access(LineEvent e);
  /// Appends a line as the least recently used one (warm-up state is built
  /// from the most recent line backwards); a line already present only gains
  /// the sectors. Ignored when full.
  void pushLeastRecent(uint64_t line, unsigned valid, unsigned dirty);
  bool contains(uint64_t line) const;

  uint64_t dramReadSectors = 0;
  uint64_t dirtiedSectors = 0; ///< each written back once, eventually

private:
  static constexpr uint32_t kNone = ~uint32_t(0);
  uint32_t find(uint64_t line) const;
  void unlink(uint32_t slot);
  void linkFront(uint32_t slot);
  void linkBack(uint32_t slot);
  uint32_t allocate(uint64_t line); // evicts the LRU line when full
  void eraseFromTable(uint64_t line);

  uint64_t capacity_, used_ = 0;
  std::vector<uint64_t> line_;
  std::vector<uint8_t> valid_, dirty_;
  std::vector<uint32_t> prev_, next_;
  uint32_t head_ = kNone, tail_ = kNone; // most and least recently used
  // Open addressing, linear probing, backward-shift deletion.
  std::vector<uint32_t> table_;
  uint64_t mask_;
};

/// The same L2 for a window of blocks standing for a whole wave running
/// together. Each access's reuse distance (distinct lines since the line's
/// last use) decides hit or miss, as in any LRU cache of that capacity; the
/// part of the distance spent inside the window is multiplied by
/// `concurrency`, since the blocks of the wave that are not simulated would
/// have touched lines of their own in that time too (perf/Sampler.cpp
/// estimates the factor). Accesses before beginWindow() (the warm-up,
/// blocks in issue order) count as they are. An uncountedEvent() changes
/// the state but not the counters.
class WindowL2 {
public:
  WindowL2(uint64_t bytes, double concurrency, size_t expectedAccesses);
  void access(LineEvent e);
  void beginWindow();
  /// A use long before the warm-up: `distance` distinct lines older than
  /// everything accessed so far. A line already known keeps its nearer use.
  void accessDistant(LineEvent e, double distance);

  uint64_t dramReadSectors = 0;
  uint64_t dirtiedSectors = 0;

private:
  static constexpr uint32_t kDistant = ~uint32_t(0);
  struct LineState {
    uint32_t last; // timestamp of the last access, or kDistant
    uint8_t valid, dirty;
    float distance; // kDistant: lines between it and the first access
  };
  void mark(uint32_t t, int delta);
  uint64_t count(uint32_t from, uint32_t to) const; // marks in [from, to)
  uint64_t prefix(uint32_t t) const;                // marks in [0, t)

  double capacity_, concurrency_;
  uint32_t now_ = 0, windowStart_ = 0;
  bool inWindow_ = false;
  std::vector<int32_t> tree_; // Fenwick tree: one mark per line, at its last access
  std::unordered_map<uint64_t, LineState> lines_;
};

} // namespace ssmc::perf

#endif // SSMC_PERF_L2CACHE_H
