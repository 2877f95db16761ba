//===- Exec/PlanWrite.cpp - a Plan into plan.json and kernels/ ------------===//

#include "Exec/Plan.h"
#include "Support/AtomicFile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>
#include "Exec/PlanDetail.h"

using namespace ssmc::rt;
using namespace ssmc::rt::plan_detail;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Writing.
//===----------------------------------------------------------------------===//

Json tensorJson(const PlanTensor &T) {
  Json J;
  J["name"] = T.name;
  J["shape"] = T.shape;
  J["dtype"] = planDTypeName(T.dtype);
  return J;
}

Json kernelJson(const PlanKernel &K) {
  Json J;
  J["name"] = K.name;
  J["entry"] = K.entry;
  J["kind"] = K.kind;
  J["source_file"] = K.sourceFile;
  J["ops"] = K.ops;
  J["tunables"] = K.tunables;
  J["default_config"] = K.defaultConfig;
  Json Configs = Json::array();
  for (const PlanConfig &C : K.configs) {
    Json CJ;
    CJ["tunables"] = Json::object();
    for (auto &[Name, Value] : C.tunables)
      CJ["tunables"][Name] = Value;
    CJ["grid"] = C.grid;
    CJ["block"] = C.block;
    CJ["smem_bytes"] = C.smemBytes;
    Configs.push_back(std::move(CJ));
  }
  J["configs"] = std::move(Configs);
  Json Params = Json::array();
  for (const PlanParam &P : K.params) {
    Json PJ;
    PJ["kind"] = paramKindName(P.kind);
    PJ["index"] = P.index;
    PJ["name"] = P.name;
    if (P.kind == PlanParam::Kind::Weight)
      PJ["weight"] = P.weight;
    PJ["shape"] = P.shape;
    PJ["dtype"] = planDTypeName(P.dtype);
    PJ["bytes"] = P.bytes;
    if (P.value.kind == ValueRef::Kind::ModelInput)
      PJ["value"] = {{"model_input", P.value.modelInput}};
    else if (P.value.kind == ValueRef::Kind::Arena)
      PJ["value"] = {{"arena_offset", P.value.arenaOffset}};
    Params.push_back(std::move(PJ));
  }
  J["params"] = std::move(Params);
  J["workspace_bytes"] = K.workspaceBytes;
  return J;
}

/// Pretty JSON for people: nested objects and arrays one entry per line,
/// shapes, grids and other short flat values on one line.
void printJson(const Json &J, std::string &Out, int Indent) {
  auto Flat = [](const Json &V) {
    if (V.is_primitive())
      return true;
    for (const Json &E : V)
      if (!E.is_primitive())
        return false;
    return true;
  };
  if (J.is_primitive() || (Flat(J) && J.dump(1).size() <= 100)) {
    std::string One = J.dump(1, ' ');
    // dump(1) puts each entry on its own line; join them.
    std::string Joined;
    bool Space = false;
    for (char C : One) {
      if (C == '\n') {
        Space = true;
        continue;
      }
      if (Space && C == ' ')
        continue;
      if (Space && C != ']' && C != '}' && !Joined.empty() &&
          Joined.back() != '[' && Joined.back() != '{')
        Joined += ' ';
      Space = false;
      Joined += C;
    }
    Out += Joined;
    return;
  }
  std::string Pad(size_t(Indent + 2), ' ');
  bool Object = J.is_object();
  Out += Object ? "{\n" : "[\n";
  size_t I = 0;
  for (auto It = J.begin(); It != J.end(); ++It, ++I) {
    Out += Pad;
    if (Object)
      Out += Json(It.key()).dump() + ": ";
    printJson(*It, Out, Indent + 2);
    Out += I + 1 < J.size() ? ",\n" : "\n";
  }
  Out += std::string(size_t(Indent), ' ') + (Object ? "}" : "]");
}

} // namespace

std::string ssmc::rt::planToJson(const Plan &P) {
  Json J;
  J["format"] = kPlanFormat;
  J["version"] = kPlanVersion;
  J["model"] = P.model;
  J["dtype"] = planDTypeName(P.dtype);
  J["arch"] = P.arch;
  J["nvrtc_options"] = P.nvrtcOptions;
  J["arena_bytes"] = P.arenaBytes;
  J["inputs"] = Json::array();
  for (const PlanTensor &T : P.inputs)
    J["inputs"].push_back(tensorJson(T));
  J["outputs"] = Json::array();
  for (const PlanOutput &O : P.outputs) {
    Json OJ = tensorJson(O);
    OJ["arena_offset"] = O.arenaOffset;
    J["outputs"].push_back(std::move(OJ));
  }
  J["weights"] = Json::array();
  for (const PlanTensor &T : P.weights)
    J["weights"].push_back(tensorJson(T));
  J["kernels"] = Json::array();
  for (const PlanKernel &K : P.kernels)
    J["kernels"].push_back(kernelJson(K));
  if (!P.metadata.empty()) {
    J["metadata"] = Json::object();
    for (auto &[K, V] : P.metadata)
      J["metadata"][K] = V;
  }
  std::string Out;
  printJson(J, Out, 0);
  return Out + "\n";
}

Status ssmc::rt::writePlan(const std::string &Dir, const Plan &P) {
  fs::path Root(Dir);
  std::error_code EC;
  fs::create_directories(Root, EC);
  if (EC || !fs::is_directory(Root))
    return Status::error(fmt::format("cannot create the artifact directory "
                                     "{}: {}",
                                     Dir, EC ? EC.message() : "not a directory"));
  // No plan.json while the kernels change: a reader sees the old artifact
  // whole, or none.
  fs::remove(Root / kPlanFile, EC);
  if (EC)
    return Status::error(fmt::format("cannot replace {}: {}",
                                     (Root / kPlanFile).string(), EC.message()));
  for (const PlanKernel &K : P.kernels) {
    fs::path Src = Root / K.sourceFile;
    if (K.source.empty()) {
      if (!fs::is_regular_file(Src))
        return Status::error(fmt::format(
            "kernel '{}' has no source and {} does not exist: give the "
            "kernel's source to writePlan",
            K.name, Src.string()));
      continue;
    }
    fs::create_directories(Src.parent_path(), EC);
    if (EC)
      return Status::error(fmt::format("cannot create {}: {}",
                                       Src.parent_path().string(),
                                       EC.message()));
    if (Status S = writeFileAtomically(Src.string(), K.source); !S)
      return S;
  }
  return writeFileAtomically((Root / kPlanFile).string(), planToJson(P));
}
