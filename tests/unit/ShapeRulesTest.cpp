//===- ShapeRulesTest.cpp - result shapes and their error messages --------===//

#include "ShapeRules.h"

#include <gtest/gtest.h>

using namespace ssmc::shape;

TEST(ShapeRules, Conv2dStrideTwoRoundsUp) {
  auto r = conv2d({1, 3, 7, 7}, {8, 3, 3, 3}, Shape{8}, {2, 2}, {1, 1}, 1);
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.value, (Shape{1, 8, 4, 4}));
}

TEST(ShapeRules, Conv2dGroupsMustMatchWeight) {
  auto r = conv2d({1, 4, 8, 8}, {4, 1, 3, 3}, std::nullopt, {1, 1}, {1, 1}, 2);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("expects 1 input channels per group"), std::string::npos) << r.error;
}

TEST(ShapeRules, LinearNamesBothShapes) {
  auto r = linear({2, 48}, {256, 96}, std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error.find("[2, 48] has 48 features"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("[256, 96] expects 96"), std::string::npos) << r.error;
}

TEST(ShapeRules, BroadcastRightAligned) {
  auto r = broadcast({2, 5, 8}, {1, 5, 1});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value, (Shape{2, 5, 8}));
  EXPECT_FALSE(broadcast({3}, {4}).ok());
}

TEST(ShapeRules, ScanChecksEveryOperand) {
  ScanOperands s{{2, 8, 10}, {2, 8, 10}, {8, 16}, {2, 16, 10}, {2, 16, 10}, {}, {}, {}};
  auto ok = selectiveScan(s);
  ASSERT_TRUE(ok.ok()) << ok.error;
  EXPECT_EQ(ok.value.lastState, (Shape{2, 8, 16}));
  s.B = {2, 4, 10};
  auto bad = selectiveScan(s);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error.find("B is [2, 4, 10], expected [2, 16, 10]"), std::string::npos)
      << bad.error;
}

TEST(ShapeRules, ReduceMeanDropsOrKeepsAxes) {
  EXPECT_EQ(reduceMean({2, 3, 4, 5}, {1, 2}, false).value, (Shape{2, 5}));
  EXPECT_EQ(reduceMean({2, 3, 4, 5}, {1, 2}, true).value, (Shape{2, 1, 1, 5}));
  EXPECT_FALSE(reduceMean({2, 3}, {1, 0}, false).ok());
}
