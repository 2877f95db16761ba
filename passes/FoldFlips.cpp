//===- FoldFlips.cpp - turn flips into reversed indexing -------------------===//
//
// A flip is pushed from an op's operands to its results whenever the op does
// the same thing at every position along the flipped axis (elementwise ops,
// views that do not touch the axis, a linear or norm over another axis), and
// is absorbed by the ops that have a direction: `flip ∘ causal_conv1d` is the
// conv run backwards, `flip ∘ selective_scan` the scan run backwards. Two
// flips of one axis that meet cancel. Vim's backward branch,
// flip(scan(conv(flip(x)))), so becomes scan[reverse](conv[reverse](x)) and
// no flip is left.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "SsmcOps.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/TypeSwitch.h"

namespace ssmc {
#define GEN_PASS_DEF_FOLDFLIPS
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc;

namespace {

int64_t rankOf(Value v) { return cast<RankedTensorType>(v.getType()).getRank(); }
int64_t dimOf(Value v, int64_t axis) { return cast<RankedTensorType>(v.getType()).getDimSize(axis); }

/// The axis `v` is flipped along, when it is produced by a flip.
std::optional<int64_t> flipAxis(Value v) {
  if (auto flip = v.getDefiningOp<FlipOp>())
    return flip.getAxis();
  return std::nullopt;
}

/// How an op commutes with a flip of its operands: which operands must be
/// flipped (along which axis), and which results then come out flipped.
struct Commute {
  std::vector<std::pair<unsigned, int64_t>> flippedOperands; // operand index, axis
  std::vector<std::pair<unsigned, int64_t>> flippedResults;  // result index, axis
  bool toggleReverse = false;
};

/// Ops with one data operand (the first) that act the same at every
/// position along `axis`, which is not `excluded`; the result keeps the axis.
std::optional<Commute> sameAxis(Operation *op, std::optional<int64_t> excluded = {}) {
  auto a = flipAxis(op->getOperand(0));
  if (!a || (excluded && *a == *excluded))
    return std::nullopt;
  for (Value other : op->getOperands().drop_front())
    if (flipAxis(other))
      return std::nullopt; // a flipped weight is not ours to move
  Commute c{{{0, *a}}, {}};
  for (unsigned i = 0; i < op->getNumResults(); ++i)
    c.flippedResults.push_back({i, *a});
  return c;
}

/// add/mul: each operand flipped along the same result axis, or broadcast
/// (absent or of size 1) along it.
std::optional<Commute> binary(Operation *op) {
  const int64_t rank = rankOf(op->getResult(0));
  std::optional<int64_t> axis;
  Commute c;
  for (unsigned i = 0; i < 2; ++i) {
    Value v = op->getOperand(i);
    if (auto a = flipAxis(v)) {
      const int64_t r = *a + (rank - rankOf(v));
      if ((axis && *axis != r) || dimOf(v, *a) == 1)
        return std::nullopt;
      axis = r;
      c.flippedOperands.push_back({i, *a});
    }
  }
  if (!axis)
    return std::nullopt;
  for (unsigned i = 0; i < 2; ++i) {
    Value v = op->getOperand(i);
    const int64_t local = *axis - (rank - rankOf(v));
    if (!flipAxis(v) && local >= 0 && dimOf(v, local) != 1)
      return std::nullopt; // one side flipped, the other varies along the axis
  }
  c.flippedResults.push_back({0, *axis});
  return c;
}

std::optional<Commute> permute(PermuteOp op) {
  auto a = flipAxis(op.getInput());
  if (!a)
    return std::nullopt;
  auto perm = op.getPerm();
  for (auto [i, p] : llvm::enumerate(perm))
    if (p == *a)
      return Commute{{{0, *a}}, {{0, static_cast<int64_t>(i)}}};
  return std::nullopt;
}

std::optional<Commute> concat(ConcatOp op) {
  Commute c;
  std::optional<int64_t> axis;
  for (auto [i, v] : llvm::enumerate(op.getInputs())) {
    auto a = flipAxis(v);
    if (!a || *a == op.getAxis() || (axis && *axis != *a))
      return std::nullopt;
    axis = a;
    c.flippedOperands.push_back({static_cast<unsigned>(i), *a});
  }
  c.flippedResults.push_back({0, *axis});
  return c;
}

/// The sequence axis of a scan operand: [b,d,l], [b,n,l], [b,g,n,l] all
/// keep it last, channels-last [b,l,d] and [b,l,n] second; [d,n] (constant
/// B or C) has none.
std::optional<Commute> scan(SelectiveScanOp op) {
  Commute c;
  const bool nlc = op.getChannelsLast();
  auto needs = [&](Value v, unsigned index) {
    if (!v)
      return true;
    const int64_t seq = nlc ? 1 : rankOf(v) - 1;
    if (v == op.getU() || v == op.getDelta() || v == op.getZ() || rankOf(v) >= 3) {
      if (flipAxis(v) != seq)
        return false;
      c.flippedOperands.push_back({index, seq});
      return true;
    }
    return !flipAxis(v); // A, D, delta_bias, constant B/C stay as they are
  };
  for (OpOperand &operand : op->getOpOperands())
    if (!needs(operand.get(), operand.getOperandNumber()))
      return std::nullopt;
  c.flippedResults.push_back({0, nlc ? 1 : 2}); // out; last_state is the same either way
  c.toggleReverse = true;
  return c;
}

std::optional<Commute> commuteFlip(Operation *op) {
  if (op->getNumOperands() == 0)
    return std::nullopt;
  return llvm::TypeSwitch<Operation *, std::optional<Commute>>(op)
      .Case<GeluOp, SiluOp, SoftplusOp, ExpOp, NegOp, ScaleOp>(
          [](Operation *o) { return sameAxis(o); })
      .Case<AddOp, MulOp>([](Operation *o) { return binary(o); })
      .Case<PermuteOp>([](PermuteOp o) { return permute(o); })
      .Case<SplitOp, SliceOp>([](Operation *o) {
        return sameAxis(o, cast<IntegerAttr>(o->getAttr("axis")).getInt());
      })
      .Case<ConcatOp>([](ConcatOp o) { return concat(o); })
      .Case<LinearOp, LayerNormOp, RmsNormOp>(
          [](Operation *o) { return sameAxis(o, rankOf(o->getOperand(0)) - 1); })
      .Case<CausalConv1dOp>([](CausalConv1dOp o) -> std::optional<Commute> {
        auto c = sameAxis(o);
        if (!c || c->flippedOperands[0].second != (o.getChannelsLast() ? 1 : 2))
          return std::nullopt;
        c->toggleReverse = true;
        return c;
      })
      .Case<SelectiveScanOp>([](SelectiveScanOp o) { return scan(o); })
      .Default([](Operation *) { return std::nullopt; });
}

/// flip(flip(x, a), a) -> x.
struct CancelFlips : OpRewritePattern<FlipOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(FlipOp flip, PatternRewriter &rewriter) const override {
    auto inner = flip.getInput().getDefiningOp<FlipOp>();
    if (!inner || inner.getAxis() != flip.getAxis())
      return failure();
    rewriter.replaceOp(flip, inner.getInput());
    return success();
  }
};

/// op(flip(x)) -> flip(op'(x)), op' reversed where the op has a direction.
struct SinkFlip : RewritePattern {
  SinkFlip(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (isa<FlipOp>(op))
      return failure();
    std::optional<Commute> c = commuteFlip(op);
    if (!c || c->flippedOperands.empty())
      return failure();
    IRMapping unflipped;
    for (auto [index, axis] : c->flippedOperands) {
      Value v = op->getOperand(index);
      unflipped.map(v, v.getDefiningOp<FlipOp>().getInput());
    }
    Operation *moved = rewriter.clone(*op, unflipped);
    if (c->toggleReverse) {
      const bool reversed = op->hasAttr("reverse");
      if (reversed)
        moved->removeAttr("reverse");
      else
        moved->setAttr("reverse", rewriter.getUnitAttr());
    }
    SmallVector<Value> replacements(moved->getResults());
    for (auto [index, axis] : c->flippedResults)
      replacements[index] =
          rewriter.create<FlipOp>(op->getLoc(), moved->getResult(index), axis).getResult();
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

struct FoldFlipsPass : ssmc::impl::FoldFlipsBase<FoldFlipsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CancelFlips, SinkFlip>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
