//===- Exec/PlanRead.cpp - plan.json into a Plan --------------------------===//
//
// Reading checks types and names key by key (the first problem wins and
// names its key); the consistency rules follow (PlanCheck.cpp).
//
//===----------------------------------------------------------------------===//

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

} // namespace

Expected<Plan> ssmc::rt::plan_detail::readPlan(const Json &J, std::string_view What) {
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
