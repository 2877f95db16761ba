//===- BuildPlan.cpp - the runtime's plan of a lowered module -------------===//
//
// Writes runtime/Exec/Plan.h's schema directly: codegen's kernels with each
// input and output parameter bound where `ssmc-plan-memory` put its value
// (the model input's buffer, or its `ssmc.arena_offsets` bytes), the model's
// inputs, outputs and weights. Nothing here places memory: the pipeline did.
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"
#include "SsmcOps.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <set>

using namespace mlir;
using json = nlohmann::ordered_json;

namespace ssmc::codegen {
namespace {

std::vector<int64_t> shapeOf(Value v) {
  auto t = cast<RankedTensorType>(v.getType());
  return {t.getShape().begin(), t.getShape().end()};
}

/// Where each value of the entry function lives: a model input (by name) or
/// arena bytes, as the memory plan's attributes say.
class ValueHomes {
public:
  rt::Status init(func::FuncOp entry) {
    for (BlockArgument a : entry.getArguments()) {
      auto name = entry.getArgAttrOfType<StringAttr>(a.getArgNumber(), kNameAttr);
      homes_[a] = rt::ValueRef::input(name ? name.getValue().str()
                                           : fmt::format("#{}", a.getArgNumber()));
    }
    if (!entry->getAttrOfType<IntegerAttr>(kArenaBytesAttr))
      return rt::Status::error("the module has no memory plan (ssmc.arena_bytes): run the whole "
                               "pipeline, through ssmc-plan-memory, before generating a plan");
    for (auto g : entry.getBody().front().getOps<KernelGroupOp>()) {
      auto offsets = g->getAttrOfType<DenseI64ArrayAttr>(kArenaOffsetsAttr);
      if (!offsets || offsets.size() != static_cast<int64_t>(g.getNumResults()))
        return rt::Status::error(fmt::format("kernel group '{}' has no arena offset per result: "
                                             "run ssmc-plan-memory first",
                                             g.getName().str()));
      for (OpResult r : g->getResults())
        homes_[r] = rt::ValueRef::arena(offsets[r.getResultNumber()]);
    }
    return rt::Status::success();
  }

  const rt::ValueRef *find(Value v) const {
    auto it = homes_.find(v);
    return it == homes_.end() ? nullptr : &it->second;
  }

private:
  llvm::DenseMap<Value, rt::ValueRef> homes_;
};

} // namespace

rt::Expected<rt::Plan> buildPlan(ModuleOp module, const CodegenOptions &options) {
  func::FuncOp entry = getEntryFunction(module);
  if (!entry)
    return rt::Status::error("the module has no entry function");
  auto dtype = resolveDType(module, options);
  if (!dtype)
    return dtype.status();
  ValueHomes homes;
  if (rt::Status s = homes.init(entry); !s.ok())
    return s;
  auto kernels = generateKernels(entry, options);
  if (!kernels)
    return kernels.status();

  rt::Plan plan;
  auto model = module->getAttrOfType<StringAttr>(kModelAttr);
  plan.model = model ? model.getValue().str() : "model";
  plan.dtype = *dtype;
  plan.arch = options.arch;
  plan.arenaBytes = entry->getAttrOfType<IntegerAttr>(kArenaBytesAttr).getInt();
  plan.metadata["producer"] = "ssmc compile";
  plan.metadata["arena_plan"] = "ssmc-plan-memory";
  if (*dtype == rt::DType::F32) // ssmc-rt check-kernels' tolerance
    plan.metadata["f32_gemm"] = options.exactF32Gemm ? "ffma" : "tf32";

  // A value kept in fp32 (`ssmc.storage`) is an f32 input or output.
  auto storage = [&](Value v) { return isStoredAsF32(v) ? rt::DType::F32 : *dtype; };
  for (BlockArgument a : entry.getArguments())
    plan.inputs.push_back({homes.find(a)->modelInput, shapeOf(a), storage(a)});
  auto ret = cast<func::ReturnOp>(entry.getBody().front().getTerminator());
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    const rt::ValueRef *home = homes.find(v);
    if (!home || home->kind != rt::ValueRef::Kind::Arena)
      return rt::Status::error(fmt::format("model output #{} is not computed by a kernel group: "
                                           "run the whole pipeline first",
                                           i));
    auto name = entry.getResultAttrOfType<StringAttr>(i, kNameAttr);
    rt::PlanOutput out;
    out.name = name ? name.getValue().str() : fmt::format("#{}", i);
    out.shape = shapeOf(v);
    out.dtype = storage(v);
    out.arenaOffset = home->arenaOffset;
    plan.outputs.push_back(out);
  }

  std::set<std::string> weights;
  std::map<std::string, std::vector<int64_t>> storedAs; // the layout ssmc-layout chose
  std::map<std::string, int64_t> rowPitch;
  std::map<std::string, std::pair<std::vector<int64_t>, std::vector<int64_t>>> insertedZeros;
  entry.walk([&](WeightOp w) {
    if (auto order = w.getStoredAs())
      storedAs[w.getName().str()] = std::vector<int64_t>(order->begin(), order->end());
    if (auto pitch = w.getRowPitch())
      rowPitch[w.getName().str()] = int64_t(*pitch);
    // The plan names the checkpoint's shape; the runtime inserts the zeros.
    if (auto zeros = w.getInsertedZeros())
      insertedZeros[w.getName().str()] = {w.checkpointShape(),
                                          std::vector<int64_t>(zeros->begin(), zeros->end())};
  });
  auto groups = entry.getBody().front().getOps<KernelGroupOp>();
  for (auto [group, kernel] : llvm::zip_equal(groups, *kernels)) {
    for (rt::PlanParam &p : kernel.params) {
      if (p.kind == rt::PlanParam::Kind::Input)
        p.value = *homes.find(group.getInputs()[p.index]);
      else if (p.kind == rt::PlanParam::Kind::Output)
        p.value = *homes.find(group->getResult(p.index));
      else if (p.kind == rt::PlanParam::Kind::Weight && weights.insert(p.weight).second) {
        auto zeros = insertedZeros.find(p.weight);
        plan.weights.push_back(
            {p.weight, zeros == insertedZeros.end() ? p.shape : zeros->second.first, *dtype,
             storedAs[p.weight], rowPitch[p.weight],
             zeros == insertedZeros.end() ? std::vector<int64_t>{} : zeros->second.second});
      }
    }
    plan.kernels.push_back(std::move(kernel));
  }
  return plan;
}

std::string configsJson(const rt::Plan &plan) {
  json j;
  j["format"] = "ssmc-configs";
  j["version"] = 1;
  j["arch"] = plan.arch;
  j["kernels"] = json::object();
  for (const rt::PlanKernel &k : plan.kernels) {
    json jk;
    jk["tunables"] = k.tunables;
    jk["default_config"] = k.defaultConfig;
    jk["configs"] = json::array();
    for (const rt::PlanConfig &c : k.configs) {
      json jc;
      jc["tunables"] = json::object();
      for (const auto &[name, value] : c.tunables)
        jc["tunables"][name] = value;
      jc["defines"] = rt::configDefines(c);
      jc["grid"] = {c.grid[0], c.grid[1], c.grid[2]};
      jc["block"] = {c.block[0], c.block[1], c.block[2]};
      jc["smem_bytes"] = c.smemBytes;
      jk["configs"].push_back(jc);
    }
    j["kernels"][k.name] = jk;
  }
  return j.dump(2) + "\n";
}

} // namespace ssmc::codegen
