//===- ModuleFile.cpp - `ssmc compile|run FILE.mlir` ------------------------===//

#include "ModuleFile.h"
#include "SsmcOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <set>

using namespace mlir;

namespace ssmc::cli {

namespace {
/// The family a module stands in: no keys; a classifier when its `output`
/// is [B, classes] (the count goes into the config at load).
const models::Family &moduleFamily() {
  static const models::Family family{
      .name = "module",
      .summary = "a module in the ssmc dialect (FILE.mlir)",
      .keys = {},
      .inputs = {},
      .validate = {},
      .build = {},
      .officialName = {},
      .numClasses = [](const models::Config &c) -> int64_t {
        return c.has("num_classes") ? c.getInt("num_classes") : 0;
      },
  };
  return family;
}

/// Random weights for a parameter known only by name and shape: norms'
/// scales 1, biases 0, matrices and kernels U(±1/√fan_in).
dsl::Init guessInit(const std::string &name, const shape::Shape &shape) {
  if (shape.size() >= 2)
    return dsl::Init::FanInUniform;
  return name.ends_with("bias") ? dsl::Init::Zeros : dsl::Init::Ones;
}
} // namespace

bool isModuleFile(const std::string &model) { return model.ends_with(".mlir"); }

rt::Expected<BuiltModel> loadModuleFile(const Options &options,
                                        const std::map<std::string, shape::Shape> &givenShapes) {
  const std::string &path = options.model;
  if (!options.sets.empty())
    return rt::Status::error(fmt::format("'{}' is a module: its configuration is its IR; drop "
                                         "--set {}",
                                         path, options.sets.front().first));
  if (options.batch)
    return rt::Status::error(fmt::format("'{}' is a module: its shapes are its types; drop "
                                         "--batch (or dump the model at that batch)",
                                         path));
  if (!options.inputShapes.empty())
    return rt::Status::error(fmt::format("'{}' is a module: its shapes are its types; drop "
                                         "--input-shape (or dump the model at that shape)",
                                         path));
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    return rt::Status::error(fmt::format("cannot open module '{}': no such file", path));

  BuiltModel built;
  built.context = std::make_unique<MLIRContext>();
  built.context->loadDialect<SsmcDialect, func::FuncDialect>();
  built.context->printOpOnDiagnostic(false);
  std::string diagnostic;
  ScopedDiagnosticHandler handler(built.context.get(), [&](Diagnostic &d) {
    if (diagnostic.empty()) {
      llvm::raw_string_ostream os(diagnostic);
      os << d.getLocation() << ": " << d.str();
    }
    return success();
  });
  built.module = parseSourceFile<ModuleOp>(path, ParserConfig(built.context.get()));
  if (!built.module)
    return rt::Status::error(fmt::format("cannot read module '{}': {}", path, diagnostic));
  auto main = built.module->lookupSymbol<func::FuncOp>("main");
  if (!main)
    return rt::Status::error(fmt::format("module '{}' has no func.func @main (ssmc runs @main)",
                                         path));

  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    auto name = main.getArgAttrOfType<StringAttr>(i, ssmc::kNameAttr);
    auto type = dyn_cast<RankedTensorType>(main.getArgument(i).getType());
    if (!name || !type)
      return rt::Status::error(fmt::format("module '{}': argument {} of @main needs a ranked "
                                           "tensor type and {{ssmc.name = \"...\"}}",
                                           path, i));
    shape::Shape dims(type.getShape().begin(), type.getShape().end());
    if (auto it = givenShapes.find(name.str()); it != givenShapes.end() && it->second != dims)
      return rt::Status::error(fmt::format("input '{}' is {}, but module '{}' takes {} (a "
                                           "module's shapes are fixed)",
                                           name.str(), shape::str(it->second), path,
                                           shape::str(dims)));
    built.inputs.push_back({name.str(), dims, {}});
  }
  std::set<std::string> seen;
  built.module->walk([&](WeightOp op) {
    const std::string name = op.getName().str();
    if (!seen.insert(name).second)
      return;
    shape::Shape dims = op.checkpointShape();
    built.params.push_back({name, dims, guessInit(name, dims)});
  });

  built.model.family = &moduleFamily();
  auto modelName = (*built.module)->getAttrOfType<StringAttr>(ssmc::kModelAttr);
  built.model.name = modelName ? modelName.str() : std::filesystem::path(path).stem().string();
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    if (auto name = main.getResultAttrOfType<StringAttr>(i, ssmc::kNameAttr);
        name && name.getValue() == "output")
      if (auto type = dyn_cast<RankedTensorType>(main.getResultTypes()[i]); type && type.getRank() == 2)
        built.model.config.set("num_classes", std::to_string(type.getShape()[1]));
  if (options.dtype != "f32")
    (*built.module)->setAttr(ssmc::kDtypeAttr, StringAttr::get(built.context.get(), options.dtype));
  return built;
}

} // namespace ssmc::cli
