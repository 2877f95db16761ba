//===- ShapeRules.h - result shapes of ssmc ops --------------------------===//
//
// One place that knows how each op's result shape follows from its operands.
// The op verifiers check IR against these rules and the DSL uses them to
// type the ops it builds, so a shape mistake reads the same from both sides.
// Errors are sentences without the op name ("weight is [256, 96], expected
// [*, 48] ..."); callers prefix the op or the DSL line.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_IR_SHAPERULES_H
#define SSMC_IR_SHAPERULES_H

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ssmc::shape {

using Shape = std::vector<int64_t>;

/// A result shape or the reason there is none.
template <class T> struct Inferred {
  T value{};
  std::string error;
  bool ok() const { return error.empty(); }
  static Inferred failure(std::string why) { return {T{}, std::move(why)}; }
};

std::string str(const Shape &s); // "[2, 14, 14, 48]"
int64_t numElements(const Shape &s);

Inferred<Shape> linear(const Shape &x, const Shape &w, const std::optional<Shape> &b);
Inferred<Shape> conv2d(const Shape &x, const Shape &w, const std::optional<Shape> &b,
                       const Shape &stride, const Shape &padding, int64_t groups);
Inferred<Shape> depthwiseConv2d(const Shape &x, const Shape &w, const std::optional<Shape> &b);
Inferred<Shape> causalConv1d(const Shape &x, const Shape &w, const std::optional<Shape> &b);
Inferred<Shape> layerNorm(const Shape &x, const Shape &w, const std::optional<Shape> &b);
Inferred<Shape> broadcast(const Shape &a, const Shape &b);
Inferred<std::vector<Shape>> split(const Shape &x, int64_t axis, const Shape &sizes);
Inferred<Shape> slice(const Shape &x, int64_t axis, int64_t start, int64_t size);
Inferred<Shape> concat(const std::vector<Shape> &xs, int64_t axis);
Inferred<Shape> permute(const Shape &x, const Shape &perm);
Inferred<Shape> reshape(const Shape &x, const Shape &to);
Inferred<Shape> reduceMean(const Shape &x, const Shape &dims, bool keepdim);
Inferred<Shape> flip(const Shape &x, int64_t axis);

struct ScanOperands {
  Shape u, delta, A, B, C;
  std::optional<Shape> D, z, deltaBias;
};
struct ScanShapes {
  Shape out, lastState;
};
Inferred<ScanShapes> selectiveScan(const ScanOperands &s);

/// Axis in [-rank, rank) to [0, rank), or nullopt if out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace ssmc::shape

#endif // SSMC_IR_SHAPERULES_H
