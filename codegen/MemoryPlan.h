//===- MemoryPlan.h - the activation buffers of a lowered model -*- C++ -*-===//
//
// What `ssmc compile -o DIR` needs beyond the kernels: every activation
// buffer with its arena offset (the pipeline's memory plan),
// and configs.json. plan.json itself is runtime/Exec/Plan.h's schema
// (docs/artifact.md), filled in by tools/ssmc/Artifact.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_MEMORYPLAN_H
#define SSMC_CODEGEN_MEMORYPLAN_H

#include "Codegen.h"

#include "llvm/ADT/DenseMap.h"

#include <optional>

namespace ssmc::codegen {

/// One activation buffer.
struct BufferInfo {
  std::string kind; ///< "input" (outside the arena) or "activation"
  std::string name; ///< input name, or "<group>#<result>"
  std::vector<int64_t> shape;
  int64_t bytes = 0;
  int64_t offset = -1; ///< arena byte offset (activations)
};

struct MemoryPlan {
  std::vector<BufferInfo> buffers;
  llvm::DenseMap<mlir::Value, size_t> bufferOf; ///< value -> index in buffers
  int64_t arenaBytes = 0;
};

/// Buffers and offsets as the pipeline's `ssmc-plan-memory` placed them
/// (`ssmc.arena_offsets`, `ssmc.arena_bytes`); an error for a module it has
/// not run on.
rt::Expected<MemoryPlan> planMemory(mlir::func::FuncOp entry, DType dtype);

/// configs.json's text: every valid configuration of every kernel, by
/// kernel name (what a tuner walks; plan.json has the same lists).
std::string configsJson(const std::vector<KernelPlan> &kernels, const std::string &arch);

} // namespace ssmc::codegen

#endif // SSMC_CODEGEN_MEMORYPLAN_H
