//===- MemoryPlan.cpp - the activation buffers of a lowered model ---------===//

#include "MemoryPlan.h"
#include "SsmcOps.h"

#include "llvm/ADT/DenseMap.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>

using namespace mlir;
using json = nlohmann::ordered_json;

namespace ssmc::codegen {
namespace {

std::vector<int64_t> shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

int64_t elementsOf(Value v) { return cast<RankedTensorType>(v.getType()).getNumElements(); }

} // namespace

rt::Expected<MemoryPlan> planMemory(func::FuncOp entry, DType dtype) {
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
  auto arenaAttr = entry->getAttrOfType<IntegerAttr>(ssmc::kArenaBytesAttr);
  if (!arenaAttr)
    return rt::Status::error("the module has no memory plan (ssmc.arena_bytes): run the whole "
                             "pipeline, through ssmc-plan-memory, before generating an artifact");
  for (auto g : body.getOps<KernelGroupOp>()) {
    auto offsets = g->getAttrOfType<DenseI64ArrayAttr>(ssmc::kArenaOffsetsAttr);
    if (!offsets || offsets.size() != static_cast<int64_t>(g.getNumResults()))
      return rt::Status::error(fmt::format("kernel group '{}' has no arena offset per result: run "
                                           "ssmc-plan-memory first",
                                           g.getName().str()));
    for (OpResult r : g->getResults()) {
      BufferInfo b;
      b.kind = "activation";
      b.name = fmt::format("{}#{}", g.getName().str(), r.getResultNumber());
      b.shape = shapeOf(r);
      b.bytes = elementsOf(r) * bytesPer;
      b.offset = offsets[r.getResultNumber()];
      plan.bufferOf[r] = plan.buffers.size();
      plan.buffers.push_back(b);
    }
  }
  plan.arenaBytes = arenaAttr.getInt();
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
