//===- SsmcOps.h - the ssmc dialect and its ops ---------------------------===//

#ifndef SSMC_IR_SSMCOPS_H
#define SSMC_IR_SSMCOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "SsmcOpsDialect.h.inc"

#define GET_OP_CLASSES
#include "SsmcOps.h.inc"

namespace ssmc {
/// Attribute names on func arguments/results that carry the graph's
/// input and output names ("input", "u", "output", "act.stages.0", ...).
inline constexpr llvm::StringLiteral kNameAttr = "ssmc.name";

/// The entry function of a model module: `@main`, or the only function.
mlir::func::FuncOp getEntryFunction(mlir::ModuleOp module);
} // namespace ssmc

#endif // SSMC_IR_SSMCOPS_H
