//===- Graph.h - the ssmc C++ DSL: graph, scopes, tensors -----------------===//
//
// A model is written as a C++ function over dsl::Tensor values, much like its
// PyTorch forward(). Scopes build the reference `state_dict` names
// (`s["stages"][0][0]["fc1"]` -> "stages.0.0.fc1"). Every builder checks
// shapes as the graph is built; the first mistake is recorded with the DSL
// line that made it, later builders become no-ops, and Graph::finish()
// reports it. Nothing throws.
//
// No MLIR header is included: model plugins (models/Plugin.h) build against
// this header alone. The builders' MLIR side (value(), builder(), ...) is
// declared here and defined in Graph.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_FRONTEND_GRAPH_H
#define SSMC_FRONTEND_GRAPH_H

#include "ShapeRules.h"

#include <map>
#include <memory>
#include <source_location>
#include <string>
#include <vector>

namespace mlir {
class Location;
class MLIRContext;
class ModuleOp;
class OpBuilder;
class RankedTensorType;
class Value;
template <typename OpTy> class OwningOpRef;
} // namespace mlir

namespace ssmc::dsl {

using shape::Shape;
using Where = std::source_location;

class Graph;

/// A value in the graph. Invalid once the graph has failed.
class Tensor {
public:
  Tensor() = default;
  Tensor(Graph *graph, mlir::Value value);

  bool valid() const { return graph_ && value_; }
  Graph *graph() const { return graph_; }
  mlir::Value value() const;
  Shape shape() const;
  int64_t rank() const { return static_cast<int64_t>(shape().size()); }
  /// Size of dimension i; negative i counts from the back.
  int64_t dim(int64_t i) const;

private:
  Graph *graph_ = nullptr;
  void *value_ = nullptr; ///< the mlir::Value's opaque pointer
};

/// A dotted name prefix for parameters.
class Scope {
public:
  Scope(Graph *graph, std::string prefix) : graph_(graph), prefix_(std::move(prefix)) {}
  Scope operator[](std::string_view child) const;
  Scope operator[](int64_t index) const { return (*this)[std::to_string(index)]; }
  /// Full name of a parameter in this scope ("stages.0.0.fc1" + "weight").
  std::string name(std::string_view leaf) const;
  const std::string &prefix() const { return prefix_; }
  Graph &graph() const { return *graph_; }

private:
  Graph *graph_;
  std::string prefix_;
};

/// How a parameter is drawn when no checkpoint is given (`--seed`).
enum class Init {
  Zeros,
  Ones,
  FanInUniform, // U(±1/√fan_in), fan_in = elements / first dimension
  Normal002,    // N(0, 0.02²), embeddings and tokens
  ALog,         // log(1..N) along the last dimension (S4D-real)
  DtBias,       // softplus⁻¹ of dt = 0.01
  Constant,     // ParamInfo::value everywhere (LayerScale's init value)
};

struct ParamInfo {
  std::string name;
  Shape shape;
  Init init;
  double value = 0; ///< Init::Constant's value
};

class Graph {
public:
  /// `modelName` becomes the module's `ssmc.model` attribute.
  Graph(mlir::MLIRContext &context, std::string modelName);
  ~Graph();
  Graph(const Graph &) = delete;
  Graph &operator=(const Graph &) = delete;

  Scope root() { return Scope(this, ""); }

  /// A named graph input.
  Tensor input(const std::string &name, const Shape &shape, Where where = Where::current());
  /// A named graph output (`output`, `out`, `last_state`, ...).
  void output(const std::string &name, Tensor value, Where where = Where::current());
  /// An intermediate worth comparing (`act.stages.0`): an extra output when
  /// activations are captured, ignored otherwise.
  void activation(const std::string &name, Tensor value, Where where = Where::current());
  void setCaptureActivations(bool on) { captureActivations_ = on; }
  /// Stores `value` in fp32 even in a bf16/f16 model (`ssmc.storage`): the
  /// op that computes it, or the input it is. Vim's `residual_in_fp32`.
  void keepInF32(Tensor value);

  /// A parameter; the same name twice must have the same shape.
  Tensor param(const std::string &name, const Shape &shape, Init init,
               Where where = Where::current());
  /// A parameter whose random-weight value is `value` everywhere.
  Tensor constantParam(const std::string &name, const Shape &shape, double value,
                       Where where = Where::current());

  /// Records the first error at `where`; always returns an invalid tensor.
  Tensor fail(const std::string &message, Where where);
  /// The same with the place spelled out ("" when the message names it).
  Tensor failAt(const std::string &place, const std::string &message);
  bool failed() const { return !error_.empty(); }
  const std::string &error() const { return error_; }

  /// The finished module, or nullptr with error() set.
  mlir::OwningOpRef<mlir::ModuleOp> finish();
  const std::vector<ParamInfo> &params() const { return params_; }

  // Used by the op builders.
  mlir::OpBuilder &builder();
  mlir::Location loc(Where where);
  mlir::RankedTensorType tensorType(const Shape &shape);
  /// True when every tensor is valid and the graph has not failed.
  bool usable(std::initializer_list<const Tensor *> tensors) const;

private:
  struct State; // the module being built (Graph.cpp)
  std::unique_ptr<State> state_;
  std::vector<std::string> inputNames_;
  std::vector<unsigned> f32Inputs_; ///< inputs kept in fp32, set on the function at finish()
  std::vector<ParamInfo> params_;
  bool captureActivations_ = false;
  std::string error_;
};

/// "models/MambaOut.cpp:42" for diagnostics.
std::string describe(Where where);

} // namespace ssmc::dsl

#endif // SSMC_FRONTEND_GRAPH_H
