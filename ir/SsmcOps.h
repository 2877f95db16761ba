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

#define GET_ATTRDEF_CLASSES
#include "SsmcOpsAttrs.h.inc"

#define GET_OP_CLASSES
#include "SsmcOps.h.inc"

namespace ssmc {
/// Attribute names on func arguments/results that carry the graph's
/// input and output names ("input", "u", "output", "act.stages.0", ...).
inline constexpr llvm::StringLiteral kNameAttr = "ssmc.name";
/// On the module: the model's name, the storage type codegen uses
/// (f32|bf16|f16) and the target architecture (sm_90).
inline constexpr llvm::StringLiteral kModelAttr = "ssmc.model";
inline constexpr llvm::StringLiteral kDtypeAttr = "ssmc.dtype";
inline constexpr llvm::StringLiteral kArchAttr = "ssmc.arch";
/// Set by ssmc-plan-memory: the activation arena's size on the entry
/// function, each kernel group's result offsets in it.
inline constexpr llvm::StringLiteral kArenaBytesAttr = "ssmc.arena_bytes";
inline constexpr llvm::StringLiteral kArenaOffsetsAttr = "ssmc.arena_offsets";

/// `ssmc.storage = "f32"` on an op (all its results) or on an entry
/// function argument: the value is stored in fp32 whatever the module's
/// `ssmc.dtype` (Vim's `residual_in_fp32`). The only storage it names.
inline constexpr llvm::StringLiteral kStorageAttr = "ssmc.storage";

/// Whether \p v is stored in fp32 in a bf16/f16 module: its defining op or
/// function argument says so; a kernel group's result as the value it
/// yields, a group's block argument as the group's input.
bool isStoredAsF32(mlir::Value v);

/// The entry function of a model module: `@main`, or the only function.
mlir::func::FuncOp getEntryFunction(mlir::ModuleOp module);
} // namespace ssmc

#endif // SSMC_IR_SSMCOPS_H
