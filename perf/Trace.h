//===- Trace.h - a kernel's memory accesses, block by block -----*- C++ -*-===//
//
// Runs blocks of a kernel built in trace mode (perf/HostKernel.h) and turns
// the recorded accesses into what a GPU's memory system sees:
//
// - Requests. The lanes of a warp that execute the same load or store (its
//   call site) for the n-th time in the same barrier phase form one request,
//   as one warp-wide instruction does on the GPU. Lanes that diverge in how
//   often they reach a site pair up by count, which is exact for the uniform
//   loops ssmc generates and approximate for guarded tails. A loop whose
//   lanes skip a predicated access names its iterations (ssmc_shim::step,
//   the same id in every lane): the count then starts again at each step.
// - Global requests: 32-byte sectors and 128-byte lines touched, bytes the
//   lanes asked for and the distinct bytes among them (coalescing = distinct
//   bytes used / bytes in the sectors touched).
// - Shared requests: wavefronts. Lanes are taken a warp (accesses of 4 bytes
//   or less), a half warp (8) or a quarter warp (16) at a time, as the
//   hardware does; each group costs the largest number of distinct 4-byte
//   words that fall into one of the 32 banks.
// - The block's stream of global line accesses in modeled time order (phase
//   by phase, the warps' requests interleaved), for the L2 model.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_TRACE_H
#define SSMC_PERF_TRACE_H

#include "HostKernel.h"

#include <array>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace ssmc::perf {

/// Requests of one kind (global loads, global stores, shared loads, shared
/// stores), summed over warps and blocks.
struct RequestStats {
  double requests = 0;
  double sectors = 0;        ///< 32-byte sectors touched (global)
  double lines = 0;          ///< 128-byte lines touched (global)
  double bytesRequested = 0; ///< what the lanes asked for, duplicates included
  double bytesUsed = 0;      ///< distinct bytes among them
  double wavefronts = 0;     ///< shared: with bank conflicts
  double idealWavefronts = 0; ///< shared: without them
  /// Requests by the widest lane access: 1, 2, 4, 8, 16 bytes.
  std::array<double, 5> byWidth{};

  void add(const RequestStats &o, double weight = 1.0);
};

/// One global line access: (line << 8) | (write << 4) | sector mask.
using LineEvent = uint64_t;
inline LineEvent lineEvent(uint64_t line, unsigned sectors, bool write) {
  return line << 8 | uint64_t(write) << 4 | sectors;
}
inline uint64_t eventLine(LineEvent e) { return e >> 8; }
inline unsigned eventSectors(LineEvent e) { return unsigned(e & 15); }
inline bool eventWrite(LineEvent e) { return (e >> 4) & 1; }
/// An access by a block that runs beside a sampled window but is not part of
/// it: it moves the L2's state without counting (perf/Sampler.cpp).
inline LineEvent uncountedEvent(LineEvent e) { return e | 32; }
inline bool eventCounted(LineEvent e) { return !((e >> 5) & 1); }

struct BlockTrace {
  RequestStats globalLoad, globalStore, sharedLoad, sharedStore;
  /// The global requests (loads and stores) by operand (Tracer::setOperands),
  /// a request counted for the operand its lowest address falls in.
  std::vector<RequestStats> byOperand;
  double mmaFlops = 0; ///< tensor-core FLOPs the block's warps issued
  std::vector<LineEvent> events;
};

/// A kernel built in trace mode, bound to its arguments.
class Tracer {
public:
  /// `args` are the kernel's parameters in signature order; `globals` the
  /// [begin, end) byte ranges that are device memory (at most 32).
  Tracer(const HostKernel &kernel, std::vector<void *> args,
         std::vector<std::pair<const void *, const void *>> globals,
         std::array<unsigned, 3> grid, unsigned block, size_t smemBytes);

  enum class Detail {
    Full,  ///< request statistics and the line stream in modeled order
    Lines, ///< the distinct lines only, in no particular order (an L2 warm-up)
  };
  /// The kernel's operands as [begin, end) byte ranges, to count global
  /// requests per operand (BlockTrace::byOperand). A request whose lowest
  /// address lies in several (an in-place result aliases its input) counts
  /// for the first one of its kind: a store for a written operand, a load
  /// for a read one.
  struct Operand {
    const void *begin, *end;
    bool written;
  };
  void setOperands(std::vector<Operand> operands) { operands_ = std::move(operands); }

  /// Runs block `linear` (x fastest, then y, then z) and fills `out`.
  rt::Status runBlock(uint64_t linear, BlockTrace &out, Detail detail = Detail::Full);

  uint64_t numBlocks() const { return uint64_t(grid_[0]) * grid_[1] * grid_[2]; }
  uint64_t gridX() const { return grid_[0]; }
  uint64_t gridY() const { return grid_[1]; }
  const std::array<unsigned, 3> &grid() const { return grid_; }
  /// Distinct call sites seen so far.
  size_t numSites() const { return siteIndex_.size(); }
  /// Accesses the last block run recorded.
  uint64_t lastRecords() const { return lastRecords_; }
  /// Accesses recorded by every block run so far.
  uint64_t totalRecords() const { return totalRecords_; }

private:
  struct Record; // mirrors SsmcTraceRecord in HostShim.h
  void process(const std::vector<size_t> &threadStart, BlockTrace &out);
  void linesOnly(BlockTrace &out);
  uint32_t siteOf(uint32_t site);
  int operandOf(uint64_t addr, bool write) const;

  std::vector<void *> args_;
  std::vector<std::pair<const void *, const void *>> globals_;
  std::vector<Operand> operands_;
  std::array<unsigned, 3> grid_;
  unsigned block_;
  size_t smem_;
  void *state_ = nullptr; // the library's ssmc_trace
  void (*launch_)(const unsigned *, unsigned, size_t) = nullptr;
  void (*thread_)(void **, unsigned, unsigned, unsigned, unsigned) = nullptr;
  std::vector<unsigned char> records_; // the record buffer (SsmcTraceRecord[])
  std::unordered_map<uint32_t, uint32_t> siteIndex_;
  std::array<std::pair<uint32_t, uint32_t>, 256> siteCache_{}; // (site + 1, index)
  // linesOnly's set of lines: open addressing, entries of an older
  // generation are empty.
  struct LineSlot {
    uint64_t line;
    uint32_t generation;
    uint8_t read, written;
  };
  std::vector<LineSlot> lineSet_;
  uint32_t generation_ = 0;
  uint64_t lastRecords_ = 0, totalRecords_ = 0;
};

} // namespace ssmc::perf

#endif // SSMC_PERF_TRACE_H
