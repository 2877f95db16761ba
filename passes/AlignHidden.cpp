//===- AlignHidden.cpp - a Gated CNN block's hidden width in whole sectors ===//
//
// MambaOut's Gated CNN block splits fc1's output into gate, identity and conv
// parts of h, h - c and c channels and multiplies gelu(gate) by
// concat(identity, dwconv(conv)) before fc2. Where h is not a whole number of
// 16-byte pieces (mambaout_base: h = 1365), every row of every one of these
// tensors starts off a 16-byte boundary, and the kernels that read and write
// them fall back to narrow, uncoalesced accesses. Zero channels make it a
// whole number of 32-byte sectors (16-byte pieces where the conv part is not
// whole sectors): P zero rows of fc1 (and its bias) before the gate's slice h - c and
// before the conv part, P zero columns of fc2 at h - c. The product then has
// P zeros at h - c (gelu(gate) times a zero identity channel) and every other
// channel as before, and fc2 adds P zero products: the same result, exactly.
// The weights say so with `inserted_zeros`; the runtime and the reference
// executor insert the zeros when they load them.
//
//===----------------------------------------------------------------------===//

#include "Passes.h"
#include "SsmcOps.h"

namespace ssmc {
#define GEN_PASS_DEF_ALIGNHIDDEN
#include "Passes.h.inc"
} // namespace ssmc

using namespace mlir;
using namespace ssmc;

namespace {

/// `v`'s type with its last dimension `last`.
RankedTensorType withLastDim(Value v, int64_t last) {
  auto t = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape(t.getShape());
  shape.back() = last;
  return RankedTensorType::get(shape, t.getElementType());
}

int64_t lastDim(Value v) { return cast<RankedTensorType>(v.getType()).getShape().back(); }

/// The one user of `v` (nullptr unless exactly one).
Operation *soleUser(Value v) { return v.hasOneUse() ? *v.getUsers().begin() : nullptr; }

/// A weight that only this op reads and no earlier pass has laid out.
WeightOp plainWeight(Value v) {
  auto w = v ? v.getDefiningOp<WeightOp>() : WeightOp();
  if (!w || !w->hasOneUse() || w.getStoredAs() || w.getRowPitch() || w.getInsertedZeros())
    return {};
  return w;
}

/// The ops of one Gated CNN block, matched from its fc1.
struct GatedBlock {
  LinearOp fc1;
  SplitOp split;   // [gate h, identity h - c, conv c]
  Operation *act;  // gelu(gate)
  ConcatOp concat; // (identity, dwconv(conv))
  MulOp mul;       // act * concat
  LinearOp fc2;    // reads mul
  WeightOp w1, b1, w2;
  int64_t hidden = 0, identity = 0;
};

std::optional<GatedBlock> match(LinearOp fc1) {
  GatedBlock g;
  g.fc1 = fc1;
  g.split = dyn_cast_or_null<SplitOp>(soleUser(fc1.getResult()));
  if (!g.split || g.split.getNumResults() != 3 ||
      g.split.getAxis() != int64_t(cast<RankedTensorType>(fc1.getType()).getRank()) - 1)
    return std::nullopt;
  Value gate = g.split.getResult(0), ident = g.split.getResult(1), conv = g.split.getResult(2);
  g.hidden = lastDim(gate);
  g.identity = lastDim(ident);
  if (g.identity <= 0 || g.identity + lastDim(conv) != g.hidden)
    return std::nullopt;
  g.act = soleUser(gate);
  if (!g.act || !isa<GeluOp>(g.act))
    return std::nullopt;
  auto dw = dyn_cast_or_null<DepthwiseConv2dOp>(soleUser(conv));
  g.concat = dyn_cast_or_null<ConcatOp>(soleUser(ident));
  if (!dw || !g.concat || g.concat.getNumOperands() != 2 || g.concat.getOperand(0) != ident ||
      g.concat.getOperand(1) != dw.getResult() || !dw->hasOneUse() ||
      g.concat.getAxis() != g.split.getAxis())
    return std::nullopt;
  g.mul = dyn_cast_or_null<MulOp>(soleUser(g.act->getResult(0)));
  if (!g.mul || soleUser(g.concat.getResult()) != g.mul.getOperation() ||
      g.mul.getType() != g.concat.getType() || g.act->getResult(0).getType() != g.mul.getType())
    return std::nullopt;
  g.fc2 = dyn_cast_or_null<LinearOp>(soleUser(g.mul.getResult()));
  if (!g.fc2 || g.fc2.getInput() != g.mul.getResult())
    return std::nullopt;
  g.w1 = plainWeight(fc1.getWeight());
  g.w2 = plainWeight(g.fc2.getWeight());
  g.b1 = fc1.getBias() ? plainWeight(fc1.getBias()) : WeightOp();
  if (!g.w1 || !g.w2 || (fc1.getBias() && !g.b1))
    return std::nullopt;
  return g;
}

struct AlignHiddenPass : ssmc::impl::AlignHiddenBase<AlignHiddenPass> {
  void runOnOperation() override {
    auto module = getOperation()->getParentOfType<ModuleOp>();
    auto dtype = module ? module->getAttrOfType<StringAttr>(kDtypeAttr) : StringAttr();
    const int64_t elementBytes = !dtype || dtype.getValue() == "f32" ? 4 : 2;
    SmallVector<GatedBlock> blocks;
    getOperation().walk([&](LinearOp fc1) {
      if (auto g = match(fc1))
        blocks.push_back(*g);
    });
    for (GatedBlock &g : blocks) {
      // Whole 32-byte sectors where the conv part is (a row then never
      // straddles one more sector than it fills), else 16-byte pieces; none
      // where the conv part would start off a piece.
      const int64_t conv = g.hidden - g.identity;
      int64_t piece = 32 / elementBytes;
      if (conv % piece != 0)
        piece = 16 / elementBytes;
      if (g.hidden % piece == 0 || conv % piece != 0)
        continue;
      const int64_t pad = (g.hidden + piece - 1) / piece * piece - g.hidden;
      const int64_t padded = g.hidden + pad;
      OpBuilder b(g.fc1);
      // fc1's rows: P zeros before the gate's slice `identity` and before the
      // conv part; fc2's columns: P zeros at `identity`.
      auto insert = [&](WeightOp w, int64_t axis, ArrayRef<int64_t> places) {
        auto t = cast<RankedTensorType>(w.getType());
        SmallVector<int64_t> shape(t.getShape());
        SmallVector<int64_t> zeros = {axis};
        for (int64_t at : places) {
          zeros.append({at, pad});
          shape[size_t(axis)] += pad;
        }
        w.setInsertedZerosAttr(b.getDenseI64ArrayAttr(zeros));
        w.getResult().setType(RankedTensorType::get(shape, t.getElementType()));
      };
      insert(g.w1, 0, {g.identity, g.hidden + g.identity});
      if (g.b1)
        insert(g.b1, 0, {g.identity, g.hidden + g.identity});
      insert(g.w2, 1, {g.identity});
      g.fc1.getResult().setType(withLastDim(g.fc1.getResult(), 2 * padded));
      g.split.getResult(0).setType(withLastDim(g.split.getResult(0), padded));
      g.split.getResult(1).setType(withLastDim(g.split.getResult(1), g.identity + pad));
      for (Operation *op : {g.act, g.concat.getOperation(), g.mul.getOperation()})
        op->getResult(0).setType(withLastDim(op->getResult(0), padded));
    }
  }
};

} // namespace
