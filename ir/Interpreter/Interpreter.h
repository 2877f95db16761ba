//===- Interpreter.h - the CPU reference executor --------------------------===//
//
// Runs a model module op by op in fp32 on the CPU. It is the oracle every
// pass and every GPU kernel is checked against, so it favours plain, exact
// kernels over clever ones.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_INTERPRETER_INTERPRETER_H
#define SSMC_INTERPRETER_INTERPRETER_H

#include "ShapeRules.h"
#include "Support/Status.h"

#include "mlir/IR/BuiltinOps.h"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ssmc::interp {

/// A row-major fp32 tensor. `owner` keeps the storage alive: an owned
/// buffer, or the memory-mapped file a weight points into.
struct HostTensor {
  shape::Shape shape;
  std::shared_ptr<const void> owner;
  float *data = nullptr;

  static HostTensor allocate(const shape::Shape &shape);
  /// A view of `data` that keeps `owner` alive; never written through.
  static HostTensor borrow(const shape::Shape &shape, const float *data,
                           std::shared_ptr<const void> owner);
  int64_t numElements() const { return shape::numElements(shape); }
};

using TensorMap = std::map<std::string, HostTensor>;

struct RunOptions {
  /// Called after each op with (ops done, ops in total).
  std::function<void(size_t, size_t)> progress;
  /// Called after each kernel group with the group, its inputs (in operand
  /// order) and its results: what a generated kernel must reproduce. The
  /// tensors may live in the arena: copy what must outlive the call.
  std::function<void(mlir::Operation *group, const std::vector<HostTensor> &inputs,
                     const std::vector<HostTensor> &results)>
      onKernelGroup;
};

/// Runs the entry function: inputs by their `ssmc.name`, weights by their
/// `state_dict` name. Returns the outputs by name, or one error that names
/// the missing or mis-shaped input or weight.
rt::Expected<TensorMap> run(mlir::ModuleOp module, const TensorMap &inputs,
                            const TensorMap &weights, const RunOptions &options = {});

} // namespace ssmc::interp

#endif // SSMC_INTERPRETER_INTERPRETER_H
