//===- Ops.h - the ssmc C++ DSL: op builders ------------------------------===//
//
// One function per dialect op. Builders that own parameters take the Scope
// they live in and create them under the reference names (`weight`, `bias`).
// Every builder takes a defaulted source location, so a shape error names
// the model line that called it.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_FRONTEND_OPS_H
#define SSMC_FRONTEND_OPS_H

#include "Graph.h"

#include <optional>

namespace ssmc::dsl {

// Layers with parameters (PyTorch module semantics and names).
struct LinearOptions {
  bool bias = true;
};
Tensor linear(Scope s, Tensor x, int64_t outFeatures, LinearOptions o = {},
              Where where = Where::current());

struct Conv2dOptions {
  int64_t kernel = 3;
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t groups = 1;
  bool bias = true;
};
/// nn.Conv2d on NCHW.
Tensor conv2d(Scope s, Tensor x, int64_t outChannels, Conv2dOptions o,
              Where where = Where::current());
/// Depthwise k×k conv, channels-last, stride 1, same padding (weight [C,1,k,k]).
Tensor depthwiseConv2d(Scope s, Tensor x, int64_t kernel, bool bias = true,
                       Where where = Where::current());
/// Causal (or with `reverse`, anti-causal) depthwise conv1d on [B, D, L].
Tensor causalConv1d(Scope s, Tensor x, int64_t kernel, bool bias = true, bool reverse = false,
                    Where where = Where::current());
Tensor layerNorm(Scope s, Tensor x, double eps, Where where = Where::current());
Tensor rmsNorm(Scope s, Tensor x, double eps, Where where = Where::current());
/// timm's LayerScale: x · gamma along the last dimension, gamma (`s.gamma`)
/// initialised to `initValue`.
Tensor layerScale(Scope s, Tensor x, double initValue, Where where = Where::current());

// Ops on given tensors (weights passed explicitly).
Tensor linear(Tensor x, Tensor weight, std::optional<Tensor> bias, Where where = Where::current());

// Elementwise.
Tensor gelu(Tensor x, Where where = Where::current());
Tensor silu(Tensor x, Where where = Where::current());
Tensor softplus(Tensor x, Where where = Where::current());
Tensor exp(Tensor x, Where where = Where::current());
Tensor neg(Tensor x, Where where = Where::current());
Tensor add(Tensor a, Tensor b, Where where = Where::current());
Tensor mul(Tensor a, Tensor b, Where where = Where::current());
/// Operators cannot take a source location; their errors name the DSL lines
/// that made the operands instead.
Tensor operator+(Tensor a, Tensor b);
Tensor operator*(Tensor a, Tensor b);
/// x · c for a compile-time constant c.
Tensor scale(Tensor x, double c, Where where = Where::current());

// Data movement. Axes may be negative (counted from the back).
std::vector<Tensor> split(Tensor x, const std::vector<int64_t> &sizes, int64_t axis,
                          Where where = Where::current());
Tensor slice(Tensor x, int64_t axis, int64_t start, int64_t size, Where where = Where::current());
Tensor concat(const std::vector<Tensor> &xs, int64_t axis, Where where = Where::current());
Tensor permute(Tensor x, const std::vector<int64_t> &perm, Where where = Where::current());
Tensor reshape(Tensor x, const Shape &shape, Where where = Where::current());
Tensor flip(Tensor x, int64_t axis, Where where = Where::current());
Tensor reduceMean(Tensor x, const std::vector<int64_t> &dims, bool keepdim = false,
                  Where where = Where::current());

struct ScanOptions {
  std::optional<Tensor> D, z, deltaBias;
  bool deltaSoftplus = false;
  bool reverse = false;
};
struct ScanResult {
  Tensor out, lastState;
};
ScanResult selectiveScan(Tensor u, Tensor delta, Tensor A, Tensor B, Tensor C,
                         const ScanOptions &o, Where where = Where::current());

} // namespace ssmc::dsl

#endif // SSMC_FRONTEND_OPS_H
