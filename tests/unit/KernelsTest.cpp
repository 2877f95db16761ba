//===- KernelsTest.cpp - the reference executor's CPU kernels -------------===//
//
// Small cases whose answers are worked out by hand in the comments, plus
// randomised checks of the blocked GEMM and conv against naive loops.
//
//===----------------------------------------------------------------------===//

#include "Interpreter/Kernels.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <random>
#include <thread>

using namespace ssmc::interp;

namespace {

using Floats = std::vector<float>;

Floats randomFloats(size_t count, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  Floats v(count);
  for (float &f : v)
    f = dist(gen);
  return v;
}

void expectClose(const Floats &got, const Floats &want, double rel = 1e-6, double abs = 1e-6) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    EXPECT_NEAR(got[i], want[i], abs + rel * std::fabs(want[i])) << "at " << i;
}

/// Reverses the last axis of a [rows, l] tensor.
Floats flipLast(const Floats &x, int64_t l) {
  Floats y(x.size());
  flipAxis(x.data(), std::vector<int64_t>{static_cast<int64_t>(x.size()) / l, l}, 1, y.data());
  return y;
}

} // namespace

TEST(Kernels, ParallelForCoversRangeOnce) {
  for (int64_t n : {1, 7, 1000, 12345}) {
    std::vector<std::atomic<int>> hits(n);
    parallelFor(
        n,
        [&](int64_t begin, int64_t end) {
          EXPECT_LE(0, begin);
          EXPECT_LT(begin, end);
          EXPECT_LE(end, n);
          for (int64_t i = begin; i < end; ++i)
            ++hits[i];
        },
        3);
    for (int64_t i = 0; i < n; ++i)
      ASSERT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
  }
}

TEST(Kernels, ParallelForNestsAndRepeats) {
  std::atomic<int64_t> total{0};
  for (int rep = 0; rep < 50; ++rep)
    parallelFor(8, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) // nested: runs serially, must not hang
        parallelFor(10, [&](int64_t b, int64_t e) { total += e - b; });
    });
  EXPECT_EQ(total.load(), 50 * 8 * 10);
  // Two callers at once: one gets the pool, the other runs serially.
  std::atomic<int64_t> a{0}, b{0};
  std::thread other([&] {
    for (int rep = 0; rep < 200; ++rep)
      parallelFor(100, [&](int64_t lo, int64_t hi) { a += hi - lo; });
  });
  for (int rep = 0; rep < 200; ++rep)
    parallelFor(100, [&](int64_t lo, int64_t hi) { b += hi - lo; });
  other.join();
  EXPECT_EQ(a.load(), 20000);
  EXPECT_EQ(b.load(), 20000);
}

TEST(Kernels, LinearTwoByThree) {
  Floats x = {1, 2, 3, 4, 5, 6};
  Floats w = {1, 0, -1, 0.5f, 1, 2}; // [out=2, in=3]
  Floats bias = {0.5f, -1};
  Floats y(4);
  linear(x.data(), 2, 3, w.data(), bias.data(), 2, y.data());
  // row 0: 1-3+0.5, 0.5+2+6-1;  row 1: 4-6+0.5, 2+5+12-1
  EXPECT_EQ(y, (Floats{-1.5f, 7.5f, -1.5f, 18}));
  linear(x.data(), 2, 3, w.data(), nullptr, 2, y.data());
  EXPECT_EQ(y, (Floats{-2, 8.5f, -2, 19}));
}

TEST(Kernels, LinearMatchesNaive) {
  const int64_t rows = 37, in = 53, out = 70;
  Floats x = randomFloats(rows * in, 1), w = randomFloats(out * in, 2), bias = randomFloats(out, 3);
  Floats y(rows * out), want(rows * out);
  linear(x.data(), rows, in, w.data(), bias.data(), out, y.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      float acc = 0;
      for (int64_t k = 0; k < in; ++k)
        acc += x[r * in + k] * w[o * in + k];
      want[r * out + o] = acc + bias[o];
    }
  expectClose(y, want, 1e-5, 1e-6);
}

TEST(Kernels, Conv2dPaddedStrideTwo) {
  Floats x = {1, 2, 3, 4, 5, 6, 7, 8, 9}; // [1,1,3,3]
  Floats w = {1, 2, 3, 4, 5, 6, 7, 8, 9}; // w[ky][kx] = 3*ky + kx + 1
  Floats bias = {0.5f};
  Floats y(4);
  conv2dNCHW(x.data(), 1, 1, 3, 3, w.data(), bias.data(), 1, 3, 3, 2, 2, 1, 1, 1, y.data());
  // (0,0): w11*x00 + w12*x01 + w21*x10 + w22*x11 = 5+12+32+45 = 94
  // (0,1): w10*x01 + w11*x02 + w20*x11 + w21*x12 = 8+15+35+48 = 106
  // (1,0): w01*x10 + w02*x11 + w11*x20 + w12*x21 = 8+15+35+48 = 106
  // (1,1): w00*x11 + w01*x12 + w10*x21 + w11*x22 = 5+12+32+45 = 94
  // (A flipped kernel would give 26 at (0,0).)
  EXPECT_EQ(y, (Floats{94.5f, 106.5f, 106.5f, 94.5f}));
}

TEST(Kernels, Conv2dGrouped) {
  Floats x = {1, 2, 3, 10, 20, 30};     // [1,2,1,3]
  Floats w = {1, 1, 1, -1, 1, 0, 0, 2}; // [4,1,1,2]
  Floats y(8);
  conv2dNCHW(x.data(), 1, 2, 1, 3, w.data(), nullptr, 4, 1, 2, 1, 1, 0, 0, 2, y.data());
  // Outputs 0,1 read channel 0; outputs 2,3 read channel 1.
  EXPECT_EQ(y, (Floats{3, 5, -1, -1, 10, 20, 40, 60}));
}

TEST(Kernels, Conv2dMatchesNaive) {
  struct Case {
    int64_t n, c, h, w, o, kh, kw, sh, sw, ph, pw, groups;
  };
  for (Case k :
       {Case{2, 6, 11, 13, 8, 3, 5, 2, 1, 1, 2, 2}, Case{1, 3, 37, 35, 5, 3, 3, 2, 2, 1, 1, 1},
        Case{1, 4, 9, 9, 4, 3, 3, 1, 1, 1, 1, 4}, Case{2, 3, 16, 16, 7, 4, 4, 4, 4, 0, 0, 1}}) {
    const int64_t cg = k.c / k.groups, og = k.o / k.groups;
    const int64_t oh = (k.h + 2 * k.ph - k.kh) / k.sh + 1, ow = (k.w + 2 * k.pw - k.kw) / k.sw + 1;
    Floats x = randomFloats(k.n * k.c * k.h * k.w, 4), w = randomFloats(k.o * cg * k.kh * k.kw, 5);
    Floats bias = randomFloats(k.o, 6);
    Floats y(k.n * k.o * oh * ow), want(y.size());
    conv2dNCHW(x.data(), k.n, k.c, k.h, k.w, w.data(), bias.data(), k.o, k.kh, k.kw, k.sh, k.sw,
               k.ph, k.pw, k.groups, y.data());
    for (int64_t b = 0; b < k.n; ++b)
      for (int64_t oc = 0; oc < k.o; ++oc)
        for (int64_t oy = 0; oy < oh; ++oy)
          for (int64_t ox = 0; ox < ow; ++ox) {
            float acc = 0;
            for (int64_t ci = 0; ci < cg; ++ci)
              for (int64_t ky = 0; ky < k.kh; ++ky)
                for (int64_t kx = 0; kx < k.kw; ++kx) {
                  int64_t iy = oy * k.sh - k.ph + ky, ix = ox * k.sw - k.pw + kx;
                  if (iy < 0 || iy >= k.h || ix < 0 || ix >= k.w)
                    continue;
                  int64_t ch = oc / og * cg + ci;
                  acc += x[((b * k.c + ch) * k.h + iy) * k.w + ix] *
                         w[((oc * cg + ci) * k.kh + ky) * k.kw + kx];
                }
            want[((b * k.o + oc) * oh + oy) * ow + ox] = acc + bias[oc];
          }
    expectClose(y, want, 1e-5, 1e-6);
  }
}

TEST(Kernels, DepthwiseBorders) {
  // x [1,2,3,2]: channel 0 = [[1,2,3],[4,5,6]], channel 1 = 10 * channel 0.
  Floats x = {1, 10, 2, 20, 3, 30, 4, 40, 5, 50, 6, 60};
  Floats w(18, 0.f);                        // [2,1,3,3]
  std::fill(w.begin(), w.begin() + 9, 1.f); // channel 0: 3x3 box sum
  w[9] = 1;                                 // channel 1: top-left tap only
  Floats bias = {0, 1};
  Floats y(12);
  depthwiseConv2dNHWC(x.data(), 1, 2, 3, 2, w.data(), bias.data(), 3, 3, y.data());
  // Box sums clipped at the borders: 1+2+4+5, 1+..+6, 2+3+5+6 on both rows.
  // The top-left tap reads x[oy-1][ox-1]: only (1,1) and (1,2) see data.
  EXPECT_EQ(y, (Floats{12, 1, 21, 1, 16, 1, 12, 1, 21, 11, 16, 21}));
}

TEST(Kernels, DepthwiseMatchesNaive) {
  const int64_t n = 2, h = 9, w = 8, c = 37, kh = 7, kw = 7; // c: two full blocks and a tail
  Floats x = randomFloats(n * h * w * c, 7), wt = randomFloats(c * kh * kw, 8);
  Floats bias = randomFloats(c, 9);
  Floats y(x.size()), want(x.size());
  depthwiseConv2dNHWC(x.data(), n, h, w, c, wt.data(), bias.data(), kh, kw, y.data());
  for (int64_t b = 0; b < n; ++b)
    for (int64_t oy = 0; oy < h; ++oy)
      for (int64_t ox = 0; ox < w; ++ox)
        for (int64_t ch = 0; ch < c; ++ch) {
          float acc = 0;
          for (int64_t ky = 0; ky < kh; ++ky)
            for (int64_t kx = 0; kx < kw; ++kx) {
              int64_t iy = oy - kh / 2 + ky, ix = ox - kw / 2 + kx;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w)
                acc += x[((b * h + iy) * w + ix) * c + ch] * wt[(ch * kh + ky) * kw + kx];
            }
          want[((b * h + oy) * w + ox) * c + ch] = acc + bias[ch];
        }
  expectClose(y, want, 1e-5, 1e-6);
}

TEST(Kernels, LayerNormOneRow) {
  Floats x = {1, 2, 3, 4}, w = {1, 2, 1, 1}, b = {0, 0, 1, 0};
  Floats y(4);
  layerNorm(x.data(), 1, 4, w.data(), b.data(), 1e-5, y.data());
  // mean 2.5, biased variance (2.25+0.25+0.25+2.25)/4 = 1.25
  const double s = 1 / std::sqrt(1.25 + 1e-5);
  expectClose(y, Floats{float(-1.5 * s), float(-0.5 * 2 * s), float(0.5 * s + 1), float(1.5 * s)});
  layerNorm(x.data(), 1, 4, nullptr, nullptr, 0, y.data());
  const double t = 1 / std::sqrt(1.25);
  expectClose(y, Floats{float(-1.5 * t), float(-0.5 * t), float(0.5 * t), float(1.5 * t)});
}

TEST(Kernels, RmsNorm) {
  Floats x = {3, 4, 0, 0}, w = {1, 2};
  Floats y(4);
  rmsNorm(x.data(), 2, 2, w.data(), 1e-6, y.data());
  // mean(x^2) = 12.5 on row 0; row 1 is all zero and stays zero.
  const double s = 1 / std::sqrt(12.5 + 1e-6);
  expectClose(y, Floats{float(3 * s), float(8 * s), 0, 0});
}

TEST(Kernels, UnaryValues) {
  Floats x = {0, 1, -1}, y(3);
  unary(UnaryKind::Gelu, x.data(), 3, y.data());
  // x * Phi(x): Phi(1) = 0.841344746068543, Phi(-1) = 0.158655253931457
  expectClose(y, Floats{0, 0.841344746068543f, -0.158655253931457f});
  unary(UnaryKind::Silu, x.data(), 3, y.data());
  expectClose(y, Floats{0, 0.731058578630005f, -0.268941421369995f});
  unary(UnaryKind::Exp, x.data(), 3, y.data());
  expectClose(y, Floats{1, 2.718281828459045f, 0.367879441171442f});
  unary(UnaryKind::Neg, x.data(), 3, y.data());
  EXPECT_EQ(y, (Floats{-0.f, -1, 1}));
}

TEST(Kernels, SoftplusThreshold) {
  Floats x = {0, 20, 20.5f, 30, -30}, y(5);
  unary(UnaryKind::Softplus, x.data(), 5, y.data());
  EXPECT_NEAR(y[0], 0.693147180559945, 1e-7);  // log 2
  EXPECT_NEAR(y[1], 20.000000002061154, 2e-6); // 20 itself is below the threshold
  EXPECT_EQ(y[2], 20.5f);                      // past it: x exactly
  EXPECT_EQ(y[3], 30.f);
  EXPECT_NEAR(y[4], 9.357622968840175e-14, 1e-19); // log1p keeps tiny values
}

TEST(Kernels, BroadcastAddRow) {
  Floats a = {1, 2, 3, 4, 5, 6}, b = {10, 20, 30}, y(6);
  binary(BinaryKind::Add, a.data(), std::vector<int64_t>{2, 3}, b.data(), std::vector<int64_t>{3},
         y.data(), std::vector<int64_t>{2, 3});
  EXPECT_EQ(y, (Floats{11, 22, 33, 14, 25, 36}));
  // A size-1 dim on the left operand broadcasts too.
  binary(BinaryKind::Add, b.data(), std::vector<int64_t>{1, 3}, a.data(),
         std::vector<int64_t>{2, 3}, y.data(), std::vector<int64_t>{2, 3});
  EXPECT_EQ(y, (Floats{11, 22, 33, 14, 25, 36}));
}

TEST(Kernels, BroadcastMulBothSides) {
  Floats a = {1, 2, 3};                // [1,3,1]
  Floats b = {1, 2, 3, 4, 5, 6, 7, 8}; // [2,1,4]
  Floats y(24);
  binary(BinaryKind::Mul, a.data(), std::vector<int64_t>{1, 3, 1}, b.data(),
         std::vector<int64_t>{2, 1, 4}, y.data(), std::vector<int64_t>{2, 3, 4});
  // y[i][j][k] = a[j] * b[i][k]
  EXPECT_EQ(
      y, (Floats{1, 2, 3, 4, 2, 4, 6, 8, 3, 6, 9, 12, 5, 6, 7, 8, 10, 12, 14, 16, 15, 18, 21, 24}));
  Floats s = {2}, z(3);
  binary(BinaryKind::Mul, a.data(), std::vector<int64_t>{3}, s.data(), std::vector<int64_t>{},
         z.data(), std::vector<int64_t>{3});
  EXPECT_EQ(z, (Floats{2, 4, 6}));
}

TEST(Kernels, Permute3d) {
  Floats x(24);
  for (int i = 0; i < 24; ++i)
    x[i] = float(i); // [2,3,4]: x[i][j][k] = 12i + 4j + k
  Floats y(24);
  permute(x.data(), std::vector<int64_t>{2, 3, 4}, std::vector<int64_t>{2, 0, 1}, y.data());
  // y [4,2,3]: y[k][i][j] = x[i][j][k]
  EXPECT_EQ(y[0 * 6 + 0 * 3 + 1], 4.f);  // y[0][0][1] = x[0][1][0]
  EXPECT_EQ(y[1 * 6 + 0 * 3 + 2], 9.f);  // y[1][0][2] = x[0][2][1]
  EXPECT_EQ(y[3 * 6 + 1 * 3 + 2], 23.f); // y[3][1][2] = x[1][2][3]
  for (int k = 0; k < 4; ++k)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 3; ++j)
        EXPECT_EQ(y[k * 6 + i * 3 + j], float(12 * i + 4 * j + k));
  // perm {0,2,1} on [2,3,4]: the leading dim stays put.
  permute(x.data(), std::vector<int64_t>{2, 3, 4}, std::vector<int64_t>{0, 2, 1}, y.data());
  EXPECT_EQ(y[1 * 12 + 3 * 3 + 2], 23.f); // y[1][3][2] = x[1][2][3]
}

TEST(Kernels, ReduceMean) {
  Floats x(12);
  for (int i = 0; i < 12; ++i)
    x[i] = float(i);
  Floats y(2);
  reduceMean(x.data(), std::vector<int64_t>{2, 2, 3}, std::vector<int64_t>{1, 2}, y.data());
  EXPECT_EQ(y, (Floats{2.5f, 8.5f})); // means of 0..5 and 6..11
  // [2,3,2] over {0,2}: x[i][j][k] = 6i + 2j + k, so the mean is 2j + 3.5.
  Floats z(3);
  reduceMean(x.data(), std::vector<int64_t>{2, 3, 2}, std::vector<int64_t>{0, 2}, z.data());
  EXPECT_EQ(z, (Floats{3.5f, 5.5f, 7.5f}));
}

TEST(Kernels, SliceConcatFlip) {
  Floats x = {0, 1, 2, 3, 4, 5}; // [2,3]
  Floats s(4);
  sliceAxis(x.data(), std::vector<int64_t>{2, 3}, 1, 1, 2, s.data());
  EXPECT_EQ(s, (Floats{1, 2, 4, 5}));
  Floats row(3);
  sliceAxis(x.data(), std::vector<int64_t>{2, 3}, 0, 1, 1, row.data());
  EXPECT_EQ(row, (Floats{3, 4, 5}));

  Floats a = {7, 8}; // [2,1]
  std::vector<const float *> ins = {a.data(), s.data()};
  std::vector<std::vector<int64_t>> shapes = {{2, 1}, {2, 2}};
  Floats c(6);
  concatAxis(ins, shapes, 1, c.data());
  EXPECT_EQ(c, (Floats{7, 1, 2, 8, 4, 5}));
  ins = {x.data(), a.data()};
  shapes = {{3, 2}, {1, 2}};
  Floats r(8);
  concatAxis(ins, shapes, 0, r.data());
  EXPECT_EQ(r, (Floats{0, 1, 2, 3, 4, 5, 7, 8}));

  Floats f(6);
  flipAxis(x.data(), std::vector<int64_t>{2, 3}, 1, f.data());
  EXPECT_EQ(f, (Floats{2, 1, 0, 5, 4, 3}));
  flipAxis(x.data(), std::vector<int64_t>{2, 3}, 0, f.data());
  EXPECT_EQ(f, (Floats{3, 4, 5, 0, 1, 2}));
}

TEST(Kernels, CausalConv1dByHand) {
  Floats x = {1, 2, 3, 4, 1, 1, 1, 1}; // [1,2,4]
  Floats w = {1, 10, 100, 1, 2, 3};    // [2,1,3]
  Floats bias = {0.5f, 0};
  Floats y(8);
  causalConv1d(x.data(), 1, 2, 4, w.data(), 3, bias.data(), false, y.data());
  // y[t] = w0 x[t-2] + w1 x[t-1] + w2 x[t]
  EXPECT_EQ(y, (Floats{100.5f, 210.5f, 321.5f, 432.5f, 3, 5, 6, 6}));
  causalConv1d(x.data(), 1, 2, 4, w.data(), 3, bias.data(), true, y.data());
  // y[t] = w0 x[t+2] + w1 x[t+1] + w2 x[t]
  EXPECT_EQ(y, (Floats{123.5f, 234.5f, 340.5f, 400.5f, 6, 6, 5, 3}));
}

TEST(Kernels, CausalConv1dReverseIsFlipConvFlip) {
  const int64_t b = 2, d = 3, l = 9, k = 4;
  Floats x = randomFloats(b * d * l, 10), w = randomFloats(d * k, 11), bias = randomFloats(d, 12);
  Floats rev(x.size()), fwd(x.size());
  causalConv1d(x.data(), b, d, l, w.data(), k, bias.data(), true, rev.data());
  Floats flipped = flipLast(x, l);
  causalConv1d(flipped.data(), b, d, l, w.data(), k, bias.data(), false, fwd.data());
  EXPECT_EQ(rev, flipLast(fwd, l)); // same taps in the same order: bit-exact
}

namespace {

/// Inputs of a scan, with every optional operand present so tests can drop some.
struct ScanCase {
  int64_t b, d, l, n;
  Floats u, delta, A, B, C, D, z, deltaBias;

  static ScanCase random(int64_t b, int64_t d, int64_t l, int64_t n, unsigned seed) {
    ScanCase s;
    s.b = b, s.d = d, s.l = l, s.n = n;
    s.u = randomFloats(b * d * l, seed);
    s.delta = randomFloats(b * d * l, seed + 1);
    s.A = randomFloats(d * n, seed + 2);
    for (float &a : s.A)
      a = -std::fabs(a) - 0.1f;
    s.B = randomFloats(b * n * l, seed + 3);
    s.C = randomFloats(b * n * l, seed + 4);
    s.D = randomFloats(d, seed + 5);
    s.z = randomFloats(b * d * l, seed + 6);
    s.deltaBias = randomFloats(d, seed + 7);
    return s;
  }

  void run(bool useD, bool useZ, bool useBias, bool softplus, bool reverse, Floats &out,
           Floats &last) const {
    out.assign(b * d * l, 0.f);
    last.assign(b * d * n, 0.f);
    selectiveScan(u.data(), delta.data(), A.data(), B.data(), C.data(), useD ? D.data() : nullptr,
                  useZ ? z.data() : nullptr, useBias ? deltaBias.data() : nullptr, b, d, l, n,
                  softplus, reverse, out.data(), last.data());
  }
};

} // namespace

TEST(SelectiveScan, OneStepByHand) {
  // h = dl * B * u = 0.5 * [1, 3] * 2 = [1, 3]; y = 1*1 + 3*2 = 7.
  ScanCase s{1, 1, 1, 2, {2}, {0.5f}, {-1, -2}, {1, 3}, {1, 2}, {0.5f}, {1}, {}};
  Floats out, last;
  s.run(false, false, false, false, false, out, last);
  EXPECT_EQ(out, (Floats{7}));
  EXPECT_EQ(last, (Floats{1, 3}));
  s.run(true, false, false, false, false, out, last); // + D*u = 0.5*2
  EXPECT_EQ(out, (Floats{8}));
  s.run(false, true, false, false, false, out, last); // * silu(1)
  expectClose(out, Floats{float(7 * 0.731058578630005)});
}

TEST(SelectiveScan, TwoStepsByHand) {
  // B and C are [b=1, n=2, l=2]: B[0,:] = [1, 2], B[1,:] = [3, 1].
  ScanCase s{1, 1, 2, 2, {2, 1}, {0.5f, 1}, {-1, -2}, {1, 2, 3, 1}, {1, 1, 2, -1}, {}, {}, {}};
  Floats out, last;
  s.run(false, false, false, false, false, out, last);
  // t0: h = [1, 3], y = 7.
  // t1: dl = 1: h0 = e^-1 * 1 + 1*2*1, h1 = e^-2 * 3 + 1*1*1; y = h0 - h1.
  const double h0 = std::exp(-1.0) + 2, h1 = 3 * std::exp(-2.0) + 1;
  expectClose(out, Floats{7, float(h0 - h1)});
  expectClose(last, Floats{float(h0), float(h1)});
  // Reversed: t1 first (h = [2, 1], y = 2 - 1 = 1), then t0 with dl = 0.5.
  s.run(false, false, false, false, true, out, last);
  const double g0 = std::exp(-0.5) * 2 + 1, g1 = std::exp(-1.0) * 1 + 3;
  expectClose(out, Floats{float(g0 + 2 * g1), 1});
  expectClose(last, Floats{float(g0), float(g1)});
}

TEST(SelectiveScan, DeltaBiasAndSoftplus) {
  // dl = softplus(-0.3 + 0.8) = log1p(e^0.5); with B = C = u = 1 and n = 1, y = dl.
  ScanCase s{1, 1, 1, 1, {1}, {-0.3f}, {-1}, {1}, {1}, {}, {}, {0.8f}};
  Floats out, last;
  s.run(false, false, true, true, false, out, last);
  expectClose(out, Floats{0.974076984180107f});
  // Past the threshold softplus is the identity: dl = 25 exactly.
  s.delta = {25};
  s.deltaBias = {0};
  s.run(false, false, true, true, false, out, last);
  EXPECT_EQ(out, (Floats{25}));
  // Without softplus the biased delta is used as is: dl = 0.5.
  s.delta = {-0.3f};
  s.deltaBias = {0.8f};
  s.run(false, false, true, false, false, out, last);
  expectClose(out, Floats{-0.3f + 0.8f});
}

TEST(SelectiveScan, ReverseIsFlipScanFlip) {
  const int64_t b = 2, d = 3, l = 7, n = 4;
  ScanCase s = ScanCase::random(b, d, l, n, 20);
  ScanCase flipped = s;
  flipped.u = flipLast(s.u, l);
  flipped.delta = flipLast(s.delta, l);
  flipped.z = flipLast(s.z, l);
  flipped.B = flipLast(s.B, l);
  flipped.C = flipLast(s.C, l);
  Floats rev, revLast, fwd, fwdLast;
  s.run(true, true, true, true, true, rev, revLast);
  flipped.run(true, true, true, true, false, fwd, fwdLast);
  EXPECT_EQ(rev, flipLast(fwd, l)); // the same arithmetic in the same order
  EXPECT_EQ(revLast, fwdLast);
}

TEST(SelectiveScan, LastStateIsFinalState) {
  // lastState is h after the last step: check it against the recurrence
  // recomputed in double for (b=0, d=1), with every option switched on.
  const int64_t l = 5, n = 3;
  ScanCase s = ScanCase::random(1, 2, l, n, 30);
  Floats out, last;
  s.run(true, true, true, true, false, out, last);
  std::vector<double> h(n, 0.0);
  for (int64_t t = 0; t < l; ++t) {
    float dl = s.delta[l + t] + s.deltaBias[1];
    dl = dl > 20 ? dl : std::log1p(std::exp(dl));
    for (int64_t j = 0; j < n; ++j)
      h[j] = std::exp(dl * s.A[n + j]) * h[j] + dl * s.B[j * l + t] * s.u[l + t];
  }
  for (int64_t j = 0; j < n; ++j)
    EXPECT_NEAR(last[n + j], h[j], 1e-5 * (1 + std::fabs(h[j])));
}
