//===- Cost.h - FLOPs and minimum bytes of ssmc ops -----------------------===//

#ifndef SSMC_IR_COST_H
#define SSMC_IR_COST_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Operation.h"

#include <cstdint>

namespace ssmc {

class KernelGroupOp;

struct OpCost {
  int64_t flops = 0;       // 2 per multiply-add
  int64_t matmulFlops = 0; // of them, in linears and convolutions (tensor-core work)
  int64_t bytes = 0;       // operands read once + results written once, storage type
  /// Special-function results (the GPU's MUFU unit): exp and log 1 each,
  /// sigmoid 2 (exp, reciprocal), softplus 2, a norm's rsqrt 1 per row;
  /// erf is a polynomial on the FMA pipes and counts 0.
  int64_t transcendentals = 0;
};

/// Bytes per element as the kernels store tensors: 2 in a bf16 or f16 model
/// (the module's `ssmc.dtype`), else the element type's size.
int64_t storageElementBytes(mlir::ModuleOp module, mlir::Type elementType);

/// Bytes a statically shaped tensor value occupies in storage (4 an element
/// for a value kept in fp32, `ssmc.storage`).
int64_t tensorBytes(mlir::Value v);

/// Cost of one op run as its own kernel (data movement ops count their bytes).
OpCost estimateCost(mlir::Operation *op);

/// Cost of a kernel group: its ops' FLOPs and special functions; bytes are
/// its inputs, weights and results once each (of an input only split or
/// sliced along one axis, the parts its ops use).
OpCost estimateGroupCost(KernelGroupOp group);

} // namespace ssmc

#endif // SSMC_IR_COST_H
