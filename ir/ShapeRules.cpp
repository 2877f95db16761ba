//===- ShapeRules.cpp - result shapes of ssmc ops -------------------------===//

#include "ShapeRules.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

namespace ssmc::shape {

std::string str(const Shape &s) { return fmt::format("[{}]", fmt::join(s, ", ")); }

int64_t numElements(const Shape &s) {
  return std::accumulate(s.begin(), s.end(), int64_t{1}, std::multiplies<>());
}

std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    return std::nullopt;
  return axis < 0 ? axis + rank : axis;
}

namespace {
using Fail = Inferred<Shape>;

// "bias is [3], expected [256]" or empty when it matches.
std::string expectShape(const char *what, const std::optional<Shape> &got, const Shape &want) {
  if (!got || *got == want)
    return {};
  return fmt::format("{} is {}, expected {}", what, str(*got), str(want));
}

bool allPositive(const Shape &s) {
  return std::all_of(s.begin(), s.end(), [](int64_t d) { return d > 0; });
}
} // namespace

Inferred<Shape> linear(const Shape &x, const Shape &w, const std::optional<Shape> &b) {
  if (x.empty())
    return Fail::failure("input must have at least one dimension, got a scalar");
  if (w.size() != 2)
    return Fail::failure(fmt::format("weight must be [out, in], got {}", str(w)));
  if (x.back() != w[1])
    return Fail::failure(fmt::format("input {} has {} features in its last dimension but weight {} "
                                     "expects {}",
                                     str(x), x.back(), str(w), w[1]));
  if (auto e = expectShape("bias", b, {w[0]}); !e.empty())
    return Fail::failure(e);
  Shape y = x;
  y.back() = w[0];
  return {y, {}};
}

Inferred<Shape> conv2d(const Shape &x, const Shape &w, const std::optional<Shape> &b,
                       const Shape &stride, const Shape &padding, int64_t groups) {
  if (x.size() != 4)
    return Fail::failure(fmt::format("input must be NCHW [N, C, H, W], got {}", str(x)));
  if (w.size() != 4)
    return Fail::failure(fmt::format("weight must be [O, C/groups, KH, KW], got {}", str(w)));
  if (stride.size() != 2 || padding.size() != 2)
    return Fail::failure("stride and padding must have two values (height, width)");
  if (stride[0] < 1 || stride[1] < 1 || padding[0] < 0 || padding[1] < 0)
    return Fail::failure(fmt::format("stride {} must be positive and padding {} non-negative",
                                     str(stride), str(padding)));
  if (groups < 1 || x[1] % groups != 0 || w[0] % groups != 0)
    return Fail::failure(fmt::format("groups {} must divide the input channels {} and the output "
                                     "channels {}",
                                     groups, x[1], w[0]));
  if (w[1] * groups != x[1])
    return Fail::failure(fmt::format("weight {} expects {} input channels per group but input {} "
                                     "has {} channels in {} group(s)",
                                     str(w), w[1], str(x), x[1], groups));
  if (auto e = expectShape("bias", b, {w[0]}); !e.empty())
    return Fail::failure(e);
  int64_t oh = (x[2] + 2 * padding[0] - w[2]) / stride[0] + 1;
  int64_t ow = (x[3] + 2 * padding[1] - w[3]) / stride[1] + 1;
  if (x[2] + 2 * padding[0] < w[2] || x[3] + 2 * padding[1] < w[3] || oh < 1 || ow < 1)
    return Fail::failure(fmt::format("kernel {}x{} is larger than the padded input {}x{}", w[2],
                                     w[3], x[2] + 2 * padding[0], x[3] + 2 * padding[1]));
  return {{x[0], w[0], oh, ow}, {}};
}

Inferred<Shape> depthwiseConv2d(const Shape &x, const Shape &w, const std::optional<Shape> &b) {
  if (x.size() != 4)
    return Fail::failure(fmt::format("input must be channels-last [N, H, W, C], got {}", str(x)));
  if (w.size() != 4 || w[1] != 1)
    return Fail::failure(fmt::format("weight must be [C, 1, KH, KW], got {}", str(w)));
  if (w[0] != x[3])
    return Fail::failure(fmt::format("weight {} has {} channels but input {} has {}", str(w), w[0],
                                     str(x), x[3]));
  if (w[2] % 2 == 0 || w[3] % 2 == 0)
    return Fail::failure(fmt::format("kernel {}x{} must be odd for same padding", w[2], w[3]));
  if (auto e = expectShape("bias", b, {w[0]}); !e.empty())
    return Fail::failure(e);
  return {x, {}};
}

Inferred<Shape> causalConv1d(const Shape &x, const Shape &w, const std::optional<Shape> &b) {
  if (x.size() != 3)
    return Fail::failure(fmt::format("input must be [B, D, L], got {}", str(x)));
  if (w.size() != 3 || w[1] != 1 || w[2] < 1)
    return Fail::failure(fmt::format("weight must be [D, 1, K], got {}", str(w)));
  if (w[0] != x[1])
    return Fail::failure(fmt::format("weight {} has {} channels but input {} has {}", str(w), w[0],
                                     str(x), x[1]));
  if (auto e = expectShape("bias", b, {w[0]}); !e.empty())
    return Fail::failure(e);
  return {x, {}};
}

Inferred<Shape> layerNorm(const Shape &x, const Shape &w, const std::optional<Shape> &b) {
  if (x.empty())
    return Fail::failure("input must have at least one dimension, got a scalar");
  if (auto e = expectShape("weight", w, {x.back()}); !e.empty())
    return Fail::failure(e + fmt::format(" (the last dimension of input {})", str(x)));
  if (auto e = expectShape("bias", b, {x.back()}); !e.empty())
    return Fail::failure(e + fmt::format(" (the last dimension of input {})", str(x)));
  return {x, {}};
}

Inferred<Shape> broadcast(const Shape &a, const Shape &b) {
  Shape y(std::max(a.size(), b.size()));
  for (size_t i = 0; i < y.size(); ++i) {
    int64_t da = i < a.size() ? a[a.size() - 1 - i] : 1;
    int64_t db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1)
      return Fail::failure(fmt::format("shapes {} and {} do not broadcast (dimension {} from the "
                                       "right is {} vs {})",
                                       str(a), str(b), i, da, db));
    y[y.size() - 1 - i] = da == 1 ? db : da;
  }
  return {y, {}};
}

Inferred<std::vector<Shape>> split(const Shape &x, int64_t axis, const Shape &sizes) {
  using R = Inferred<std::vector<Shape>>;
  auto ax = normalizeAxis(axis, x.size());
  if (!ax)
    return R::failure(fmt::format("axis {} is out of range for input {}", axis, str(x)));
  if (sizes.empty() || !std::all_of(sizes.begin(), sizes.end(), [](int64_t s) { return s >= 0; }))
    return R::failure(fmt::format("part sizes {} must be non-negative", str(sizes)));
  int64_t total = std::accumulate(sizes.begin(), sizes.end(), int64_t{0});
  if (total != x[*ax])
    return R::failure(fmt::format("part sizes {} add up to {} but input {} has {} on axis {}",
                                  str(sizes), total, str(x), x[*ax], *ax));
  std::vector<Shape> parts;
  for (int64_t s : sizes) {
    parts.push_back(x);
    parts.back()[*ax] = s;
  }
  return {parts, {}};
}

Inferred<Shape> slice(const Shape &x, int64_t axis, int64_t start, int64_t size) {
  auto ax = normalizeAxis(axis, x.size());
  if (!ax)
    return Fail::failure(fmt::format("axis {} is out of range for input {}", axis, str(x)));
  if (start < 0 || size < 0 || start + size > x[*ax])
    return Fail::failure(fmt::format("range [{}, {}) is outside [0, {}) on axis {} of input {}",
                                     start, start + size, x[*ax], *ax, str(x)));
  Shape y = x;
  y[*ax] = size;
  return {y, {}};
}

Inferred<Shape> concat(const std::vector<Shape> &xs, int64_t axis) {
  if (xs.empty())
    return Fail::failure("needs at least one input");
  auto ax = normalizeAxis(axis, xs[0].size());
  if (!ax)
    return Fail::failure(fmt::format("axis {} is out of range for input {}", axis, str(xs[0])));
  Shape y = xs[0];
  y[*ax] = 0;
  for (size_t i = 0; i < xs.size(); ++i) {
    Shape a = xs[i], b = xs[0];
    if (a.size() != b.size())
      return Fail::failure(fmt::format("input #{} {} has another rank than input #0 {}", i, str(a),
                                       str(b)));
    a[*ax] = b[*ax] = 0;
    if (a != b)
      return Fail::failure(fmt::format("input #{} {} differs from input #0 {} outside axis {}", i,
                                       str(xs[i]), str(xs[0]), *ax));
    y[*ax] += xs[i][*ax];
  }
  return {y, {}};
}

Inferred<Shape> permute(const Shape &x, const Shape &perm) {
  if (perm.size() != x.size())
    return Fail::failure(fmt::format("permutation {} has {} entries but input {} has rank {}",
                                     str(perm), perm.size(), str(x), x.size()));
  std::vector<bool> seen(x.size(), false);
  Shape y(x.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] < 0 || perm[i] >= static_cast<int64_t>(x.size()) || seen[perm[i]])
      return Fail::failure(fmt::format("{} is not a permutation of 0..{}", str(perm),
                                       static_cast<int64_t>(x.size()) - 1));
    seen[perm[i]] = true;
    y[i] = x[perm[i]];
  }
  return {y, {}};
}

Inferred<Shape> reshape(const Shape &x, const Shape &to) {
  if (!allPositive(to) || numElements(x) != numElements(to))
    return Fail::failure(fmt::format("cannot reshape {} ({} elements) to {} ({} elements)", str(x),
                                     numElements(x), str(to), numElements(to)));
  return {to, {}};
}

Inferred<Shape> reduceMean(const Shape &x, const Shape &dims, bool keepdim) {
  Shape y;
  for (size_t i = 0; i < dims.size(); ++i)
    if (dims[i] < 0 || dims[i] >= static_cast<int64_t>(x.size()) || (i && dims[i] <= dims[i - 1]))
      return Fail::failure(fmt::format("dims {} must be ascending axes of input {}", str(dims),
                                       str(x)));
  for (size_t i = 0; i < x.size(); ++i) {
    bool reduced = std::find(dims.begin(), dims.end(), static_cast<int64_t>(i)) != dims.end();
    if (!reduced)
      y.push_back(x[i]);
    else if (keepdim)
      y.push_back(1);
  }
  return {y, {}};
}

Inferred<Shape> flip(const Shape &x, int64_t axis) {
  if (!normalizeAxis(axis, x.size()))
    return Fail::failure(fmt::format("axis {} is out of range for input {}", axis, str(x)));
  return {x, {}};
}

Inferred<ScanShapes> selectiveScan(const ScanOperands &s) {
  using R = Inferred<ScanShapes>;
  if (s.u.size() != 3)
    return R::failure(fmt::format("u must be [B, D, L], got {}", str(s.u)));
  const int64_t b = s.u[0], d = s.u[1], l = s.u[2];
  if (s.delta != s.u)
    return R::failure(fmt::format("delta is {}, expected {} like u", str(s.delta), str(s.u)));
  if (s.A.size() != 2 || s.A[0] != d)
    return R::failure(fmt::format("A is {}, expected [{}, N] (D = {} channels of u {})", str(s.A),
                                  d, d, str(s.u)));
  const int64_t n = s.A[1];
  for (auto [name, t] : {std::pair{"B", &s.B}, std::pair{"C", &s.C}}) {
    Shape want{b, n, l};
    if (*t != want)
      return R::failure(fmt::format("{} is {}, expected {} (batch and length of u {}, d_state {} "
                                    "of A {})",
                                    name, str(*t), str(want), str(s.u), n, str(s.A)));
  }
  if (auto e = expectShape("D", s.D, {d}); !e.empty())
    return R::failure(e);
  if (auto e = expectShape("z", s.z, s.u); !e.empty())
    return R::failure(e);
  if (auto e = expectShape("delta_bias", s.deltaBias, {d}); !e.empty())
    return R::failure(e);
  return {{s.u, {b, d, n}}, {}};
}

} // namespace ssmc::shape
