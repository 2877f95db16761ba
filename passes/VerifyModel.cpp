//===- VerifyModel.cpp - check a module is a runnable ssmc model ----------===//

#include "Passes.h"
#include "SsmcOps.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"

namespace ssmc {
#define GEN_PASS_DEF_VERIFYMODEL
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;

namespace {
struct VerifyModelPass : ssmc::impl::VerifyModelBase<VerifyModelPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    func::FuncOp entry = ssmc::getEntryFunction(module);
    if (!entry) {
      module.emitError() << "a model needs a function @main (or exactly one function)";
      return signalPassFailure();
    }
    if (entry.isExternal()) {
      entry.emitError() << "the entry function @" << entry.getName()
                        << " is a declaration: a model needs its body";
      return signalPassFailure();
    }
    if (failed(checkNames(entry)) || failed(checkOps(entry)) || failed(checkWeights(entry)))
      signalPassFailure();
  }

  LogicalResult checkNames(func::FuncOp f) {
    llvm::StringSet<> inputs, outputs;
    for (unsigned i = 0; i < f.getNumArguments(); ++i) {
      auto name = f.getArgAttrOfType<StringAttr>(i, ssmc::kNameAttr);
      if (!name)
        return f.emitError() << "argument #" << i << " has no '" << ssmc::kNameAttr << "'";
      if (!inputs.insert(name.getValue()).second)
        return f.emitError() << "two inputs are named '" << name.getValue() << "'";
      auto t = dyn_cast<RankedTensorType>(f.getArgument(i).getType());
      if (!t || !t.hasStaticShape())
        return f.emitError() << "input '" << name.getValue() << "' needs a static shape";
    }
    for (unsigned i = 0; i < f.getNumResults(); ++i) {
      auto name = f.getResultAttrOfType<StringAttr>(i, ssmc::kNameAttr);
      if (!name)
        return f.emitError() << "result #" << i << " has no '" << ssmc::kNameAttr << "'";
      if (!outputs.insert(name.getValue()).second)
        return f.emitError() << "two outputs are named '" << name.getValue() << "'";
      auto t = dyn_cast<RankedTensorType>(f.getResultTypes()[i]);
      if (!t || !t.hasStaticShape())
        return f.emitError() << "output '" << name.getValue() << "' needs a static shape";
    }
    if (f.getNumResults() == 0)
      return f.emitError() << "a model needs at least one output";
    return success();
  }

  /// Only ssmc's ops (and the return) can run.
  LogicalResult checkOps(func::FuncOp f) {
    WalkResult r = f.walk([&](Operation *op) {
      if (op == f.getOperation() || isa<func::ReturnOp>(op) ||
          isa<ssmc::SsmcDialect>(op->getDialect()))
        return WalkResult::advance();
      op->emitError() << "'" << op->getName() << "' is not an ssmc op: a model runs ssmc ops only";
      return WalkResult::interrupt();
    });
    return failure(r.wasInterrupted());
  }

  LogicalResult checkWeights(func::FuncOp f) {
    llvm::StringMap<ssmc::WeightOp> seen;
    WalkResult r = f.walk([&](ssmc::WeightOp w) {
      auto [it, inserted] = seen.try_emplace(w.getName(), w);
      if (!inserted && it->second.getType() != w.getType()) {
        w.emitError() << "weight '" << w.getName() << "' is used as " << w.getType()
                      << " here and as " << it->second.getType() << " elsewhere";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    return failure(r.wasInterrupted());
  }
};
} // namespace
