//===- Summary.h - what a compiled model consists of ----------------------===//

#ifndef SSMC_TOOLS_SUMMARY_H
#define SSMC_TOOLS_SUMMARY_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace ssmc::cli {

/// The kernels the module runs as (one per compute op until fusion groups
/// them), with FLOPs, minimum bytes and the activation arena's peak; as a
/// table or as JSON (`{"model", "kernels": [...], "arena_bytes", "unfused_bytes"}`).
std::string summarize(mlir::ModuleOp module, bool json);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_SUMMARY_H
