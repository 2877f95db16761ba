//===- Summary.h - what a compiled model consists of ----------------------===//

#ifndef SSMC_TOOLS_SUMMARY_H
#define SSMC_TOOLS_SUMMARY_H

#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <string>

namespace ssmc::cli {

/// The kernels the module runs as (one per compute op until fusion groups
/// them), with FLOPs, minimum bytes and the activation arena's peak; as a
/// table or as JSON (`{"model", "kernels": [...], "arena_bytes", "unfused_bytes"}`).
/// What ptxas reported for a kernel's default configuration.
struct KernelResourceRow {
  int registers = -1;
  int64_t spillBytes = 0;
  int64_t smemBytes = 0; ///< static shared memory + the default configuration's dynamic
  std::string signature; ///< rt::kernelSignature, its key in the tuning database
};

/// With `resources` (by kernel name) the table and the JSON also carry
/// `registers`, `spill_bytes` and `smem_bytes` per kernel (and the JSON its
/// `signature`, the tuning database's key).
std::string summarize(mlir::ModuleOp module, bool json,
                      const std::map<std::string, KernelResourceRow> *resources = nullptr);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_SUMMARY_H
