//===- PatchGemm.cpp - non-overlapping convolutions as GEMMs ---------------===//
//
// A conv2d whose kernel equals its stride, without padding or groups (Vim's
// 16x16/16 patch embedding), reads every input element exactly once: it is
// a GEMM of the image cut into patches, [B·gh·gw, C·kh·kw], with the weight
// seen as [D, C·kh·kw]. The pass writes it as reshape -> permute -> reshape
// (views: index arithmetic in the GEMM's prologue, never a copy) and a
// `linear` whose result is channels-last [B, gh, gw, D], permuted back when
// the conv was NCHW. The weight keeps its checkpoint shape; its reshape is
// the same bytes.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "SsmcOps.h"
#include "ViewBuilders.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace ssmc {
#define GEN_PASS_DEF_PATCHGEMM
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc;

namespace {

struct ConvAsPatchGemm : OpRewritePattern<Conv2dOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(Conv2dOp conv, PatternRewriter &rewriter) const override {
    auto w = cast<RankedTensorType>(conv.getWeight().getType()).getShape(); // [D, C, kh, kw]
    auto stride = conv.getStride(), padding = conv.getPadding();
    if (conv.getGroups() != 1 || stride[0] != w[2] || stride[1] != w[3] || padding[0] != 0 ||
        padding[1] != 0)
      return failure(); // overlapping windows or padding: a real convolution
    auto x = cast<RankedTensorType>(conv.getInput().getType()).getShape();
    const bool nhwc = conv.getChannelsLast();
    const int64_t b = x[0], c = nhwc ? x[3] : x[1], h = nhwc ? x[1] : x[2],
                  wd = nhwc ? x[2] : x[3], kh = w[2], kw = w[3];
    if (h % kh || wd % kw)
      return failure(); // a remainder the conv would drop: not a plain reshape
    const int64_t gh = h / kh, gw = wd / kw, d = w[0];
    Location loc = conv.getLoc();

    // [B, gh, gw, C·kh·kw], C then kh then kw as in the weight's rows.
    Value patches =
        nhwc ? createPermute(rewriter, loc, createReshape(rewriter, loc, conv.getInput(), {b, gh, kh, gw, kw, c}),
                         {0, 1, 3, 5, 2, 4})
             : createPermute(rewriter, loc, createReshape(rewriter, loc, conv.getInput(), {b, c, gh, kh, gw, kw}),
                         {0, 2, 4, 1, 3, 5});
    patches = createReshape(rewriter, loc, patches, {b, gh, gw, c * kh * kw});
    Value weight = createReshape(rewriter, loc, conv.getWeight(), {d, c * kh * kw});
    auto outType = RankedTensorType::get(
        {b, gh, gw, d}, cast<RankedTensorType>(conv.getType()).getElementType());
    Value y = rewriter.create<LinearOp>(loc, outType, patches, weight, conv.getBias());
    rewriter.replaceOp(conv, nhwc ? y : createPermute(rewriter, loc, y, {0, 3, 1, 2}));
    return success();
  }
};

struct PatchGemmPass : ssmc::impl::PatchGemmBase<PatchGemmPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ConvAsPatchGemm>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
