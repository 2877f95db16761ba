//===- Exec/PlanCheck.cpp - a plan's consistency rules --------------------===//

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
// Consistency rules on the structs.
//===----------------------------------------------------------------------===//

class Checker {
public:
  Checker(const Plan &P, std::string_view What) : P(P), What(What) {}

  Status run() {
    if (Status S = checkModel(); !S)
      return S;
    // Arena regions written so far: (offset, bytes) of earlier outputs.
    std::set<std::pair<int64_t, int64_t>> Written;
    std::set<std::string> Names;
    for (size_t I = 0; I < P.kernels.size(); ++I) {
      const PlanKernel &K = P.kernels[I];
      std::string Where = fmt::format("kernels[{}] ('{}')", I, K.name);
      if (!isFileNameSafe(K.name))
        return fail(Where, "kernel names must be non-empty and use only "
                           "letters, digits, '_', '-' and '.'");
      if (!Names.insert(K.name).second)
        return fail(Where, fmt::format("a second kernel is named '{}': "
                                       "kernel names must be unique",
                                       K.name));
      if (Status S = checkKernel(K, Where, Written); !S)
        return S;
    }
    for (size_t I = 0; I < P.outputs.size(); ++I) {
      const PlanOutput &O = P.outputs[I];
      if (!Written.count({O.arenaOffset, O.bytes()}))
        return fail(
            fmt::format("outputs[{}] ('{}')", I, O.name),
            fmt::format("arena bytes [{}, {}) are written by no kernel",
                        O.arenaOffset, O.arenaOffset + O.bytes()));
    }
    return Status::success();
  }

private:
  Status fail(const std::string &Where, const std::string &Problem,
              std::string_view Fix = FixRecompile) const {
    return Status::error(
        Where.empty() ? fmt::format("{}: {}; {}", What, Problem, Fix)
                      : fmt::format("{}: {}: {}; {}", What, Where, Problem,
                                    Fix));
  }

  Status checkTensor(const PlanTensor &T, const std::string &Where) const {
    if (T.name.empty())
      return fail(Where, "the name is empty");
    if (!checkedBytes(T.shape, T.dtype))
      return fail(Where, fmt::format("shape {} has a negative dimension or "
                                     "is too large",
                                     shapeStr(T.shape)));
    return Status::success();
  }

  Status checkArenaRange(int64_t Offset, int64_t Bytes, DType D,
                         const std::string &Where) const {
    int64_t End = 0;
    if (Offset < 0 || __builtin_add_overflow(Offset, Bytes, &End) ||
        End > P.arenaBytes)
      return fail(Where,
                  fmt::format("arena bytes [{}, {}) lie outside the arena "
                              "(arena_bytes {})",
                              Offset, Offset + Bytes, P.arenaBytes));
    if (Offset % int64_t(dtypeSize(D)) != 0)
      return fail(Where,
                  fmt::format("arena offset {} is not a multiple of the "
                              "element size {} of {}",
                              Offset, dtypeSize(D), planDTypeName(D)));
    return Status::success();
  }

  Status checkModel() const {
    if (!isArch(P.arch))
      return fail("", fmt::format("arch '{}' is not a CUDA target such as "
                                  "sm_80 or sm_90",
                                  P.arch));
    if (P.arenaBytes < 0)
      return fail("", fmt::format("arena_bytes is negative ({})", P.arenaBytes));
    if (P.dtype != DType::F32 && P.dtype != DType::BF16 &&
        P.dtype != DType::F16)
      return fail("", fmt::format("dtype {} is not a plan dtype (f32, bf16, "
                                  "f16)",
                                  dtypeName(P.dtype)));
    struct List {
      const char *Key;
      std::vector<const PlanTensor *> Items;
    };
    List Lists[3] = {{"inputs", {}}, {"outputs", {}}, {"weights", {}}};
    for (auto &T : P.inputs)
      Lists[0].Items.push_back(&T);
    for (auto &T : P.outputs)
      Lists[1].Items.push_back(&T);
    for (auto &T : P.weights)
      Lists[2].Items.push_back(&T);
    for (const List &L : Lists) {
      std::set<std::string> Seen;
      for (size_t I = 0; I < L.Items.size(); ++I) {
        std::string Where = fmt::format("{}[{}] ('{}')", L.Key, I,
                                        L.Items[I]->name);
        if (Status S = checkTensor(*L.Items[I], Where); !S)
          return S;
        if (!Seen.insert(L.Items[I]->name).second)
          return fail(Where, fmt::format("'{}' appears twice in '{}'",
                                         L.Items[I]->name, L.Key));
      }
    }
    for (size_t I = 0; I < P.outputs.size(); ++I)
      if (Status S = checkArenaRange(
              P.outputs[I].arenaOffset, P.outputs[I].bytes(),
              P.outputs[I].dtype,
              fmt::format("outputs[{}] ('{}')", I, P.outputs[I].name));
          !S)
        return S;
    return Status::success();
  }

  Status checkConfig(const PlanKernel &K, const PlanConfig &C,
                     const std::string &Where) const {
    std::set<std::string> Want(K.tunables.begin(), K.tunables.end());
    std::set<std::string> Have;
    for (auto &[Name, Value] : C.tunables)
      Have.insert(Name);
    if (Want != Have)
      return fail(Where, fmt::format("sets tunables {} but the kernel's "
                                     "tunables are {}",
                                     fmt::join(Have, ", "),
                                     fmt::join(Want, ", ")));
    static const int64_t GridMax[3] = {INT32_MAX, 65535, 65535};
    static const int64_t BlockMax[3] = {1024, 1024, 64};
    static const char Axis[3] = {'x', 'y', 'z'};
    for (int A = 0; A < 3; ++A) {
      if (C.grid[A] < 1 || C.grid[A] > GridMax[A])
        return fail(Where, fmt::format("grid.{} is {}: it must be 1 to {}",
                                       Axis[A], C.grid[A], GridMax[A]));
      if (C.block[A] < 1 || C.block[A] > BlockMax[A])
        return fail(Where, fmt::format("block.{} is {}: it must be 1 to {}",
                                       Axis[A], C.block[A], BlockMax[A]));
    }
    int64_t Threads = C.block[0] * C.block[1] * C.block[2];
    if (Threads > kMaxThreadsPerBlock)
      return fail(Where, fmt::format("block [{}] has {} threads: at most {} "
                                     "are allowed",
                                     fmt::join(C.block, ", "), Threads,
                                     kMaxThreadsPerBlock));
    if (C.smemBytes < 0 || C.smemBytes > kMaxSmemBytes)
      return fail(Where, fmt::format("smem_bytes {} is outside 0 to {} (227 "
                                     "KiB, the most any GPU allows)",
                                     C.smemBytes, kMaxSmemBytes));
    return Status::success();
  }

  Status checkParam(const PlanKernel &K, const PlanParam &Pa,
                    const std::string &Where,
                    const std::set<std::pair<int64_t, int64_t>> &Written)
      const {
    if (!isIdentifier(Pa.name))
      return fail(Where, fmt::format("parameter name '{}' is not a C++ "
                                     "identifier",
                                     Pa.name));
    if (Pa.dtype != DType::F32 && Pa.dtype != DType::BF16 &&
        Pa.dtype != DType::F16)
      return fail(Where, fmt::format("dtype {} is not a plan dtype",
                                     dtypeName(Pa.dtype)));
    if (Pa.kind == PlanParam::Kind::Workspace) {
      if (Pa.shape.size() != 1 || Pa.shape[0] != Pa.bytes)
        return fail(Where, fmt::format("a workspace's shape must be [bytes] "
                                       "= [{}], not {}",
                                       Pa.bytes, shapeStr(Pa.shape)));
      if (Pa.bytes < 0 || Pa.bytes > K.workspaceBytes)
        return fail(Where, fmt::format("workspace of {} bytes exceeds the "
                                       "kernel's workspace_bytes {}",
                                       Pa.bytes, K.workspaceBytes));
      return Status::success();
    }
    auto Bytes = checkedBytes(Pa.shape, Pa.dtype);
    if (!Bytes)
      return fail(Where, fmt::format("shape {} has a negative dimension or "
                                     "is too large",
                                     shapeStr(Pa.shape)));
    if (*Bytes != Pa.bytes)
      return fail(Where,
                  fmt::format("bytes is {} but shape {} of {} takes {} bytes",
                              Pa.bytes, shapeStr(Pa.shape),
                              planDTypeName(Pa.dtype), *Bytes));
    switch (Pa.kind) {
    case PlanParam::Kind::Weight: {
      const PlanTensor *W = P.findWeight(Pa.weight);
      if (!W)
        return fail(Where, fmt::format("weight '{}' is not in the plan's "
                                       "'weights'",
                                       Pa.weight));
      if (W->shape != Pa.shape || W->dtype != Pa.dtype)
        return fail(Where, fmt::format("weight '{}' is {} {} here but {} {} "
                                       "in 'weights'",
                                       Pa.weight, shapeStr(Pa.shape),
                                       planDTypeName(Pa.dtype),
                                       shapeStr(W->shape),
                                       planDTypeName(W->dtype)));
      return Status::success();
    }
    case PlanParam::Kind::Input:
      if (Pa.index < 0)
        return fail(Where, fmt::format("index {} is negative", Pa.index));
      if (Pa.value.kind == ValueRef::Kind::ModelInput) {
        const PlanTensor *In = P.findInput(Pa.value.modelInput);
        if (!In)
          return fail(Where, fmt::format("binds model input '{}', which is "
                                         "not in the plan's 'inputs'",
                                         Pa.value.modelInput));
        if (In->shape != Pa.shape || In->dtype != Pa.dtype)
          return fail(Where,
                      fmt::format("is {} {} but model input '{}' is {} {}",
                                  shapeStr(Pa.shape), planDTypeName(Pa.dtype),
                                  In->name, shapeStr(In->shape),
                                  planDTypeName(In->dtype)));
        return Status::success();
      }
      if (Pa.value.kind != ValueRef::Kind::Arena)
        return fail(Where, "an input parameter needs a 'value'");
      if (Status S =
              checkArenaRange(Pa.value.arenaOffset, Pa.bytes, Pa.dtype, Where);
          !S)
        return S;
      if (!Written.count({Pa.value.arenaOffset, Pa.bytes}))
        return fail(Where, fmt::format("reads arena bytes [{}, {}), which no "
                                       "earlier kernel writes (kernels out "
                                       "of order, or wrong offsets)",
                                       Pa.value.arenaOffset,
                                       Pa.value.arenaOffset + Pa.bytes));
      return Status::success();
    case PlanParam::Kind::Output:
      if (Pa.index < 0)
        return fail(Where, fmt::format("index {} is negative", Pa.index));
      if (Pa.value.kind != ValueRef::Kind::Arena)
        return fail(Where, "an output parameter must be bound to "
                           "{\"arena_offset\": N}");
      return checkArenaRange(Pa.value.arenaOffset, Pa.bytes, Pa.dtype, Where);
    case PlanParam::Kind::Workspace:
      break;
    }
    return Status::success();
  }

  Status checkKernel(const PlanKernel &K, const std::string &Where,
                     std::set<std::pair<int64_t, int64_t>> &Written) const {
    if (!isIdentifier(K.entry))
      return fail(Where, fmt::format("entry '{}' is not a C symbol", K.entry));
    if (K.kind.empty())
      return fail(Where, "kind is empty");
    fs::path Src(K.sourceFile);
    bool Escapes = Src.empty() || Src.is_absolute();
    for (const auto &Part : Src)
      Escapes |= Part == "..";
    if (Escapes)
      return fail(Where, fmt::format("source_file '{}' must be a path inside "
                                     "the artifact (kernels/<name>.cu)",
                                     K.sourceFile));
    std::set<std::string> Tunables;
    for (const std::string &T : K.tunables)
      if (!isIdentifier(T) || !Tunables.insert(T).second)
        return fail(Where, fmt::format("tunable '{}' is not an identifier or "
                                       "appears twice",
                                       T));
    if (K.configs.empty())
      return fail(Where, "has no configurations");
    if (K.defaultConfig < 0 || K.defaultConfig >= int64_t(K.configs.size()))
      return fail(Where, fmt::format("default_config {} is out of range: "
                                     "there are {} configurations (0 to {})",
                                     K.defaultConfig, K.configs.size(),
                                     K.configs.size() - 1));
    for (size_t C = 0; C < K.configs.size(); ++C)
      if (Status S = checkConfig(K, K.configs[C],
                                 fmt::format("{}.configs[{}]", Where, C));
          !S)
        return S;
    if (K.workspaceBytes < 0)
      return fail(Where, fmt::format("workspace_bytes is negative ({})",
                                     K.workspaceBytes));
    std::set<std::string> ParamNames;
    for (size_t I = 0; I < K.params.size(); ++I) {
      const PlanParam &Pa = K.params[I];
      std::string PW = fmt::format("{}.params[{}] ('{}')", Where, I, Pa.name);
      if (!ParamNames.insert(Pa.name).second)
        return fail(PW, fmt::format("a second parameter is named '{}'",
                                    Pa.name));
      if (Status S = checkParam(K, Pa, PW, Written); !S)
        return S;
    }
    for (const PlanParam &Pa : K.params)
      if (Pa.kind == PlanParam::Kind::Output)
        Written.insert({Pa.value.arenaOffset, Pa.bytes});
    return Status::success();
  }

  const Plan &P;
  std::string What;
};

} // namespace

Status ssmc::rt::validatePlan(const Plan &P, std::string_view What) {
  return Checker(P, What).run();
}
