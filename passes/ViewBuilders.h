//===- ViewBuilders.h - build view ops inside rewrites ----------*- C++ -*-===//
//
// Permute and reshape with their result types derived from the operand, for
// the passes that rewrite layouts (ssmc-layout, ssmc-patch-gemm).
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PASSES_VIEWBUILDERS_H
#define SSMC_PASSES_VIEWBUILDERS_H

#include "SsmcOps.h"

#include "mlir/IR/Builders.h"

namespace ssmc {

/// `ssmc.permute x perm`; result dimension i is x's dimension perm[i].
inline mlir::Value createPermute(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value x,
                                 llvm::ArrayRef<int64_t> perm) {
  auto type = mlir::cast<mlir::RankedTensorType>(x.getType());
  llvm::SmallVector<int64_t> shape;
  for (int64_t axis : perm)
    shape.push_back(type.getDimSize(axis));
  return builder.create<PermuteOp>(loc, mlir::RankedTensorType::get(shape, type.getElementType()),
                                   x, builder.getDenseI64ArrayAttr(perm));
}

/// `ssmc.reshape x` to `shape` (same element count, same bytes).
inline mlir::Value createReshape(mlir::OpBuilder &builder, mlir::Location loc, mlir::Value x,
                                 llvm::ArrayRef<int64_t> shape) {
  auto type = mlir::cast<mlir::RankedTensorType>(x.getType());
  return builder.create<ReshapeOp>(loc, mlir::RankedTensorType::get(shape, type.getElementType()),
                                   x);
}

} // namespace ssmc

#endif // SSMC_PASSES_VIEWBUILDERS_H
