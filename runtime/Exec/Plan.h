//===- Exec/Plan.h - The artifact's execution plan --------------*- C++ -*-===//
//
// An artifact is a directory: plan.json (this schema, "format": "ssmc-plan",
// "version": 2) and kernels/<name>.cu, one CUDA C++ translation unit per
// kernel group. The plan holds the kernels, as codegen writes them, plus
// what the model needs around them: its inputs, outputs, weights and the
// one activation arena. docs/artifact.md documents every key.
//
// Both sides use this header: codegen builds a Plan (codegen::buildPlan),
// which the compiler writes with writePlan or hands to GpuModel in memory;
// the runtime reads artifacts with loadArtifact. Neither throws; every problem is
// a Status naming the file, the kernel and the key, and how to fix it.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_EXEC_PLAN_H
#define SSMC_RUNTIME_EXEC_PLAN_H

#include "Support/Arch.h"
#include "Support/InsertedZeros.h"
#include "Support/Safetensors.h"
#include "Support/Status.h"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssmc::rt {

constexpr std::string_view kPlanFormat = "ssmc-plan";
/// The version written. 2 added weights' `stored_as` (a device layout a
/// runtime must apply), 3 their `row_pitch` (rows padded with zeros), 4
/// their `inserted_zeros` (zero slices inserted along one axis); earlier
/// versions mean the same without them.
constexpr int kPlanVersion = 4;
constexpr int kOldestPlanVersion = 1;
constexpr std::string_view kPlanFile = "plan.json";
/// In an artifact directory while `ssmc compile -o` writes it, removed just
/// before the directory moves into place: one that still has it was left by
/// an interrupted compile, and loadArtifact refuses it.
constexpr std::string_view kIncompleteMarker = ".incomplete";
/// Dynamic shared memory a configuration may ask for (sm_90's opt-in limit).
constexpr int64_t kMaxSmemBytes = kMaxSharedMemoryPerBlock;
constexpr int64_t kMaxThreadsPerBlock = 1024;

/// The storage types of a plan: "f32", "bf16", "f16" (std::nullopt otherwise).
std::optional<DType> parsePlanDType(std::string_view name);
/// DType::BF16 -> "bf16"; only F32, BF16 and F16 are plan types.
std::string_view planDTypeName(DType d);

/// A named tensor of the model.
struct PlanTensor {
  std::string name;
  std::vector<int64_t> shape;
  DType dtype = DType::F32;
  /// Weights: the order of the axes in device memory (the IR's stored_as);
  /// empty when stored as `shape` says. The runtime permutes at upload.
  std::vector<int64_t> storedAs = {};
  /// Weights: the stored length of the last axis (the IR's row_pitch), each
  /// row padded with zeros to it; 0 when rows are as long as the shape says.
  int64_t rowPitch = 0;
  /// Weights: zero slices the model inserts (the IR's inserted_zeros):
  /// `[axis, at0, count0, at1, count1, ...]`, `at` indices along `axis` of
  /// `shape`, ascending; empty when none. `shape` stays the checkpoint's.
  std::vector<int64_t> insertedZeros = {};
  int64_t numElements() const; ///< of `shape` (the checkpoint's tensor)
  /// The shape the kernels see: `shape` with the inserted zero slices.
  std::vector<int64_t> valueShape() const;
  /// The shape in device memory: valueShape(), the last axis rowPitch long
  /// where set.
  std::vector<int64_t> storedShape() const;
  int64_t bytes() const; ///< storedShape()'s elements * element size
};

/// `values` (row-major in `shape`) with their axes in `order`: the layout a
/// weight with storedAs = order has on the device. `values` unchanged when
/// `order` is empty.
std::vector<float> toStoredOrder(std::vector<float> values, const std::vector<int64_t> &shape,
                                 const std::vector<int64_t> &order);

/// `values` (row-major in `t.shape`) as the weight `t` lies on the device:
/// the zero slices of `t.insertedZeros` inserted, its axes in `t.storedAs`,
/// then each row padded with zeros to `t.rowPitch` elements.
std::vector<float> toDeviceLayout(std::vector<float> values, const PlanTensor &t);

/// A model output: a value in the arena, copied out after the last kernel.
struct PlanOutput : PlanTensor {
  int64_t arenaOffset = 0;
};

/// Where an input or output parameter of a kernel points.
struct ValueRef {
  enum class Kind { None, ModelInput, Arena };
  Kind kind = Kind::None;
  std::string modelInput;  ///< Kind::ModelInput: the model input's name
  int64_t arenaOffset = 0; ///< Kind::Arena: byte offset in the arena

  static ValueRef input(std::string name) { return {Kind::ModelInput, std::move(name), 0}; }
  static ValueRef arena(int64_t offset) { return {Kind::Arena, {}, offset}; }
};

/// One kernel parameter (a device pointer).
struct PlanParam {
  enum class Kind { Input, Weight, Output, Workspace };
  Kind kind = Kind::Input;
  int64_t index = -1;         ///< group input # (Input) or result # (Output)
  std::string name;           ///< the C++ parameter name
  std::string weight;         ///< state_dict name (Weight)
  std::vector<int64_t> shape; ///< elements (Workspace: {bytes})
  DType dtype = DType::F32;   ///< Workspace: f32
  int64_t bytes = 0;
  ValueRef value; ///< Input: model input or arena; Output: arena
};
std::string_view paramKindName(PlanParam::Kind k); ///< "input", ...

/// One launch configuration of a kernel.
struct PlanConfig {
  std::map<std::string, int64_t> tunables; ///< tunable name -> value
  std::array<int64_t, 3> grid{1, 1, 1};
  std::array<int64_t, 3> block{1, 1, 1};
  int64_t smemBytes = 0; ///< dynamic shared memory per block
};

/// "-DSSMC_<NAME>=<value>" for each tunable: how NVRTC builds a
/// configuration (the source's own #define defaults are the default one).
std::vector<std::string> configDefines(const PlanConfig &config);

/// The workspace (one buffer every kernel of a plan shares, zeroed once
/// when the plan is loaded) starts with this many bytes of int32 counters:
/// a kernel that counts on them (split-K GEMMs, a counter a tile) sets each
/// back to zero before it ends, so they are zero whenever no kernel runs.
/// Kernels' scratch comes after them; workspace_bytes includes them.
constexpr int64_t kWorkspaceCounterBytes = 4096;

/// The workspace a split-K GEMM takes (codegen/Templates/Gemm.cuh): the
/// counters, then `shares` fp32 BM x BN C tiles for each of its `tiles`.
constexpr int64_t splitKWorkspaceBytes(int64_t tiles, int64_t shares, int64_t bm, int64_t bn) {
  return kWorkspaceCounterBytes + tiles * shares * bm * bn * 4;
}

struct PlanKernel {
  std::string name;       ///< the kernel group's name, g<NN>_<op>__<op>
  std::string entry;      ///< extern "C" __global__ symbol
  std::string kind;       ///< "generic", "scan", "gemm", ...
  std::string sourceFile; ///< relative to the artifact, "kernels/<name>.cu"
  /// The translation unit. Not in plan.json: loadArtifact reads it from
  /// sourceFile, writePlan writes it there (when not empty).
  std::string source;
  std::vector<std::string> ops;      ///< the ops it fuses, in order
  std::vector<std::string> tunables; ///< tunable names, as the macros
  int64_t defaultConfig = 0;         ///< index into configs
  std::vector<PlanConfig> configs;   ///< every valid configuration
  std::vector<PlanParam> params;     ///< in kernel-signature order
  int64_t workspaceBytes = 0;        ///< scratch the kernel needs (0: none)
};

struct Plan {
  std::string model; ///< the model (variant or family) it was compiled from
  DType dtype = DType::F32;
  std::string arch = "sm_90";            ///< the target the configurations were made for
  std::vector<std::string> nvrtcOptions; ///< extra NVRTC options, all kernels
  int64_t arenaBytes = 0;
  std::vector<PlanTensor> inputs;              ///< separate device buffers, bound by name
  std::vector<PlanOutput> outputs;             ///< arena values, copied out at the end
  std::vector<PlanTensor> weights;             ///< state_dict names
  std::vector<PlanKernel> kernels;             ///< launch order
  std::map<std::string, std::string> metadata; ///< free-form, optional

  const PlanTensor *findInput(std::string_view name) const;
  const PlanTensor *findWeight(std::string_view name) const;
  const PlanKernel *findKernel(std::string_view name) const;
};

/// Every consistency rule of the schema that does not need files: dtypes,
/// names, arena ranges, shapes against bytes, configurations, bindings.
/// \p What names the plan in messages (e.g. "DIR/plan.json").
Status validatePlan(const Plan &p, std::string_view what = "plan");

/// The plan as JSON text (without kernel sources).
std::string planToJson(const Plan &p);

/// Parses plan.json text and validates it (not the kernel files).
Expected<Plan> parsePlan(std::string_view json, std::string_view what = "plan.json");

/// Writes \p Dir (created if needed) as an artifact: kernels/<file> for each
/// kernel with a source, then plan.json. Each file is written to a temporary
/// file and renamed into place; an old plan.json is removed first, so an
/// interrupted write leaves no plan.json at all rather than a plan that
/// disagrees with its kernels. \p P is not validated here: a plan is
/// validated once, where it is read (parsePlan).
Status writePlan(const std::string &dir, const Plan &p);

/// Reads \p Dir/plan.json, validates it and reads every kernel's source.
Expected<Plan> loadArtifact(const std::string &dir);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_EXEC_PLAN_H
