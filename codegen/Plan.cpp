//===- Plan.cpp - the execution plan of an artifact -----------------------===//

#include "Plan.h"
#include "SsmcOps.h"

#include "llvm/ADT/DenseMap.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>

using namespace mlir;
using json = nlohmann::ordered_json;

namespace ssmc::codegen {
namespace {

constexpr int64_t kAlignment = 256;

int64_t alignUp(int64_t v) { return (v + kAlignment - 1) / kAlignment * kAlignment; }

std::vector<int64_t> shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

int64_t elementsOf(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }

/// First fit over the free intervals of the arena.
struct Arena {
  std::map<int64_t, int64_t> free; // offset -> size, past `top` is free too
  int64_t top = 0;

  int64_t allocate(int64_t bytes) {
    bytes = alignUp(std::max<int64_t>(bytes, 1));
    for (auto it = free.begin(); it != free.end(); ++it)
      if (it->second >= bytes) {
        int64_t at = it->first, left = it->second - bytes;
        free.erase(it);
        if (left)
          free[at + bytes] = left;
        return at;
      }
    int64_t at = top;
    top += bytes;
    return at;
  }
  void release(int64_t at, int64_t bytes) {
    bytes = alignUp(std::max<int64_t>(bytes, 1));
    auto it = free.emplace(at, bytes).first;
    if (auto next = std::next(it); next != free.end() && at + it->second == next->first) {
      it->second += next->second;
      free.erase(next);
    }
    if (it != free.begin())
      if (auto prev = std::prev(it); prev->first + prev->second == it->first) {
        prev->second += it->second;
        free.erase(it);
      }
  }
};

} // namespace

MemoryPlan planMemory(func::FuncOp entry, DType dtype) {
  MemoryPlan plan;
  const int64_t bytesPer = dtypeBytes(dtype);
  for (BlockArgument a : entry.getArguments()) {
    auto name = entry.getArgAttrOfType<StringAttr>(a.getArgNumber(), kNameAttr);
    BufferInfo b;
    b.kind = "input";
    b.name = name ? name.getValue().str() : fmt::format("#{}", a.getArgNumber());
    b.shape = shapeOf(a);
    b.bytes = elementsOf(a) * bytesPer;
    plan.bufferOf[a] = plan.buffers.size();
    plan.buffers.push_back(b);
  }
  Block &body = entry.getBody().front();
  bool planned = true;
  for (auto g : body.getOps<KernelGroupOp>()) {
    auto offsets = g->getAttrOfType<DenseI64ArrayAttr>("ssmc.arena_offsets");
    planned &= offsets && offsets.size() == static_cast<int64_t>(g.getNumResults());
  }
  auto arenaAttr = entry->getAttrOfType<IntegerAttr>("ssmc.arena_bytes");
  planned &= static_cast<bool>(arenaAttr);
  for (auto g : body.getOps<KernelGroupOp>())
    for (OpResult r : g->getResults()) {
      BufferInfo b;
      b.kind = "activation";
      b.name = fmt::format("{}#{}", g.getName().str(), r.getResultNumber());
      b.shape = shapeOf(r);
      b.bytes = elementsOf(r) * bytesPer;
      if (planned)
        b.offset = g->getAttrOfType<DenseI64ArrayAttr>("ssmc.arena_offsets")[r.getResultNumber()];
      plan.bufferOf[r] = plan.buffers.size();
      plan.buffers.push_back(b);
    }
  if (planned) {
    plan.arenaBytes = arenaAttr.getInt();
    plan.source = "ssmc-plan-memory";
    return plan;
  }

  // Fallback: allocate at definition, free after the last use (returned
  // values never), no in-place reuse.
  plan.source = "codegen-fallback";
  llvm::DenseMap<Value, size_t> usesLeft;
  llvm::DenseSet<Value> returned;
  for (Operation &op : body)
    if (auto ret = dyn_cast<func::ReturnOp>(op))
      for (Value v : ret.getOperands())
        returned.insert(v);
  Arena arena;
  for (Operation &op : body) {
    auto g = dyn_cast<KernelGroupOp>(op);
    if (!g)
      continue;
    for (OpResult r : g->getResults()) {
      BufferInfo &b = plan.buffers[plan.bufferOf[r]];
      b.offset = arena.allocate(b.bytes);
      usesLeft[r] = std::distance(r.use_begin(), r.use_end());
    }
    for (Value in : g.getInputs()) {
      auto it = usesLeft.find(in);
      if (it == usesLeft.end() || --it->second != 0 || returned.contains(in))
        continue;
      const BufferInfo &b = plan.buffers[plan.bufferOf[in]];
      arena.release(b.offset, b.bytes);
    }
  }
  plan.arenaBytes = arena.top;
  return plan;
}

static json configJson(const LaunchConfig &c) {
  json j;
  j["tunables"] = json::object();
  for (const auto &[k, v] : c.tunables)
    j["tunables"][k] = v;
  j["defines"] = configDefines(c);
  j["grid"] = {c.grid[0], c.grid[1], c.grid[2]};
  j["block"] = {c.block[0], c.block[1], c.block[2]};
  j["smem_bytes"] = c.smemBytes;
  return j;
}

std::string configsJson(const std::vector<KernelPlan> &kernels, const std::string &arch) {
  json j;
  j["format"] = "ssmc-configs";
  j["version"] = 1;
  j["arch"] = arch;
  j["kernels"] = json::object();
  for (const KernelPlan &k : kernels) {
    json jk;
    jk["tunables"] = k.tunables;
    jk["default_config"] = 0;
    jk["configs"] = json::array();
    for (const LaunchConfig &c : k.configs)
      jk["configs"].push_back(configJson(c));
    j["kernels"][k.source.name] = jk;
  }
  return j.dump(2) + "\n";
}

} // namespace ssmc::codegen
