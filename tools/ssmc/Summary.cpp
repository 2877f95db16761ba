//===- Summary.cpp - what a compiled model consists of --------------------===//

#include "Summary.h"
#include "Cost.h"
#include "SsmcOps.h"

#include "llvm/ADT/DenseMap.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>

using namespace mlir;

namespace ssmc::cli {
namespace {
struct KernelRow {
  std::string name, ops;
  int64_t flops = 0, bytes = 0;
};

/// Peak of live activations when each value is freed after its last use
/// (weights and views excluded).
int64_t arenaPeak(func::FuncOp f) {
  llvm::DenseMap<Value, size_t> usesLeft;
  int64_t live = 0, peak = 0;
  for (BlockArgument a : f.getArguments()) {
    usesLeft[a] = std::distance(a.use_begin(), a.use_end());
    live += tensorBytes(a);
  }
  peak = live;
  for (Operation &op : f.getBody().front()) {
    if (isa<WeightOp, func::ReturnOp, ReshapeOp>(op))
      continue;
    for (Value r : op.getResults()) {
      usesLeft[r] = std::distance(r.use_begin(), r.use_end());
      live += tensorBytes(r);
    }
    peak = std::max(peak, live);
    for (Value v : op.getOperands()) {
      auto it = usesLeft.find(v);
      if (it != usesLeft.end() && --it->second == 0)
        live -= tensorBytes(v);
    }
  }
  return peak;
}

std::string human(double v, const char *unit) {
  const char *prefixes[] = {"", "K", "M", "G", "T"};
  int i = 0;
  while (v >= 1000 && i < 4) {
    v /= 1000;
    ++i;
  }
  return fmt::format("{:.3g} {}{}", v, prefixes[i], unit);
}
} // namespace

std::string summarize(ModuleOp module, bool json,
                      const std::map<std::string, KernelResourceRow> *resources) {
  func::FuncOp f = getEntryFunction(module);
  std::vector<KernelRow> rows;
  int64_t params = 0, fusedBytes = 0, unfusedBytes = 0, totalFlops = 0;
  bool grouped = false;
  auto countParams = [&](Operation *op) {
    if (auto w = dyn_cast<WeightOp>(op)) {
      int64_t n = 1; // the checkpoint's, not the zeros ssmc-align-hidden inserts
      for (int64_t d : w.checkpointShape())
        n *= d;
      params += n;
    }
  };
  for (Operation &op : f.getBody().front()) {
    if (isa<func::ReturnOp>(op))
      continue;
    if (auto g = dyn_cast<KernelGroupOp>(op)) {
      // One kernel: reads its inputs and weights once, writes its results once.
      grouped = true;
      OpCost cost = estimateGroupCost(g);
      KernelRow row{g.getName().str(), "", cost.flops, cost.bytes};
      for (Operation &inner : g.getBody().front().without_terminator()) {
        countParams(&inner);
        if (isa<WeightOp>(inner))
          continue;
        unfusedBytes += estimateCost(&inner).bytes;
        if (!row.ops.empty())
          row.ops += ',';
        row.ops += inner.getName().stripDialect().str();
      }
      fusedBytes += row.bytes;
      totalFlops += row.flops;
      rows.push_back(row);
      continue;
    }
    countParams(&op);
    if (isa<WeightOp, ReshapeOp>(op))
      continue;
    std::string opName = op.getName().stripDialect().str();
    OpCost cost = estimateCost(&op);
    rows.push_back({fmt::format("k{:03}_{}", rows.size(), opName), opName, cost.flops, cost.bytes});
    fusedBytes += cost.bytes;
    unfusedBytes += cost.bytes;
    totalFlops += cost.flops;
  }
  // The planned arena (ssmc-plan-memory) when there is one, else the peak of
  // live activations, which is what a perfect plan would reach.
  auto planned = f->getAttrOfType<IntegerAttr>(ssmc::kArenaBytesAttr);
  const int64_t livePeak = arenaPeak(f);
  const int64_t arena = planned ? planned.getInt() : livePeak;
  auto model = module->getAttrOfType<StringAttr>(ssmc::kModelAttr);
  std::string modelName = model ? model.getValue().str() : "model";

  if (json) {
    nlohmann::ordered_json j;
    j["model"] = modelName;
    j["kernels"] = nlohmann::json::array();
    for (const KernelRow &r : rows) {
      nlohmann::json ops = nlohmann::json::array();
      for (size_t pos = 0; pos <= r.ops.size();) {
        size_t comma = std::min(r.ops.find(',', pos), r.ops.size());
        ops.push_back(r.ops.substr(pos, comma - pos));
        pos = comma + 1;
      }
      nlohmann::ordered_json k = {{"name", r.name}, {"ops", ops}, {"flops", r.flops},
                                  {"bytes", r.bytes}};
      if (resources)
        if (auto it = resources->find(r.name); it != resources->end()) {
          k["registers"] = it->second.registers;
          k["spill_bytes"] = it->second.spillBytes;
          k["smem_bytes"] = it->second.smemBytes;
          k["signature"] = it->second.signature;
        }
      j["kernels"].push_back(k);
    }
    j["arena_bytes"] = arena;
    j["live_peak_bytes"] = livePeak;
    j["bytes"] = fusedBytes;
    j["unfused_bytes"] = unfusedBytes;
    j["params"] = params;
    return j.dump(2) + "\n";
  }
  std::string out = fmt::format(
      "model {}: {} parameters, {} kernels{}, {}, {} minimum traffic ({} unfused), arena {} "
      "({})\n",
      modelName, params, rows.size(), grouped ? "" : " (one per op: not fused)",
      human(totalFlops, "FLOP"), human(fusedBytes, "B"), human(unfusedBytes, "B"),
      human(arena, "B"),
      planned ? fmt::format("planned; live peak {}", human(livePeak, "B")) : "live peak, not planned");
  out += fmt::format("  {:<44} {:>10} {:>10} {:>8}", "kernel", "FLOP", "bytes", "FLOP/B");
  out += resources ? fmt::format(" {:>5} {:>6} {:>8}\n", "regs", "spill", "smem") : "\n";
  for (const KernelRow &r : rows) {
    out += fmt::format("  {:<44} {:>10} {:>10} {:>8.2f}",
                       r.name.size() > 44 ? r.name.substr(0, 41) + "..." : r.name,
                       human(r.flops, ""), human(r.bytes, "B"),
                       r.bytes ? double(r.flops) / r.bytes : 0.0);
    if (resources) {
      auto it = resources->find(r.name);
      if (it != resources->end())
        out += fmt::format(" {:>5} {:>6} {:>8}", it->second.registers, it->second.spillBytes,
                           human(it->second.smemBytes, "B"));
      else
        out += fmt::format(" {:>5} {:>6} {:>8}", "n/a", "n/a", "n/a");
    }
    out += "\n";
  }
  return out;
}

} // namespace ssmc::cli
