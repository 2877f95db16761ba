//===- Passes.td - ssmc pass declarations ------------------*- tablegen -*-===//

#ifndef SSMC_PASSES_TD
#define SSMC_PASSES_TD

include "mlir/Pass/PassBase.td"

def VerifyModel : Pass<"ssmc-verify-model", "mlir::ModuleOp"> {
  let summary = "Check that the module is a runnable ssmc model";
  let description = [{
    A model is one `func.func` (the entry point, `@main` unless there is just
    one function) whose arguments and results all carry a unique `ssmc.name`,
    with static shapes everywhere and each weight name bound to one shape.
    The pass changes nothing; it fails with a diagnostic naming the value.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

#endif // SSMC_PASSES_TD
