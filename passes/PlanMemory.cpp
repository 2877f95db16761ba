//===- PlanMemory.cpp - one arena for every activation ---------------------===//
//
// Every value the entry function computes at top level (after fusion: every
// kernel group's results) gets a byte offset into one arena. A value lives
// from the op that defines it to its last user (to the end when returned);
// buffers whose lifetimes overlap never share bytes. A group result reuses an
// operand's buffer (in place) when the operand dies in that group, has the
// result's size, and reaches the result only through elementwise ops of the
// result's shape: each output element then reads just the input element it
// overwrites, in the same thread. Each buffer goes to the lowest offset free
// over its lifetime, in whichever of three orders packs the arena tightest.
//
//===----------------------------------------------------------------------===//

#include "Cost.h"
#include "Passes.h"
#include "SsmcOps.h"

#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

#include <numeric>

namespace ssmc {
#define GEN_PASS_DEF_PLANMEMORY
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc;

namespace {

constexpr int64_t kAlignment = 256; // bytes: what cudaMalloc and vector loads like

int64_t alignUp(int64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

/// Bytes per element as stored on the device: the module's `ssmc.dtype`,
/// 4 for a value kept in fp32 (`ssmc.storage`).
int64_t storageBytes(Value v, int64_t moduleBytes) { return isStoredAsF32(v) ? 4 : moduleBytes; }

bool isElementwise(Operation *op) {
  return isa<GeluOp, SiluOp, SoftplusOp, ExpOp, NegOp, ScaleOp, AddOp, MulOp>(op);
}

/// Whether every path from the group's argument `arg` ends in a yield of
/// `result`'s shape through elementwise ops of that shape only.
bool onlyElementwiseUses(BlockArgument arg, RankedTensorType resultType) {
  SmallVector<Value> work{arg};
  llvm::SmallPtrSet<Operation *, 8> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (v.getType() != resultType)
      return false;
    for (Operation *user : v.getUsers()) {
      if (isa<YieldOp>(user))
        continue;
      if (!isElementwise(user))
        return false;
      if (seen.insert(user).second)
        work.push_back(user->getResult(0));
    }
  }
  return true;
}

struct Buffer {
  int64_t bytes = 0, start = 0, end = 0, offset = -1;
};

struct PlanMemoryPass : ssmc::impl::PlanMemoryBase<PlanMemoryPass> {
  void runOnOperation() override {
    func::FuncOp f = getOperation();
    if (f.isExternal())
      return;
    Block &body = f.getBody().front();
    const int64_t elementBytes =
        storageElementBytes(f->getParentOfType<ModuleOp>(), Float32Type::get(f.getContext()));
    const int64_t endOfFunction = static_cast<int64_t>(body.getOperations().size());

    llvm::DenseMap<Operation *, int64_t> position;
    for (auto [i, op] : llvm::enumerate(body))
      position[&op] = static_cast<int64_t>(i);
    auto lastUse = [&](Value v) {
      int64_t last = position[v.getDefiningOp()];
      for (Operation *user : v.getUsers()) {
        Operation *top = body.findAncestorOpInBlock(*user);
        last = std::max(last, isa<func::ReturnOp>(top) ? endOfFunction : position[top]);
      }
      return last;
    };

    // One buffer per value, except results written in place over an operand.
    std::vector<Buffer> buffers;
    llvm::DenseMap<Value, size_t> bufferOf;
    for (Operation &op : body) {
      if (isa<func::ReturnOp>(op) || op.getNumResults() == 0)
        continue;
      auto group = dyn_cast<KernelGroupOp>(op);
      llvm::SmallDenseSet<size_t> taken;
      for (OpResult r : op.getResults()) {
        auto type = cast<RankedTensorType>(r.getType());
        const int64_t bytes = alignUp(type.getNumElements() * storageBytes(r, elementBytes));
        std::optional<size_t> reuse;
        for (auto [i, input] : llvm::enumerate(op.getOperands())) {
          auto it = bufferOf.find(input);
          if (!group || it == bufferOf.end() || taken.contains(it->second))
            continue;
          Buffer &b = buffers[it->second];
          if (b.bytes == bytes && isStoredAsF32(input) == isStoredAsF32(r) &&
              b.end == position[&op] && lastUse(input) == position[&op] &&
              onlyElementwiseUses(group.getBody().front().getArgument(i), type)) {
            reuse = it->second;
            break;
          }
        }
        if (reuse) {
          taken.insert(*reuse);
          buffers[*reuse].end = lastUse(r);
          bufferOf[r] = *reuse;
          continue;
        }
        bufferOf[r] = buffers.size();
        buffers.push_back({bytes, position[&op], lastUse(r), -1});
      }
    }

    // Each buffer at the lowest offset free during its lifetime, in the order
    // (of three) that gives the smallest arena: largest first, longest-lived
    // first, or by definition.
    auto place = [&](auto before) {
      std::vector<size_t> order(buffers.size());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(), before);
      std::vector<int64_t> offsets(buffers.size(), 0);
      std::vector<size_t> placed;
      int64_t arena = 0;
      for (size_t index : order) {
        const Buffer &b = buffers[index];
        std::vector<std::pair<int64_t, int64_t>> busy; // [offset, offset + bytes)
        for (size_t other : placed) {
          const Buffer &o = buffers[other];
          if (o.start <= b.end && b.start <= o.end)
            busy.push_back({offsets[other], offsets[other] + o.bytes});
        }
        std::sort(busy.begin(), busy.end());
        int64_t offset = 0;
        for (auto [lo, hi] : busy) {
          if (offset + b.bytes <= lo)
            break;
          offset = std::max(offset, hi);
        }
        offsets[index] = offset;
        arena = std::max(arena, offset + b.bytes);
        placed.push_back(index);
      }
      return std::make_pair(arena, offsets);
    };
    auto bySize = place([&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
    auto byLifetime = place([&](size_t a, size_t b) {
      return buffers[a].end - buffers[a].start > buffers[b].end - buffers[b].start;
    });
    auto byStart = place([&](size_t a, size_t b) { return buffers[a].start < buffers[b].start; });
    auto best = std::min({bySize, byLifetime, byStart},
                         [](const auto &x, const auto &y) { return x.first < y.first; });
    const int64_t arenaBytes = best.first;
    for (auto [i, b] : llvm::enumerate(buffers))
      b.offset = best.second[i];

    Builder builder(f.getContext());
    for (Operation &op : body) {
      if (isa<func::ReturnOp>(op) || op.getNumResults() == 0)
        continue;
      SmallVector<int64_t> offsets;
      for (OpResult r : op.getResults())
        offsets.push_back(buffers[bufferOf[r]].offset);
      op.setAttr(ssmc::kArenaOffsetsAttr, builder.getDenseI64ArrayAttr(offsets));
    }
    f->setAttr(ssmc::kArenaBytesAttr, builder.getI64IntegerAttr(arenaBytes));
  }
};

} // namespace
