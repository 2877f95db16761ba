//===- ssmc-opt.cpp - mlir-opt with ssmc's dialect and passes -------------===//

#include "SsmcOps.h"
#include "Passes.h"
#include "tools/HideLibraryOptions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  ssmc::hideLibraryOptions();
  mlir::registerCanonicalizerPass();
  mlir::registerCSEPass();
  ssmc::registerSsmcPasses();
  ssmc::registerSsmcPipelines();

  mlir::DialectRegistry registry;
  registry.insert<ssmc::SsmcDialect, mlir::func::FuncDialect>();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "ssmc optimizer driver\n", registry));
}
