//===- Kernels.cpp - fp32 CPU kernels of the reference executor -----------===//
//
// Hot loops run over fixed-size blocks of floats so that even -O2, whose
// cheap vectoriser refuses loops that would need a scalar remainder, turns
// them into SIMD code. Every output element is summed in one sequential order
// that no blocking or thread split changes.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Kernels.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <numbers>

namespace ssmc::interp {
namespace {

/// Floats per SIMD-friendly block: output columns of a linear tile, output
/// pixels of a conv tile, channels of a depthwise pixel. (A 16-pixel conv
/// block is fully unrolled at -O3 and then runs 3x slower.)
constexpr int64_t kBlock = 64;
constexpr int64_t kConvBlock = 32;
constexpr int64_t kChannelBlock = 16;
/// Output channels sharing each load of an im2col block in `conv2dNCHW`.
constexpr int64_t kConvChannels = 4;
/// Rows of x sharing each load of a packed weight block in `linear`.
constexpr int kLinearRows = 4;

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

int64_t product(std::span<const int64_t> dims) {
  int64_t p = 1;
  for (int64_t d : dims)
    p *= d;
  return p;
}

std::vector<int64_t> rowMajorStrides(std::span<const int64_t> shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    strides[i - 1] = strides[i] * shape[i];
  return strides;
}

/// A loop nest walked in row-major order: per dim its size and, per operand,
/// its stride in elements (0 where the operand broadcasts).
template <size_t Operands> struct Nest {
  using Strides = std::array<int64_t, Operands>;
  std::vector<int64_t> sizes;
  std::vector<Strides> strides;

  void add(int64_t size, Strides s) {
    sizes.push_back(size);
    strides.push_back(s);
  }

  /// Drops size-1 dims and merges neighbours that every operand walks as one
  /// longer dim, so the innermost loop is as long (and cheap) as possible.
  void coalesce() {
    std::vector<int64_t> newSizes;
    std::vector<Strides> newStrides;
    for (size_t i = 0; i < sizes.size(); ++i) {
      if (sizes[i] == 1)
        continue;
      if (!newSizes.empty()) {
        bool mergeable = true;
        for (size_t k = 0; k < Operands; ++k)
          mergeable &= newStrides.back()[k] == strides[i][k] * sizes[i];
        if (mergeable) {
          newSizes.back() *= sizes[i];
          newStrides.back() = strides[i];
          continue;
        }
      }
      newSizes.push_back(sizes[i]);
      newStrides.push_back(strides[i]);
    }
    if (newSizes.empty()) { // a single element
      newSizes.push_back(1);
      newStrides.push_back(Strides{});
    }
    sizes = std::move(newSizes);
    strides = std::move(newStrides);
  }

  int64_t inner() const { return sizes.back(); }
  const Strides &innerStrides() const { return strides.back(); }
  int64_t count() const { return product(sizes); }
  int64_t outerCount() const { return count() / inner(); }

  /// Per-operand offsets of element `index` (row-major over all dims).
  Strides offsetsOf(int64_t index) const {
    Strides off{};
    for (size_t d = sizes.size(); d-- > 0;) {
      int64_t i = index % sizes[d];
      index /= sizes[d];
      for (size_t k = 0; k < Operands; ++k)
        off[k] += i * strides[d][k];
    }
    return off;
  }
};

/// Items per parallelFor chunk so that a chunk holds about `work` elements.
int64_t chunkFor(int64_t itemSize, int64_t work = 1 << 14) {
  return std::max<int64_t>(1, work / std::max<int64_t>(1, itemSize));
}

//===--- linear ------------------------------------------------------------===//

/// acc[r][j] = sum_k a[r, k] * b[k, j] for `Rows` rows of a row-major
/// [Rows, depth] matrix and one contiguous [depth, Width] panel of b; k
/// ascends, the one summation order. Serves linear (x times a packed weight
/// block) and conv2d (weight rows times an unfolded pixel block).
template <int64_t Rows, int64_t Width>
void matmulTile(const float *__restrict a, int64_t depth, const float *__restrict b,
                float (*__restrict acc)[Width]) {
  for (int64_t r = 0; r < Rows; ++r)
    std::fill(acc[r], acc[r] + Width, 0.f);
  for (int64_t k = 0; k < depth; ++k) {
    const float *__restrict bk = b + k * Width;
    for (int64_t r = 0; r < Rows; ++r) {
      const float av = a[r * depth + k];
      for (int64_t j = 0; j < Width; ++j)
        acc[r][j] += av * bk[j];
    }
  }
}

//===--- conv --------------------------------------------------------------===//


//===--- depthwise ---------------------------------------------------------===//

/// One output pixel's channels [c0, c0 + Width) of the depthwise conv, taps in
/// (ky, kx) order, padding taps skipped (they would add zeros).
template <int64_t Width>
void depthwisePixel(const float *x, int64_t h, int64_t w, int64_t c, const float *wt,
                    const float *bias, int64_t kh, int64_t kw, int64_t oy, int64_t ox, int64_t c0,
                    float *yp) {
  float acc[Width] = {};
  for (int64_t ky = 0; ky < kh; ++ky) {
    const int64_t iy = oy - kh / 2 + ky;
    if (iy < 0 || iy >= h)
      continue;
    for (int64_t kx = 0; kx < kw; ++kx) {
      const int64_t ix = ox - kw / 2 + kx;
      if (ix < 0 || ix >= w)
        continue;
      const float *xp = x + (iy * w + ix) * c + c0;
      const float *wp = wt + (ky * kw + kx) * c + c0;
      for (int64_t j = 0; j < Width; ++j)
        acc[j] += xp[j] * wp[j];
    }
  }
  for (int64_t j = 0; j < Width; ++j)
    yp[c0 + j] = bias ? acc[j] + bias[c0 + j] : acc[j];
}

//===--- elementwise -------------------------------------------------------===//

/// y[i] = op(a[i*sa], b[i*sb]); the common stride pairs get their own loops
/// so the compiler sees unit or zero strides.
template <class Op>
void binaryRow(const float *a, int64_t sa, const float *b, int64_t sb, float *y, int64_t n, Op op) {
  if (sa == 1 && sb == 1)
    for (int64_t i = 0; i < n; ++i)
      y[i] = op(a[i], b[i]);
  else if (sa == 1 && sb == 0)
    for (int64_t i = 0; i < n; ++i)
      y[i] = op(a[i], b[0]);
  else if (sa == 0 && sb == 1)
    for (int64_t i = 0; i < n; ++i)
      y[i] = op(a[0], b[i]);
  else
    for (int64_t i = 0; i < n; ++i)
      y[i] = op(a[i * sa], b[i * sb]);
}

template <class Op>
void binaryImpl(const float *a, std::span<const int64_t> aShape, const float *b,
                std::span<const int64_t> bShape, float *y, std::span<const int64_t> outShape,
                Op op) {
  if (product(outShape) == 0)
    return;
  const size_t rank = outShape.size();
  std::vector<int64_t> aStrides = rowMajorStrides(aShape), bStrides = rowMajorStrides(bShape);
  // Right-aligned stride of `shape` for output dim i; 0 where it broadcasts.
  auto strideFor = [rank](std::span<const int64_t> shape, const std::vector<int64_t> &strides,
                          size_t i) -> int64_t {
    if (i + shape.size() < rank)
      return 0;
    size_t j = i + shape.size() - rank;
    return shape[j] == 1 ? 0 : strides[j];
  };
  Nest<2> nest;
  for (size_t i = 0; i < rank; ++i)
    nest.add(outShape[i], {strideFor(aShape, aStrides, i), strideFor(bShape, bStrides, i)});
  nest.coalesce();
  const int64_t inner = nest.inner();
  const int64_t sa = nest.innerStrides()[0], sb = nest.innerStrides()[1];
  parallelFor(
      nest.outerCount(),
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          auto off = nest.offsetsOf(row * inner);
          binaryRow(a + off[0], sa, b + off[1], sb, y + row * inner, inner, op);
        }
      },
      chunkFor(inner));
}

} // namespace

void linear(const float *x, int64_t rows, int64_t in, const float *w, const float *bias,
            int64_t out, float *y) {
  // Pack w [out, in] into blocks [out/kBlock][in][kBlock], zero-padding the
  // last block, so the inner loop reads kBlock contiguous output columns.
  const int64_t blocks = ceilDiv(out, kBlock);
  std::vector<float> packed(static_cast<size_t>(blocks * in * kBlock), 0.f);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t k = 0; k < in; ++k)
      packed[((o / kBlock) * in + k) * kBlock + o % kBlock] = w[o * in + k];

  const int64_t tiles = ceilDiv(rows, kLinearRows);
  parallelFor(
      tiles,
      [&](int64_t begin, int64_t end) {
        float acc[kLinearRows][kBlock];
        for (int64_t tile = begin; tile < end; ++tile) {
          const int64_t r0 = tile * kLinearRows;
          const int64_t nr = std::min<int64_t>(kLinearRows, rows - r0);
          for (int64_t ob = 0; ob < blocks; ++ob) {
            const float *wBlock = packed.data() + ob * in * kBlock;
            const int64_t o0 = ob * kBlock, width = std::min(kBlock, out - o0);
            auto store = [&](int64_t r, const float *a) {
              float *yr = y + r * out + o0;
              for (int64_t j = 0; j < width; ++j)
                yr[j] = bias ? a[j] + bias[o0 + j] : a[j];
            };
            if (nr == kLinearRows) {
              matmulTile<kLinearRows, kBlock>(x + r0 * in, in, wBlock, acc);
              for (int64_t r = 0; r < nr; ++r)
                store(r0 + r, acc[r]);
              continue;
            }
            for (int64_t r = r0; r < r0 + nr; ++r) { // the ragged last tile, row by row
              matmulTile<1, kBlock>(x + r * in, in, wBlock, acc);
              store(r, acc[0]);
            }
          }
        }
      },
      chunkFor(in * out, 1 << 16));
}

void conv2dNCHW(const float *x, int64_t n, int64_t c, int64_t h, int64_t w, const float *weight,
                const float *bias, int64_t o, int64_t kh, int64_t kw, int64_t strideH,
                int64_t strideW, int64_t padH, int64_t padW, int64_t groups, float *y) {
  const int64_t cg = c / groups, og = o / groups;
  const int64_t oh = (h + 2 * padH - kh) / strideH + 1, ow = (w + 2 * padW - kw) / strideW + 1;
  if (oh <= 0 || ow <= 0)
    return;
  const int64_t pixels = oh * ow, pixelBlocks = ceilDiv(pixels, kConvBlock);
  const int64_t taps = cg * kh * kw; // the reduction length, (ci, ky, kx) order
  // One task = kConvBlock consecutive output pixels of one group of one
  // image: im2col them into col[tap][pixel] (zeros for padding and past the
  // end), then each output channel is its weight row times col.
  parallelFor(
      n * groups * pixelBlocks,
      [&](int64_t begin, int64_t end) {
        std::vector<float> col(static_cast<size_t>(taps * kConvBlock));
        int64_t iy0[kConvBlock], ix0[kConvBlock];
        for (int64_t task = begin; task < end; ++task) {
          const int64_t p0 = task % pixelBlocks * kConvBlock;
          const int64_t g = task / pixelBlocks % groups, img = task / (pixelBlocks * groups);
          const int64_t width = std::min(kConvBlock, pixels - p0);
          for (int64_t j = 0; j < kConvBlock; ++j) { // top-left input corner of each pixel
            const int64_t p = p0 + j;
            iy0[j] = p < pixels ? p / ow * strideH - padH : -kh; // past the end: all padding
            ix0[j] = p % ow * strideW - padW;
          }
          for (int64_t ci = 0; ci < cg; ++ci) {
            const float *plane = x + (img * c + g * cg + ci) * h * w;
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                float *dst = col.data() + ((ci * kh + ky) * kw + kx) * kConvBlock;
                for (int64_t j = 0; j < kConvBlock; ++j) {
                  const int64_t iy = iy0[j] + ky, ix = ix0[j] + kx;
                  // One unsigned compare per axis tests 0 <= i < size.
                  const bool inside = static_cast<uint64_t>(iy) < static_cast<uint64_t>(h) &&
                                      static_cast<uint64_t>(ix) < static_cast<uint64_t>(w);
                  dst[j] = inside ? plane[iy * w + ix] : 0.f;
                }
              }
          }
          for (int64_t oc0 = g * og; oc0 < (g + 1) * og; oc0 += kConvChannels) {
            const int64_t nc = std::min(kConvChannels, (g + 1) * og - oc0);
            float acc[kConvChannels][kConvBlock];
            if (nc == kConvChannels)
              matmulTile<kConvChannels, kConvBlock>(weight + oc0 * taps, taps, col.data(), acc);
            else
              for (int64_t i = 0; i < nc; ++i)
                matmulTile<1, kConvBlock>(weight + (oc0 + i) * taps, taps, col.data(), acc + i);
            for (int64_t i = 0; i < nc; ++i) {
              float *yr = y + (img * o + oc0 + i) * pixels + p0;
              for (int64_t j = 0; j < width; ++j)
                yr[j] = bias ? acc[i][j] + bias[oc0 + i] : acc[i][j];
            }
          }
        }
      },
      chunkFor(og * taps * kConvBlock, 1 << 16));
}

void depthwiseConv2dNHWC(const float *x, int64_t n, int64_t h, int64_t w, int64_t c,
                         const float *weight, const float *bias, int64_t kh, int64_t kw, float *y) {
  // Taps first, channels last, so the channel loop reads both operands contiguously.
  std::vector<float> wt(static_cast<size_t>(kh * kw * c));
  for (int64_t ch = 0; ch < c; ++ch)
    for (int64_t t = 0; t < kh * kw; ++t)
      wt[t * c + ch] = weight[ch * kh * kw + t];
  const int64_t fullBlocks = c / kChannelBlock * kChannelBlock;
  parallelFor(
      n * h,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const float *img = x + (row / h) * h * w * c;
          const int64_t oy = row % h;
          for (int64_t ox = 0; ox < w; ++ox) {
            float *yp = y + (row * w + ox) * c;
            for (int64_t c0 = 0; c0 < fullBlocks; c0 += kChannelBlock)
              depthwisePixel<kChannelBlock>(img, h, w, c, wt.data(), bias, kh, kw, oy, ox, c0, yp);
            for (int64_t c0 = fullBlocks; c0 < c; ++c0)
              depthwisePixel<1>(img, h, w, c, wt.data(), bias, kh, kw, oy, ox, c0, yp);
          }
        }
      },
      chunkFor(w * c * kh * kw, 1 << 16));
}

void layerNorm(const float *x, int64_t rows, int64_t cols, const float *weight, const float *bias,
               double eps, float *y) {
  parallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float *xr = x + r * cols;
          float *yr = y + r * cols;
          double sum = 0;
          for (int64_t i = 0; i < cols; ++i)
            sum += xr[i];
          const double mean = sum / static_cast<double>(cols);
          double sq = 0; // two passes: no cancellation in E[x^2] - mean^2
          for (int64_t i = 0; i < cols; ++i)
            sq += (xr[i] - mean) * (xr[i] - mean);
          const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps);
          for (int64_t i = 0; i < cols; ++i) {
            double v = (xr[i] - mean) * rstd;
            if (weight)
              v *= weight[i];
            if (bias)
              v += bias[i];
            yr[i] = static_cast<float>(v);
          }
        }
      },
      chunkFor(cols));
}

void rmsNorm(const float *x, int64_t rows, int64_t cols, const float *weight, double eps,
             float *y) {
  parallelFor(
      rows,
      [&](int64_t begin, int64_t end) {
        for (int64_t r = begin; r < end; ++r) {
          const float *xr = x + r * cols;
          float *yr = y + r * cols;
          double sq = 0;
          for (int64_t i = 0; i < cols; ++i)
            sq += static_cast<double>(xr[i]) * xr[i];
          const double rstd = 1.0 / std::sqrt(sq / static_cast<double>(cols) + eps);
          for (int64_t i = 0; i < cols; ++i) {
            double v = xr[i] * rstd;
            yr[i] = static_cast<float>(weight ? v * weight[i] : v);
          }
        }
      },
      chunkFor(cols));
}

void unary(UnaryKind kind, const float *x, int64_t count, float *y) {
  // Transcendentals in double, rounded once: the oracle is at least as exact
  // as PyTorch's own fp32 kernels.
  auto apply = [kind](float v) -> float {
    const double d = v;
    switch (kind) {
    case UnaryKind::Gelu:
      return static_cast<float>(0.5 * d * (1.0 + std::erf(d / std::numbers::sqrt2)));
    case UnaryKind::Silu:
      return static_cast<float>(d / (1.0 + std::exp(-d)));
    case UnaryKind::Softplus:
      return v > 20.f ? v : static_cast<float>(std::log1p(std::exp(d)));
    case UnaryKind::Exp:
      return static_cast<float>(std::exp(d));
    case UnaryKind::Neg:
      return -v;
    }
    return v;
  };
  parallelFor(
      count,
      [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i)
          y[i] = apply(x[i]);
      },
      1 << 14);
}

void binary(BinaryKind kind, const float *a, std::span<const int64_t> aShape, const float *b,
            std::span<const int64_t> bShape, float *y, std::span<const int64_t> outShape) {
  if (kind == BinaryKind::Add)
    binaryImpl(a, aShape, b, bShape, y, outShape, [](float p, float q) { return p + q; });
  else
    binaryImpl(a, aShape, b, bShape, y, outShape, [](float p, float q) { return p * q; });
}

void permute(const float *x, std::span<const int64_t> inShape, std::span<const int64_t> perm,
             float *y) {
  if (product(inShape) == 0)
    return;
  std::vector<int64_t> inStrides = rowMajorStrides(inShape);
  Nest<1> nest; // walks y in order; the stride is x's
  for (int64_t p : perm)
    nest.add(inShape[p], {inStrides[p]});
  nest.coalesce();
  const int64_t inner = nest.inner(), s = nest.innerStrides()[0];
  parallelFor(
      nest.outerCount(),
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const float *xr = x + nest.offsetsOf(row * inner)[0];
          float *yr = y + row * inner;
          if (s == 1)
            std::memcpy(yr, xr, sizeof(float) * inner);
          else
            for (int64_t i = 0; i < inner; ++i)
              yr[i] = xr[i * s];
        }
      },
      chunkFor(inner));
}

void reduceMean(const float *x, std::span<const int64_t> shape, std::span<const int64_t> dims,
                float *y) {
  if (product(shape) == 0)
    return;
  std::vector<int64_t> strides = rowMajorStrides(shape);
  Nest<1> kept, reduced;
  for (size_t i = 0; i < shape.size(); ++i) {
    bool isReduced = std::find(dims.begin(), dims.end(), static_cast<int64_t>(i)) != dims.end();
    (isReduced ? reduced : kept).add(shape[i], {strides[i]});
  }
  kept.coalesce();
  reduced.coalesce();
  const int64_t count = reduced.count(), inner = reduced.inner(), s = reduced.innerStrides()[0];
  parallelFor(
      kept.count(),
      [&](int64_t begin, int64_t end) {
        for (int64_t out = begin; out < end; ++out) {
          const float *base = x + kept.offsetsOf(out)[0];
          double sum = 0; // row-major over the reduced dims
          for (int64_t row = 0; row < count / inner; ++row) {
            const float *xr = base + reduced.offsetsOf(row * inner)[0];
            for (int64_t i = 0; i < inner; ++i)
              sum += xr[i * s];
          }
          y[out] = static_cast<float>(sum / static_cast<double>(count));
        }
      },
      chunkFor(count));
}

void sliceAxis(const float *x, std::span<const int64_t> shape, int64_t axis, int64_t start,
               int64_t size, float *y) {
  const int64_t outer = product(shape.first(axis)), inner = product(shape.subspan(axis + 1));
  const int64_t dim = shape[axis];
  for (int64_t i = 0; i < outer; ++i)
    std::memcpy(y + i * size * inner, x + (i * dim + start) * inner, sizeof(float) * size * inner);
}

void concatAxis(std::span<const float *const> inputs, std::span<const std::vector<int64_t>> shapes,
                int64_t axis, float *y) {
  if (inputs.empty())
    return;
  std::span<const int64_t> first = shapes[0];
  const int64_t outer = product(first.first(axis)), inner = product(first.subspan(axis + 1));
  for (int64_t i = 0; i < outer; ++i)
    for (size_t k = 0; k < inputs.size(); ++k) {
      const int64_t block = shapes[k][axis] * inner;
      std::memcpy(y, inputs[k] + i * block, sizeof(float) * block);
      y += block;
    }
}

void flipAxis(const float *x, std::span<const int64_t> shape, int64_t axis, float *y) {
  const int64_t outer = product(shape.first(axis)), inner = product(shape.subspan(axis + 1));
  const int64_t dim = shape[axis];
  for (int64_t i = 0; i < outer; ++i)
    for (int64_t j = 0; j < dim; ++j)
      std::memcpy(y + (i * dim + j) * inner, x + (i * dim + dim - 1 - j) * inner,
                  sizeof(float) * inner);
}

void causalConv1d(const float *x, int64_t b, int64_t d, int64_t l, const float *weight, int64_t k,
                  const float *bias, bool reverse, float *y) {
  parallelFor(
      b * d,
      [&](int64_t begin, int64_t end) {
        for (int64_t row = begin; row < end; ++row) {
          const float *xr = x + row * l, *wr = weight + (row % d) * k;
          float *yr = y + row * l;
          for (int64_t t = 0; t < l; ++t) {
            float acc =
                0; // taps j = 0..k-1 in both directions, so reverse == flip∘conv∘flip exactly
            for (int64_t j = 0; j < k; ++j) {
              const int64_t s = reverse ? t + (k - 1) - j : t - (k - 1) + j;
              if (s >= 0 && s < l)
                acc += wr[j] * xr[s];
            }
            yr[t] = bias ? acc + bias[row % d] : acc;
          }
        }
      },
      chunkFor(l * k));
}

void selectiveScan(const float *u, const float *delta, const float *A, const float *B,
                   const float *C, const float *D, const float *z, const float *deltaBias,
                   int64_t b, int64_t d, int64_t l, int64_t n, bool deltaSoftplus, bool reverse,
                   float *out, float *lastState) {
  // Each (batch, channel) pair is an independent recurrence.
  parallelFor(
      b * d,
      [&](int64_t begin, int64_t end) {
        std::vector<float> h(static_cast<size_t>(n));
        for (int64_t row = begin; row < end; ++row) {
          const int64_t bi = row / d, di = row % d;
          const float *ur = u + row * l, *dr = delta + row * l, *ar = A + di * n;
          const float *bb = B + bi * n * l, *cb = C + bi * n * l;
          std::fill(h.begin(), h.end(), 0.f);
          for (int64_t step = 0; step < l; ++step) {
            const int64_t t = reverse ? l - 1 - step : step;
            float dl = dr[t];
            if (deltaBias)
              dl += deltaBias[di];
            if (deltaSoftplus && dl <= 20.f)
              dl = std::log1p(std::exp(dl));
            const float ut = ur[t];
            float acc = 0;
            for (int64_t j = 0; j < n; ++j) {
              h[j] = std::exp(dl * ar[j]) * h[j] + dl * bb[j * l + t] * ut;
              acc += h[j] * cb[j * l + t];
            }
            if (D)
              acc += D[di] * ut;
            if (z) {
              const float zt = z[row * l + t];
              acc *= zt / (1.f + std::exp(-zt));
            }
            out[row * l + t] = acc;
          }
          if (lastState)
            std::copy(h.begin(), h.end(), lastState + row * n);
        }
      },
      chunkFor(l * n, 1 << 12));
}

} // namespace ssmc::interp
