//===- Kernels.h - fp32 CPU kernels of the reference executor -------------===//
//
// Plain C++ kernels with PyTorch fp32 semantics. They are the numerical oracle
// for every pass and GPU kernel, so each output element is accumulated in one
// fixed order whatever the thread count: results are bit-for-bit repeatable.
// Reductions that normalise (LayerNorm, RMSNorm, mean) accumulate in double.
// All tensors are row-major and contiguous; outputs never alias inputs.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_INTERPRETER_KERNELS_H
#define SSMC_INTERPRETER_KERNELS_H

#include "Interpreter/ThreadPool.h"

#include <cstdint>
#include <span>
#include <vector>

namespace ssmc::interp {

/// y[r, o] = sum_k x[r, k] * w[o, k] + bias[o]; w is nn.Linear's [out, in].
/// `bias` may be null.
void linear(const float *x, int64_t rows, int64_t in, const float *w, const float *bias,
            int64_t out, float *y);

/// nn.Conv2d: x [n, c, h, w], weight [o, c/groups, kh, kw], zero padding,
/// y [n, o, oh, ow] with oh = (h + 2*padH - kh)/strideH + 1. `bias` may be null.
void conv2dNCHW(const float *x, int64_t n, int64_t c, int64_t h, int64_t w, const float *weight,
                const float *bias, int64_t o, int64_t kh, int64_t kw, int64_t strideH,
                int64_t strideW, int64_t padH, int64_t padW, int64_t groups, float *y);

/// Depthwise "same" conv, channels last: x and y [n, h, w, c], weight
/// [c, 1, kh, kw], stride 1, zero padding kh/2 and kw/2. `bias` may be null.
void depthwiseConv2dNHWC(const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
                         const float *weight, const float *bias, int64_t kh, int64_t kw, float *y);

/// LayerNorm over the last dim with the biased variance; weight/bias may be null.
void layerNorm(const float *x, int64_t rows, int64_t cols, const float *weight, const float *bias,
               double eps, float *y);

/// y = x / sqrt(mean(x^2) + eps) * weight; `weight` may be null.
void rmsNorm(const float *x, int64_t rows, int64_t cols, const float *weight, double eps, float *y);

enum class UnaryKind {
  Gelu,     // exact: x/2 * (1 + erf(x/sqrt(2)))
  Silu,     // x * sigmoid(x)
  Softplus, // log1p(exp(x)), or x when x > 20 (PyTorch's threshold)
  Exp,
  Neg
};
void unary(UnaryKind kind, const float *x, int64_t count, float *y);

enum class BinaryKind { Add, Mul };
/// Elementwise with numpy broadcasting (right-aligned shapes, size-1 dims
/// stretch); `outShape` is the broadcast shape.
void binary(BinaryKind kind, const float *a, std::span<const int64_t> aShape, const float *b,
            std::span<const int64_t> bShape, float *y, std::span<const int64_t> outShape);

/// y = x with its dims reordered: outShape[i] = inShape[perm[i]].
void permute(const float *x, std::span<const int64_t> inShape, std::span<const int64_t> perm,
             float *y);

/// Mean over `dims` (sorted, unique); the output is laid out as the input
/// with those dims removed (or kept as size 1, the same data).
void reduceMean(const float *x, std::span<const int64_t> shape, std::span<const int64_t> dims,
                float *y);

/// y = x[..., start:start+size, ...] along `axis`.
void sliceAxis(const float *x, std::span<const int64_t> shape, int64_t axis, int64_t start,
               int64_t size, float *y);

/// y = the inputs concatenated along `axis`; shapes agree except on `axis`.
void concatAxis(std::span<const float *const> inputs, std::span<const std::vector<int64_t>> shapes,
                int64_t axis, float *y);

/// y = x reversed along `axis`.
void flipAxis(const float *x, std::span<const int64_t> shape, int64_t axis, float *y);

/// Mamba's depthwise causal conv1d: x [b, d, l], weight read as [d, k], bias [d]
/// or null. Forward: y[t] = bias + sum_j weight[j] * x[t - (k-1) + j]; reverse
/// is the anti-causal mirror, y[t] = bias + sum_j weight[j] * x[t + (k-1) - j],
/// i.e. flip(conv(flip(x))). Out-of-range x reads as zero.
void causalConv1d(const float *x, int64_t b, int64_t d, int64_t l, const float *weight, int64_t k,
                  const float *bias, bool reverse, float *y);

/// selective_scan_ref as a sequential fp32 recurrence. u, delta, z [b, d, l];
/// A [d, n]; B, C [b, n, l]; D, deltaBias [d]. D, z, deltaBias may be null.
/// Steps run t = 0..l-1, or l-1..0 when `reverse`. out [b, d, l]; lastState
/// [b, d, n] gets the final state unless null.
void selectiveScan(const float *u, const float *delta, const float *A, const float *B,
                   const float *C, const float *D, const float *z, const float *deltaBias,
                   int64_t b, int64_t d, int64_t l, int64_t n, bool deltaSoftplus, bool reverse,
                   float *out, float *lastState);

} // namespace ssmc::interp

#endif // SSMC_INTERPRETER_KERNELS_H
