//===- Exec/PlanCheck.cpp - a plan's consistency rules --------------------===//

#include "Exec/Plan.h"
#include "Exec/PlanDetail.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <set>

using namespace ssmc::rt;
using namespace ssmc::rt::plan_detail;
namespace fs = std::filesystem;

namespace {

/// "[offset, end)", or "[offset, offset + bytes)" when the end would not
/// fit in 64 bits (a damaged plan's numbers are said, not overflowed).
std::string byteRange(int64_t offset, int64_t bytes) {
  int64_t end = 0;
  if (__builtin_add_overflow(offset, bytes, &end))
    return fmt::format("[{}, {} + {})", offset, offset, bytes);
  return fmt::format("[{}, {})", offset, end);
}

//===----------------------------------------------------------------------===//
// Consistency rules on the structs.
//===----------------------------------------------------------------------===//

class Checker {
public:
  Checker(const Plan &p, std::string_view what) : p_(p), what_(what) {}

  Status run() {
    if (Status s = checkModel(); !s)
      return s;
    // Arena regions written so far: (offset, bytes) of earlier outputs.
    std::set<std::pair<int64_t, int64_t>> written;
    std::set<std::string> names;
    for (size_t i = 0; i < p_.kernels.size(); ++i) {
      const PlanKernel &k = p_.kernels[i];
      std::string where = fmt::format("kernels[{}] ('{}')", i, k.name);
      if (!isFileNameSafe(k.name))
        return fail(where, "kernel names must be non-empty and use only "
                           "letters, digits, '_', '-' and '.'");
      if (!names.insert(k.name).second)
        return fail(where, fmt::format("a second kernel is named '{}': "
                                       "kernel names must be unique",
                                       k.name));
      if (Status s = checkKernel(k, where, written); !s)
        return s;
    }
    for (size_t i = 0; i < p_.outputs.size(); ++i) {
      const PlanOutput &o = p_.outputs[i];
      if (!written.count({o.arenaOffset, o.bytes()}))
        return fail(fmt::format("outputs[{}] ('{}')", i, o.name),
                    fmt::format("arena bytes {} are written by no kernel",
                                byteRange(o.arenaOffset, o.bytes())));
    }
    return Status::success();
  }

private:
  Status fail(const std::string &where, const std::string &problem,
              std::string_view fix = fixRecompile) const {
    return Status::error(where.empty() ? fmt::format("{}: {}; {}", what_, problem, fix)
                                       : fmt::format("{}: {}: {}; {}", what_, where, problem, fix));
  }

  Status checkTensor(const PlanTensor &t, const std::string &where) const {
    if (t.name.empty())
      return fail(where, "the name is empty");
    if (!checkedBytes(t.shape, t.dtype))
      return fail(where, fmt::format("shape {} has a negative dimension or "
                                     "is too large",
                                     shapeStr(t.shape)));
    if (!t.storedAs.empty()) {
      std::vector<int64_t> sorted = t.storedAs;
      std::sort(sorted.begin(), sorted.end());
      for (size_t i = 0; i < sorted.size(); ++i)
        if (sorted.size() != t.shape.size() || sorted[i] != int64_t(i))
          return fail(where, fmt::format("stored_as {} is not a permutation of the {} axes of "
                                         "shape {}",
                                         shapeStr(t.storedAs), t.shape.size(), shapeStr(t.shape)));
    }
    if (!t.insertedZeros.empty()) {
      const std::vector<int64_t> &z = t.insertedZeros;
      bool ok = z.size() >= 3 && z.size() % 2 == 1 && z[0] >= 0 && size_t(z[0]) < t.shape.size();
      for (size_t i = 1; ok && i < z.size(); i += 2)
        ok = z[i] >= (i > 1 ? z[i - 2] + 1 : 0) && z[i] <= t.shape[size_t(z[0])] && z[i + 1] > 0 &&
             z[i + 1] <= (int64_t(1) << 32);
      if (!ok)
        return fail(where, fmt::format("inserted_zeros {} is not [axis, at, count, ...] with "
                                       "ascending places inside shape {} and counts above 0",
                                       shapeStr(z), shapeStr(t.shape)));
      if (!checkedBytes(t.valueShape(), t.dtype))
        return fail(where, fmt::format("shape {} with inserted_zeros {} is too large",
                                       shapeStr(t.shape), shapeStr(z)));
    }
    const std::vector<int64_t> value = t.valueShape();
    if (t.rowPitch != 0 &&
        (t.rowPitch < 0 || value.empty() || t.rowPitch < value.back() || !t.storedAs.empty()))
      return fail(where, fmt::format("row_pitch {} does not pad the rows of shape {}{}", t.rowPitch,
                                     shapeStr(value),
                                     t.storedAs.empty() ? "" : " (nor goes with stored_as)"));
    return Status::success();
  }

  Status checkArenaRange(int64_t offset, int64_t bytes, DType d, const std::string &where) const {
    int64_t end = 0;
    if (offset < 0 || __builtin_add_overflow(offset, bytes, &end) || end > p_.arenaBytes)
      return fail(where, fmt::format("arena bytes {} lie outside the arena "
                                     "(arena_bytes {})",
                                     byteRange(offset, bytes), p_.arenaBytes));
    if (offset % int64_t(dtypeSize(d)) != 0)
      return fail(where, fmt::format("arena offset {} is not a multiple of the "
                                     "element size {} of {}",
                                     offset, dtypeSize(d), planDTypeName(d)));
    return Status::success();
  }

  Status checkModel() const {
    if (!isArch(p_.arch))
      return fail("", fmt::format("arch '{}' is not a CUDA target such as "
                                  "sm_80 or sm_90",
                                  p_.arch));
    if (p_.arenaBytes < 0)
      return fail("", fmt::format("arena_bytes is negative ({})", p_.arenaBytes));
    if (p_.dtype != DType::F32 && p_.dtype != DType::BF16 && p_.dtype != DType::F16)
      return fail("", fmt::format("dtype {} is not a plan dtype (f32, bf16, "
                                  "f16)",
                                  dtypeName(p_.dtype)));
    struct List {
      const char *key;
      std::vector<const PlanTensor *> items;
    };
    List lists[3] = {{"inputs", {}}, {"outputs", {}}, {"weights", {}}};
    for (auto &t : p_.inputs)
      lists[0].items.push_back(&t);
    for (auto &t : p_.outputs)
      lists[1].items.push_back(&t);
    for (auto &t : p_.weights)
      lists[2].items.push_back(&t);
    for (const List &l : lists) {
      std::set<std::string> seen;
      for (size_t i = 0; i < l.items.size(); ++i) {
        std::string where = fmt::format("{}[{}] ('{}')", l.key, i, l.items[i]->name);
        if (Status s = checkTensor(*l.items[i], where); !s)
          return s;
        if (!seen.insert(l.items[i]->name).second)
          return fail(where, fmt::format("'{}' appears twice in '{}'", l.items[i]->name, l.key));
      }
    }
    for (size_t i = 0; i < p_.outputs.size(); ++i)
      if (Status s =
              checkArenaRange(p_.outputs[i].arenaOffset, p_.outputs[i].bytes(), p_.outputs[i].dtype,
                              fmt::format("outputs[{}] ('{}')", i, p_.outputs[i].name));
          !s)
        return s;
    return Status::success();
  }

  Status checkConfig(const PlanKernel &k, const PlanConfig &c, const std::string &where) const {
    std::set<std::string> want(k.tunables.begin(), k.tunables.end());
    std::set<std::string> have;
    for (auto &[Name, Value] : c.tunables)
      have.insert(Name);
    if (want != have)
      return fail(where, fmt::format("sets tunables {} but the kernel's "
                                     "tunables are {}",
                                     fmt::join(have, ", "), fmt::join(want, ", ")));
    static const int64_t gridMax[3] = {INT32_MAX, 65535, 65535};
    static const int64_t blockMax[3] = {1024, 1024, 64};
    static const char axis[3] = {'x', 'y', 'z'};
    for (int a = 0; a < 3; ++a) {
      if (c.grid[a] < 1 || c.grid[a] > gridMax[a])
        return fail(where, fmt::format("grid.{} is {}: it must be 1 to {}", axis[a], c.grid[a],
                                       gridMax[a]));
      if (c.block[a] < 1 || c.block[a] > blockMax[a])
        return fail(where, fmt::format("block.{} is {}: it must be 1 to {}", axis[a], c.block[a],
                                       blockMax[a]));
    }
    int64_t threads = c.block[0] * c.block[1] * c.block[2];
    if (threads > kMaxThreadsPerBlock)
      return fail(where, fmt::format("block [{}] has {} threads: at most {} "
                                     "are allowed",
                                     fmt::join(c.block, ", "), threads, kMaxThreadsPerBlock));
    if (c.smemBytes < 0 || c.smemBytes > kMaxSmemBytes)
      return fail(where, fmt::format("smem_bytes {} is outside 0 to {} (227 "
                                     "KiB, the most any GPU allows)",
                                     c.smemBytes, kMaxSmemBytes));
    return checkSplitK(k, c, where);
  }

  /// A GEMM's split K (SPLIT_K = S > 1, codegen/Templates/Gemm.cuh):
  /// blockIdx.z is linear x S + share, and each output tile takes one int32
  /// counter of the workspace's first kWorkspaceCounterBytes, then S fp32 C
  /// tiles of BM x BN after them. A configuration whose shares do not fit
  /// the kernel's workspace would write past it: refused here, not on a GPU.
  Status checkSplitK(const PlanKernel &k, const PlanConfig &c, const std::string &where) const {
    auto tunable = [&](const char *name) -> int64_t {
      auto it = c.tunables.find(name);
      return it == c.tunables.end() ? 0 : it->second;
    };
    const int64_t shares = tunable("SPLIT_K");
    if (shares <= 1)
      return Status::success();
    const int64_t bm = tunable("BM"), bn = tunable("BN");
    if (bm < 1 || bn < 1)
      return fail(where, fmt::format("SPLIT_K {} needs positive BM and BN tunables", shares));
    if (c.grid[2] % shares != 0)
      return fail(where, fmt::format("grid.z {} is not a multiple of SPLIT_K {} (one block a "
                                     "share of each linear's tiles)",
                                     c.grid[2], shares));
    const int64_t tiles = c.grid[0] * c.grid[1] * (c.grid[2] / shares);
    if (tiles > kWorkspaceCounterBytes / 4)
      return fail(where, fmt::format("SPLIT_K {} over {} output tiles: the workspace has {} "
                                     "counters (one a tile); split fewer tiles",
                                     shares, tiles, kWorkspaceCounterBytes / 4));
    int64_t workspace = 0;
    for (const PlanParam &pa : k.params)
      if (pa.kind == PlanParam::Kind::Workspace)
        workspace = std::max(workspace, pa.bytes);
    const int64_t need = splitKWorkspaceBytes(tiles, shares, bm, bn);
    if (need > workspace)
      return fail(where, fmt::format("SPLIT_K {} needs {} workspace bytes ({} of counters, then "
                                     "{} tiles x {} shares of {} x {} fp32) but the kernel's "
                                     "workspace parameter has {}",
                                     shares, need, kWorkspaceCounterBytes, tiles, shares, bm, bn,
                                     workspace));
    return Status::success();
  }

  Status checkParam(const PlanKernel &k, const PlanParam &pa, const std::string &where,
                    const std::set<std::pair<int64_t, int64_t>> &written) const {
    if (!isIdentifier(pa.name))
      return fail(where, fmt::format("parameter name '{}' is not a C++ "
                                     "identifier",
                                     pa.name));
    if (pa.dtype != DType::F32 && pa.dtype != DType::BF16 && pa.dtype != DType::F16)
      return fail(where, fmt::format("dtype {} is not a plan dtype", dtypeName(pa.dtype)));
    if (pa.kind == PlanParam::Kind::Workspace) {
      if (pa.shape.size() != 1 || pa.shape[0] != pa.bytes)
        return fail(where, fmt::format("a workspace's shape must be [bytes] "
                                       "= [{}], not {}",
                                       pa.bytes, shapeStr(pa.shape)));
      if (pa.bytes < 0 || pa.bytes > k.workspaceBytes)
        return fail(where, fmt::format("workspace of {} bytes exceeds the "
                                       "kernel's workspace_bytes {}",
                                       pa.bytes, k.workspaceBytes));
      return Status::success();
    }
    auto bytes = checkedBytes(pa.shape, pa.dtype);
    if (!bytes)
      return fail(where, fmt::format("shape {} has a negative dimension or "
                                     "is too large",
                                     shapeStr(pa.shape)));
    if (*bytes != pa.bytes)
      return fail(where, fmt::format("bytes is {} but shape {} of {} takes {} bytes", pa.bytes,
                                     shapeStr(pa.shape), planDTypeName(pa.dtype), *bytes));
    switch (pa.kind) {
    case PlanParam::Kind::Weight: {
      const PlanTensor *w = p_.findWeight(pa.weight);
      if (!w)
        return fail(where, fmt::format("weight '{}' is not in the plan's "
                                       "'weights'",
                                       pa.weight));
      if (w->valueShape() != pa.shape || w->dtype != pa.dtype)
        return fail(where, fmt::format("weight '{}' is {} {} here but {} {} "
                                       "in 'weights'",
                                       pa.weight, shapeStr(pa.shape), planDTypeName(pa.dtype),
                                       shapeStr(w->valueShape()), planDTypeName(w->dtype)));
      return Status::success();
    }
    case PlanParam::Kind::Input:
      if (pa.index < 0)
        return fail(where, fmt::format("index {} is negative", pa.index));
      if (pa.value.kind == ValueRef::Kind::ModelInput) {
        const PlanTensor *in = p_.findInput(pa.value.modelInput);
        if (!in)
          return fail(where, fmt::format("binds model input '{}', which is "
                                         "not in the plan's 'inputs'",
                                         pa.value.modelInput));
        if (in->shape != pa.shape || in->dtype != pa.dtype)
          return fail(where, fmt::format("is {} {} but model input '{}' is {} {}",
                                         shapeStr(pa.shape), planDTypeName(pa.dtype), in->name,
                                         shapeStr(in->shape), planDTypeName(in->dtype)));
        return Status::success();
      }
      if (pa.value.kind != ValueRef::Kind::Arena)
        return fail(where, "an input parameter needs a 'value'");
      if (Status s = checkArenaRange(pa.value.arenaOffset, pa.bytes, pa.dtype, where); !s)
        return s;
      if (!written.count({pa.value.arenaOffset, pa.bytes}))
        return fail(where, fmt::format("reads arena bytes {}, which no "
                                       "earlier kernel writes (kernels out "
                                       "of order, or wrong offsets)",
                                       byteRange(pa.value.arenaOffset, pa.bytes)));
      return Status::success();
    case PlanParam::Kind::Output:
      if (pa.index < 0)
        return fail(where, fmt::format("index {} is negative", pa.index));
      if (pa.value.kind != ValueRef::Kind::Arena)
        return fail(where, "an output parameter must be bound to "
                           "{\"arena_offset\": N}");
      return checkArenaRange(pa.value.arenaOffset, pa.bytes, pa.dtype, where);
    case PlanParam::Kind::Workspace:
      break;
    }
    return Status::success();
  }

  Status checkKernel(const PlanKernel &k, const std::string &where,
                     std::set<std::pair<int64_t, int64_t>> &written) const {
    if (!isIdentifier(k.entry))
      return fail(where, fmt::format("entry '{}' is not a C symbol", k.entry));
    if (k.kind.empty())
      return fail(where, "kind is empty");
    fs::path src(k.sourceFile);
    bool escapes = src.empty() || src.is_absolute();
    for (const auto &part : src)
      escapes |= part == "..";
    if (escapes)
      return fail(where, fmt::format("source_file '{}' must be a path inside "
                                     "the artifact (kernels/<name>.cu)",
                                     k.sourceFile));
    std::set<std::string> tunables;
    for (const std::string &t : k.tunables)
      if (!isIdentifier(t) || !tunables.insert(t).second)
        return fail(where, fmt::format("tunable '{}' is not an identifier or "
                                       "appears twice",
                                       t));
    if (k.configs.empty())
      return fail(where, "has no configurations");
    if (k.defaultConfig < 0 || k.defaultConfig >= int64_t(k.configs.size()))
      return fail(where, fmt::format("default_config {} is out of range: "
                                     "there are {} configurations (0 to {})",
                                     k.defaultConfig, k.configs.size(), k.configs.size() - 1));
    for (size_t c = 0; c < k.configs.size(); ++c)
      if (Status s = checkConfig(k, k.configs[c], fmt::format("{}.configs[{}]", where, c)); !s)
        return s;
    if (k.workspaceBytes < 0)
      return fail(where, fmt::format("workspace_bytes is negative ({})", k.workspaceBytes));
    std::set<std::string> paramNames;
    for (size_t i = 0; i < k.params.size(); ++i) {
      const PlanParam &pa = k.params[i];
      std::string pw = fmt::format("{}.params[{}] ('{}')", where, i, pa.name);
      if (!paramNames.insert(pa.name).second)
        return fail(pw, fmt::format("a second parameter is named '{}'", pa.name));
      if (Status s = checkParam(k, pa, pw, written); !s)
        return s;
    }
    for (const PlanParam &pa : k.params)
      if (pa.kind == PlanParam::Kind::Output)
        written.insert({pa.value.arenaOffset, pa.bytes});
    return Status::success();
  }

  const Plan &p_;
  std::string what_;
};

} // namespace

Status ssmc::rt::validatePlan(const Plan &p, std::string_view what) {
  return Checker(p, what).run();
}
