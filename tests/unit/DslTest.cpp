//===- DslTest.cpp - the C++ DSL and the model registry -------------------===//

#include "Ops.h"
#include "Registry.h"
#include "SsmcOps.h"

#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace ssmc;
using namespace ssmc::dsl;

namespace {
bool contains(const std::string &s, const std::string &part) {
  return s.find(part) != std::string::npos;
}

std::vector<std::string> paramNames(const Graph &g) {
  std::vector<std::string> names;
  for (const ParamInfo &p : g.params())
    names.push_back(p.name);
  return names;
}
} // namespace

TEST(Dsl, ScopesGiveStateDictNames) {
  mlir::MLIRContext ctx;
  Graph g(ctx, "test");
  Tensor x = g.input("input", {2, 5, 8});
  Tensor y = linear(g.root()["stages"][0][1]["fc1"], x, 16);
  g.output("output", y);
  auto module = g.finish();
  ASSERT_TRUE(module) << g.error();
  EXPECT_EQ(paramNames(g),
            (std::vector<std::string>{"stages.0.1.fc1.weight", "stages.0.1.fc1.bias"}));
  EXPECT_EQ(g.params()[0].shape, (shape::Shape{16, 8}));
  EXPECT_EQ(y.shape(), (shape::Shape{2, 5, 16}));
}

TEST(Dsl, ShapeErrorNamesTheDslLine) {
  mlir::MLIRContext ctx;
  Graph g(ctx, "test");
  Tensor a = g.input("a", {2, 3});
  Tensor b = g.input("b", {4, 3});
  const int line = __LINE__ + 1;
  Tensor c = add(a, b);
  EXPECT_FALSE(c.valid());
  ASSERT_TRUE(g.failed());
  EXPECT_TRUE(contains(g.error(), "tests/unit/DslTest.cpp:" + std::to_string(line))) << g.error();
  EXPECT_TRUE(contains(g.error(), "[2, 3] and [4, 3] do not broadcast")) << g.error();
}

TEST(Dsl, OperatorErrorNamesTheOperandLines) {
  mlir::MLIRContext ctx;
  Graph g(ctx, "test");
  Tensor x = g.input("x", {2, 3});
  const int line = __LINE__ + 1;
  Tensor a = linear(g.root()["fc"], x, 4);
  Tensor c = a * x;
  EXPECT_FALSE(c.valid());
  EXPECT_TRUE(contains(g.error(), "'*' of values made at tests/unit/DslTest.cpp:" +
                                      std::to_string(line)))
      << g.error();
  EXPECT_TRUE(contains(g.error(), "[2, 4] and [2, 3] do not broadcast")) << g.error();
}

TEST(Dsl, FirstErrorSticksAndLaterOpsAreNoOps) {
  mlir::MLIRContext ctx;
  Graph g(ctx, "test");
  Tensor x = g.input("input", {2, 6});
  auto parts = split(x, {4, 4}, -1); // 8 != 6
  EXPECT_FALSE(parts[0].valid());
  std::string first = g.error();
  EXPECT_TRUE(contains(first, "add up to 8")) << first;
  Tensor y = gelu(parts[0]) * parts[1];
  EXPECT_FALSE(y.valid());
  EXPECT_EQ(g.error(), first);
  g.output("output", y);
  EXPECT_FALSE(g.finish());
}

TEST(Dsl, SameParameterTwiceMustKeepItsShape) {
  mlir::MLIRContext ctx;
  Graph g(ctx, "test");
  g.param("w", {2, 3}, Init::Zeros);
  Tensor again = g.param("w", {2, 3}, Init::Zeros);
  EXPECT_TRUE(again.valid());
  g.param("w", {3, 3}, Init::Zeros);
  EXPECT_TRUE(contains(g.error(), "'w' is used as [2, 3] and as [3, 3]")) << g.error();
}

TEST(Dsl, LayerScaleIsAConstantInitialisedGammaAlongTheLastDimension) {
  mlir::MLIRContext ctx;
  Graph g(ctx, "test");
  Tensor x = g.input("input", {2, 5, 8});
  Tensor y = layerScale(g.root()["blocks"][0]["ls"], x, 1e-6);
  EXPECT_TRUE(y.valid()) << g.error();
  EXPECT_EQ(y.shape(), (shape::Shape{2, 5, 8}));
  ASSERT_EQ(g.params().size(), 1u);
  EXPECT_EQ(g.params()[0].name, "blocks.0.ls.gamma");
  EXPECT_EQ(g.params()[0].shape, (shape::Shape{8}));
  EXPECT_EQ(g.params()[0].init, Init::Constant);
  EXPECT_DOUBLE_EQ(g.params()[0].value, 1e-6);
}

TEST(Dsl, FinishedModuleVerifiesAndNamesItsValues) {
  mlir::MLIRContext ctx;
  Graph g(ctx, "test");
  Tensor x = g.input("input", {1, 4, 4, 8});
  Tensor y = depthwiseConv2d(g.root()["conv"], layerNorm(g.root()["norm"], x, 1e-6), 3);
  g.output("output", y);
  auto module = g.finish();
  ASSERT_TRUE(module) << g.error();
  mlir::func::FuncOp f = getEntryFunction(*module);
  ASSERT_TRUE(f);
  EXPECT_EQ(f.getArgAttrOfType<mlir::StringAttr>(0, kNameAttr).getValue(), "input");
  EXPECT_EQ(f.getResultAttrOfType<mlir::StringAttr>(0, kNameAttr).getValue(), "output");
}

TEST(Registry, ResolvesVariantsAndSets) {
  auto m = models::resolve("mambaout_femto", {{"num_classes", "10"}});
  ASSERT_TRUE(m) << m.message();
  EXPECT_EQ(m->config.getIntList("dims"), (std::vector<int64_t>{48, 96, 192, 288}));
  EXPECT_EQ(m->config.getInt("num_classes"), 10);
}

TEST(Registry, UnknownModelListsKnownOnes) {
  auto m = models::resolve("mambaout_huge", {});
  ASSERT_FALSE(m);
  EXPECT_TRUE(contains(m.message(), "unknown model 'mambaout_huge'")) << m.message();
  EXPECT_TRUE(contains(m.message(), "mambaout_femto")) << m.message();
}

TEST(Registry, UnknownKeyListsValidKeys) {
  auto m = models::resolve("gated_cnn_block", {{"dims", "3"}});
  ASSERT_FALSE(m);
  EXPECT_TRUE(contains(m.message(), "unknown --set key 'dims' for gated_cnn_block")) << m.message();
  EXPECT_TRUE(contains(m.message(), "expansion_ratio")) << m.message();
}

TEST(Registry, BadValuesAreRejected) {
  auto m = models::resolve("mambaout", {{"depths", "3,x,9"}});
  ASSERT_FALSE(m);
  EXPECT_TRUE(contains(m.message(), "bad value '3,x,9' for --set depths")) << m.message();
  auto k = models::resolve("gated_cnn_block", {{"kernel_size", "4"}});
  ASSERT_FALSE(k);
  EXPECT_TRUE(contains(k.message(), "kernel_size must be odd")) << k.message();
  auto r = models::resolve("gated_cnn_block", {{"conv_ratio", "3.5"}});
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.message(), "conv_ratio")) << r.message();
}

TEST(Registry, GatedCnnBlockBuildsWithReferenceNames) {
  auto m = models::resolve("gated_cnn_block", {{"dim", "64"}, {"conv_ratio", "0.5"}});
  ASSERT_TRUE(m) << m.message();
  mlir::MLIRContext ctx;
  Graph g(ctx, "gated_cnn_block");
  auto decls = m->family->inputs(m->config, 1);
  std::map<std::string, Tensor> inputs{{"input", g.input("input", decls[0].shape)}};
  m->family->build(g, m->config, inputs);
  ASSERT_TRUE(g.finish()) << g.error();
  std::map<std::string, shape::Shape> shapes;
  for (const ParamInfo &p : g.params())
    shapes[p.name] = p.shape;
  // hidden = int(8/3 * 64) = 170, conv channels = 32.
  EXPECT_EQ(shapes["fc1.weight"], (shape::Shape{340, 64}));
  EXPECT_EQ(shapes["conv.weight"], (shape::Shape{32, 1, 7, 7}));
  EXPECT_EQ(shapes["fc2.weight"], (shape::Shape{64, 170}));
  EXPECT_EQ(shapes.size(), 8u);
}
