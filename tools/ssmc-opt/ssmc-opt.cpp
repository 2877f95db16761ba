//===- ssmc-opt.cpp - mlir-opt with ssmc's dialect and passes -------------===//

#include "SsmcOps.h"
#include "Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/CommandLine.h"

#include <algorithm>

/// LLVM's libraries register hundreds of backend options at static
/// initialisation, none of which ssmc-opt uses: hidden from --help (they
/// still parse, and --help-hidden lists them). The MLIR driver's own options
/// are registered later, inside MlirOptMain, and stay visible.
static void hideLibraryOptions() {
  static const llvm::StringRef kKept[] = {"help", "help-list", "version", "color"};
  for (auto &[name, option] : llvm::cl::getRegisteredOptions())
    if (std::find(std::begin(kKept), std::end(kKept), name) == std::end(kKept))
      option->setHiddenFlag(llvm::cl::Hidden);
}

int main(int argc, char **argv) {
  hideLibraryOptions();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  ssmc::registerSsmcPasses();
  ssmc::registerSsmcPipelines();

  mlir::DialectRegistry registry;
  registry.insert<ssmc::SsmcDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "ssmc optimizer driver\n", registry));
}
