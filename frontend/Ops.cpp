//===- Ops.cpp - the ssmc C++ DSL: op builders ----------------------------===//

#include "Ops.h"
#include "SsmcOps.h"

#include <fmt/format.h>

using namespace mlir;

namespace ssmc::dsl {
namespace {

/// Graph of the first valid tensor, or nullptr.
Graph *graphOf(std::initializer_list<const Tensor *> ts) {
  for (const Tensor *t : ts)
    if (t && t->graph())
      return t->graph();
  return nullptr;
}

/// Turns a shape-rule failure into a DSL error naming the op.
template <class T>
bool check(Graph &g, const shape::Inferred<T> &r, std::string_view op, Where where) {
  if (r.ok())
    return true;
  g.fail(fmt::format("{}: {}", op, r.error), where);
  return false;
}

int64_t axisOf(Graph &g, int64_t axis, const Tensor &x, std::string_view op, Where where) {
  auto a = shape::normalizeAxis(axis, x.rank());
  if (!a) {
    g.fail(fmt::format("{}: axis {} is out of range for {}", op, axis, shape::str(x.shape())),
           where);
    return -1;
  }
  return *a;
}

template <class OpT> Tensor unaryOp(Tensor x, Where where) {
  Graph *g = x.graph();
  if (!g || !g->usable({&x}))
    return Tensor();
  auto op = g->builder().create<OpT>(g->loc(where), x.value());
  return Tensor(g, op.getResult());
}

/// "models/X.cpp:12" for the DSL line that made `t`, or "a graph input".
std::string origin(const Tensor &t) {
  if (auto loc = dyn_cast<FileLineColLoc>(t.value().getLoc()))
    return fmt::format("{}:{}", loc.getFilename().str(), loc.getLine());
  return "a graph input";
}

/// `where` is absent for operators, which cannot take a source location:
/// their errors name the lines that made the operands instead.
template <class OpT>
Tensor binaryOp(Tensor a, Tensor b, std::string_view name, std::optional<Where> where) {
  Graph *g = graphOf({&a, &b});
  if (!g || !g->usable({&a, &b}))
    return Tensor();
  auto r = shape::broadcast(a.shape(), b.shape());
  if (!r.ok() && !where)
    return g->failAt("", fmt::format("{} of values made at {} and {}: {}", name, origin(a),
                                     origin(b), r.error));
  if (!check(*g, r, name, *where))
    return Tensor();
  Location loc = where ? g->loc(*where) : a.value().getLoc();
  auto op = g->builder().create<OpT>(loc, g->tensorType(r.value), a.value(), b.value());
  return Tensor(g, op.getResult());
}

Value valueOr(const std::optional<Tensor> &t) { return t ? t->value() : Value(); }
std::optional<Shape> shapeOr(const std::optional<Tensor> &t) {
  return t ? std::optional<Shape>(t->shape()) : std::nullopt;
}
} // namespace

Tensor linear(Tensor x, Tensor weight, std::optional<Tensor> bias, Where where) {
  Graph *g = graphOf({&x, &weight});
  if (!g || !g->usable({&x, &weight, bias ? &*bias : nullptr}))
    return Tensor();
  auto r = shape::linear(x.shape(), weight.shape(), shapeOr(bias));
  if (!check(*g, r, "linear", where))
    return Tensor();
  auto op = g->builder().create<LinearOp>(g->loc(where), g->tensorType(r.value), x.value(),
                                          weight.value(), valueOr(bias));
  return Tensor(g, op.getResult());
}

Tensor linear(Scope s, Tensor x, int64_t outFeatures, LinearOptions o, Where where) {
  Graph &g = s.graph();
  if (!g.usable({&x}))
    return Tensor();
  if (x.rank() == 0)
    return g.fail(fmt::format("linear '{}': input is a scalar", s.prefix()), where);
  Tensor w = g.param(s.name("weight"), {outFeatures, x.dim(-1)}, Init::FanInUniform, where);
  std::optional<Tensor> b;
  if (o.bias)
    b = g.param(s.name("bias"), {outFeatures}, Init::Zeros, where);
  return linear(x, w, b, where);
}

Tensor conv2d(Scope s, Tensor x, int64_t outChannels, Conv2dOptions o, Where where) {
  Graph &g = s.graph();
  if (!g.usable({&x}))
    return Tensor();
  if (x.rank() != 4)
    return g.fail(fmt::format("conv2d '{}': input must be NCHW, got {}", s.prefix(),
                              shape::str(x.shape())),
                  where);
  if (o.groups < 1 || x.dim(1) % o.groups)
    return g.fail(fmt::format("conv2d '{}': groups {} must divide the {} input channels",
                              s.prefix(), o.groups, x.dim(1)),
                  where);
  Tensor w = g.param(s.name("weight"), {outChannels, x.dim(1) / o.groups, o.kernel, o.kernel},
                     Init::FanInUniform, where);
  std::optional<Tensor> b;
  if (o.bias)
    b = g.param(s.name("bias"), {outChannels}, Init::Zeros, where);
  if (!g.usable({&w}))
    return Tensor();
  Shape stride{o.stride, o.stride}, padding{o.padding, o.padding};
  auto r = shape::conv2d(x.shape(), w.shape(), shapeOr(b), stride, padding, o.groups);
  if (!check(g, r, fmt::format("conv2d '{}'", s.prefix()), where))
    return Tensor();
  auto op = g.builder().create<Conv2dOp>(
      g.loc(where), g.tensorType(r.value), x.value(), w.value(), valueOr(b),
      g.builder().getDenseI64ArrayAttr(stride), g.builder().getDenseI64ArrayAttr(padding),
      g.builder().getI64IntegerAttr(o.groups), /*channels_last=*/mlir::UnitAttr());
  return Tensor(&g, op.getResult());
}

Tensor depthwiseConv2d(Scope s, Tensor x, int64_t kernel, bool bias, Where where) {
  Graph &g = s.graph();
  if (!g.usable({&x}))
    return Tensor();
  if (x.rank() != 4)
    return g.fail(fmt::format("depthwise_conv2d '{}': input must be channels-last [N, H, W, C], "
                              "got {}",
                              s.prefix(), shape::str(x.shape())),
                  where);
  Tensor w = g.param(s.name("weight"), {x.dim(3), 1, kernel, kernel}, Init::FanInUniform, where);
  std::optional<Tensor> b;
  if (bias)
    b = g.param(s.name("bias"), {x.dim(3)}, Init::Zeros, where);
  if (!g.usable({&w}))
    return Tensor();
  auto r = shape::depthwiseConv2d(x.shape(), w.shape(), shapeOr(b));
  if (!check(g, r, fmt::format("depthwise_conv2d '{}'", s.prefix()), where))
    return Tensor();
  auto op = g.builder().create<DepthwiseConv2dOp>(g.loc(where), g.tensorType(r.value), x.value(),
                                                  w.value(), valueOr(b));
  return Tensor(&g, op.getResult());
}

Tensor causalConv1d(Scope s, Tensor x, int64_t kernel, bool bias, bool reverse, Where where) {
  Graph &g = s.graph();
  if (!g.usable({&x}))
    return Tensor();
  if (x.rank() != 3)
    return g.fail(fmt::format("causal_conv1d '{}': input must be [B, D, L], got {}", s.prefix(),
                              shape::str(x.shape())),
                  where);
  Tensor w = g.param(s.name("weight"), {x.dim(1), 1, kernel}, Init::FanInUniform, where);
  std::optional<Tensor> b;
  if (bias)
    b = g.param(s.name("bias"), {x.dim(1)}, Init::Zeros, where);
  if (!g.usable({&w}))
    return Tensor();
  auto r = shape::causalConv1d(x.shape(), w.shape(), shapeOr(b));
  if (!check(g, r, fmt::format("causal_conv1d '{}'", s.prefix()), where))
    return Tensor();
  auto op = g.builder().create<CausalConv1dOp>(g.loc(where), g.tensorType(r.value), x.value(),
                                               w.value(), valueOr(b), reverse,
                                               /*channels_last=*/false);
  return Tensor(&g, op.getResult());
}

Tensor layerNorm(Scope s, Tensor x, double eps, Where where) {
  Graph &g = s.graph();
  if (!g.usable({&x}) || x.rank() == 0)
    return x.rank() == 0 && g.usable({&x})
               ? g.fail(fmt::format("layer_norm '{}': input is a scalar", s.prefix()), where)
               : Tensor();
  Tensor w = g.param(s.name("weight"), {x.dim(-1)}, Init::Ones, where);
  Tensor b = g.param(s.name("bias"), {x.dim(-1)}, Init::Zeros, where);
  if (!g.usable({&w, &b}))
    return Tensor();
  auto op = g.builder().create<LayerNormOp>(g.loc(where), x.value().getType(), x.value(),
                                            w.value(), b.value(), g.builder().getF64FloatAttr(eps));
  return Tensor(&g, op.getResult());
}

Tensor rmsNorm(Scope s, Tensor x, double eps, Where where) {
  Graph &g = s.graph();
  if (!g.usable({&x}))
    return Tensor();
  if (x.rank() == 0)
    return g.fail(fmt::format("rms_norm '{}': input is a scalar", s.prefix()), where);
  Tensor w = g.param(s.name("weight"), {x.dim(-1)}, Init::Ones, where);
  if (!g.usable({&w}))
    return Tensor();
  auto op = g.builder().create<RmsNormOp>(g.loc(where), x.value().getType(), x.value(), w.value(),
                                          g.builder().getF64FloatAttr(eps));
  return Tensor(&g, op.getResult());
}

Tensor layerScale(Scope s, Tensor x, double initValue, Where where) {
  Graph &g = s.graph();
  if (!g.usable({&x}))
    return Tensor();
  if (x.rank() == 0)
    return g.fail(fmt::format("layer_scale '{}': input is a scalar", s.prefix()), where);
  Tensor gamma = g.constantParam(s.name("gamma"), {x.dim(-1)}, initValue, where);
  return mul(x, gamma, where);
}

Tensor gelu(Tensor x, Where where) { return unaryOp<GeluOp>(x, where); }
Tensor silu(Tensor x, Where where) { return unaryOp<SiluOp>(x, where); }
Tensor softplus(Tensor x, Where where) { return unaryOp<SoftplusOp>(x, where); }
Tensor exp(Tensor x, Where where) { return unaryOp<ExpOp>(x, where); }
Tensor neg(Tensor x, Where where) { return unaryOp<NegOp>(x, where); }
Tensor add(Tensor a, Tensor b, Where where) { return binaryOp<AddOp>(a, b, "add", where); }
Tensor mul(Tensor a, Tensor b, Where where) { return binaryOp<MulOp>(a, b, "mul", where); }
Tensor operator+(Tensor a, Tensor b) {
  return binaryOp<AddOp>(a, b, "'+'", std::nullopt);
}
Tensor operator*(Tensor a, Tensor b) {
  return binaryOp<MulOp>(a, b, "'*'", std::nullopt);
}

Tensor scale(Tensor x, double c, Where where) {
  Graph *g = x.graph();
  if (!g || !g->usable({&x}))
    return Tensor();
  auto op = g->builder().create<ScaleOp>(g->loc(where), x.value(), g->builder().getF64FloatAttr(c));
  return Tensor(g, op.getResult());
}

std::vector<Tensor> split(Tensor x, const std::vector<int64_t> &sizes, int64_t axis, Where where) {
  Graph *g = x.graph();
  if (!g || !g->usable({&x}))
    return std::vector<Tensor>(sizes.size());
  int64_t ax = axisOf(*g, axis, x, "split", where);
  if (ax < 0)
    return std::vector<Tensor>(sizes.size());
  auto r = shape::split(x.shape(), ax, sizes);
  if (!check(*g, r, "split", where))
    return std::vector<Tensor>(sizes.size());
  SmallVector<Type> types;
  for (const Shape &p : r.value)
    types.push_back(g->tensorType(p));
  auto op = g->builder().create<SplitOp>(g->loc(where), types, x.value(), ax);
  std::vector<Tensor> parts;
  for (Value v : op.getResults())
    parts.emplace_back(g, v);
  return parts;
}

Tensor slice(Tensor x, int64_t axis, int64_t start, int64_t size, Where where) {
  Graph *g = x.graph();
  if (!g || !g->usable({&x}))
    return Tensor();
  int64_t ax = axisOf(*g, axis, x, "slice", where);
  if (ax < 0)
    return Tensor();
  auto r = shape::slice(x.shape(), ax, start, size);
  if (!check(*g, r, "slice", where))
    return Tensor();
  auto op = g->builder().create<SliceOp>(g->loc(where), g->tensorType(r.value), x.value(), ax,
                                         start);
  return Tensor(g, op.getResult());
}

Tensor concat(const std::vector<Tensor> &xs, int64_t axis, Where where) {
  if (xs.empty())
    return Tensor();
  Graph *g = xs[0].graph();
  if (!g)
    return Tensor();
  std::vector<Shape> shapes;
  SmallVector<Value> values;
  for (const Tensor &t : xs) {
    if (!g->usable({&t}))
      return Tensor();
    shapes.push_back(t.shape());
    values.push_back(t.value());
  }
  int64_t ax = axisOf(*g, axis, xs[0], "concat", where);
  if (ax < 0)
    return Tensor();
  auto r = shape::concat(shapes, ax);
  if (!check(*g, r, "concat", where))
    return Tensor();
  auto op = g->builder().create<ConcatOp>(g->loc(where), g->tensorType(r.value), values, ax);
  return Tensor(g, op.getResult());
}

Tensor permute(Tensor x, const std::vector<int64_t> &perm, Where where) {
  Graph *g = x.graph();
  if (!g || !g->usable({&x}))
    return Tensor();
  auto r = shape::permute(x.shape(), perm);
  if (!check(*g, r, "permute", where))
    return Tensor();
  auto op = g->builder().create<PermuteOp>(g->loc(where), g->tensorType(r.value), x.value(),
                                           g->builder().getDenseI64ArrayAttr(perm));
  return Tensor(g, op.getResult());
}

Tensor reshape(Tensor x, const Shape &to, Where where) {
  Graph *g = x.graph();
  if (!g || !g->usable({&x}))
    return Tensor();
  auto r = shape::reshape(x.shape(), to);
  if (!check(*g, r, "reshape", where))
    return Tensor();
  auto op = g->builder().create<ReshapeOp>(g->loc(where), g->tensorType(r.value), x.value());
  return Tensor(g, op.getResult());
}

Tensor flip(Tensor x, int64_t axis, Where where) {
  Graph *g = x.graph();
  if (!g || !g->usable({&x}))
    return Tensor();
  int64_t ax = axisOf(*g, axis, x, "flip", where);
  if (ax < 0)
    return Tensor();
  auto op = g->builder().create<FlipOp>(g->loc(where), x.value(), ax);
  return Tensor(g, op.getResult());
}

Tensor reduceMean(Tensor x, const std::vector<int64_t> &dims, bool keepdim, Where where) {
  Graph *g = x.graph();
  if (!g || !g->usable({&x}))
    return Tensor();
  std::vector<int64_t> axes;
  for (int64_t d : dims) {
    int64_t ax = axisOf(*g, d, x, "reduce_mean", where);
    if (ax < 0)
      return Tensor();
    axes.push_back(ax);
  }
  std::sort(axes.begin(), axes.end());
  auto r = shape::reduceMean(x.shape(), axes, keepdim);
  if (!check(*g, r, "reduce_mean", where))
    return Tensor();
  auto op = g->builder().create<ReduceMeanOp>(g->loc(where), g->tensorType(r.value), x.value(),
                                              g->builder().getDenseI64ArrayAttr(axes), keepdim);
  return Tensor(g, op.getResult());
}

ScanResult selectiveScan(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C,
                         const ScanOptions &o, Where where) {
  Graph *g = graphOf({&u, &delta, &A, &B, &C});
  if (!g || !g->usable({&u, &delta, &A, &B, &C, o.D ? &*o.D : nullptr, o.z ? &*o.z : nullptr,
                        o.deltaBias ? &*o.deltaBias : nullptr}))
    return {};
  shape::ScanOperands s{u.shape(),     delta.shape(), A.shape(),         B.shape(),
                        C.shape(),     shapeOr(o.D),  shapeOr(o.z),      shapeOr(o.deltaBias)};
  auto r = shape::selectiveScan(s);
  if (!check(*g, r, "selective_scan", where))
    return {};
  auto op = g->builder().create<SelectiveScanOp>(
      g->loc(where), g->tensorType(r.value.out), g->tensorType(r.value.lastState), u.value(),
      delta.value(), A.value(), B.value(), C.value(), valueOr(o.D), valueOr(o.z),
      valueOr(o.deltaBias), o.deltaSoftplus, o.reverse, /*channels_last=*/false,
      /*tiling=*/nullptr);
  return {Tensor(g, op.getOut()), Tensor(g, op.getLastState())};
}

} // namespace ssmc::dsl
