//===- Session.h - one model, built and lowered, for `ssmc` commands ------===//

#ifndef SSMC_TOOLS_SESSION_H
#define SSMC_TOOLS_SESSION_H

#include "Args.h"
#include "Graph.h"
#include "Registry.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <filesystem>
#include <map>
#include <memory>

namespace ssmc::cli {

/// Element counts of a built model's tensors (all within kMaxTensorElements).
struct ModelSizes {
  int64_t weightElements = 0;
  int64_t inputElements = 0;
  int64_t largestTensorElements = 0; ///< any value of the module
};

/// Elements ssmc allows in one tensor: 2^40 (4 TiB of f32), beyond any GPU's
/// memory, and small enough that the sizes, FLOPs and byte counts derived
/// from shapes stay within 64 bits.
inline constexpr int64_t kMaxTensorElements = int64_t(1) << 40;

struct BuiltModel {
  models::ResolvedModel model;
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<dsl::ParamInfo> params;
  std::vector<models::InputDecl> inputs; // with the shapes actually used
  ModelSizes sizes;
};

/// Resolves the model and its --set values, fixes the input shapes (given
/// ones must fit the configuration) and builds the module with the DSL; a
/// MODEL ending in .mlir is read as a module instead (ModuleFile.h).
rt::Expected<BuiltModel> buildModel(const Options &options,
                                    const std::map<std::string, shape::Shape> &givenShapes);

/// Refuses work that would not fit in this machine's memory, before any
/// tensor is allocated: `what` needs the model's weights and inputs as f32
/// on the host, plus (`activationsOnHost`) room for its largest activation
/// twice (the reference executor's operands and result).
rt::Status checkHostMemory(const BuiltModel &built, const std::string &what,
                           bool activationsOnHost);

/// Runs the pipeline stages in order, up to and including `stopAfter` when
/// set; dumps and prints the IR after each stage as the options ask.
rt::Status lowerModel(BuiltModel &built, const Options &options);

/// The stage names, "frontend" first, for messages.
std::vector<std::string> stageNames();

} // namespace ssmc::cli

#endif // SSMC_TOOLS_SESSION_H
