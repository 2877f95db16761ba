//===- Cost.h - FLOPs and minimum bytes of ssmc ops -----------------------===//

#ifndef SSMC_IR_COST_H
#define SSMC_IR_COST_H

#include "mlir/IR/Operation.h"

#include <cstdint>

namespace ssmc {

struct OpCost {
  int64_t flops = 0; // 2 per multiply-add
  int64_t bytes = 0; // operands read once + results written once
};

/// Bytes a statically shaped tensor value occupies.
int64_t tensorBytes(mlir::Value v);

/// Cost of one op run as its own kernel (data movement ops count their bytes).
OpCost estimateCost(mlir::Operation *op);

} // namespace ssmc

#endif // SSMC_IR_COST_H
