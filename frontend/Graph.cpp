//===- Graph.cpp - the ssmc C++ DSL: graph, scopes, tensors ---------------===//

#include "Graph.h"
#include "SsmcOps.h"

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

Shape Tensor::shape() const {
  if (!valid())
    return {};
  auto t = cast<RankedTensorType>(value_.getType());
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

Graph::Graph(MLIRContext &context, std::string modelName) : context_(context), builder_(&context) {
  context.loadDialect<SsmcDialect, func::FuncDialect>();
  module_ = ModuleOp::create(builder_.getUnknownLoc());
  (*module_)->setAttr("ssmc.model", builder_.getStringAttr(modelName));
  builder_.setInsertionPointToEnd(module_->getBody());
  func_ = builder_.create<func::FuncOp>(builder_.getUnknownLoc(), "main",
                                        builder_.getFunctionType({}, {}));
  builder_.setInsertionPointToEnd(func_.addEntryBlock());
}

Graph::~Graph() = default;

Location Graph::loc(Where where) {
  std::string file = describe(where);
  file = file.substr(0, file.rfind(':'));
  return FileLineColLoc::get(&context_, file, where.line(), where.column());
}

RankedTensorType Graph::tensorType(const Shape &shape) {
  return RankedTensorType::get(shape, builder_.getF32Type());
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
  BlockArgument arg = func_.getBody().front().addArgument(tensorType(shape), loc(where));
  return Tensor(this, arg);
}

void Graph::output(const std::string &name, Tensor value, Where where) {
  if (!usable({&value}))
    return;
  for (auto &[n, v] : outputs_)
    if (n == name) {
      fail(fmt::format("output '{}' is declared twice", name), where);
      return;
    }
  outputs_.emplace_back(name, value.value());
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
  if (auto it = paramValues_.find(name); it != paramValues_.end()) {
    Tensor existing(this, it->second);
    if (existing.shape() != shape)
      return fail(fmt::format("parameter '{}' is used as {} and as {}", name,
                              shape::str(existing.shape()), shape::str(shape)),
                  where);
    return existing;
  }
  // Parameters live at the top of the function so that every use sees them.
  OpBuilder::InsertionGuard guard(builder_);
  builder_.setInsertionPointToStart(&func_.getBody().front());
  auto op = builder_.create<WeightOp>(loc(where), tensorType(shape), builder_.getStringAttr(name));
  paramValues_[name] = op.getResult();
  params_.push_back({name, shape, init});
  return Tensor(this, op.getResult());
}

OwningOpRef<ModuleOp> Graph::finish() {
  if (failed())
    return nullptr;
  if (outputs_.empty()) {
    failAt("", "the model declares no output");
    return nullptr;
  }
  Block &body = func_.getBody().front();
  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  for (auto &[name, v] : outputs_) {
    results.push_back(v);
    resultTypes.push_back(v.getType());
  }
  builder_.setInsertionPointToEnd(&body);
  builder_.create<func::ReturnOp>(builder_.getUnknownLoc(), results);
  func_.setFunctionType(builder_.getFunctionType(body.getArgumentTypes(), resultTypes));
  for (auto [i, name] : llvm::enumerate(inputNames_))
    func_.setArgAttr(i, kNameAttr, builder_.getStringAttr(name));
  for (auto [i, out] : llvm::enumerate(outputs_))
    func_.setResultAttr(i, kNameAttr, builder_.getStringAttr(out.first));
  if (mlir::failed(mlir::verify(*module_))) {
    failAt("", "the built module does not verify (a DSL builder bug; see the diagnostics above)");
    return nullptr;
  }
  return std::move(module_);
}

} // namespace ssmc::dsl
