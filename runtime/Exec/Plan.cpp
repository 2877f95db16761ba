//===- Exec/Plan.cpp - plan.json: reading, checking, writing --------------===//

#include "Exec/Plan.h"

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

using namespace ssmc::rt;
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

constexpr std::string_view FixRecompile =
    "the artifact is damaged or was not written by this ssmc: recompile it "
    "with `ssmc compile MODEL -o DIR`";

bool isIdentifier(std::string_view S) {
  if (S.empty() || std::isdigit(static_cast<unsigned char>(S[0])))
    return false;
  for (char C : S)
    if (!std::isalnum(static_cast<unsigned char>(C)) && C != '_')
      return false;
  return true;
}

/// Kernel names become file names: letters, digits, '_', '-', '.'.
bool isFileNameSafe(std::string_view S) {
  if (S.empty() || S[0] == '.')
    return false;
  for (char C : S)
    if (!std::isalnum(static_cast<unsigned char>(C)) && C != '_' && C != '-' &&
        C != '.')
      return false;
  return true;
}

/// "sm_<digits>" with an optional trailing 'a' (sm_90a).
bool isArch(std::string_view S) {
  if (S.size() < 4 || S.substr(0, 3) != "sm_")
    return false;
  std::string_view Digits = S.substr(3);
  if (!Digits.empty() && Digits.back() == 'a')
    Digits.remove_suffix(1);
  if (Digits.empty())
    return false;
  for (char C : Digits)
    if (!std::isdigit(static_cast<unsigned char>(C)))
      return false;
  return true;
}

/// Product of \p Shape, or nullopt for a negative dimension or overflow.
std::optional<int64_t> checkedElements(const std::vector<int64_t> &Shape) {
  int64_t N = 1;
  for (int64_t D : Shape) {
    if (D < 0 || __builtin_mul_overflow(N, D, &N))
      return std::nullopt;
  }
  return N;
}

std::optional<int64_t> checkedBytes(const std::vector<int64_t> &Shape,
                                    DType D) {
  auto N = checkedElements(Shape);
  int64_t Bytes = 0;
  if (!N || __builtin_mul_overflow(*N, int64_t(dtypeSize(D)), &Bytes))
    return std::nullopt;
  return Bytes;
}

std::string shapeStr(const std::vector<int64_t> &Shape) {
  return fmt::format("[{}]", fmt::join(Shape, ", "));
}

//===----------------------------------------------------------------------===//
// Reading JSON into the structs: the first problem wins and names its key.
//===----------------------------------------------------------------------===//

class Reader {
public:
  explicit Reader(std::string_view What) : What(What) {}

  bool failed() const { return Error.has_value(); }
  Status status() const {
    return Error ? Status::error(*Error) : Status::success();
  }

  void fail(const std::string &Where, const std::string &Problem,
            std::string_view Fix = FixRecompile) {
    if (Error)
      return;
    Error = Where.empty()
                ? fmt::format("{}: {}; {}", What, Problem, Fix)
                : fmt::format("{}: {}: {}; {}", What, Where, Problem, Fix);
  }

  /// The value at \p Key of the object \p Obj, or nullptr (after failing)
  /// when it is missing.
  const Json *field(const Json &Obj, std::string_view Key,
                    const std::string &Where) {
    if (failed())
      return nullptr;
    auto It = Obj.find(std::string(Key));
    if (It == Obj.end()) {
      fail(Where, fmt::format("key '{}' is missing", Key));
      return nullptr;
    }
    return &*It;
  }

  void wrongType(const Json &V, std::string_view Key, const std::string &Where,
                 std::string_view Expected) {
    fail(Where, fmt::format("key '{}' must be {}, not {}", Key, Expected,
                            describe(V)));
  }

  std::string str(const Json &Obj, std::string_view Key,
                  const std::string &Where) {
    const Json *V = field(Obj, Key, Where);
    if (!V)
      return {};
    if (!V->is_string()) {
      wrongType(*V, Key, Where, "a string");
      return {};
    }
    return V->get<std::string>();
  }

  static bool asInt(const Json &V, int64_t &Out) {
    if (V.is_number_unsigned()) {
      auto U = V.get<uint64_t>();
      if (U > uint64_t(INT64_MAX))
        return false;
      Out = int64_t(U);
      return true;
    }
    if (V.is_number_integer()) {
      Out = V.get<int64_t>();
      return true;
    }
    return false;
  }

  int64_t integer(const Json &Obj, std::string_view Key,
                  const std::string &Where) {
    const Json *V = field(Obj, Key, Where);
    int64_t Out = 0;
    if (V && !asInt(*V, Out))
      wrongType(*V, Key, Where, "an integer");
    return Out;
  }

  std::vector<int64_t> ints(const Json &Obj, std::string_view Key,
                            const std::string &Where) {
    std::vector<int64_t> Out;
    const Json *V = field(Obj, Key, Where);
    if (!V)
      return Out;
    if (!V->is_array()) {
      wrongType(*V, Key, Where, "an array of integers");
      return Out;
    }
    for (const Json &E : *V) {
      int64_t I = 0;
      if (!asInt(E, I)) {
        wrongType(*V, Key, Where, "an array of integers");
        return {};
      }
      Out.push_back(I);
    }
    return Out;
  }

  std::array<int64_t, 3> dim3(const Json &Obj, std::string_view Key,
                              const std::string &Where) {
    std::vector<int64_t> V = ints(Obj, Key, Where);
    if (failed())
      return {1, 1, 1};
    if (V.size() != 3) {
      fail(Where, fmt::format("key '{}' must have 3 entries (x, y, z), not {}",
                              Key, V.size()));
      return {1, 1, 1};
    }
    return {V[0], V[1], V[2]};
  }

  std::vector<std::string> strings(const Json &Obj, std::string_view Key,
                                   const std::string &Where) {
    std::vector<std::string> Out;
    const Json *V = field(Obj, Key, Where);
    if (!V)
      return Out;
    if (!V->is_array()) {
      wrongType(*V, Key, Where, "an array of strings");
      return Out;
    }
    for (const Json &E : *V) {
      if (!E.is_string()) {
        wrongType(*V, Key, Where, "an array of strings");
        return {};
      }
      Out.push_back(E.get<std::string>());
    }
    return Out;
  }

  /// The array at \p Key, or nullptr (after failing).
  const Json *array(const Json &Obj, std::string_view Key,
                    const std::string &Where) {
    const Json *V = field(Obj, Key, Where);
    if (V && !V->is_array()) {
      wrongType(*V, Key, Where, "an array");
      return nullptr;
    }
    return V;
  }

  bool object(const Json &V, const std::string &Where) {
    if (failed())
      return false;
    if (!V.is_object()) {
      fail(Where, fmt::format("must be an object, not {}", describe(V)));
      return false;
    }
    return true;
  }

  DType dtype(const Json &Obj, const std::string &Where) {
    std::string Name = str(Obj, "dtype", Where);
    if (failed())
      return DType::F32;
    auto D = parsePlanDType(Name);
    if (!D) {
      fail(Where,
           fmt::format("unknown dtype '{}' (key 'dtype'): a plan stores f32, "
                       "bf16 or f16",
                       Name));
      return DType::F32;
    }
    return *D;
  }

private:
  static std::string describe(const Json &V) {
    switch (V.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_float:
      return "a fractional number";
    default:
      return "a number";
    }
  }

  std::string What;
  std::optional<std::string> Error;
};

PlanTensor readTensor(Reader &R, const Json &J, const std::string &Where) {
  PlanTensor T;
  if (!R.object(J, Where))
    return T;
  T.name = R.str(J, "name", Where);
  T.shape = R.ints(J, "shape", Where);
  T.dtype = R.dtype(J, Where);
  return T;
}

std::optional<PlanParam::Kind> parseParamKind(std::string_view S) {
  if (S == "input")
    return PlanParam::Kind::Input;
  if (S == "weight")
    return PlanParam::Kind::Weight;
  if (S == "output")
    return PlanParam::Kind::Output;
  if (S == "workspace")
    return PlanParam::Kind::Workspace;
  return std::nullopt;
}

ValueRef readValue(Reader &R, const Json &P, const std::string &Where) {
  ValueRef V;
  const Json *J = R.field(P, "value", Where);
  if (!J || !R.object(*J, Where + ".value"))
    return V;
  bool HasInput = J->contains("model_input");
  bool HasArena = J->contains("arena_offset");
  if (HasInput == HasArena) {
    R.fail(Where,
           "key 'value' must hold exactly one of 'model_input' (a model "
           "input's name) or 'arena_offset' (bytes)");
    return V;
  }
  if (HasInput) {
    V.kind = ValueRef::Kind::ModelInput;
    V.modelInput = R.str(*J, "model_input", Where + ".value");
  } else {
    V.kind = ValueRef::Kind::Arena;
    V.arenaOffset = R.integer(*J, "arena_offset", Where + ".value");
  }
  return V;
}

PlanParam readParam(Reader &R, const Json &J, const std::string &Where) {
  PlanParam P;
  if (!R.object(J, Where))
    return P;
  std::string Kind = R.str(J, "kind", Where);
  if (R.failed())
    return P;
  auto K = parseParamKind(Kind);
  if (!K) {
    R.fail(Where, fmt::format("unknown parameter kind '{}' (key 'kind'): use "
                              "input, weight, output or workspace",
                              Kind));
    return P;
  }
  P.kind = *K;
  P.index = R.integer(J, "index", Where);
  P.name = R.str(J, "name", Where);
  if (P.kind == PlanParam::Kind::Weight)
    P.weight = R.str(J, "weight", Where);
  P.shape = R.ints(J, "shape", Where);
  P.dtype = R.dtype(J, Where);
  P.bytes = R.integer(J, "bytes", Where);
  if (P.kind == PlanParam::Kind::Input || P.kind == PlanParam::Kind::Output)
    P.value = readValue(R, J, Where);
  return P;
}

PlanConfig readConfig(Reader &R, const Json &J, const std::string &Where) {
  PlanConfig C;
  if (!R.object(J, Where))
    return C;
  const Json *T = R.field(J, "tunables", Where);
  if (T && !T->is_object())
    R.wrongType(*T, "tunables", Where, "an object of integers");
  if (R.failed())
    return C;
  for (auto It = T->begin(); It != T->end(); ++It) {
    int64_t V = 0;
    if (!Reader::asInt(It.value(), V)) {
      R.fail(Where, fmt::format("tunable '{}' must be an integer", It.key()));
      return C;
    }
    C.tunables[It.key()] = V;
  }
  C.grid = R.dim3(J, "grid", Where);
  C.block = R.dim3(J, "block", Where);
  C.smemBytes = R.integer(J, "smem_bytes", Where);
  return C;
}

PlanKernel readKernel(Reader &R, const Json &J, size_t I) {
  PlanKernel K;
  std::string Where = fmt::format("kernels[{}]", I);
  if (!R.object(J, Where))
    return K;
  K.name = R.str(J, "name", Where);
  if (R.failed())
    return K;
  Where = fmt::format("kernels[{}] ('{}')", I, K.name);
  K.entry = R.str(J, "entry", Where);
  K.kind = R.str(J, "kind", Where);
  K.sourceFile = R.str(J, "source_file", Where);
  K.ops = R.strings(J, "ops", Where);
  K.tunables = R.strings(J, "tunables", Where);
  K.defaultConfig = R.integer(J, "default_config", Where);
  if (const Json *Cs = R.array(J, "configs", Where))
    for (size_t C = 0; C < Cs->size() && !R.failed(); ++C)
      K.configs.push_back(
          readConfig(R, (*Cs)[C], fmt::format("{}.configs[{}]", Where, C)));
  if (const Json *Ps = R.array(J, "params", Where))
    for (size_t P = 0; P < Ps->size() && !R.failed(); ++P)
      K.params.push_back(
          readParam(R, (*Ps)[P], fmt::format("{}.params[{}]", Where, P)));
  K.workspaceBytes = R.integer(J, "workspace_bytes", Where);
  return K;
}

Expected<Plan> readPlan(const Json &J, std::string_view What) {
  Reader R(What);
  Plan P;
  if (!J.is_object()) {
    R.fail("", "the top level must be a JSON object");
    return R.status();
  }
  // Format and version first: a file of another kind or version gets that
  // answer, not a complaint about its keys.
  auto Format = J.find("format");
  if (Format == J.end() || !Format->is_string() ||
      Format->get<std::string>() != kPlanFormat) {
    R.fail("",
           fmt::format("not an ssmc plan (key 'format' must be \"{}\")",
                       kPlanFormat),
           "point ssmc at an artifact directory written by `ssmc compile -o "
           "DIR`");
    return R.status();
  }
  auto Version = J.find("version");
  int64_t V = 0;
  if (Version == J.end() || !Reader::asInt(*Version, V) || V != kPlanVersion) {
    R.fail("",
           fmt::format("plan version {} is not supported (this ssmc reads "
                       "version {})",
                       Version == J.end() ? "missing" : Version->dump(),
                       kPlanVersion),
           "recompile the artifact with this ssmc's `ssmc compile`");
    return R.status();
  }

  P.model = R.str(J, "model", "");
  P.dtype = R.dtype(J, "");
  P.arch = R.str(J, "arch", "");
  P.nvrtcOptions = R.strings(J, "nvrtc_options", "");
  P.arenaBytes = R.integer(J, "arena_bytes", "");
  if (const Json *A = R.array(J, "inputs", ""))
    for (size_t I = 0; I < A->size() && !R.failed(); ++I)
      P.inputs.push_back(readTensor(R, (*A)[I], fmt::format("inputs[{}]", I)));
  if (const Json *A = R.array(J, "outputs", ""))
    for (size_t I = 0; I < A->size() && !R.failed(); ++I) {
      std::string Where = fmt::format("outputs[{}]", I);
      PlanOutput O;
      static_cast<PlanTensor &>(O) = readTensor(R, (*A)[I], Where);
      if (!R.failed())
        O.arenaOffset = R.integer((*A)[I], "arena_offset", Where);
      P.outputs.push_back(std::move(O));
    }
  if (const Json *A = R.array(J, "weights", ""))
    for (size_t I = 0; I < A->size() && !R.failed(); ++I)
      P.weights.push_back(
          readTensor(R, (*A)[I], fmt::format("weights[{}]", I)));
  if (const Json *A = R.array(J, "kernels", ""))
    for (size_t I = 0; I < A->size() && !R.failed(); ++I)
      P.kernels.push_back(readKernel(R, (*A)[I], I));
  if (!R.failed())
    if (auto M = J.find("metadata"); M != J.end()) {
      if (!M->is_object()) {
        R.wrongType(*M, "metadata", "", "an object of strings");
      } else {
        for (auto It = M->begin(); It != M->end(); ++It) {
          if (!It.value().is_string()) {
            R.fail("", fmt::format("metadata '{}' must be a string", It.key()));
            break;
          }
          P.metadata[It.key()] = It.value().get<std::string>();
        }
      }
    }
  if (R.failed())
    return R.status();
  return P;
}

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

/// Writes \p Text to a temporary file next to \p Path, fsyncs and renames it.
Status writeFileAtomic(const fs::path &Path, std::string_view Text) {
  std::string Tmp = fmt::format("{}.tmp.{}", Path.string(), ::getpid());
  int Fd = ::open(Tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (Fd < 0)
    return Status::error(fmt::format("cannot write {}: {}", Path.string(),
                                     std::strerror(errno)));
  const char *Data = Text.data();
  size_t Left = Text.size();
  while (Left > 0) {
    ssize_t N = ::write(Fd, Data, Left);
    if (N < 0 && errno == EINTR)
      continue;
    if (N <= 0) {
      int E = errno;
      ::close(Fd);
      ::unlink(Tmp.c_str());
      return Status::error(fmt::format("cannot write {}: {}", Path.string(),
                                       std::strerror(E)));
    }
    Data += N;
    Left -= size_t(N);
  }
  if (::fsync(Fd) != 0 || ::close(Fd) != 0) {
    int E = errno;
    ::unlink(Tmp.c_str());
    return Status::error(fmt::format("cannot write {}: {}", Path.string(),
                                     std::strerror(E)));
  }
  if (::rename(Tmp.c_str(), Path.c_str()) != 0) {
    int E = errno;
    ::unlink(Tmp.c_str());
    return Status::error(fmt::format("cannot write {}: {}", Path.string(),
                                     std::strerror(E)));
  }
  return Status::success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Public API.
//===----------------------------------------------------------------------===//

std::optional<DType> ssmc::rt::parsePlanDType(std::string_view Name) {
  if (Name == "f32")
    return DType::F32;
  if (Name == "bf16")
    return DType::BF16;
  if (Name == "f16")
    return DType::F16;
  return std::nullopt;
}

std::string_view ssmc::rt::planDTypeName(DType D) {
  switch (D) {
  case DType::F32:
    return "f32";
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  default:
    return "unsupported";
  }
}

std::string_view ssmc::rt::paramKindName(PlanParam::Kind K) {
  switch (K) {
  case PlanParam::Kind::Input:
    return "input";
  case PlanParam::Kind::Weight:
    return "weight";
  case PlanParam::Kind::Output:
    return "output";
  case PlanParam::Kind::Workspace:
    return "workspace";
  }
  return "input";
}

int64_t PlanTensor::numElements() const {
  return checkedElements(shape).value_or(-1);
}

int64_t PlanTensor::bytes() const {
  return checkedBytes(shape, dtype).value_or(-1);
}

const PlanTensor *Plan::findInput(std::string_view Name) const {
  for (const PlanTensor &T : inputs)
    if (T.name == Name)
      return &T;
  return nullptr;
}

const PlanTensor *Plan::findWeight(std::string_view Name) const {
  for (const PlanTensor &T : weights)
    if (T.name == Name)
      return &T;
  return nullptr;
}

const PlanKernel *Plan::findKernel(std::string_view Name) const {
  for (const PlanKernel &K : kernels)
    if (K.name == Name)
      return &K;
  return nullptr;
}

std::vector<std::string> ssmc::rt::configDefines(const PlanConfig &Config) {
  std::vector<std::string> Out;
  for (const auto &[Name, Value] : Config.tunables)
    Out.push_back(fmt::format("-DSSMC_{}={}", Name, Value));
  return Out;
}

Status ssmc::rt::validatePlan(const Plan &P, std::string_view What) {
  return Checker(P, What).run();
}

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

Expected<Plan> ssmc::rt::parsePlan(std::string_view Text,
                                   std::string_view What) {
  Json J;
  try {
    J = Json::parse(Text.begin(), Text.end());
  } catch (const Json::parse_error &E) {
    return Status::error(fmt::format(
        "{} is not valid JSON (at byte {}: {}); {}", What, E.byte,
        E.what(), FixRecompile));
  }
  auto P = readPlan(J, What);
  if (!P)
    return P;
  if (Status S = validatePlan(*P, What); !S)
    return S;
  return P;
}

Status ssmc::rt::writePlan(const std::string &Dir, const Plan &P) {
  fs::path Root(Dir);
  if (Status S = validatePlan(P, (Root / kPlanFile).string()); !S)
    return Status::error("refusing to write an invalid artifact: " +
                         S.message());
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
    if (Status S = writeFileAtomic(Src, K.source); !S)
      return S;
  }
  return writeFileAtomic(Root / kPlanFile, planToJson(P));
}

Expected<Plan> ssmc::rt::loadArtifact(const std::string &Dir) {
  fs::path Root(Dir);
  std::error_code EC;
  if (!fs::exists(Root, EC))
    return Status::error(fmt::format(
        "artifact directory '{}' does not exist: compile one with `ssmc "
        "compile MODEL -o {}`",
        Dir, Dir));
  if (!fs::is_directory(Root, EC))
    return Status::error(fmt::format(
        "'{}' is not a directory: an artifact is the directory `ssmc compile "
        "MODEL -o DIR` writes",
        Dir));
  fs::path PlanPath = Root / kPlanFile;
  if (!fs::exists(PlanPath, EC))
    return Status::error(fmt::format(
        "{} is missing: '{}' is not an ssmc artifact, or writing it was "
        "interrupted; compile it with `ssmc compile MODEL -o {}`",
        PlanPath.string(), Dir, Dir));
  std::ifstream In(PlanPath, std::ios::binary);
  std::ostringstream Text;
  if (In)
    Text << In.rdbuf();
  if (!In || !fs::is_regular_file(PlanPath, EC))
    return Status::error(fmt::format("cannot read {}: {}; check its "
                                     "permissions",
                                     PlanPath.string(),
                                     errno ? std::strerror(errno)
                                           : "not a regular file"));
  auto P = parsePlan(Text.str(), PlanPath.string());
  if (!P)
    return P;
  for (size_t I = 0; I < P->kernels.size(); ++I) {
    PlanKernel &K = P->kernels[I];
    fs::path Src = Root / K.sourceFile;
    if (!fs::is_regular_file(Src, EC))
      return Status::error(fmt::format(
          "{}: kernel '{}' needs {}, which is missing; the artifact is "
          "incomplete: recompile it with `ssmc compile MODEL -o {}`",
          PlanPath.string(), K.name, Src.string(), Dir));
    std::ifstream S(Src, std::ios::binary);
    std::ostringstream Body;
    if (S)
      Body << S.rdbuf();
    if (!S)
      return Status::error(fmt::format("cannot read {} (kernel '{}'): {}",
                                       Src.string(), K.name,
                                       std::strerror(errno)));
    K.source = Body.str();
    if (K.source.empty())
      return Status::error(fmt::format(
          "{} (kernel '{}') is empty; recompile the artifact with `ssmc "
          "compile MODEL -o {}`",
          Src.string(), K.name, Dir));
  }
  return P;
}
