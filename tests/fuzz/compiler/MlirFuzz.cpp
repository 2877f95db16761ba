//===- MlirFuzz.cpp - a module in the ssmc dialect ------------------------===//
//
// Any text, as `ssmc run FILE.mlir` and ssmc-opt read it: a parse or
// verifier error, or a module the whole pipeline lowers (or refuses with a
// diagnostic). Never a crash or an abort.

#include "Passes.h"
#include "SsmcOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  mlir::MLIRContext context;
  context.loadDialect<ssmc::SsmcDialect, mlir::func::FuncDialect>();
  context.printOpOnDiagnostic(false);
  mlir::ScopedDiagnosticHandler quiet(&context, [](mlir::Diagnostic &) { return mlir::success(); });
  auto module = mlir::parseSourceString<mlir::ModuleOp>(
      std::string_view(reinterpret_cast<const char *>(data), size), mlir::ParserConfig(&context));
  if (!module || mlir::failed(mlir::verify(*module)))
    return 0;
  mlir::PassManager pm(&context);
  ssmc::buildSsmcPipeline(pm);
  (void)pm.run(*module);
  return 0;
}
