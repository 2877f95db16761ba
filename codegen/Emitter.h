//===- Emitter.h - index functions of a kernel group's values ---*- C++ -*-===//
//
// The emitters' common ground. Every SSA value of a kernel group becomes a
// member function of one struct, `vN(i0, i1, ...)`, that computes the value's
// element at a multi-index in fp32: block arguments and weights load from
// their pointer (row-major, contiguous), elementwise ops broadcast, views are
// index remapping (never copies), and convolutions, linears, norms and means
// are loops over their inputs' functions. Kernels then decide which elements
// to evaluate by which thread. Selective scans are recurrences, not index
// functions: the scan emitter supplies their bodies.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_EMITTER_H
#define SSMC_CODEGEN_EMITTER_H

#include "Codegen.h"
#include "SsmcOps.h"

#include "mlir/IR/AsmState.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>
#include <string>
#include <vector>

namespace ssmc::codegen {

/// "1.0f", "9.99999997e-07f": a float literal that reads back exactly.
std::string floatLiteral(double v);

/// The Group method load<bytes>(p, out) (`bytes` 16, 8 or 4: load16, load8,
/// load4): one load of that width (LDG.128, .64, .32) of read-only T at p,
/// then its `vec` values as floats. With `f32Overload` (a group with a
/// tensor kept in fp32) also load<bytes>(const float *, out): the same `vec`
/// values from fp32 storage, 16 or 8 bytes a load.
std::string loadMethod(int64_t bytes, int64_t vec, bool f32Overload);
/// The Group method store<bytes>(p, v): `vec` floats as T by one store of
/// that width; with `f32Overload` also into fp32 storage.
std::string storeMethod(int64_t bytes, int64_t vec, bool f32Overload);

/// Whether `code` holds `word` as a whole identifier.
bool mentions(const std::string &code, const std::string &word);

/// A C identifier from any text ("stages.0.fc1.weight" -> "stages_0_fc1_weight").
std::string identifier(std::string_view text);

/// For a reshape that only adds or drops dimensions of size 1: the pairs
/// (input axis, result axis) of the other dimensions, which keep their order
/// and sizes. std::nullopt when the reshape regroups elements.
std::optional<std::vector<std::pair<size_t, size_t>>>
unitDimReshape(const std::vector<int64_t> &from, const std::vector<int64_t> &to);

class GroupEmitter {
public:
  GroupEmitter(KernelGroupOp group, rt::DType dtype, mlir::AsmState &state);

  /// Names every value, collects the parameters (inputs, weights, outputs),
  /// checks static shapes. Call first.
  rt::Status init();

  KernelGroupOp group() const { return group_; }
  rt::DType dtype() const { return dtype_; }
  const std::string &groupName() const { return groupName_; }
  /// The kernel's extern "C" symbol (the group's name as an identifier).
  const std::string &entry() const { return entry_; }

  /// The C++ name of a value's index function ("v64", "v_arg1", "v62_1").
  const std::string &name(mlir::Value v) const;
  static std::vector<int64_t> shape(mlir::Value v);
  static int64_t numElements(mlir::Value v);
  /// "v64_d2": the constexpr holding dim i of v.
  std::string dim(mlir::Value v, unsigned i) const;
  /// "v64(a, b)".
  std::string call(mlir::Value v, const std::vector<std::string> &index) const;
  /// Row-major offset of `index` in v's shape, "((i0 * v_d1 + i1) * v_d2 + i2)".
  std::string linear(mlir::Value v, const std::vector<std::string> &index) const;
  /// Statements that split the flat offset `flat` into `prefix0..prefixN-1`
  /// for v's shape (declares them as const idx_t).
  std::string delinearize(mlir::Value v, const std::string &flat, const std::string &prefix,
                          const std::string &indent) const;
  /// The same for v's first `count` dims (the flat offset over those).
  std::string delinearizePrefix(mlir::Value v, size_t count, const std::string &flat,
                                const std::string &prefix, const std::string &indent) const;
  static std::vector<std::string> indexNames(const std::string &prefix, size_t rank);

  /// An error naming the group and the op.
  rt::Status unsupported(mlir::Operation *op, const std::string &why) const;

  /// The leading comment: the group, the kernel kind, every op it fuses with
  /// its location, the parameters and the tunables.
  std::string header(const std::string &kind, const std::vector<std::string> &notes,
                     const std::vector<std::pair<std::string, std::string>> &tunables) const;
  /// Includes, the storage type T, idx_t, load/store conversions, math helpers.
  std::string prelude() const;
  /// constexpr dims of the values, those that `code` mentions.
  std::string shapeConstants(const std::string &code) const;

  /// The struct `Group` with pointer members and one index function per value.
  /// `custom` gives the body (statements ending in a return) for values the
  /// caller computes itself (scan results); `extraMembers` are added verbatim.
  rt::Expected<std::string> groupStruct(const llvm::DenseMap<mlir::Value, std::string> &custom,
                                        const std::string &extraMembers) const;
  /// The result pointers as members ("  T *__restrict__ out0;\n"...), for
  /// kernels whose Group stores its results itself, and their initialisers
  /// for groupInit ("out0, out1").
  std::string outputMembers() const;
  std::string outputNames() const;
  /// "Group g{in0, w_fc1_weight, ...};" plus any extra initialisers.
  std::string groupInit(const std::string &extra = "") const;

  /// The kernel's parameter list in `params()` order.
  std::string kernelParams() const;

  /// The kernel parameter holding `v` (a group input or a weight), row-major
  /// and contiguous; nullptr for values computed in the kernel.
  const std::string *pointerName(mlir::Value v) const {
    auto it = pointerOf_.find(v);
    return it == pointerOf_.end() ? nullptr : &it->second;
  }

  std::vector<rt::PlanParam> &params() { return params_; }
  const std::vector<rt::PlanParam> &params() const { return params_; }
  /// Adds a float workspace parameter `ws` of `bytes` bytes.
  void addWorkspace(int64_t bytes);

  /// The C++ pointer parameter for group input #i / result #i.
  std::string inputParam(unsigned i) const { return "in" + std::to_string(i); }
  bool mayAlias() const { return mayAlias_; }
  std::string outputParam(unsigned i) const { return "out" + std::to_string(i); }
  const rt::PlanParam &outputParamInfo(unsigned i) const;

  /// Storage of a group value: the module's dtype, or f32 for a value kept
  /// in fp32 (`ssmc.storage`) in a bf16/f16 model.
  rt::DType storageOf(mlir::Value v) const;
  /// Whether an input or result parameter is stored in fp32 while T is not.
  bool keptInF32(const rt::PlanParam &p) const;
  bool anyKeptInF32() const;
  /// The element type a parameter points at: "T" or "float".
  std::string pointee(const rt::PlanParam &p) const;
  /// `value` (a float) as stored into result #i: "st(value)", or the value
  /// itself into a result kept in fp32.
  std::string storeValue(unsigned result, const std::string &value) const;

  /// Grid-stride loops over the group results `results` (the yield's
  /// operands `values`) that read no anchor (norm, scan, linear): results
  /// of one shape share a loop, and every result of an element is computed
  /// before any is stored, so a result written in place over an input
  /// (memory planning) never clobbers an element another result still
  /// reads. `first` and `stride` must be in scope; `group` prefixes the
  /// index functions ("g." outside the Group struct, "" inside).
  std::string plainResultLoops(mlir::ValueRange values, llvm::ArrayRef<unsigned> results,
                               const std::string &group, const std::string &indent) const;

  /// The runtime's record of the kernel, without configurations: name,
  /// entry, kind, source (as kernels/<name>.cu), the ops it fuses, its
  /// parameters (bound to memory by buildPlan) and tunables.
  rt::PlanKernel kernel(std::string kind, std::string source,
                        std::vector<std::string> tunables) const;

  /// The ops the group fuses (weights left out), as MLIR names.
  std::vector<std::string> fusedOps() const;

  /// Whether the value (transitively) depends on `roots`.
  static bool dependsOn(mlir::Value v, const llvm::DenseSet<mlir::Value> &roots,
                        llvm::DenseMap<mlir::Value, bool> &memo);

private:
  rt::Expected<std::string> valueBody(mlir::Operation *op, unsigned resultIndex) const;
  std::string loadParam(const std::string &pointer, mlir::Value v,
                        const std::vector<std::string> &idx) const;
  std::string opText(mlir::Operation *op) const;

  mutable KernelGroupOp group_;
  rt::DType dtype_;
  mlir::AsmState &state_;
  std::string groupName_, entry_;
  llvm::DenseMap<mlir::Value, std::string> names_;
  llvm::DenseMap<mlir::Value, std::string> pointerOf_; ///< args and weights
  std::vector<rt::PlanParam> params_;
  bool wide_ = false; ///< 64-bit indices
  bool mayAlias_ = false;
};

} // namespace ssmc::codegen

#endif // SSMC_CODEGEN_EMITTER_H
