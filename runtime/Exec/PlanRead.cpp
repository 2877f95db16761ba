//===- Exec/PlanRead.cpp - plan.json into a Plan --------------------------===//
//
// Reading checks types and names key by key (the first problem wins and
// names its key); the consistency rules follow (PlanCheck.cpp).
//
//===----------------------------------------------------------------------===//

#include "Exec/Plan.h"
#include "Exec/PlanDetail.h"
#include "Support/JsonKeys.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

using namespace ssmc::rt;
using namespace ssmc::rt::plan_detail;
namespace fs = std::filesystem;

namespace {

//===----------------------------------------------------------------------===//
// Reading JSON into the structs: the first problem wins and names its key.
//===----------------------------------------------------------------------===//

class Reader {
public:
  explicit Reader(std::string_view what) : what_(what) {}

  bool failed() const { return error_.has_value(); }
  Status status() const { return error_ ? Status::error(*error_) : Status::success(); }

  void fail(const std::string &where, const std::string &problem,
            std::string_view fix = fixRecompile) {
    if (error_)
      return;
    error_ = where.empty() ? fmt::format("{}: {}; {}", what_, problem, fix)
                           : fmt::format("{}: {}: {}; {}", what_, where, problem, fix);
  }

  /// The value at \p Key of the object \p Obj, or nullptr (after failing)
  /// when it is missing.
  const Json *field(const Json &obj, std::string_view key, const std::string &where) {
    if (failed())
      return nullptr;
    auto it = obj.find(std::string(key));
    if (it == obj.end()) {
      fail(where, fmt::format("key '{}' is missing", key));
      return nullptr;
    }
    return &*it;
  }

  void wrongType(const Json &v, std::string_view key, const std::string &where,
                 std::string_view expected) {
    fail(where, fmt::format("key '{}' must be {}, not {}", key, expected, describe(v)));
  }

  std::string str(const Json &obj, std::string_view key, const std::string &where) {
    const Json *v = field(obj, key, where);
    if (!v)
      return {};
    if (!v->is_string()) {
      wrongType(*v, key, where, "a string");
      return {};
    }
    return v->get<std::string>();
  }

  static bool asInt(const Json &v, int64_t &out) {
    if (v.is_number_unsigned()) {
      auto u = v.get<uint64_t>();
      if (u > uint64_t(INT64_MAX))
        return false;
      out = int64_t(u);
      return true;
    }
    if (v.is_number_integer()) {
      out = v.get<int64_t>();
      return true;
    }
    return false;
  }

  int64_t integer(const Json &obj, std::string_view key, const std::string &where) {
    const Json *v = field(obj, key, where);
    int64_t out = 0;
    if (v && !asInt(*v, out))
      wrongType(*v, key, where, "an integer");
    return out;
  }

  std::vector<int64_t> ints(const Json &obj, std::string_view key, const std::string &where) {
    std::vector<int64_t> out;
    const Json *v = field(obj, key, where);
    if (!v)
      return out;
    if (!v->is_array()) {
      wrongType(*v, key, where, "an array of integers");
      return out;
    }
    for (const Json &e : *v) {
      int64_t i = 0;
      if (!asInt(e, i)) {
        wrongType(*v, key, where, "an array of integers");
        return {};
      }
      out.push_back(i);
    }
    return out;
  }

  std::array<int64_t, 3> dim3(const Json &obj, std::string_view key, const std::string &where) {
    std::vector<int64_t> v = ints(obj, key, where);
    if (failed())
      return {1, 1, 1};
    if (v.size() != 3) {
      fail(where, fmt::format("key '{}' must have 3 entries (x, y, z), not {}", key, v.size()));
      return {1, 1, 1};
    }
    return {v[0], v[1], v[2]};
  }

  std::vector<std::string> strings(const Json &obj, std::string_view key,
                                   const std::string &where) {
    std::vector<std::string> out;
    const Json *v = field(obj, key, where);
    if (!v)
      return out;
    if (!v->is_array()) {
      wrongType(*v, key, where, "an array of strings");
      return out;
    }
    for (const Json &e : *v) {
      if (!e.is_string()) {
        wrongType(*v, key, where, "an array of strings");
        return {};
      }
      out.push_back(e.get<std::string>());
    }
    return out;
  }

  /// The array at \p Key, or nullptr (after failing).
  const Json *array(const Json &obj, std::string_view key, const std::string &where) {
    const Json *v = field(obj, key, where);
    if (v && !v->is_array()) {
      wrongType(*v, key, where, "an array");
      return nullptr;
    }
    return v;
  }

  bool object(const Json &v, const std::string &where) {
    if (failed())
      return false;
    if (!v.is_object()) {
      fail(where, fmt::format("must be an object, not {}", describe(v)));
      return false;
    }
    return true;
  }

  DType dtype(const Json &obj, const std::string &where) {
    std::string name = str(obj, "dtype", where);
    if (failed())
      return DType::F32;
    auto d = parsePlanDType(name);
    if (!d) {
      fail(where, fmt::format("unknown dtype '{}' (key 'dtype'): a plan stores f32, "
                              "bf16 or f16",
                              name));
      return DType::F32;
    }
    return *d;
  }

private:
  static std::string describe(const Json &v) {
    switch (v.type()) {
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

  std::string what_;
  std::optional<std::string> error_;
};

PlanTensor readTensor(Reader &r, const Json &j, const std::string &where) {
  PlanTensor t;
  if (!r.object(j, where))
    return t;
  t.name = r.str(j, "name", where);
  t.shape = r.ints(j, "shape", where);
  t.dtype = r.dtype(j, where);
  if (j.contains("stored_as"))
    t.storedAs = r.ints(j, "stored_as", where);
  if (j.contains("row_pitch"))
    t.rowPitch = r.integer(j, "row_pitch", where);
  if (j.contains("inserted_zeros"))
    t.insertedZeros = r.ints(j, "inserted_zeros", where);
  return t;
}

std::optional<PlanParam::Kind> parseParamKind(std::string_view s) {
  if (s == "input")
    return PlanParam::Kind::Input;
  if (s == "weight")
    return PlanParam::Kind::Weight;
  if (s == "output")
    return PlanParam::Kind::Output;
  if (s == "workspace")
    return PlanParam::Kind::Workspace;
  return std::nullopt;
}

ValueRef readValue(Reader &r, const Json &p, const std::string &where) {
  ValueRef v;
  const Json *j = r.field(p, "value", where);
  if (!j || !r.object(*j, where + ".value"))
    return v;
  bool hasInput = j->contains("model_input");
  bool hasArena = j->contains("arena_offset");
  if (hasInput == hasArena) {
    r.fail(where, "key 'value' must hold exactly one of 'model_input' (a model "
                  "input's name) or 'arena_offset' (bytes)");
    return v;
  }
  if (hasInput) {
    v.kind = ValueRef::Kind::ModelInput;
    v.modelInput = r.str(*j, "model_input", where + ".value");
  } else {
    v.kind = ValueRef::Kind::Arena;
    v.arenaOffset = r.integer(*j, "arena_offset", where + ".value");
  }
  return v;
}

PlanParam readParam(Reader &r, const Json &j, const std::string &where) {
  PlanParam p;
  if (!r.object(j, where))
    return p;
  std::string kind = r.str(j, "kind", where);
  if (r.failed())
    return p;
  auto k = parseParamKind(kind);
  if (!k) {
    r.fail(where, fmt::format("unknown parameter kind '{}' (key 'kind'): use "
                              "input, weight, output or workspace",
                              kind));
    return p;
  }
  p.kind = *k;
  p.index = r.integer(j, "index", where);
  p.name = r.str(j, "name", where);
  if (p.kind == PlanParam::Kind::Weight)
    p.weight = r.str(j, "weight", where);
  p.shape = r.ints(j, "shape", where);
  p.dtype = r.dtype(j, where);
  p.bytes = r.integer(j, "bytes", where);
  if (p.kind == PlanParam::Kind::Input || p.kind == PlanParam::Kind::Output)
    p.value = readValue(r, j, where);
  return p;
}

PlanConfig readConfig(Reader &r, const Json &j, const std::string &where) {
  PlanConfig c;
  if (!r.object(j, where))
    return c;
  const Json *t = r.field(j, "tunables", where);
  if (t && !t->is_object())
    r.wrongType(*t, "tunables", where, "an object of integers");
  if (r.failed())
    return c;
  for (auto it = t->begin(); it != t->end(); ++it) {
    int64_t v = 0;
    if (!Reader::asInt(it.value(), v)) {
      r.fail(where, fmt::format("tunable '{}' must be an integer", it.key()));
      return c;
    }
    c.tunables[it.key()] = v;
  }
  c.grid = r.dim3(j, "grid", where);
  c.block = r.dim3(j, "block", where);
  c.smemBytes = r.integer(j, "smem_bytes", where);
  return c;
}

PlanKernel readKernel(Reader &r, const Json &j, size_t i) {
  PlanKernel k;
  std::string where = fmt::format("kernels[{}]", i);
  if (!r.object(j, where))
    return k;
  k.name = r.str(j, "name", where);
  if (r.failed())
    return k;
  where = fmt::format("kernels[{}] ('{}')", i, k.name);
  k.entry = r.str(j, "entry", where);
  k.kind = r.str(j, "kind", where);
  k.sourceFile = r.str(j, "source_file", where);
  k.ops = r.strings(j, "ops", where);
  k.tunables = r.strings(j, "tunables", where);
  k.defaultConfig = r.integer(j, "default_config", where);
  if (const Json *cs = r.array(j, "configs", where))
    for (size_t c = 0; c < cs->size() && !r.failed(); ++c)
      k.configs.push_back(readConfig(r, (*cs)[c], fmt::format("{}.configs[{}]", where, c)));
  if (const Json *ps = r.array(j, "params", where))
    for (size_t p = 0; p < ps->size() && !r.failed(); ++p)
      k.params.push_back(readParam(r, (*ps)[p], fmt::format("{}.params[{}]", where, p)));
  k.workspaceBytes = r.integer(j, "workspace_bytes", where);
  return k;
}

} // namespace

Expected<Plan> ssmc::rt::plan_detail::readPlan(const Json &j, std::string_view what) {
  Reader r(what);
  Plan p;
  if (!j.is_object()) {
    r.fail("", "the top level must be a JSON object");
    return r.status();
  }
  // Format and version first: a file of another kind or version gets that
  // answer, not a complaint about its keys.
  auto format = j.find("format");
  if (format == j.end() || !format->is_string() || format->get<std::string>() != kPlanFormat) {
    r.fail("", fmt::format("not an ssmc plan (key 'format' must be \"{}\")", kPlanFormat),
           "point ssmc at an artifact directory written by `ssmc compile -o "
           "DIR`");
    return r.status();
  }
  auto version = j.find("version");
  int64_t v = 0;
  if (version == j.end() || !Reader::asInt(*version, v) || v < kOldestPlanVersion ||
      v > kPlanVersion) {
    r.fail("",
           fmt::format("plan version {} is not supported (this ssmc reads "
                       "versions {} to {})",
                       version == j.end() ? "missing" : version->dump(), kOldestPlanVersion,
                       kPlanVersion),
           "recompile the artifact with this ssmc's `ssmc compile`");
    return r.status();
  }

  p.model = r.str(j, "model", "");
  p.dtype = r.dtype(j, "");
  p.arch = r.str(j, "arch", "");
  p.nvrtcOptions = r.strings(j, "nvrtc_options", "");
  p.arenaBytes = r.integer(j, "arena_bytes", "");
  if (const Json *a = r.array(j, "inputs", ""))
    for (size_t i = 0; i < a->size() && !r.failed(); ++i)
      p.inputs.push_back(readTensor(r, (*a)[i], fmt::format("inputs[{}]", i)));
  if (const Json *a = r.array(j, "outputs", ""))
    for (size_t i = 0; i < a->size() && !r.failed(); ++i) {
      std::string where = fmt::format("outputs[{}]", i);
      PlanOutput o;
      static_cast<PlanTensor &>(o) = readTensor(r, (*a)[i], where);
      if (!r.failed())
        o.arenaOffset = r.integer((*a)[i], "arena_offset", where);
      p.outputs.push_back(std::move(o));
    }
  if (const Json *a = r.array(j, "weights", ""))
    for (size_t i = 0; i < a->size() && !r.failed(); ++i)
      p.weights.push_back(readTensor(r, (*a)[i], fmt::format("weights[{}]", i)));
  if (const Json *a = r.array(j, "kernels", ""))
    for (size_t i = 0; i < a->size() && !r.failed(); ++i)
      p.kernels.push_back(readKernel(r, (*a)[i], i));
  if (!r.failed())
    if (auto m = j.find("metadata"); m != j.end()) {
      if (!m->is_object()) {
        r.wrongType(*m, "metadata", "", "an object of strings");
      } else {
        for (auto it = m->begin(); it != m->end(); ++it) {
          if (!it.value().is_string()) {
            r.fail("", fmt::format("metadata '{}' must be a string", it.key()));
            break;
          }
          p.metadata[it.key()] = it.value().get<std::string>();
        }
      }
    }
  if (r.failed())
    return r.status();
  return p;
}

Expected<Plan> ssmc::rt::parsePlan(std::string_view text, std::string_view what) {
  Json j;
  DuplicateKeyFinder dups; // a key given twice would silently lose a value
  try {
    j = Json::parse(text.begin(), text.end(), std::ref(dups));
  } catch (const Json::parse_error &e) {
    return Status::error(fmt::format("{} is not valid JSON (at byte {}: {}); {}", what, e.byte,
                                     e.what(), fixRecompile));
  } catch (const Json::exception &e) { // a number too large for any type
    return Status::error(fmt::format("{} cannot be read: {}; {}", what, e.what(), fixRecompile));
  }
  if (dups.duplicate)
    return Status::error(fmt::format("{}: key '{}' appears twice in one object; {}", what,
                                     *dups.duplicate, fixRecompile));
  auto p = readPlan(j, what);
  if (!p)
    return p;
  if (Status s = validatePlan(*p, what); !s)
    return s;
  return p;
}

Expected<Plan> ssmc::rt::loadArtifact(const std::string &dir) {
  fs::path root(dir);
  std::error_code ec;
  if (!fs::exists(root, ec))
    return Status::error(
        fmt::format("artifact directory '{}' does not exist: compile one with `ssmc "
                    "compile MODEL -o {}`",
                    dir, dir));
  if (!fs::is_directory(root, ec))
    return Status::error(
        fmt::format("'{}' is not a directory: an artifact is the directory `ssmc compile "
                    "MODEL -o DIR` writes",
                    dir));
  if (fs::exists(root / kIncompleteMarker, ec))
    return Status::error(fmt::format("'{}' is an artifact that `ssmc compile` was interrupted "
                                     "while writing: compile it again with `ssmc compile MODEL "
                                     "-o DIR` (and remove this directory)",
                                     dir));
  fs::path planPath = root / kPlanFile;
  if (!fs::exists(planPath, ec))
    return Status::error(
        fmt::format("{} is missing: '{}' is not an ssmc artifact, or writing it was "
                    "interrupted; compile it with `ssmc compile MODEL -o {}`",
                    planPath.string(), dir, dir));
  std::ifstream in(planPath, std::ios::binary);
  std::ostringstream text;
  if (in)
    text << in.rdbuf();
  if (!in || !fs::is_regular_file(planPath, ec))
    return Status::error(fmt::format("cannot read {}: {}; check its "
                                     "permissions",
                                     planPath.string(),
                                     errno ? std::strerror(errno) : "not a regular file"));
  auto p = parsePlan(text.str(), planPath.string());
  if (!p)
    return p;
  for (size_t i = 0; i < p->kernels.size(); ++i) {
    PlanKernel &k = p->kernels[i];
    fs::path src = root / k.sourceFile;
    // An artifact's kernels are its own files: a link could make NVRTC read
    // (and its error echo) any file the user can read.
    if (fs::is_symlink(src, ec))
      return Status::error(
          fmt::format("{}: kernel '{}' is {}, a symbolic link; an artifact's kernels must be "
                      "its own files: recompile it with `ssmc compile MODEL -o {}`",
                      planPath.string(), k.name, src.string(), dir));
    if (!fs::is_regular_file(src, ec))
      return Status::error(
          fmt::format("{}: kernel '{}' needs {}, which is missing; the artifact is "
                      "incomplete: recompile it with `ssmc compile MODEL -o {}`",
                      planPath.string(), k.name, src.string(), dir));
    std::ifstream s(src, std::ios::binary);
    std::ostringstream body;
    if (s)
      body << s.rdbuf();
    if (!s)
      return Status::error(fmt::format("cannot read {} (kernel '{}'): {}", src.string(), k.name,
                                       std::strerror(errno)));
    k.source = body.str();
    if (k.source.empty())
      return Status::error(
          fmt::format("{} (kernel '{}') is empty; recompile the artifact with `ssmc "
                      "compile MODEL -o {}`",
                      src.string(), k.name, dir));
  }
  return p;
}
