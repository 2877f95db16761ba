//===- Graph.cpp - the ssmc C++ DSL: graph, scopes, tensors ---------------===//

#include "Graph.h"
#include "SsmcOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"

#include <fmt/format.h>

using namespace mlir;

namespace ssmc::dsl {

std::string describe(Where where) {
  std::string_view file = where.file_name();
  // Show the path from the project's top folder ("models/MambaOut.cpp").
  for (std::string_view top : {"/models/", "/frontend/", "/tests/", "/tools/"})
    if (auto pos = file.rfind(top); pos != std::string_view::npos) {
      file = file.substr(pos + 1);
      break;
    }
  return fmt::format("{}:{}", file, where.line());
}

Tensor::Tensor(Graph *graph, Value value) : graph_(graph), value_(value.getAsOpaquePointer()) {}

Value Tensor::value() const { return Value::getFromOpaquePointer(value_); }

Shape Tensor::shape() const {
  if (!valid())
    return {};
  auto t = cast<RankedTensorType>(value().getType());
  return Shape(t.getShape().begin(), t.getShape().end());
}

int64_t Tensor::dim(int64_t i) const {
  Shape s = shape();
  auto axis = shape::normalizeAxis(i, s.size());
  return axis ? s[*axis] : 0;
}

Scope Scope::operator[](std::string_view child) const {
  return Scope(graph_, prefix_.empty() ? std::string(child) : fmt::format("{}.{}", prefix_, child));
}

std::string Scope::name(std::string_view leaf) const {
  return prefix_.empty() ? std::string(leaf) : fmt::format("{}.{}", prefix_, leaf);
}

struct Graph::State {
  explicit State(MLIRContext &context) : context(context), builder(&context) {}
  MLIRContext &context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func; // owned by module
  std::vector<std::pair<std::string, Value>> outputs;
  std::map<std::string, Value> paramValues;
};

Graph::Graph(MLIRContext &context, std::string modelName)
    : state_(std::make_unique<State>(context)) {
  context.loadDialect<SsmcDialect, func::FuncDialect>();
  OpBuilder &b = state_->builder;
  state_->module = ModuleOp::create(b.getUnknownLoc());
  (*state_->module)->setAttr(ssmc::kModelAttr, b.getStringAttr(modelName));
  b.setInsertionPointToEnd(state_->module->getBody());
  state_->func = b.create<func::FuncOp>(b.getUnknownLoc(), "main", b.getFunctionType({}, {}));
  b.setInsertionPointToEnd(state_->func.addEntryBlock());
}

Graph::~Graph() = default;

OpBuilder &Graph::builder() { return state_->builder; }

Location Graph::loc(Where where) {
  std::string file = describe(where);
  file = file.substr(0, file.rfind(':'));
  return FileLineColLoc::get(&state_->context, file, where.line(), where.column());
}

RankedTensorType Graph::tensorType(const Shape &shape) {
  return RankedTensorType::get(shape, state_->builder.getF32Type());
}

bool Graph::usable(std::initializer_list<const Tensor *> tensors) const {
  if (failed())
    return false;
  for (const Tensor *t : tensors)
    if (t && !t->valid())
      return false;
  return true;
}

Tensor Graph::fail(const std::string &message, Where where) {
  return failAt(describe(where), message);
}

Tensor Graph::failAt(const std::string &place, const std::string &message) {
  if (error_.empty())
    error_ = place.empty() ? message : fmt::format("{}: {}", place, message);
  return Tensor();
}

Tensor Graph::input(const std::string &name, const Shape &shape, Where where) {
  if (failed())
    return Tensor();
  for (int64_t d : shape)
    if (d <= 0)
      return fail(fmt::format("input '{}' has shape {}: every dimension must be positive", name,
                              shape::str(shape)),
                  where);
  for (const std::string &n : inputNames_)
    if (n == name)
      return fail(fmt::format("input '{}' is declared twice", name), where);
  inputNames_.push_back(name);
  BlockArgument arg = state_->func.getBody().front().addArgument(tensorType(shape), loc(where));
  return Tensor(this, arg);
}

void Graph::output(const std::string &name, Tensor value, Where where) {
  if (!usable({&value}))
    return;
  for (auto &[n, v] : state_->outputs)
    if (n == name) {
      fail(fmt::format("output '{}' is declared twice", name), where);
      return;
    }
  state_->outputs.emplace_back(name, value.value());
}

void Graph::activation(const std::string &name, Tensor value, Where where) {
  if (captureActivations_)
    output(name, value, where);
}

Tensor Graph::constantParam(const std::string &name, const Shape &shape, double value,
                            Where where) {
  const size_t before = params_.size();
  Tensor t = param(name, shape, Init::Constant, where);
  if (params_.size() > before)
    params_.back().value = value;
  return t;
}

Tensor Graph::param(const std::string &name, const Shape &shape, Init init, Where where) {
  if (failed())
    return Tensor();
  for (int64_t d : shape)
    if (d <= 0)
      return fail(fmt::format("parameter '{}' would have shape {}: check the model's "
                              "configuration",
                              name, shape::str(shape)),
                  where);
  if (auto it = state_->paramValues.find(name); it != state_->paramValues.end()) {
    Tensor existing(this, it->second);
    if (existing.shape() != shape)
      return fail(fmt::format("parameter '{}' is used as {} and as {}", name,
                              shape::str(existing.shape()), shape::str(shape)),
                  where);
    return existing;
  }
  // Parameters live at the top of the function so that every use sees them.
  OpBuilder &b = state_->builder;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&state_->func.getBody().front());
  auto op = b.create<WeightOp>(loc(where), tensorType(shape), b.getStringAttr(name),
                               /*stored_as=*/nullptr, /*row_pitch=*/nullptr,
                               /*inserted_zeros=*/nullptr);
  state_->paramValues[name] = op.getResult();
  params_.push_back({name, shape, init});
  return Tensor(this, op.getResult());
}

void Graph::keepInF32(Tensor value) {
  if (!usable({&value}))
    return;
  Value v = value.value();
  if (Operation *op = v.getDefiningOp())
    op->setAttr(kStorageAttr, state_->builder.getStringAttr("f32"));
  else
    f32Inputs_.push_back(cast<BlockArgument>(v).getArgNumber());
}

OwningOpRef<ModuleOp> Graph::finish() {
  if (failed())
    return nullptr;
  State &st = *state_;
  if (st.outputs.empty()) {
    failAt("", "the model declares no output");
    return nullptr;
  }
  Block &body = st.func.getBody().front();
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (auto &[name, v] : st.outputs) {
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  OpBuilder &b = st.builder;
  b.setInsertionPointToEnd(&body);
  b.create<func::ReturnOp>(b.getUnknownLoc(), results);
  st.func.setFunctionType(b.getFunctionType(body.getArgumentTypes(), resultTypes));
  for (auto [i, name] : llvm::enumerate(inputNames_))
    st.func.setArgAttr(i, kNameAttr, b.getStringAttr(name));
  for (unsigned i : f32Inputs_)
    st.func.setArgAttr(i, kStorageAttr, b.getStringAttr("f32"));
  for (auto [i, out] : llvm::enumerate(st.outputs))
    st.func.setResultAttr(i, kNameAttr, b.getStringAttr(out.first));
  if (mlir::failed(mlir::verify(*st.module))) {
    failAt("", "the built module does not verify (a DSL builder bug; see the diagnostics above)");
    return nullptr;
  }
  return std::move(st.module);
}

} // namespace ssmc::dsl
