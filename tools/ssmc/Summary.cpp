//===- Summary.cpp - what a compiled model consists of --------------------===//

#include "Summary.h"
#include "Cost.h"
#include "SsmcOps.h"

#include "llvm/ADT/DenseMap.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>

using namespace mlir;

namespace ssmc::cli {
namespace {
struct KernelRow {
  std::string name, ops;
  int64_t flops = 0, bytes = 0;
};

int64_t bytesOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return t.getNumElements() * ((t.getElementTypeBitWidth() + 7) / 8);
}

/// Peak of live activations when each value is freed after its last use
/// (weights and views excluded).
int64_t arenaPeak(func::FuncOp f) {
  llvm::DenseMap<Value, size_t> usesLeft;
  int64_t live = 0, peak = 0;
  for (BlockArgument a : f.getArguments()) {
    usesLeft[a] = std::distance(a.use_begin(), a.use_end());
    live += bytesOf(a);
  }
  peak = live;
  for (Operation &op : f.getBody().front()) {
    if (isa<WeightOp, func::ReturnOp, ReshapeOp>(op))
      continue;
    for (Value r : op.getResults()) {
      usesLeft[r] = std::distance(r.use_begin(), r.use_end());
      live += bytesOf(r);
    }
    peak = std::max(peak, live);
    for (Value v : op.getOperands()) {
      auto it = usesLeft.find(v);
      if (it != usesLeft.end() && --it->second == 0)
        live -= bytesOf(v);
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

std::string summarize(ModuleOp module, bool json) {
  func::FuncOp f = getEntryFunction(module);
  std::vector<KernelRow> rows;
  std::map<std::string, int> countByOp;
  int64_t params = 0, totalBytes = 0, totalFlops = 0;
  for (Operation &op : f.getBody().front()) {
    if (auto w = dyn_cast<WeightOp>(op)) {
      params += cast<RankedTensorType>(w.getType()).getNumElements();
      continue;
    }
    if (isa<func::ReturnOp, ReshapeOp>(op))
      continue;
    std::string opName = op.getName().stripDialect().str();
    OpCost cost = estimateCost(&op);
    rows.push_back({fmt::format("k{:03}_{}", rows.size(), opName), opName, cost.flops, cost.bytes});
    ++countByOp[opName];
    totalBytes += cost.bytes;
    totalFlops += cost.flops;
  }
  const int64_t arena = arenaPeak(f);
  auto model = module->getAttrOfType<StringAttr>("ssmc.model");
  std::string modelName = model ? model.getValue().str() : "model";

  if (json) {
    nlohmann::ordered_json j;
    j["model"] = modelName;
    j["kernels"] = nlohmann::json::array();
    for (const KernelRow &r : rows)
      j["kernels"].push_back({{"name", r.name}, {"ops", {r.ops}}, {"flops", r.flops},
                              {"bytes", r.bytes}});
    j["arena_bytes"] = arena;
    j["unfused_bytes"] = totalBytes;
    j["params"] = params;
    return j.dump(2) + "\n";
  }
  std::string out = fmt::format("model {}: {} parameters, {} kernels (one per op: nothing is "
                                "fused yet), {}, {} minimum traffic, arena peak {}\n",
                                modelName, params, rows.size(), human(totalFlops, "FLOP"),
                                human(totalBytes, "B"), human(arena, "B"));
  out += fmt::format("  {:<18} {:>7} {:>12} {:>12} {:>9}\n", "op", "kernels", "FLOP", "bytes",
                     "FLOP/B");
  std::map<std::string, std::pair<int64_t, int64_t>> byOp;
  for (const KernelRow &r : rows) {
    byOp[r.ops].first += r.flops;
    byOp[r.ops].second += r.bytes;
  }
  for (const auto &[op, fb] : byOp)
    out += fmt::format("  {:<18} {:>7} {:>12} {:>12} {:>9.2f}\n", op, countByOp[op],
                       human(fb.first, ""), human(fb.second, "B"),
                       fb.second ? double(fb.first) / fb.second : 0.0);
  return out;
}

} // namespace ssmc::cli
