//===- AxisMap.h - how a result's axes reach a producer's -------*- C++ -*-===//
//
// Emitters that evaluate a result in the thread that computed some producer
// (a scan's output, a norm's row) must know which producer element each
// result element reads. Through elementwise ops, permutes, flips and unit
// reshapes that is an axis map: each producer axis is one result axis,
// possibly read backwards, or the constant 0.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_AXISMAP_H
#define SSMC_CODEGEN_AXISMAP_H

#include "Emitter.h"

namespace ssmc::codegen {

/// One axis of a value in the coordinates of a result: result axis `axis`
/// (read backwards when `flip`), or the constant 0 when `axis` < 0.
struct AxisExpr {
  int axis = -1;
  bool flip = false;
  bool operator==(const AxisExpr &o) const { return axis == o.axis && flip == o.flip; }
};
using AxisMap = std::vector<AxisExpr>;

/// A read of target #`target` whose axes are `map` in result coordinates.
struct TargetRead {
  size_t target;
  AxisMap map;
};

class AxisTracer {
public:
  /// `why` ends the error for an op the maps cannot pass.
  AxisTracer(GroupEmitter &e, const llvm::DenseMap<mlir::Value, size_t> &targets, std::string why);

  bool dependsOnTargets(mlir::Value v);
  /// Every read of a target by `v` at `map` (v's axes in result coordinates).
  rt::Status trace(mlir::Value v, const AxisMap &map, std::vector<TargetRead> &reads);

  /// The identity map of a value of `shape` (unit axes constant).
  static AxisMap identity(const std::vector<int64_t> &shape);

private:
  GroupEmitter &e_;
  const llvm::DenseMap<mlir::Value, size_t> &targets_;
  llvm::DenseSet<mlir::Value> roots_;
  llvm::DenseMap<mlir::Value, bool> memo_;
  std::string why_;
};

} // namespace ssmc::codegen

#endif // SSMC_CODEGEN_AXISMAP_H
