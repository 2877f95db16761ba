//===- Layout.cpp - channels-last convolutions, permutes folded ------------===//
//
// The reference models switch between NCHW (for nn.Conv2d) and NHWC (for
// everything else) with permutes. A conv2d that reads a permute to NCHW or
// whose results go straight back to NHWC is rewritten to its channels-last
// form between the opposite permutes; permutes sink through elementwise ops,
// chains compose, and those that come out as the identity vanish. MambaOut's downsamplers lose both
// permutes, the stem keeps one view of the NCHW image. Ops that need another
// layout (the scan and conv1d run along the sequence of each channel) keep
// their permutes, which fusion turns into index arithmetic. The weight of
// a channels-last conv is stored [O, KH, KW, C] (stored_as), so an output
// channel's taps are contiguous in the order the implicit GEMM gathers them.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "SsmcOps.h"
#include "ViewBuilders.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace ssmc {
#define GEN_PASS_DEF_LAYOUT
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc;

namespace {

constexpr int64_t kToNHWC[] = {0, 2, 3, 1};
constexpr int64_t kToNCHW[] = {0, 3, 1, 2};

bool isPermute(Value v, ArrayRef<int64_t> perm) {
  auto p = v.getDefiningOp<PermuteOp>();
  return p && p.getPerm() == perm;
}

/// conv2d(permute(x, toNCHW)) or permute(conv2d(x), toNHWC) ->
/// permute(conv2d[channels_last](permute(x, toNHWC)), toNCHW); the permutes
/// then cancel against their neighbours.
struct ChannelsLastConv : OpRewritePattern<Conv2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2dOp conv, PatternRewriter &rewriter) const override {
    if (conv.getChannelsLast())
      return failure();
    const bool inputPays = isPermute(conv.getInput(), kToNCHW);
    const bool outputPays =
        !conv->use_empty() && llvm::all_of(conv->getUsers(), [](Operation *user) {
          auto p = dyn_cast<PermuteOp>(user);
          return p && p.getPerm() == ArrayRef<int64_t>(kToNHWC);
        });
    if (!inputPays && !outputPays)
      return failure(); // an NCHW conv among NCHW ops: leave it
    Location loc = conv.getLoc();
    Value input = createPermute(rewriter, loc, conv.getInput(), kToNHWC);
    auto y = cast<RankedTensorType>(conv.getType()).getShape();
    auto nhwcType = RankedTensorType::get({y[0], y[2], y[3], y[1]},
                                          cast<RankedTensorType>(conv.getType()).getElementType());
    auto nhwc = rewriter.create<Conv2dOp>(loc, nhwcType, input, conv.getWeight(), conv.getBias(),
                                          conv.getStrideAttr(), conv.getPaddingAttr(),
                                          conv.getGroupsAttr(), rewriter.getUnitAttr());
    rewriter.replaceOp(conv, createPermute(rewriter, loc, nhwc.getResult(), kToNCHW));
    return success();
  }
};

/// permute(permute(x, p), q) -> permute(x, p∘q); the identity -> x.
struct ComposePermutes : OpRewritePattern<PermuteOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(PermuteOp op, PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> perm = op.getPerm();
    if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()))) {
      rewriter.replaceOp(op, op.getInput());
      return success();
    }
    auto inner = op.getInput().getDefiningOp<PermuteOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> composed;
    for (int64_t axis : perm)
      composed.push_back(inner.getPerm()[axis]);
    rewriter.replaceOp(op, createPermute(rewriter, op.getLoc(), inner.getInput(), composed));
    return success();
  }
};

/// unary(permute(x)) -> permute(unary(x)), and binary ops whose operands are
/// the same permute of same-shaped values: the permute moves down to meet
/// (and cancel) the next one. MambaOut's stem applies GELU in NCHW between
/// two permutes.
struct SinkPermute : RewritePattern {
  SinkPermute(MLIRContext *ctx) : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op, PatternRewriter &rewriter) const override {
    if (!isa<GeluOp, SiluOp, SoftplusOp, ExpOp, NegOp, ScaleOp, AddOp, MulOp>(op))
      return failure();
    auto first = op->getOperand(0).getDefiningOp<PermuteOp>();
    if (!first)
      return failure();
    IRMapping unpermuted;
    for (Value v : op->getOperands()) {
      auto p = v.getDefiningOp<PermuteOp>();
      if (!p || p.getPerm() != first.getPerm() ||
          p.getInput().getType() != first.getInput().getType())
        return failure(); // broadcasting or mixed layouts: leave it
      unpermuted.map(v, p.getInput());
    }
    Operation *moved = rewriter.clone(*op, unpermuted);
    moved->getResult(0).setType(first.getInput().getType());
    rewriter.replaceOp(op, createPermute(rewriter, op->getLoc(), moved->getResult(0),
                                       first.getPerm()));
    return success();
  }
};

struct LayoutPass : ssmc::impl::LayoutBase<LayoutPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ChannelsLastConv, ComposePermutes, SinkPermute>(&getContext());
    // Top-down, so each conv turns channels-last before the permutes around
    // it start to move.
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    storeConvWeightsChannelsLast();
  }

  /// A channels-last conv (groups 1) reads its weight [O, C, KH, KW] at
  /// (o, c, ky, kx) for taps gathered channels fastest: stored [O, KH, KW,
  /// C], each output channel's row is that order, contiguous. Only for a
  /// weight no other op reads (a tied weight keeps PyTorch's layout).
  void storeConvWeightsChannelsLast() {
    llvm::StringMap<int> readers;
    getOperation().walk([&](WeightOp w) {
      readers[w.getName()] += int(std::distance(w->use_begin(), w->use_end()));
    });
    getOperation().walk([&](Conv2dOp conv) {
      auto w = conv.getWeight().getDefiningOp<WeightOp>();
      if (!w || !conv.getChannelsLast() || conv.getGroups() != 1 || w.getStoredAs() ||
          readers[w.getName()] != 1)
        return;
      w.setStoredAs(ArrayRef<int64_t>{0, 2, 3, 1});
    });
  }
};

} // namespace
