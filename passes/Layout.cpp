//===- Layout.cpp - channels-last convolutions, permutes folded ------------===//
//
// The reference models switch between NCHW (for nn.Conv2d) and NHWC (for
// everything else) with permutes. A conv2d that reads a permute to NCHW or
// whose results go straight back to NHWC is rewritten to its channels-last
// form between the opposite permutes; permutes sink through elementwise ops,
// chains compose, and those that come out as the identity vanish. MambaOut's
// downsamplers lose both permutes, the stem keeps one view of the NCHW image.
// The same for the sequence ops: Mamba transposes in_proj's [B, L, 2D] output
// to [B, 2D, L] for conv1d and the scan and back for out_proj; the transpose
// moves below the split, conv1d and the scan turn channels-last, and every
// transpose cancels. The weight of a channels-last conv is stored [O, KH, KW,
// C] (stored_as), so an output channel's taps are contiguous in the order the
// implicit GEMM gathers them; a linear weight whose rows are not whole
// 16-byte pieces is stored with its rows padded to them (row_pitch).
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

/// Whether `v` has users and every one is `permute perm`.
bool allUsersPermute(Value v, ArrayRef<int64_t> perm) {
  return !v.use_empty() && llvm::all_of(v.getUsers(), [&](Operation *user) {
    auto p = dyn_cast<PermuteOp>(user);
    return p && p.getPerm() == perm;
  });
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
    const bool outputPays = allUsersPermute(conv.getResult(), kToNHWC);
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

constexpr int64_t kSwapLastTwo[] = {0, 2, 1}; // [B, D, L] <-> [B, L, D]

bool isSequenceTranspose(Value v) { return isPermute(v, kSwapLastTwo); }

/// split(permute(x, p), axis a) -> permute(split(x, axis p[a]), p) for each
/// part: the permute moves below the split, towards the op that reads the
/// part (Mamba's in_proj output split into x and z after its transpose).
struct HoistPermuteAboveSplit : OpRewritePattern<SplitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SplitOp split, PatternRewriter &rewriter) const override {
    auto p = split.getInput().getDefiningOp<PermuteOp>();
    if (!p)
      return failure();
    ArrayRef<int64_t> perm = p.getPerm();
    const int64_t axis = perm[split.getAxis()];
    auto inType = cast<RankedTensorType>(p.getInput().getType());
    SmallVector<Type> partTypes;
    for (Value part : split.getResults()) {
      SmallVector<int64_t> shape(inType.getShape());
      shape[axis] = cast<RankedTensorType>(part.getType()).getDimSize(split.getAxis());
      partTypes.push_back(RankedTensorType::get(shape, inType.getElementType()));
    }
    auto inner = rewriter.create<SplitOp>(split.getLoc(), partTypes, p.getInput(),
                                          rewriter.getI64IntegerAttr(axis));
    SmallVector<Value> parts;
    for (Value part : inner.getResults())
      parts.push_back(createPermute(rewriter, split.getLoc(), part, perm));
    rewriter.replaceOp(split, parts);
    return success();
  }
};

/// A causal conv1d that reads a [B, L, D] -> [B, D, L] transpose, or whose
/// results all go straight back, runs channels-last between the opposite
/// transposes, which then cancel against their neighbours.
struct ChannelsLastConv1d : OpRewritePattern<CausalConv1dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(CausalConv1dOp conv, PatternRewriter &rewriter) const override {
    if (conv.getChannelsLast() ||
        (!isSequenceTranspose(conv.getInput()) && !allUsersPermute(conv.getResult(), kSwapLastTwo)))
      return failure();
    Location loc = conv.getLoc();
    Value input = createPermute(rewriter, loc, conv.getInput(), kSwapLastTwo);
    auto nlc = rewriter.create<CausalConv1dOp>(loc, input.getType(), input, conv.getWeight(),
                                               conv.getBias(), conv.getReverseAttr(),
                                               rewriter.getUnitAttr());
    rewriter.replaceOp(conv, createPermute(rewriter, loc, nlc.getResult(), kSwapLastTwo));
    return success();
  }
};

/// A selective scan whose u reads a [B, L, D] -> [B, D, L] transpose, or
/// whose output goes straight back, runs channels-last: u, delta, z, B and
/// C read through the opposite transpose (cancelling the producers'), the
/// output transposed back. Scans with constant or grouped B/C stay.
struct ChannelsLastScan : OpRewritePattern<SelectiveScanOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectiveScanOp scan, PatternRewriter &rewriter) const override {
    auto rank3 = [](Value v) { return cast<RankedTensorType>(v.getType()).getRank() == 3; };
    if (scan.getChannelsLast() || !rank3(scan.getB()) || !rank3(scan.getC()) ||
        (!isSequenceTranspose(scan.getU()) && !allUsersPermute(scan.getOut(), kSwapLastTwo)))
      return failure();
    Location loc = scan.getLoc();
    auto swap = [&](Value v) {
      return v ? createPermute(rewriter, loc, v, kSwapLastTwo) : Value();
    };
    Value u = swap(scan.getU());
    auto nlc = rewriter.create<SelectiveScanOp>(
        loc, u.getType(), scan.getLastState().getType(), u, swap(scan.getDelta()), scan.getA(),
        swap(scan.getB()), swap(scan.getC()), scan.getD(), swap(scan.getZ()), scan.getDeltaBias(),
        scan.getDeltaSoftplusAttr(), scan.getReverseAttr(), rewriter.getUnitAttr(),
        scan.getTilingAttr());
    nlc->setDiscardableAttrs(scan->getDiscardableAttrDictionary());
    rewriter.replaceOp(
        scan, {createPermute(rewriter, loc, nlc.getOut(), kSwapLastTwo), nlc.getLastState()});
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
    patterns.add<ChannelsLastConv, ChannelsLastConv1d, ChannelsLastScan, HoistPermuteAboveSplit,
                 ComposePermutes, SinkPermute>(&getContext());
    // Top-down, so each conv turns channels-last before the permutes around
    // it start to move.
    GreedyRewriteConfig config;
    config.useTopDownTraversal = true;
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns), config)))
      return signalPassFailure();
    storeConvWeightsChannelsLast();
    padLinearWeightRows();
  }

  /// A linear's weight [N, K] whose rows are not whole 16-byte pieces in the
  /// module's storage type (mambaout_base's fc2, K = 1365) gets `row_pitch`,
  /// K rounded up to them: the runtime uploads each row padded with zeros,
  /// and the GEMM copies W 16 bytes at a time instead of realigning
  /// shifted rows in shared memory. Only for a weight no other op reads.
  void padLinearWeightRows() {
    auto module = getOperation()->getParentOfType<ModuleOp>();
    auto dtype = module ? module->getAttrOfType<StringAttr>(kDtypeAttr) : StringAttr();
    const int64_t piece = !dtype || dtype.getValue() == "f32" ? 4 : 8; // elements a 16 bytes
    llvm::StringMap<int> readers;
    getOperation().walk([&](WeightOp w) {
      readers[w.getName()] += int(std::distance(w->use_begin(), w->use_end()));
    });
    getOperation().walk([&](LinearOp linear) {
      auto w = linear.getWeight().getDefiningOp<WeightOp>();
      if (!w || w.getStoredAs() || w.getRowPitch() || readers[w.getName()] != 1)
        return;
      const int64_t k = cast<RankedTensorType>(w.getType()).getShape().back();
      if (k % piece != 0)
        w.setRowPitch((k + piece - 1) / piece * piece);
    });
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
    // A channels-last conv1d's threads are consecutive channels: its weight
    // [D, 1, K] is stored [1, K, D], so each tap is one contiguous row.
    getOperation().walk([&](CausalConv1dOp conv) {
      auto w = conv.getWeight().getDefiningOp<WeightOp>();
      if (!w || !conv.getChannelsLast() || w.getStoredAs() || readers[w.getName()] != 1)
        return;
      w.setStoredAs(ArrayRef<int64_t>{1, 2, 0});
    });
  }
};

} // namespace
