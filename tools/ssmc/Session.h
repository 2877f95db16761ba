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

struct BuiltModel {
  models::ResolvedModel model;
  std::unique_ptr<mlir::MLIRContext> context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::vector<dsl::ParamInfo> params;
  std::vector<models::InputDecl> inputs; // with the shapes actually used
};

/// Resolves the model and its --set values, fixes the input shapes (given
/// ones must fit the configuration) and builds the module with the DSL; a
/// MODEL ending in .mlir is read as a module instead (ModuleFile.h).
rt::Expected<BuiltModel> buildModel(const Options &options,
                                    const std::map<std::string, shape::Shape> &givenShapes);

/// Runs the pipeline stages in order, up to and including `stopAfter` when
/// set; dumps and prints the IR after each stage as the options ask.
rt::Status lowerModel(BuiltModel &built, const Options &options);

/// The stage names, "frontend" first, for messages.
std::vector<std::string> stageNames();

} // namespace ssmc::cli

#endif // SSMC_TOOLS_SESSION_H
