//===- ssmc-translate.cpp - the generated CUDA of a lowered module --------===//
//
// mlir-translate for ssmc: `--emit-cuda` prints the kernel codegen makes for
// each kernel group of a module that went through the whole pipeline, in
// launch order, each headed by a `// ----- kernel NAME (KIND)` line and its default
// launch configuration, so lit tests can FileCheck what every emitter writes.
// The storage type is the module's `ssmc.dtype` (f32 without one).
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"
#include "SsmcOps.h"
#include "tools/HideLibraryOptions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

static mlir::LogicalResult emitCuda(mlir::ModuleOp module, llvm::raw_ostream &os) {
  mlir::func::FuncOp entry = ssmc::getEntryFunction(module);
  if (!entry)
    return module.emitError("the module has no entry function");
  // The target the module was lowered for (`ssmc compile` records it), so
  // the kernels are those an artifact would get.
  ssmc::codegen::CodegenOptions options;
  if (auto arch = module->getAttrOfType<mlir::StringAttr>(ssmc::kArchAttr))
    options.arch = arch.str();
  auto plans = ssmc::codegen::generateKernels(entry, options);
  if (!plans)
    return module.emitError(plans.message());
  for (const ssmc::rt::PlanKernel &p : *plans) {
    const ssmc::rt::PlanConfig &c = p.configs[size_t(p.defaultConfig)];
    os << fmt::format("// ----- kernel {} ({})\n// launch: grid [{}], block [{}], {} B dynamic "
                      "shared memory, {} configurations\n",
                      p.name, p.kind, fmt::join(c.grid, ", "), fmt::join(c.block, ", "),
                      c.smemBytes, p.configs.size())
       << p.source << "\n";
  }
  return mlir::success();
}

int main(int argc, char **argv) {
  ssmc::hideLibraryOptions();
  mlir::TranslateFromMLIRRegistration registration(
      "emit-cuda", "the generated CUDA C++ of every kernel group", emitCuda,
      [](mlir::DialectRegistry &registry) {
        registry.insert<ssmc::SsmcDialect, mlir::func::FuncDialect>();
      });
  return mlir::failed(mlir::mlirTranslateMain(argc, argv, "ssmc translation driver\n"));
}
