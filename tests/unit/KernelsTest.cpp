//===- KernelsTest.cpp - the reference executor's kernels, by hand --------===//

#include "Interpreter/Kernels.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>

using namespace ssmc::interp;

namespace {
std::vector<float> randomVector(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1, 1);
  std::vector<float> v(n);
  for (float &x : v)
    x = dist(rng);
  return v;
}

void expectNear(const std::vector<float> &got, const std::vector<float> &want, float tol = 1e-5f) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}
} // namespace

TEST(Kernels, ParallelForCoversRangeOnce) {
  std::vector<std::atomic<int>> hits(1001);
  parallelFor(1001, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i)
      hits[i]++;
  });
  for (auto &h : hits)
    EXPECT_EQ(h.load(), 1);
}

TEST(Kernels, LinearByHand) {
  // x [2,3], w [2,3] (out, in), bias [2]
  std::vector<float> x{1, 2, 3, 4, 5, 6}, w{1, 0, -1, 0.5f, 0.5f, 0.5f}, b{10, 20}, y(4);
  linear(x.data(), 2, 3, w.data(), b.data(), 2, y.data());
  expectNear(y, {1 - 3 + 10.f, 3 + 20.f, 4 - 6 + 10.f, 7.5f + 20.f});
}

TEST(Kernels, LinearMatchesNaiveOnOddSizes) {
  const int64_t rows = 37, in = 53, out = 170;
  auto x = randomVector(rows * in, 1), w = randomVector(out * in, 2), b = randomVector(out, 3);
  std::vector<float> y(rows * out), want(rows * out);
  linear(x.data(), rows, in, w.data(), b.data(), out, y.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double acc = b[o];
      for (int64_t k = 0; k < in; ++k)
        acc += double(x[r * in + k]) * w[o * in + k];
      want[r * out + o] = float(acc);
    }
  expectNear(y, want, 1e-4f);
}

TEST(Kernels, Conv2dStrideTwoPaddingByHand) {
  // 1x1x3x3 input 1..9, 3x3 kernel of ones, stride 2, pad 1 -> 2x2 sums of the
  // clipped windows.
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w(9, 1.0f), y(4);
  conv2dNCHW(x.data(), 1, 1, 3, 3, w.data(), nullptr, 1, 3, 3, 2, 2, 1, 1, 1, y.data());
  expectNear(y, {1 + 2 + 4 + 5.f, 2 + 3 + 5 + 6.f, 4 + 5 + 7 + 8.f, 5 + 6 + 8 + 9.f});
}

TEST(Kernels, Conv2dMatchesNaiveGrouped) {
  const int64_t n = 2, c = 4, h = 7, wd = 6, o = 6, k = 3, s = 2, p = 1, groups = 2;
  auto x = randomVector(n * c * h * wd, 4), w = randomVector(o * (c / groups) * k * k, 5),
       b = randomVector(o, 6);
  const int64_t oh = (h + 2 * p - k) / s + 1, ow = (wd + 2 * p - k) / s + 1;
  std::vector<float> y(n * o * oh * ow), want(y.size());
  conv2dNCHW(x.data(), n, c, h, wd, w.data(), b.data(), o, k, k, s, s, p, p, groups, y.data());
  for (int64_t bi = 0; bi < n; ++bi)
    for (int64_t oc = 0; oc < o; ++oc)
      for (int64_t oy = 0; oy < oh; ++oy)
        for (int64_t ox = 0; ox < ow; ++ox) {
          double acc = b[oc];
          int64_t g = oc / (o / groups);
          for (int64_t ic = 0; ic < c / groups; ++ic)
            for (int64_t ky = 0; ky < k; ++ky)
              for (int64_t kx = 0; kx < k; ++kx) {
                int64_t iy = oy * s - p + ky, ix = ox * s - p + kx;
                if (iy < 0 || iy >= h || ix < 0 || ix >= wd)
                  continue;
                acc += double(x[((bi * c + g * (c / groups) + ic) * h + iy) * wd + ix]) *
                       w[((oc * (c / groups) + ic) * k + ky) * k + kx];
              }
          want[((bi * o + oc) * oh + oy) * ow + ox] = float(acc);
        }
  expectNear(y, want, 1e-5f);
}

TEST(Kernels, DepthwiseSamePaddingAtBorders) {
  // 1x3x3x1 input 1..9, 3x3 kernel with only the top-left tap = 1: y[i,j] = x[i-1,j-1].
  std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9}, w(9, 0.0f), b{0.5f}, y(9);
  w[0] = 1;
  depthwiseConv2dNHWC(x.data(), 1, 3, 3, 1, w.data(), b.data(), 3, 3, y.data());
  expectNear(y, {0.5f, 0.5f, 0.5f, 0.5f, 1.5f, 2.5f, 0.5f, 4.5f, 5.5f});
}

TEST(Kernels, LayerNormOneRow) {
  std::vector<float> x{1, 2, 3, 4}, w{1, 1, 2, 2}, b{0, 0, 0, 1}, y(4);
  layerNorm(x.data(), 1, 4, w.data(), b.data(), 0.0 + 1e-12, y.data());
  const float s = 1.0f / std::sqrt(1.25f);
  expectNear(y, {-1.5f * s, -0.5f * s, 2 * 0.5f * s, 2 * 1.5f * s + 1});
}

TEST(Kernels, RmsNormOneRow) {
  std::vector<float> x{3, 4}, w{1, 2}, y(2);
  rmsNorm(x.data(), 1, 2, w.data(), 0.0 + 1e-12, y.data());
  const float r = std::sqrt(12.5f);
  expectNear(y, {3 / r, 8 / r});
}

TEST(Kernels, UnaryExactValues) {
  std::vector<float> x{-1, 0, 1, 25}, y(4);
  unary(UnaryKind::Gelu, x.data(), 4, y.data());
  expectNear(y, {-0.15865526f, 0.0f, 0.84134474f, 25.0f}, 1e-6f);
  unary(UnaryKind::Softplus, x.data(), 4, y.data());
  expectNear(y, {0.31326169f, 0.69314718f, 1.31326169f, 25.0f}, 1e-6f);
  unary(UnaryKind::Silu, x.data(), 4, y.data());
  expectNear(y, {-0.26894142f, 0.0f, 0.73105858f, 25.0f}, 1e-6f);
}

TEST(Kernels, BinaryBroadcasts) {
  std::vector<float> a{1, 2, 3, 4, 5, 6}, b{10, 20, 30}, y(6);
  std::vector<int64_t> sa{2, 3}, sb{3}, so{2, 3};
  binary(BinaryKind::Add, a.data(), sa, b.data(), sb, y.data(), so);
  expectNear(y, {11, 22, 33, 14, 25, 36});
  std::vector<float> p{1, 2, 3}, q{1, 10, 100, 1000, 2, 20, 200, 2000}, z(24);
  std::vector<int64_t> sp{1, 3, 1}, sq{2, 1, 4}, sz{2, 3, 4};
  binary(BinaryKind::Mul, p.data(), sp, q.data(), sq, z.data(), sz);
  EXPECT_FLOAT_EQ(z[0], 1);
  EXPECT_FLOAT_EQ(z[1 * 4 + 2], 200);      // [0,1,2] = p[1]*q[0,0,2]
  EXPECT_FLOAT_EQ(z[12 + 2 * 4 + 3], 6000); // [1,2,3] = p[2]*q[1,0,3]
}

TEST(Kernels, Permute3d) {
  std::vector<float> x(24), y(24);
  for (int i = 0; i < 24; ++i)
    x[i] = float(i);
  std::vector<int64_t> shape{2, 3, 4}, perm{2, 0, 1};
  permute(x.data(), shape, perm, y.data()); // y [4,2,3], y[k,i,j] = x[i,j,k]
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        EXPECT_EQ(y[(k * 2 + i) * 3 + j], x[(i * 3 + j) * 4 + k]);
}

TEST(Kernels, ReduceMeanOverMiddleDims) {
  std::vector<float> x(2 * 2 * 2 * 3), y(6);
  for (size_t i = 0; i < x.size(); ++i)
    x[i] = float(i);
  std::vector<int64_t> shape{2, 2, 2, 3}, dims{1, 2};
  reduceMean(x.data(), shape, dims, y.data());
  // y[b,c] = mean over (h,w) of x[b,h,w,c] = base + 4.5
  expectNear(y, {4.5f, 5.5f, 6.5f, 16.5f, 17.5f, 18.5f});
}

TEST(Kernels, SliceConcatFlip) {
  std::vector<float> x{1, 2, 3, 4, 5, 6}, a(2), b(4), back(6), f(6);
  std::vector<int64_t> shape{2, 3};
  sliceAxis(x.data(), shape, 1, 0, 1, a.data());
  sliceAxis(x.data(), shape, 1, 1, 2, b.data());
  expectNear(a, {1, 4});
  expectNear(b, {2, 3, 5, 6});
  std::vector<const float *> parts{a.data(), b.data()};
  std::vector<std::vector<int64_t>> shapes{{2, 1}, {2, 2}};
  concatAxis(parts, shapes, 1, back.data());
  expectNear(back, x);
  flipAxis(x.data(), shape, 1, f.data());
  expectNear(f, {3, 2, 1, 6, 5, 4});
}

TEST(Kernels, CausalConv1dReverseIsFlipConvFlip) {
  const int64_t b = 2, d = 3, l = 9, k = 4;
  auto x = randomVector(b * d * l, 7), w = randomVector(d * k, 8), bias = randomVector(d, 9);
  std::vector<float> rev(b * d * l), flipped(b * d * l), conv(b * d * l), want(b * d * l);
  std::vector<int64_t> shape{b, d, l};
  causalConv1d(x.data(), b, d, l, w.data(), k, bias.data(), true, rev.data());
  flipAxis(x.data(), shape, 2, flipped.data());
  causalConv1d(flipped.data(), b, d, l, w.data(), k, bias.data(), false, conv.data());
  flipAxis(conv.data(), shape, 2, want.data());
  expectNear(rev, want);
  // Causality by hand at t = 0: only the last tap sees x[0].
  causalConv1d(x.data(), b, d, l, w.data(), k, bias.data(), false, conv.data());
  EXPECT_NEAR(conv[0], bias[0] + w[k - 1] * x[0], 1e-6f);
}

TEST(SelectiveScan, LengthOneAndTwoByHand) {
  // b=1, d=1, n=1: h0 = dt*B0*u0; y0 = h0*C0; h1 = exp(dt*A)*h0 + dt*B1*u1.
  std::vector<float> u{2, 3}, dt{0.5f, 0.25f}, A{-1}, B{1, 2}, C{3, 4}, out(2), last(1);
  selectiveScan(u.data(), dt.data(), A.data(), B.data(), C.data(), nullptr, nullptr, nullptr, 1,
                1, 2, 1, false, false, out.data(), last.data());
  const float h0 = 0.5f * 1 * 2, h1 = std::exp(-0.25f) * h0 + 0.25f * 2 * 3;
  expectNear(out, {h0 * 3, h1 * 4});
  EXPECT_NEAR(last[0], h1, 1e-6f);
  selectiveScan(u.data(), dt.data(), A.data(), B.data(), C.data(), nullptr, nullptr, nullptr, 1,
                1, 1, 1, false, false, out.data(), last.data());
  EXPECT_NEAR(out[0], 0.5f * 1 * 2 * 3, 1e-6f);
}

TEST(SelectiveScan, DSkipZGateBiasSoftplus) {
  std::vector<float> u{2}, dt{0.1f}, A{-1}, B{1}, C{1}, D{0.5f}, z{1}, bias{0.2f}, out(1);
  selectiveScan(u.data(), dt.data(), A.data(), B.data(), C.data(), D.data(), nullptr, nullptr, 1,
                1, 1, 1, false, false, out.data(), nullptr);
  EXPECT_NEAR(out[0], 0.1f * 2 + 0.5f * 2, 1e-6f); // D without z
  selectiveScan(u.data(), dt.data(), A.data(), B.data(), C.data(), D.data(), z.data(),
                bias.data(), 1, 1, 1, 1, true, false, out.data(), nullptr);
  const float delta = std::log1p(std::exp(0.3f));
  const float silu = 1.0f / (1.0f + std::exp(-1.0f));
  EXPECT_NEAR(out[0], (delta * 2 + 0.5f * 2) * silu, 1e-6f);
}

TEST(SelectiveScan, ReverseEqualsFlipScanFlip) {
  const int64_t b = 2, d = 3, l = 11, n = 4;
  auto u = randomVector(b * d * l, 10), dt = randomVector(b * d * l, 11),
       B = randomVector(b * n * l, 12), C = randomVector(b * n * l, 13),
       A = randomVector(d * n, 14);
  for (float &a : A)
    a = -std::abs(a);
  std::vector<float> rev(b * d * l), want(b * d * l), tmp(b * d * l), fu(u.size()), fdt(dt.size()),
      fB(B.size()), fC(C.size());
  std::vector<int64_t> sd{b, d, l}, sn{b, n, l};
  selectiveScan(u.data(), dt.data(), A.data(), B.data(), C.data(), nullptr, nullptr, nullptr, b,
                d, l, n, true, true, rev.data(), nullptr);
  flipAxis(u.data(), sd, 2, fu.data());
  flipAxis(dt.data(), sd, 2, fdt.data());
  flipAxis(B.data(), sn, 2, fB.data());
  flipAxis(C.data(), sn, 2, fC.data());
  selectiveScan(fu.data(), fdt.data(), A.data(), fB.data(), fC.data(), nullptr, nullptr, nullptr,
                b, d, l, n, true, false, tmp.data(), nullptr);
  flipAxis(tmp.data(), sd, 2, want.data());
  expectNear(rev, want);
}
