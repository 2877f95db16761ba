//===- Exec/PlanWrite.cpp - a Plan into plan.json and kernels/ ------------===//

#include "Exec/Plan.h"
#include "Exec/PlanDetail.h"
#include "Support/AtomicFile.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <filesystem>

using namespace ssmc::rt;
using namespace ssmc::rt::plan_detail;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Writing.
//===----------------------------------------------------------------------===//

Json tensorJson(const PlanTensor &t) {
  Json j;
  j["name"] = t.name;
  j["shape"] = t.shape;
  j["dtype"] = planDTypeName(t.dtype);
  if (!t.storedAs.empty())
    j["stored_as"] = t.storedAs;
  if (t.rowPitch > 0)
    j["row_pitch"] = t.rowPitch;
  if (!t.insertedZeros.empty())
    j["inserted_zeros"] = t.insertedZeros;
  return j;
}

Json kernelJson(const PlanKernel &k) {
  Json j;
  j["name"] = k.name;
  j["entry"] = k.entry;
  j["kind"] = k.kind;
  j["source_file"] = k.sourceFile;
  j["ops"] = k.ops;
  j["tunables"] = k.tunables;
  j["default_config"] = k.defaultConfig;
  Json configs = Json::array();
  for (const PlanConfig &c : k.configs) {
    Json cj;
    cj["tunables"] = Json::object();
    for (auto &[Name, Value] : c.tunables)
      cj["tunables"][Name] = Value;
    cj["grid"] = c.grid;
    cj["block"] = c.block;
    cj["smem_bytes"] = c.smemBytes;
    configs.push_back(std::move(cj));
  }
  j["configs"] = std::move(configs);
  Json params = Json::array();
  for (const PlanParam &p : k.params) {
    Json pj;
    pj["kind"] = paramKindName(p.kind);
    pj["index"] = p.index;
    pj["name"] = p.name;
    if (p.kind == PlanParam::Kind::Weight)
      pj["weight"] = p.weight;
    pj["shape"] = p.shape;
    pj["dtype"] = planDTypeName(p.dtype);
    pj["bytes"] = p.bytes;
    if (p.value.kind == ValueRef::Kind::ModelInput)
      pj["value"] = {{"model_input", p.value.modelInput}};
    else if (p.value.kind == ValueRef::Kind::Arena)
      pj["value"] = {{"arena_offset", p.value.arenaOffset}};
    params.push_back(std::move(pj));
  }
  j["params"] = std::move(params);
  j["workspace_bytes"] = k.workspaceBytes;
  return j;
}

/// Pretty JSON for people: nested objects and arrays one entry per line,
/// shapes, grids and other short flat values on one line.
void printJson(const Json &j, std::string &out, int indent) {
  auto flat = [](const Json &v) {
    if (v.is_primitive())
      return true;
    for (const Json &e : v)
      if (!e.is_primitive())
        return false;
    return true;
  };
  if (j.is_primitive() || (flat(j) && j.dump(1).size() <= 100)) {
    std::string one = j.dump(1, ' ');
    // dump(1) puts each entry on its own line; join them.
    std::string joined;
    bool space = false;
    for (char c : one) {
      if (c == '\n') {
        space = true;
        continue;
      }
      if (space && c == ' ')
        continue;
      if (space && c != ']' && c != '}' && !joined.empty() && joined.back() != '[' &&
          joined.back() != '{')
        joined += ' ';
      space = false;
      joined += c;
    }
    out += joined;
    return;
  }
  std::string pad(size_t(indent + 2), ' ');
  bool object = j.is_object();
  out += object ? "{\n" : "[\n";
  size_t i = 0;
  for (auto it = j.begin(); it != j.end(); ++it, ++i) {
    out += pad;
    if (object)
      out += Json(it.key()).dump() + ": ";
    printJson(*it, out, indent + 2);
    out += i + 1 < j.size() ? ",\n" : "\n";
  }
  out += std::string(size_t(indent), ' ') + (object ? "}" : "]");
}

} // namespace

std::string ssmc::rt::planToJson(const Plan &p) {
  Json j;
  j["format"] = kPlanFormat;
  j["version"] = kPlanVersion;
  j["model"] = p.model;
  j["dtype"] = planDTypeName(p.dtype);
  j["arch"] = p.arch;
  j["nvrtc_options"] = p.nvrtcOptions;
  j["arena_bytes"] = p.arenaBytes;
  j["inputs"] = Json::array();
  for (const PlanTensor &t : p.inputs)
    j["inputs"].push_back(tensorJson(t));
  j["outputs"] = Json::array();
  for (const PlanOutput &o : p.outputs) {
    Json oj = tensorJson(o);
    oj["arena_offset"] = o.arenaOffset;
    j["outputs"].push_back(std::move(oj));
  }
  j["weights"] = Json::array();
  for (const PlanTensor &t : p.weights)
    j["weights"].push_back(tensorJson(t));
  j["kernels"] = Json::array();
  for (const PlanKernel &k : p.kernels)
    j["kernels"].push_back(kernelJson(k));
  if (!p.metadata.empty()) {
    j["metadata"] = Json::object();
    for (auto &[K, V] : p.metadata)
      j["metadata"][K] = V;
  }
  std::string out;
  printJson(j, out, 0);
  return out + "\n";
}

Status ssmc::rt::writePlan(const std::string &dir, const Plan &p) {
  fs::path root(dir);
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec || !fs::is_directory(root))
    return Status::error(fmt::format("cannot create the artifact directory "
                                     "{}: {}",
                                     dir, ec ? ec.message() : "not a directory"));
  // No plan.json while the kernels change: a reader sees the old artifact
  // whole, or none.
  fs::remove(root / kPlanFile, ec);
  if (ec)
    return Status::error(
        fmt::format("cannot replace {}: {}", (root / kPlanFile).string(), ec.message()));
  for (const PlanKernel &k : p.kernels) {
    fs::path src = root / k.sourceFile;
    if (k.source.empty()) {
      if (!fs::is_regular_file(src))
        return Status::error(
            fmt::format("kernel '{}' has no source and {} does not exist: give the "
                        "kernel's source to writePlan",
                        k.name, src.string()));
      continue;
    }
    fs::create_directories(src.parent_path(), ec);
    if (ec)
      return Status::error(
          fmt::format("cannot create {}: {}", src.parent_path().string(), ec.message()));
    if (Status s = writeFileAtomically(src.string(), k.source); !s)
      return s;
  }
  return writeFileAtomically((root / kPlanFile).string(), planToJson(p));
}
