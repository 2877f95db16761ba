//===- GemmKernel.cpp - tensor-core GEMM groups ---------------------------===//
//
// A group whose anchors are linears of one shape (one, or independent twins
// such as Vim's two x_proj), or channels-last convolutions (an implicit
// GEMM: M = N*OH*OW output pixels, N = output channels, K = KH*KW*C taps
// gathered by the prologue), becomes ssmc's GEMM template
// (Templates/Gemm.cuh) instantiated with the group's index functions:
//
//   prologue  A(m, k) = the anchor's input at row m, column k: views,
//             elementwise ops, and LayerNorm/RMSNorm over K whose row
//             statistics each block computes first (one warp per row) into
//             shared memory; for a conv, the tap k of output pixel m (zero
//             in the padding);
//   epilogue  every result that reads the anchor through same-shape
//             elementwise ops (bias, GELU, residual add, ...) at the same
//             (m, n), evaluated from the fp32 C tile, and through a
//             LayerNorm/RMSNorm of the anchor's output (MambaOut's conv +
//             norm): then a block's tile holds whole rows (BN >= N) and the
//             row statistics come from the C tile;
//   extra     results that read no anchor (Vim's residual_out = x +
//             residual beside the GEMM), written by the blocks of the first
//             column of tiles.
//
// Anything else (a norm whose output is also used elsewhere, a view after
// the linear, two linears combined) goes to the generic emitter.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "Support/Arch.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <optional>
#include <set>
#include <tuple>

using namespace mlir;

namespace ssmc::codegen {

bool isElementwiseOp(Operation *op) {
  return isa<GeluOp, SiluOp, SoftplusOp, ExpOp, NegOp, ScaleOp, AddOp, MulOp>(op);
}

namespace {

#include "AsyncTemplate.inc"
#include "GemmTemplate.inc"

/// A GEMM's anchor: a linear, or a channels-last conv2d with groups 1.
struct Anchor {
  Operation *op;
  Value input() const { return op->getOperand(0); }
  Value weight() const { return op->getOperand(1); }
  /// The weight value whose rows are W's rows [N, K] in memory: the weight
  /// itself, or, for a linear whose W is a reshape of a weight stored as it
  /// is with N leading (Vim's patch embedding: [N, C, P, P] -> [N, C*P*P]),
  /// that weight, whose row n starts at n * K as well.
  Value weightRows() const {
    auto view = weight().getDefiningOp<ReshapeOp>();
    if (!view || conv())
      return weight();
    auto w = view.getInput().getDefiningOp<WeightOp>();
    auto from = cast<ShapedType>(view.getInput().getType()).getShape();
    auto to = cast<ShapedType>(weight().getType()).getShape();
    if (!w || w.getStoredAs() || w.getRowPitch() || to.size() != 2 || from.empty() ||
        from.front() != to.front())
      return weight();
    return view.getInput();
  }
  Value bias() const {
    if (auto l = dyn_cast<LinearOp>(op))
      return l.getBias();
    return cast<Conv2dOp>(op).getBias();
  }
  Value result() const { return op->getResult(0); }
  Conv2dOp conv() const { return dyn_cast<Conv2dOp>(op); }
};

struct GemmInfo {
  std::vector<Anchor> anchors;
  bool conv = false; ///< the anchors are convolutions (implicit GEMMs)
  int64_t m = 0, n = 0, k = 0;
  std::vector<Operation *> norms;     ///< prologue norms: statistics per row, in order
  std::vector<Operation *> postNorms; ///< norms of an anchor's output, from the C tile
  std::vector<unsigned> postNormAnchor;
  std::vector<std::vector<unsigned>> epilogueYields; // per anchor
  std::vector<unsigned> extraYields;
  /// Bytes of group inputs A's prologue reads per element (the storage
  /// type's size where unknown); set by emitGemmKernel, for the tiling.
  int64_t aInputBytes = 2;
  /// Floats of statistics per row: mean and 1/sqrt(var + eps) per norm.
  int64_t stats() const { return 2 * int64_t(norms.size() + postNorms.size()); }
  /// A post-norm needs every column of its row in one tile.
  bool wholeRows() const { return !postNorms.empty(); }
};

/// Whether every path from `v` to the yield of `target` is same-shape
/// elementwise (or one of `postNorms` applied to `target` itself), so the
/// result at (m, n) reads the anchor at row m only.
bool identityPath(Value v, Value target, const llvm::DenseSet<Operation *> &postNorms) {
  if (v == target)
    return true;
  Operation *op = v.getDefiningOp();
  if (op && postNorms.contains(op))
    return op->getOperand(0) == target;
  if (!op || !isElementwiseOp(op))
    return false;
  for (Value operand : op->getOperands()) {
    llvm::DenseSet<Value> one{target};
    llvm::DenseMap<Value, bool> m;
    if (!GroupEmitter::dependsOn(operand, one, m))
      continue;
    if (operand.getType() != v.getType() || !identityPath(operand, target, postNorms))
      return false;
  }
  return true;
}

std::optional<GemmInfo> analyze(GroupEmitter &e, std::string *why) {
  auto no = [&](std::string w) -> std::optional<GemmInfo> {
    if (why)
      *why = std::move(w);
    return std::nullopt;
  };
  KernelGroupOp group = e.group();
  Block &body = group.getBody().front();
  GemmInfo info;
  for (Operation &op : body.without_terminator()) {
    if (isa<DepthwiseConv2dOp, CausalConv1dOp, SelectiveScanOp, ReduceMeanOp>(op))
      return no("it holds a non-GEMM anchor");
    if (auto c = dyn_cast<Conv2dOp>(op)) {
      if (c.getGroups() != 1 || !c.getChannelsLast())
        return no("a convolution is grouped or channels-first");
      info.anchors.push_back({&op});
      info.conv = true;
    }
    if (isa<LinearOp>(op))
      info.anchors.push_back({&op});
  }
  if (info.anchors.empty())
    return no("it holds no linear or convolution");
  llvm::DenseSet<Value> results;
  for (auto [j, a] : llvm::enumerate(info.anchors)) {
    if ((a.conv() != nullptr) != info.conv)
      return no("it mixes linears and convolutions");
    std::vector<int64_t> w = GroupEmitter::shape(a.weight());
    int64_t k = w[1];
    if (info.conv)
      k *= w[2] * w[3];
    const int64_t n = w[0], m = GroupEmitter::numElements(a.result()) / n;
    if (j == 0) {
      info.m = m;
      info.n = n;
      info.k = k;
    } else if (m != info.m || n != info.n || k != info.k) {
      return no("its linears differ in shape");
    }
    results.insert(a.result());
  }
  for (const Anchor &a : info.anchors) {
    llvm::DenseMap<Value, bool> memo;
    for (Value operand : a.op->getOperands())
      if (GroupEmitter::dependsOn(operand, results, memo))
        return no("a linear reads another linear");
  }
  // Norms: of an anchor's output (statistics from the C tile), or in the
  // prologue (statistics per row of A) if they feed linears' inputs alone.
  for (Operation &op : body.without_terminator()) {
    if (!isa<LayerNormOp, RmsNormOp>(op))
      continue;
    llvm::DenseMap<Value, bool> memo;
    if (GroupEmitter::dependsOn(op.getOperand(0), results, memo)) {
      auto it = llvm::find_if(info.anchors,
                              [&](const Anchor &a) { return a.result() == op.getOperand(0); });
      if (it == info.anchors.end())
        return no("a norm reads a linear through other ops");
      info.postNorms.push_back(&op);
      info.postNormAnchor.push_back(unsigned(it - info.anchors.begin()));
      continue;
    }
    if (info.conv)
      return no("a norm feeds a convolution (its rows are not the GEMM's rows)");
    std::vector<Value> work{op.getResult(0)};
    while (!work.empty()) {
      Value v = work.back();
      work.pop_back();
      for (OpOperand &use : v.getUses()) {
        Operation *user = use.getOwner();
        if (auto l = dyn_cast<LinearOp>(user); l && use.getOperandNumber() == 0)
          continue;
        if (isElementwiseOp(user) && user->getResult(0).getType() == v.getType()) {
          work.push_back(user->getResult(0));
          continue;
        }
        return no("a norm's output is used beyond the GEMM's prologue");
      }
    }
    info.norms.push_back(&op);
  }
  // Results: the epilogue of one anchor, or extra.
  llvm::DenseSet<Operation *> postNorms(info.postNorms.begin(), info.postNorms.end());
  info.epilogueYields.resize(info.anchors.size());
  auto yield = cast<YieldOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    std::vector<size_t> reads;
    for (size_t j = 0; j < info.anchors.size(); ++j) {
      llvm::DenseSet<Value> one{info.anchors[j].result()};
      llvm::DenseMap<Value, bool> memo;
      if (GroupEmitter::dependsOn(v, one, memo))
        reads.push_back(j);
    }
    if (reads.empty()) {
      info.extraYields.push_back(i);
      continue;
    }
    if (reads.size() > 1)
      return no("a result combines two linears");
    Value target = info.anchors[reads[0]].result();
    if (v.getType() != target.getType() || !identityPath(v, target, postNorms))
      return no("a result reads its linear through more than same-shape elementwise ops and "
                "norms");
    info.epilogueYields[reads[0]].push_back(i);
  }
  // Every use of a post-norm's output is on a path to the results above.
  for (Operation *op : info.postNorms)
    for (Operation *user : op->getResult(0).getUsers())
      if (!isa<YieldOp>(user) && !isElementwiseOp(user))
        return no("a norm of a linear's output feeds more than elementwise ops");
  return info;
}

enum Mode { kFfma = 0, kMma16 = 1, kTf32 = 2 };

struct Tile {
  int64_t bm, bn, bk, wm, wn;
  /// A's rows staged whole once per block, and the N tiles shared by this
  /// many blocks of a panel (SSMC_PANEL); 0: no panel.
  int64_t panel = 0;
  /// wgmma.mma_async from the stage tiles (SSMC_WGMMA, sm_90a): warpgroups
  /// of 4 warps along M (wm = 4 x warpgroups, wn = 1).
  bool wgmma = false;
  /// Warps along K (SSMC_WARPS_K, sliced K): each warp tile of C shared by
  /// this many warps, each multiplying BK / wk columns of every stage.
  int64_t wk = 1;
  /// Blocks along K (SSMC_SPLIT_K, split K): each tile of C shared by this
  /// many blocks, each multiplying its share of the K steps; the last adds
  /// the shares (through the workspace) and runs the epilogue.
  int64_t sk = 1;
  int64_t threads() const { return 32 * wm * wn * wk; }
  bool operator==(const Tile &) const = default;
};

/// How the operands are staged: the MMA mode, and whether A's or W's rows
/// are shifted (K's bytes not a multiple of 16: raw chunks per stage, one
/// realigned tile; Templates/Gemm.cuh, kGemmAShift and kGemmBShift).
struct Staging {
  Mode mode;
  bool aShift = false, bShift = false;
  /// A channels-first image staged by rows (kGemmAImage): the output
  /// pixels a row, and the bytes of the image rows an output row reads.
  int64_t imageOW = 0, imageRowBytes = 0;
  /// A channels-last input read along its rows (kGemmASpan): a tap row's
  /// columns (KW x C), each K step one tap row, BK that rounded up to 16;
  /// and the share of A's pieces it loads (SW / KW: each input piece once).
  int64_t spanRowK = 0;
  double spanLoads = 1.0;
};

/// The bytes of one row of a stage tile: BK values of T (bf16/f16 on tensor
/// cores; BK + 8 where BK is not a power of two, which the swizzle needs),
/// or BK + 4 floats (padded: wmma and FFMA read a leading dimension).
int64_t tileRowBytes(const Tile &t, Mode mode) {
  if (mode == kMma16)
    return (t.bk & (t.bk - 1)) == 0 ? t.bk * 2 : (t.bk + 8) * 2;
  return (t.bk + 4) * 4;
}

/// One stage's bytes (Templates/Gemm.cuh, kStageElems): A's rows (without a
/// panel) and W's, unpadded where ldmatrix reads them swizzled; shifted rows
/// as kRawChunks 16-byte chunks a row.
int64_t stageBytes(const Tile &t, Staging st) {
  const int64_t raw = (t.bk * (st.mode == kMma16 ? 2 : 4) / 16 + 1) * 16;
  const int64_t row = tileRowBytes(t, st.mode);
  return (st.aShift ? t.bm * raw
          : t.panel ? 0
                    : t.bm * row) +
         (st.bShift ? t.bn * raw : t.bn * row);
}

/// The shifted rows' realigned tiles (kRealignedElems), once beside the stages.
int64_t realignedBytes(const Tile &t, Staging st) {
  return ((st.aShift ? t.bm : 0) + (st.bShift ? t.bn : 0)) * tileRowBytes(t, st.mode);
}

/// BK, the K step: 64 on tensor cores where that pads K no further than 32
/// would (K whole steps of 64, or 432: the last step partial either way; a
/// panel pads K to BK), since a warp's 16-byte copies then cover four
/// 128-byte rows instead of eight half rows (half the L1 wavefronts of
/// every copy);
/// 64 for shifted rows wherever K exceeds 32 (BK·sizeof(T)/16 + 1 chunks a
/// row: fewer wasted); else 32, or 16 for K <= 16.
int64_t stepK(const GemmInfo &info, Staging st) {
  if (st.spanRowK) // a tap row a step (kGemmASpan)
    return (st.spanRowK + 15) / 16 * 16;
  if (info.k <= 16)
    return 16;
  if (((st.aShift || st.bShift) && info.k > 32) ||
      (st.mode == kMma16 && (info.k + 63) / 64 * 64 == (info.k + 31) / 32 * 32))
    return 64;
  return 32;
}

/// The K loop's depth (SSMC_STAGES): three stages where they fit in the
/// bytes the C tile needs anyway (or 48 KiB), else two.
int64_t stagesFor(const Tile &t, Staging st) {
  const int64_t c = t.bm * (t.bn + 8) * 4;
  return 3 * stageBytes(t, st) + realignedBytes(t, st) <= std::max<int64_t>(c, 48 * 1024) ? 3 : 2;
}

/// The template's shared memory (Templates/Gemm.cuh, kSmemBytes).
int64_t smemBytes(const Tile &t, Staging st, int64_t stats, int64_t k) {
  const int64_t pad = st.mode == kMma16 ? 8 : 4, elem = st.mode == kMma16 ? 2 : 4;
  const int64_t panelK = (k + t.bk - 1) / t.bk * t.bk;
  const int64_t panel = !t.panel  ? 0
                        : t.wgmma ? t.bm * panelK * elem // K blocks of 64, swizzled
                                  : (t.bm * (panelK + pad) * elem + 127) / 128 * 128;
  const int64_t stages = stagesFor(t, st) * stageBytes(t, st) + realignedBytes(t, st);
  const int64_t c = t.bm * (t.bn + 8) * 4;
  const int64_t align = t.wgmma ? 1024 : 0; // wgmma's tiles start on 1024 bytes
  const int64_t mainFloats = (panel + align + std::max(stages, c) + 127) / 128 * 32;
  const int64_t image =
      st.imageOW ? ((t.bm + st.imageOW - 2) / st.imageOW + 1) * st.imageRowBytes : 0;
  return (mainFloats + stats * t.bm) * 4 + image;
}

int64_t pow2AtLeast(int64_t v) {
  int64_t p = 1;
  while (p < v)
    p *= 2;
  return p;
}

} // namespace

bool isGemmGroup(GroupEmitter &e, std::string *whyNot) { return analyze(e, whyNot).has_value(); }

namespace {

/// A norm's value from its input `x`, statistics and affine weights: one
/// expression for its index function and for the panel the statistics pass
/// writes, so both round alike.
std::string normExpression(bool layerNorm, const std::string &x, const std::string &mean,
                           const std::string &rstd, const std::string &weight,
                           const std::string &bias) {
  return layerNorm ? fmt::format("({} - {}) * {} * {} + {}", x, mean, rstd, weight, bias)
                   : fmt::format("{} * {} * {}", x, rstd, weight);
}

/// The index functions the GEMM supplies itself: an anchor reads the C tile
/// (plus its bias), a norm its row's statistics.
llvm::DenseMap<Value, std::string> gemmIndexFunctions(const GroupEmitter &e, GemmInfo &info) {
  llvm::DenseMap<Value, std::string> custom;
  for (auto [j, a] : llvm::enumerate(info.anchors)) {
    const size_t r = GroupEmitter::shape(a.result()).size();
    std::string body =
        fmt::format("// the GEMM's C tile at this (m, n) (fp32)\n    return cur{}", j);
    if (a.bias())
      body += " + " + e.call(a.bias(), {fmt::format("i{}", r - 1)});
    custom[a.result()] = body + ";";
  }
  std::vector<Operation *> norms = info.norms;
  norms.insert(norms.end(), info.postNorms.begin(), info.postNorms.end());
  for (auto [i, op] : llvm::enumerate(norms)) {
    Value out = op->getResult(0), x = op->getOperand(0);
    const size_t r = GroupEmitter::shape(out).size();
    std::vector<std::string> idx = GroupEmitter::indexNames("i", r);
    std::vector<std::string> lead(idx.begin(), idx.end() - 1);
    std::string row = fmt::format("const idx_t row = {} - m0; // the row's statistics, computed "
                                  "per block\n    ",
                                  lead.empty() ? "0" : e.linear(out, lead));
    // rowMode: the statistics loaded once for a piece's values (q*), the
    // same expression.
    const auto expr = [&](const std::string &mean, const std::string &rstd) {
      auto ln = dyn_cast<LayerNormOp>(op);
      return normExpression(
          bool(ln), e.call(x, idx), mean, rstd,
          e.call(ln ? ln.getWeight() : cast<RmsNormOp>(op).getWeight(), {idx.back()}),
          ln ? e.call(ln.getBias(), {idx.back()}) : "");
    };
    custom[out] = fmt::format("if (rowMode)\n      return {};\n    ",
                              expr(fmt::format("q{}", 2 * i), fmt::format("q{}", 2 * i + 1))) +
                  row +
                  fmt::format("return {};", expr(fmt::format("s{}[row]", 2 * i),
                                                 fmt::format("s{}[row]", 2 * i + 1)));
  }

  return custom;
}

/// One warp's statistics of one row: `x(col)` is the row's element at
/// column `col` (statements in `setup` run before each), `c` the length,
/// `length` its value. A row of at most 768 is read once, into registers
/// (each lane's columns lane, lane + 32, ...), and both passes sum those:
/// the same sums in the same order as reading it twice, for half the
/// loads.
/// A row of at most this many values a lane is read once into registers by
/// the row statistics (rowStatistics), which then walk the registers.
constexpr int64_t kMaxRowValuesPerLane = 24;

/// What heldStatistics emits.
enum class Held { Declare, StoreInLoop, StoreAfter };
std::string heldStatistics(int64_t slot, const std::string &indent, Held what);

std::string rowStatistics(Operation *op, const std::string &setup, const std::string &x,
                          const std::string &col, const std::string &c, int64_t length,
                          int64_t slot, const std::string &indent) {
  const bool layerNorm = isa<LayerNormOp>(op);
  const double eps = layerNorm ? cast<LayerNormOp>(op).getEps().convertToDouble()
                               : cast<RmsNormOp>(op).getEps().convertToDouble();
  const std::string reduce = fmt::format("{0}for (int o = 16; o > 0; o >>= 1)\n"
                                         "{0}  {{}} += __shfl_xor_sync(0xffffffffu, {{}}, o);\n",
                                         indent);
  // How the passes walk the row: the loop that opens each (with its
  // setup), a guard on the lane's column, and the element.
  std::string open, guard, value;
  std::string m;
  const int64_t perLane = (length + 31) / 32;
  if (length > 0 && perLane <= kMaxRowValuesPerLane) {
    // Every lane's loads in flight at once (the row's first read).
    open = fmt::format("{0}#pragma unroll\n{0}for (int q = 0; q < {1}; ++q) {{\n"
                       "{0}  const idx_t {2} = lane + q * 32;\n",
                       indent, perLane, col);
    guard = length % 32 ? fmt::format("{} < {}", col, c) : "";
    value = "row[q]";
    std::string inner; // `setup` one level deeper, inside the guard
    llvm::SmallVector<llvm::StringRef> lines;
    llvm::StringRef(setup).split(lines, '\n', -1, false);
    for (llvm::StringRef line : lines)
      inner += "  " + line.str() + "\n";
    m += fmt::format("{0}float row[{1}];\n{2}{0}  row[q] = 0.0f;\n{0}  if ({3}) {{\n{4}{0}    "
                     "row[q] = {5};\n{0}  }}\n{0}}}\n",
                     indent, perLane, open, guard.empty() ? "true" : guard, inner, x);
  } else {
    // Unrolled: four iterations' loads in flight per warp (the statistics
    // pass is the row's first read, from DRAM).
    open =
        fmt::format("{0}#pragma unroll 4\n{0}for (idx_t {1} = lane; {1} < {2}; {1} += 32) {{\n{3}",
                    indent, col, c, setup);
    value = x;
  }
  // One pass: `init` declares the sum, `step` adds the element `v` to it.
  auto pass = [&](const std::string &init, const std::string &step) {
    const std::string body =
        guard.empty() ? fmt::format("{0}  const float v = {1};\n{0}  {2}\n", indent, value, step)
                      : fmt::format("{0}  if ({1}) {{\n{0}    const float v = "
                                    "{2};\n{0}    {3}\n{0}  }}\n",
                                    indent, guard, value, step);
    m += fmt::format("{}{}\n{}{}{}}}\n", indent, init, open, body, indent);
  };
  if (layerNorm) {
    pass("float sum = 0.0f;", "sum += v;");
    m += fmt::format(fmt::runtime(reduce), "sum", "sum");
    m += fmt::format("{}const float mean = sum / (float){};\n", indent, c);
    pass("float sq = 0.0f; // two passes: no cancellation", "sq += (v - mean) * (v - mean);");
  } else {
    pass("float sq = 0.0f;", "sq += v * v;");
  }
  m += fmt::format(fmt::runtime(reduce), "sq", "sq");
  // Lane i holds the statistics of the warp's row i (mod 32), and the lanes
  // store 32 rows' at once (heldStatistics), not one store per row.
  m += fmt::format("{0}const int holder = r / (SSMC_WARPS_M * SSMC_WARPS_N) % 32;\n"
                   "{0}if (lane == holder) {{\n{0}  heldRow{1} = r;\n{0}  heldMean{1} = {2};\n"
                   "{0}  heldRstd{1} = 1.0f / sqrtf(sq / (float){3} + {4});\n{0}}}\n"
                   "{0}if (holder == 31) {{\n{5}{0}}}\n",
                   indent, slot, layerNorm ? "mean" : "0.0f", c, floatLiteral(eps),
                   heldStatistics(slot, indent + "  ", Held::StoreInLoop));
  return m;
}

/// rowStatistics' held statistics: their declarations (before the rows
/// loop), their store every 32 rows (in it), or the last store (after it).
std::string heldStatistics(int64_t slot, const std::string &indent, Held what) {
  if (what == Held::Declare)
    return fmt::format("{0}int heldRow{1} = -1; // the row whose statistics this lane holds\n"
                       "{0}float heldMean{1} = 0.0f, heldRstd{1} = 0.0f;\n",
                       indent, slot);
  return fmt::format("{0}if (heldRow{1} >= 0) {{\n{0}  s{2}[heldRow{1}] = heldMean{1};\n"
                     "{0}  s{3}[heldRow{1}] = heldRstd{1};\n{0}}}\n{4}",
                     indent, slot, 2 * slot, 2 * slot + 1,
                     what == Held::StoreInLoop ? fmt::format("{}heldRow{} = -1;\n", indent, slot)
                                               : "");
}

/// The group inputs among `cached` (aVec's leaves) that `v` reads, when v
/// reads nothing else but same-shape elementwise ops of them (no norm, no
/// weight): then v at (m, k..k+V-1) can be evaluated from 16-byte pieces of
/// those inputs, as aVec evaluates A.
std::optional<std::vector<Value>> piecewiseLeaves(Value v, const llvm::SetVector<Value> &cached) {
  const std::vector<int64_t> shape = GroupEmitter::shape(v);
  std::vector<Value> leaves, work{v};
  llvm::DenseSet<Value> seen{v};
  while (!work.empty()) {
    Value x = work.back();
    work.pop_back();
    if (GroupEmitter::shape(x) != shape)
      return std::nullopt;
    if (isa<BlockArgument>(x)) {
      if (!cached.contains(x))
        return std::nullopt;
      leaves.push_back(x);
      continue;
    }
    Operation *op = x.getDefiningOp();
    if (!isElementwiseOp(op))
      return std::nullopt;
    for (Value operand : op->getOperands())
      if (seen.insert(operand).second)
        work.push_back(operand);
  }
  return leaves;
}

/// One prologue norm's statistics from registers: G lanes a row (a power of
/// two, so that each lane holds at most a few 16-byte pieces of the row),
/// 32 / G rows a warp at a time, every piece of those rows loaded before
/// any is summed (one memory latency per 32 / G rows, not two per row), the
/// variance from the registers (two passes over the values, one read).
/// Results in `fused` (same shape as the norm's input, computed from the
/// same inputs: MambaOut's residual sum) are stored from the same pieces by
/// the blocks of the first tile column.
///
/// Where an input or a stored result is kept in fp32 beside 16-bit ones
/// (Vim's residual stream), a lane's piece is two halves of V/2 elements,
/// half h of piece p at element ((2p + h) G + lane) V/2: the lanes of a row
/// then read 16 bytes each of the fp32 tensor and 8 bytes each of the 16-bit
/// ones, contiguous across the lanes (whole pieces of 8 floats would leave
/// every request's sectors half used). `halves` says so (stats() then needs
/// load8/store8).
///
/// `panel`: A is this norm's output itself, so in a panel configuration
/// the lanes also normalize the values they hold and write A(m, k), k < K,
/// into the panel (kGemmPanelFromStats): A's inputs are read once per block
/// rather than twice, the norm's weight and bias once per lane rather than
/// once per row, and the statistics never go through shared memory.
std::string vectorRowStatistics(const GroupEmitter &e, GemmInfo &info, Operation *op, int64_t slot,
                                const std::vector<Value> &leaves, int64_t vec, YieldOp yield,
                                const std::vector<unsigned> &fused, bool panel, bool &halves) {
  Value x = op->getOperand(0);
  auto layerNorm = dyn_cast<LayerNormOp>(op);
  const double eps = layerNorm ? layerNorm.getEps().convertToDouble()
                               : cast<RmsNormOp>(op).getEps().convertToDouble();
  const Value normWeight = layerNorm ? layerNorm.getWeight() : cast<RmsNormOp>(op).getWeight();
  const Value normBias = layerNorm ? layerNorm.getBias() : Value();
  const int64_t k = info.k, pieces = k / vec;
  int64_t lanes = 1;
  while (lanes < 32 && lanes * 4 < pieces)
    lanes *= 2;
  const int64_t per = (pieces + lanes - 1) / lanes;
  const size_t r = GroupEmitter::shape(x).size();
  std::vector<std::string> first = GroupEmitter::indexNames("j", r - 1);
  first.push_back("k");
  std::vector<std::string> each = GroupEmitter::indexNames("j", r - 1);
  each.push_back("k + t");
  halves = e.dtype() != rt::DType::F32 &&
           (llvm::any_of(leaves, [&](Value l) { return e.storageOf(l) == rt::DType::F32; }) ||
            llvm::any_of(fused, [&](unsigned y) {
              return e.storageOf(yield.getValues()[y]) == rt::DType::F32;
            }));
  // One piece (whole) or two halves: the elements, their loads and stores.
  const int64_t run = halves ? vec / 2 : vec;
  const std::string load = halves ? "load8" : "load16", store = halves ? "store8" : "store16";
  // A loop over the lane's runs of the row (a piece, or its two halves):
  // `body(indent)` sees the run's column k and its first element `off` in
  // x[p].
  const auto overRuns = [&](const std::string &in, auto body) {
    std::string loop = fmt::format("#pragma unroll\n{0}for (int p = 0; p < kPer; ++p) {{\n", in);
    if (halves)
      loop += fmt::format("#pragma unroll\n{0}  for (int h = 0; h < 2; ++h) {{\n"
                          "{0}    const int off = h * {1};\n"
                          "{0}    const idx_t k = ((idx_t)(2 * p + h) * kLanes + part) * {1};\n"
                          "{2}{0}  }}\n",
                          in, run, body(in + "    "));
    else
      loop += fmt::format("{0}  constexpr int off = 0;\n"
                          "{0}  const idx_t k = (idx_t)(part + p * kLanes) * {1};\n{2}",
                          in, vec, body(in + "  "));
    return loop + in + "}\n";
  };

  std::string m = fmt::format(
      "    // norm {}: {} over the last axis of {}: {} lane(s) a row, its {} 16-byte pieces in "
      "registers\n",
      slot, layerNorm ? "LayerNorm" : "RMSNorm", e.name(x), lanes, pieces);
  if (!fused.empty())
    m += fmt::format("    // (and result(s) #{}, stored from the same pieces)\n",
                     fmt::join(fused, ", #"));
  if (panel)
    m += "    // (and, with a panel, A = the norm's output at k < K, written to it from the same "
         "registers)\n";
  m += fmt::format("    {{\n      constexpr int kLanes = {}, kPer = {}, kRows = 32 / kLanes;\n"
                   "      const int sub = lane / kLanes, part = lane % kLanes;\n",
                   lanes, per);
  if (!fused.empty())
    m += "      const bool writer = firstN && blockIdx.z == 0;\n";
  if (panel) {
    // The norm's weight (and bias) at the lane's columns: the same in every row.
    m += fmt::format("      float nw[kPer][{0}] = {{}}{1};\n"
                     "      if (ssmc_gemm::kPanel) {{ // {2}{3}, once for every row\n",
                     vec, normBias ? fmt::format(", nb[kPer][{}] = {{}}", vec) : "",
                     e.name(normWeight), normBias ? " and " + e.name(normBias) : "");
    m += overRuns("        ", [&](const std::string &in) {
      std::string body = fmt::format("{0}if (k < {1}) {{\n{0}  {2}({3} + k, nw[p] + off);\n", in, k,
                                     load, *e.pointerName(normWeight));
      if (normBias)
        body += fmt::format("{}  {}({} + k, nb[p] + off);\n", in, load, *e.pointerName(normBias));
      return body + in + "}\n";
    });
    m += "      }\n";
  }
  m += "      for (int first = warp * kRows; first < SSMC_BM;\n"
       "           first += SSMC_WARPS_M * SSMC_WARPS_N * kRows) {\n"
       "        const int r = first + sub;\n        const idx_t m = m0 + r;\n"
       "        const bool live = r < SSMC_BM && m < kGemmM;\n";
  m += e.delinearizePrefix(x, r - 1, "m", "j", "        ");
  m += fmt::format("        float x[kPer][{}];\n#pragma unroll\n"
                   "        for (int p = 0; p < kPer; ++p) {{\n",
                   vec);
  std::string indent = "          ";
  if (halves) {
    m += fmt::format("#pragma unroll\n          for (int h = 0; h < 2; ++h) {{ // halves of {} "
                     "elements, contiguous across the lanes\n"
                     "            float *xh = x[p] + h * {};\n"
                     "            const idx_t k = ((idx_t)(2 * p + h) * kLanes + part) * {};\n",
                     run, run, run);
    indent += "  ";
  } else {
    m += fmt::format("          float *xh = x[p];\n"
                     "          const idx_t k = (idx_t)(part + p * kLanes) * {};\n",
                     vec);
  }
  m += fmt::format("{0}if (!live || k >= {1}) {{\n#pragma unroll\n"
                   "{0}  for (int t = 0; t < {2}; ++t)\n{0}    xh[t] = 0.0f;\n"
                   "{0}  continue;\n{0}}}\n",
                   indent, k, run);
  std::string set;
  for (auto [l, leaf] : llvm::enumerate(leaves)) {
    m += fmt::format("{0}float piece{1}[{2}];\n{0}{3}({4} + {5}, piece{1});\n", indent, l, run,
                     load, *e.pointerName(leaf), e.linear(leaf, first));
    set += fmt::format("{}  c_{} = piece{}[t];\n", indent, e.name(leaf), l);
  }
  for (unsigned y : fused)
    m += fmt::format("{}float r{}[{}];\n", indent, y, run);
  m += fmt::format("{0}vecMode = true;\n#pragma unroll\n"
                   "{0}for (int t = 0; t < {1}; ++t) {{\n{2}{0}  xh[t] = {3};\n",
                   indent, run, set, e.call(x, each));
  for (unsigned y : fused)
    m += fmt::format("{}  r{}[t] = {};\n", indent, y, e.call(yield.getValues()[y], each));
  m += fmt::format("{0}}}\n{0}vecMode = false;\n", indent);
  if (!fused.empty()) {
    m += indent + "if (writer) {\n";
    for (unsigned y : fused)
      m += fmt::format("{}  {}({} + m * {} + k, r{}); // result #{}\n", indent, store,
                       e.outputParam(y), k, y, y);
    m += indent + "}\n";
  }
  if (halves)
    m += "          }\n";
  m += "        }\n";
  const std::string reduce = "        for (int o = kLanes / 2; o > 0; o >>= 1)\n"
                             "          {0} += __shfl_xor_sync(0xffffffffu, {0}, o);\n";
  // `name` = the sum of `term` over the lane's pieces (only those inside
  // the row where `guarded`: padding pieces hold zeros, not x - mean).
  // Element t of piece p's position in the row (padding past the row
  // holds zeros, not x - mean).
  const std::string elementAt =
      halves ? fmt::format("((2 * p + t / {0}) * kLanes + part) * {0} + t % {0}", run)
             : fmt::format("(part + p * kLanes) * {} + t", vec);
  const auto accumulate = [&](const char *name, const std::string &term, bool guarded,
                              const char *comment) {
    return fmt::format("        float {} = 0.0f;{}\n#pragma unroll\n"
                       "        for (int p = 0; p < kPer; ++p)\n#pragma unroll\n"
                       "          for (int t = 0; t < {}; ++t)\n{}            {} += {};\n",
                       name, comment, vec,
                       guarded ? fmt::format("            if ({} < {})\n  ", elementAt, k) : "",
                       name, term);
  };
  if (layerNorm) {
    m += accumulate("sum", "x[p][t]", false, "");
    m += fmt::format(fmt::runtime(reduce), "sum");
    m += fmt::format("        const float mean = sum / (float){};\n", k);
    m += accumulate("sq", "(x[p][t] - mean) * (x[p][t] - mean)", true,
                    " // two passes over the registers: no cancellation");
  } else {
    m += accumulate("sq", "x[p][t] * x[p][t]", false, "");
  }
  m += fmt::format(fmt::runtime(reduce), "sq");
  m += fmt::format("        const float rstd = 1.0f / sqrtf(sq / (float){} + {});\n"
                   "        if (live && part == 0) {{\n          s{}[r] = {};\n"
                   "          s{}[r] = rstd;\n        }}\n",
                   k, floatLiteral(eps), 2 * slot, layerNorm ? "mean" : "0.0f", 2 * slot + 1);
  if (panel) {
    const std::string value = normExpression(bool(layerNorm), "x[p][off + t]", "mean", "rstd",
                                             "nw[p][off + t]", "nb[p][off + t]");
    m += "        if (ssmc_gemm::kPanel && r < SSMC_BM) { // the panel's row r: A(m, k), k < K\n";
    m += overRuns("          ", [&](const std::string &in) {
      return fmt::format("{0}if (k < {1}) {{\n"
                         "{0}  struct alignas({2} * sizeof(ssmc_gemm::TileT)) Run {{\n"
                         "{0}    ssmc_gemm::TileT t[{2}];\n{0}  }} vals;\n"
                         "#pragma unroll\n{0}  for (int t = 0; t < {2}; ++t)\n"
                         "{0}    vals.t[t] = ssmc_gemm::toTile(live ? {3} : 0.0f);\n"
                         "{0}  *reinterpret_cast<Run *>(panel + ssmc_gemm::panelAt(r, k)) = vals;\n"
                         "{0}}}\n",
                         in, k, run, value);
    });
    m += "        }\n";
  }
  m += "      }\n    }\n";
  return m;
}

std::vector<Value> columnWeights(const GemmInfo &info, Value x, const Anchor &a,
                                 const llvm::SetVector<Value> &epiCached);

/// The norm statistics: bindStats(p) points s0.. into shared memory;
/// stats() computes mean and 1/sqrt(var + eps) of the prologue norms per row
/// of the block before the K loop: from 16-byte pieces in registers where
/// the norm's input allows (vectorRowStatistics; `fused` gets the extra
/// results stored on the way), else a warp a row; rowStats() those of the
/// norms of an anchor's output from the C tile (whole rows), after it.
/// `panelNorm` (A is its output): where its statistics come from registers,
/// stats() also writes a panel's A (`panelFromStats`).
std::string statsMethods(const GroupEmitter &e, GemmInfo &info,
                         const llvm::SetVector<Value> &cached,
                         const llvm::SetVector<Value> &epiCached, int64_t vec, YieldOp yield,
                         Operation *panelNorm, std::vector<unsigned> &fused, bool &fromRegisters,
                         bool &statsHalves, bool &panelFromStats) {
  const int64_t stats = info.stats();
  std::string m;
  m += stats ? "\n  __device__ __forceinline__ void bindStats(float *p) {\n"
             : "\n  __device__ __forceinline__ void bindStats(float *) {}\n";
  for (int64_t s = 0; s < stats; ++s)
    m += fmt::format("    s{} = p + {} * SSMC_BM;\n", s, s);
  if (stats)
    m += "  }\n";
  const std::string rows = "for (int r = warp; r < SSMC_BM; r += SSMC_WARPS_M * SSMC_WARPS_N) {\n"
                           "      const idx_t m = m0 + r;\n      if (m >= kGemmM)\n"
                           "        continue;\n";
  m += info.norms.empty()
           ? "  __device__ __forceinline__ void stats(int, int, ssmc_gemm::TileT *) {}\n"
           : "  __device__ __forceinline__ void stats(int warp, int lane, ssmc_gemm::TileT "
             "*panel) {\n";
  llvm::DenseSet<Value> normResults;
  for (Operation *op : info.norms)
    normResults.insert(op->getResult(0));
  for (auto [i, op] : llvm::enumerate(info.norms)) {
    Value x = op->getOperand(0);
    // From registers when x is elementwise over aVec's inputs alone (no
    // other norm: a warp would need rows another warp's statistics cover).
    llvm::DenseMap<Value, bool> memo;
    std::optional<std::vector<Value>> leaves;
    if (!cached.empty() && !info.conv && !GroupEmitter::dependsOn(x, normResults, memo))
      leaves = piecewiseLeaves(x, cached);
    if (leaves && !leaves->empty()) {
      // Extra results of x's shape over the same inputs are stored from the
      // pieces (never in place: x's inputs feed a norm, so the memory plan
      // gives those results buffers of their own).
      std::vector<unsigned> mine;
      for (unsigned y : info.extraYields) {
        Value v = yield.getValues()[y];
        auto l = piecewiseLeaves(v, cached);
        if (e.mayAlias() || llvm::is_contained(fused, y) || !l ||
            GroupEmitter::shape(v) != GroupEmitter::shape(x) ||
            llvm::any_of(*l, [&](Value leaf) { return !llvm::is_contained(*leaves, leaf); }))
          continue;
        mine.push_back(y);
      }
      bool halves = false;
      const bool panel = op == panelNorm;
      m += vectorRowStatistics(e, info, op, int64_t(i), *leaves, vec, yield, mine, panel, halves);
      panelFromStats = panelFromStats || panel;
      statsHalves = statsHalves || halves;
      fromRegisters = true;
      fused.insert(fused.end(), mine.begin(), mine.end());
      continue;
    }
    const size_t r = GroupEmitter::shape(x).size();
    std::vector<std::string> xi = GroupEmitter::indexNames("j", r - 1);
    xi.push_back("k");
    m += fmt::format("    // norm {}: {} over the last axis of {}, one warp per row\n{}    {}", i,
                     isa<LayerNormOp>(op) ? "LayerNorm" : "RMSNorm", e.name(x),
                     heldStatistics(int64_t(i), "    ", Held::Declare), rows);
    m += e.delinearizePrefix(x, r - 1, "m", "j", "      ");
    m += rowStatistics(op, "", e.call(x, xi), "k", e.dim(x, r - 1), info.k, int64_t(i), "      ");
    m += "    }\n" + heldStatistics(int64_t(i), "    ", Held::StoreAfter);
  }
  if (!info.norms.empty())
    m += "  }\n";

  m += info.postNorms.empty()
           ? "  __device__ __forceinline__ void rowStats(int, const float *, int, int, int) {}\n"
           : "  __device__ __forceinline__ void rowStats(int z, const float *tile, int ld, int "
             "warp, int lane) {\n";
  for (auto [i, op] : llvm::enumerate(info.postNorms)) {
    const unsigned j = info.postNormAnchor[i];
    Value x = op->getOperand(0);
    const size_t r = GroupEmitter::shape(x).size();
    std::vector<std::string> xi = GroupEmitter::indexNames("i", r - 1);
    xi.push_back("n");
    m += fmt::format("    // norm {}: {} of linear {}'s output, from the C tile (whole rows)\n"
                     "    if (z == {}) {{\n",
                     info.norms.size() + i, isa<LayerNormOp>(op) ? "LayerNorm" : "RMSNorm", j, j);
    // The norm's input reads per column weights (a bias): each lane's
    // columns are the same in every row, so it loads them once, before the
    // rows, into registers that epilogueVec's e_* stand-ins then carry.
    const std::vector<Value> hoisted = columnWeights(info, x, info.anchors[j], epiCached);
    const int64_t perLane = (info.n + 31) / 32;
    std::string setup = fmt::format("        cur{} = tile[r * ld + n];\n", j);
    if (!hoisted.empty()) {
      std::string names;
      for (Value w : hoisted)
        names += (names.empty() ? "" : ", ") + e.name(w);
      std::string load =
          fmt::format("      // {}: this lane's columns, loaded once for every row\n", names);
      for (Value w : hoisted)
        load += fmt::format("      float k_{}[{}];\n", e.name(w), perLane);
      load += fmt::format("      #pragma unroll\n      for (int q = 0; q < {}; ++q) {{\n"
                          "        const idx_t n = lane + q * 32;\n",
                          perLane);
      for (Value w : hoisted) {
        load += fmt::format("        k_{0}[q] = n < kGemmN ? ::ld({1}[n]) : 0.0f;\n", e.name(w),
                            *e.pointerName(w));
        setup += fmt::format("        e_{0} = k_{0}[q];\n", e.name(w));
      }
      load += "      }\n      epiMode = true; // the rows read e_*\n";
      m += load;
    }
    const int64_t slot = int64_t(info.norms.size() + i);
    m += heldStatistics(slot, "      ", Held::Declare) + "      " + rows;
    m += e.delinearizePrefix(x, r - 1, "m", "i", "      ");
    m += rowStatistics(op, setup, e.call(x, xi), "n", "kGemmN", info.n, slot, "      ");
    m += "      }\n" + heldStatistics(slot, "      ", Held::StoreAfter);
    if (!hoisted.empty())
      m += "      epiMode = false;\n";
    m += "    }\n";
  }
  if (!info.postNorms.empty())
    m += "  }\n";
  return m;
}

/// For a conv anchor: statements splitting the GEMM column k into the tap
/// (ky, kx) and the input channel ci. Channels fastest (k = (ky*KW + kx)*C
/// + ci) makes A's loads walk NHWC's contiguous axis; `weightOrder` keeps
/// the weight's own order (k = (ci*KH + ky)*KW + kx), the reference's
/// summation order, for exact fp32.
std::string splitTap(Conv2dOp conv, bool weightOrder, const std::string &indent) {
  std::vector<int64_t> w = GroupEmitter::shape(conv.getWeight());
  const int64_t c = w[1], kh = w[2], kw = w[3];
  if (weightOrder)
    return fmt::format("{0}const idx_t kx = k % {1}, ky = k / {1} % {2}, ci = k / {3};\n", indent,
                       kw, kh, kh * kw);
  return fmt::format("{0}const idx_t ci = k % {1}, kx = k / {1} % {2}, ky = k / {3};\n", indent, c,
                     kw, c * kw);
}

/// For a conv anchor: statements that place output pixel m's tap k at input
/// (j0, iy, ix, ci), running `outside` when the tap is in the zero padding.
std::string gatherTap(const GroupEmitter &e, const Anchor &a, bool weightOrder,
                      const std::string &outside) {
  Conv2dOp conv = a.conv();
  Value x = a.input();
  std::string m = e.delinearizePrefix(a.result(), 3, "m", "j", "      ");
  m += splitTap(conv, weightOrder, "      ");
  m += fmt::format("      const idx_t iy = j1 * {} - {} + ky, ix = j2 * {} - {} + kx;\n",
                   conv.getStride()[0], conv.getPadding()[0], conv.getStride()[1],
                   conv.getPadding()[1]);
  return m + fmt::format("      if (iy < 0 || iy >= {} || ix < 0 || ix >= {}) {{\n{}      }}\n",
                         e.dim(x, 1), e.dim(x, 2), outside);
}

/// `const T *NAME(int z, idx_t ROW)`: rows[z] (an expression of ROW; empty:
/// no pointer). One linear needs no switch on z, which would leave every
/// copy's address predicated on it.
std::string rowMethod(const std::string &name, const std::string &row,
                      const std::vector<std::string> &rows) {
  if (rows.size() == 1)
    return fmt::format("  __device__ __forceinline__ const T *{}(int, idx_t {}) {{\n"
                       "    return {};\n  }}\n",
                       name, row, rows[0].empty() ? "nullptr" : rows[0]);
  std::string m = fmt::format(
      "  __device__ __forceinline__ const T *{}(int z, idx_t {}) {{\n    switch (z) {{\n", name,
      row);
  for (auto [j, r] : llvm::enumerate(rows))
    if (!r.empty())
      m += fmt::format("    case {}:\n      return {};\n", j, r);
  return m + "    }\n    return nullptr;\n  }\n";
}

/// The prologue a(z, m, k) (anchor z's input at row m; a conv's tap) and
/// the weight b(z, k, n).
std::string operandMethods(const GroupEmitter &e, GemmInfo &info, bool weightOrder) {
  std::string m;
  m += info.conv ? "\n  // The prologue: A[z](m, k), tap k of output pixel m (im2col, zero in the "
                   "padding).\n"
                 : "\n  // The prologue: A[z](m, k), the linear's input at row m.\n";
  m += "  __device__ __forceinline__ float a(int z, idx_t m, idx_t k) {\n    switch (z) {\n";
  for (auto [j, a] : llvm::enumerate(info.anchors)) {
    Value x = a.input();
    m += fmt::format("    case {}: {{\n", j);
    if (a.conv()) {
      m += gatherTap(e, a, weightOrder, "        return 0.0f;\n");
      m += fmt::format("      return {};\n    }}\n", e.call(x, {"j0", "iy", "ix", "ci"}));
      continue;
    }
    const size_t r = GroupEmitter::shape(x).size();
    std::vector<std::string> xi = GroupEmitter::indexNames("j", r - 1);
    xi.push_back("k");
    m += e.delinearizePrefix(x, r - 1, "m", "j", "      ");
    m += fmt::format("      return {};\n    }}\n", e.call(x, xi));
  }
  m += "    }\n    return 0.0f;\n  }\n";
  m += info.conv ? "  // The weight: W[z][n, ci, ky, kx] at tap k.\n"
                 : "  // The weight: W[z][n, k].\n";
  m += "  __device__ __forceinline__ float b(int z, idx_t k, idx_t n) {\n    switch (z) {\n";
  for (auto [j, a] : llvm::enumerate(info.anchors)) {
    if (Conv2dOp conv = a.conv())
      m += fmt::format("    case {}: {{\n{}      return {};\n    }}\n", j,
                       splitTap(conv, weightOrder, "      "),
                       e.call(a.weight(), {"n", "ci", "ky", "kx"}));
    else
      m += fmt::format("    case {}:\n      return {};\n", j, e.call(a.weight(), {"n", "k"}));
  }
  m += "    }\n    return 0.0f;\n  }\n";
  std::vector<std::string> wRows;
  for (const auto &a : info.anchors) {
    const std::string *w = e.pointerName(a.weightRows());
    auto op = a.weightRows().getDefiningOp<WeightOp>();
    auto pitch = op ? op.getRowPitch() : std::nullopt;
    wRows.push_back(!w      ? ""
                    : pitch ? fmt::format("{} + n * {} /* rows padded */", *w, *pitch)
                            : fmt::format("{} + n * kGemmK", *w));
  }
  m += "  // W[z]'s row n, for the 16-byte copies (kGemmBVec, kGemmBShift).\n";
  m += rowMethod("bRow", "n", wRows);

  return m;
}

/// Whether `v` is a view: a reshape or permute (of a group input, where
/// viewLayout says so).
bool isView(Value v) { return isa_and_nonnull<ReshapeOp, PermuteOp>(v.getDefiningOp()); }

/// The permute by which a convolution reads a channels-first group input
/// as channels-last (the stem's NCHW image), or null.
PermuteOp channelsFirstInput(const Anchor &a) {
  auto p = a.input().getDefiningOp<PermuteOp>();
  if (p && isa<BlockArgument>(p.getInput()) &&
      llvm::equal(p.getPerm(), llvm::ArrayRef<int64_t>{0, 2, 3, 1}))
    return p;
  return PermuteOp();
}

/// One mixed-radix digit of an axis of a view: `extent` values, `stride`
/// elements apart in the group input the view reads.
struct Digit {
  int64_t extent, stride;
};
/// Each axis of a view as its digits, most significant first.
using ViewLayout = std::vector<std::vector<Digit>>;

/// The layout of `v` over the group input it reads, where v is that input
/// through reshapes and permutes only (Vim's patch embedding: the NCHW
/// image as [B, 14, 14, 3 * 16 * 16]); std::nullopt otherwise, or where a
/// reshape splits a digit unevenly.
std::optional<std::pair<Value, ViewLayout>> viewLayout(Value v) {
  const std::vector<int64_t> shape = GroupEmitter::shape(v);
  if (isa<BlockArgument>(v)) {
    ViewLayout layout(shape.size());
    int64_t stride = 1;
    for (size_t a = shape.size(); a-- > 0;) {
      layout[a] = {{shape[a], stride}};
      stride *= shape[a];
    }
    return std::make_pair(v, layout);
  }
  if (auto p = v.getDefiningOp<PermuteOp>()) {
    auto in = viewLayout(p.getInput());
    if (!in)
      return std::nullopt;
    ViewLayout layout;
    for (int64_t axis : p.getPerm())
      layout.push_back(in->second[size_t(axis)]);
    return std::make_pair(in->first, layout);
  }
  if (auto r = v.getDefiningOp<ReshapeOp>()) {
    auto in = viewLayout(r.getInput());
    if (!in)
      return std::nullopt;
    std::vector<Digit> flat; // row-major: least significant last
    for (const std::vector<Digit> &axis : in->second)
      flat.insert(flat.end(), axis.begin(), axis.end());
    ViewLayout layout(shape.size());
    size_t next = 0;
    for (size_t a = 0; a < shape.size(); ++a) {
      int64_t left = shape[a];
      while (left > 1) {
        while (next < flat.size() && flat[next].extent == 1)
          ++next;
        if (next == flat.size())
          return std::nullopt;
        Digit &d = flat[next];
        if (d.extent <= left) {
          if (left % d.extent)
            return std::nullopt;
          layout[a].push_back(d);
          left /= d.extent;
          ++next;
        } else {
          if (d.extent % left)
            return std::nullopt;
          // Split: the axis takes the digit's high part; its low part stays.
          layout[a].push_back({left, d.stride * (d.extent / left)});
          d.extent /= left;
          left = 1;
        }
      }
    }
    return std::make_pair(in->first, layout);
  }
  return std::nullopt;
}

/// The offset in its group input of a view's element at `idx` (one index
/// per axis), when the view reads that input `vec` elements at a time along
/// its last axis: the last axis's least significant digit contiguous
/// (stride 1) in runs of whole pieces, every other digit a multiple of
/// `vec` apart, so a piece at a multiple of `vec` never straddles a run
/// and starts aligned. std::nullopt when it does not.
std::optional<std::string> viewPieceOffset(Value view, int64_t vec,
                                           const std::vector<std::string> &idx) {
  auto layout = viewLayout(view);
  if (!layout || isa<BlockArgument>(view))
    return std::nullopt;
  const ViewLayout &l = layout->second;
  if (l.empty() || l.back().empty() || l.back().back().stride != 1 ||
      l.back().back().extent % vec != 0)
    return std::nullopt;
  std::vector<std::string> terms;
  for (size_t a = 0; a < l.size(); ++a) {
    int64_t below = 1;
    for (size_t d = l[a].size(); d-- > 0;) {
      const Digit digit = l[a][d];
      const bool fastest = a + 1 == l.size() && d + 1 == l[a].size();
      if (!fastest && digit.stride % vec != 0)
        return std::nullopt;
      std::string v = below == 1 ? idx[a] : fmt::format("{} / {}", idx[a], below);
      if (d > 0)
        v = fmt::format("({}) % {}", v, digit.extent);
      terms.push_back(digit.stride == 1 ? fmt::format("({})", v)
                                        : fmt::format("({}) * {}", v, digit.stride));
      below *= digit.extent;
    }
  }
  return fmt::format("{}", fmt::join(terms, " + "));
}

/// The group inputs anchor `a`'s prologue reads at A's own element (the
/// type of the anchor's input, so the same index), when every value between
/// them and the anchor's input is same-shape elementwise or a prologue norm
/// (weights are read as they are): then A(m, k..k+V-1) can gather those
/// inputs 16 bytes at a time and evaluate the prologue from registers.
std::optional<std::vector<Value>> vectorLeaves(const GemmInfo &info, const Anchor &a) {
  Value x = a.input();
  // A group input through reshapes and permutes (viewPieceOffset decides
  // whether its pieces are contiguous).
  if (isView(x) && !a.conv() && info.norms.empty())
    if (auto view = viewLayout(x))
      return std::vector<Value>{view->first};
  std::vector<Value> leaves, work{x};
  llvm::DenseSet<Value> seen{x};
  while (!work.empty()) {
    Value v = work.back();
    work.pop_back();
    if (isa<BlockArgument>(v)) {
      if (v.getType() != x.getType())
        return std::nullopt;
      leaves.push_back(v);
      continue;
    }
    Operation *op = v.getDefiningOp();
    if (isa<WeightOp>(op))
      continue;
    const bool norm = llvm::is_contained(info.norms, op);
    if ((!isElementwiseOp(op) && !norm) || v.getType() != x.getType())
      return std::nullopt;
    for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
      if (norm && i > 0) {
        // A norm's weight and bias: [K] weights are read 16 bytes at a time
        // too (along k, as A's rows are); others as they are.
        auto w = operand.getDefiningOp<WeightOp>();
        if (!a.conv() && w && !w.getStoredAs() &&
            GroupEmitter::shape(operand) == std::vector<int64_t>{info.k} &&
            seen.insert(operand).second)
          leaves.push_back(operand);
        continue;
      }
      if (seen.insert(operand).second)
        work.push_back(operand);
    }
  }
  return leaves;
}

/// Statements loading row m's statistics s<first>..s<end - 1> into q* once
/// for all of a piece's values (rowMode); none where the range is empty.
std::string rowStatisticsOnce(int64_t first, int64_t end, const std::string &indent) {
  if (first >= end)
    return "";
  std::string m = indent + "rowMode = true; // the row's statistics, once for the piece\n";
  for (int64_t s = first; s < end; ++s)
    m += fmt::format("{}q{} = s{}[m - m0];\n", indent, s, s);
  return m;
}

/// aVec(z, m, k, v): A(m, k..k+V-1) with the inputs of vectorLeaves loaded
/// 16 bytes each (the index functions of those inputs read the loaded
/// registers while vecMode is set); empty when `leaves` is.
std::string vectorOperandMethod(const GroupEmitter &e, GemmInfo &info,
                                const std::vector<std::vector<Value>> &leaves, bool weightOrder,
                                int64_t vec) {
  if (leaves.empty())
    return "  __device__ __forceinline__ void aVec(int, idx_t, idx_t, float *) {}\n";
  // `vec` values a call: 16 bytes of T, or 8 (halves of pieces, kGemmAVecElems).
  const std::string load =
      vec * int64_t(e.dtype() == rt::DType::F32 ? 4 : 2) == 16 ? "load16" : "load8";
  std::string m = fmt::format("  // A(m, k..k+{0}-1): the prologue's inputs {0} values at a "
                              "time.\n",
                              vec);
  m += "  __device__ __forceinline__ void aVec(int z, idx_t m, idx_t k, float *v) {\n"
       "    switch (z) {\n";
  for (auto [j, a] : llvm::enumerate(info.anchors)) {
    Value x = a.input();
    const size_t r = GroupEmitter::shape(x).size();
    std::vector<std::string> at = GroupEmitter::indexNames("j", r - 1);
    m += fmt::format("    case {}: {{\n", j);
    std::string last = "k";
    if (a.conv()) {
      m += gatherTap(e, a, weightOrder,
                     fmt::format("        for (int t = 0; t < {}; ++t)\n          v[t] = 0.0f;\n"
                                 "        return;\n",
                                 vec));
      at = {"j0", "iy", "ix"};
      last = "ci";
    } else {
      m += e.delinearizePrefix(x, r - 1, "m", "j", "      ");
    }
    std::vector<std::string> first = at;
    first.push_back(last);
    std::string set;
    for (auto [l, leaf] : llvm::enumerate(leaves[j])) {
      // A [K] weight (a norm's) is indexed by k alone; a view of a group
      // input (reshapes and permutes) at the offset its layout gives.
      const bool row = GroupEmitter::shape(leaf).size() == 1 && first.size() > 1;
      std::string offset = e.linear(leaf, row ? std::vector<std::string>{last} : first);
      if (auto viewed = isView(x) && !a.conv() ? viewPieceOffset(x, vec, first) : std::nullopt)
        offset = *viewed;
      m += fmt::format("      float piece{}[{}];\n      {}({} + {}, piece{});\n", l, vec, load,
                       *e.pointerName(leaf), offset, l);
      set += fmt::format("        c_{} = piece{}[t];\n", e.name(leaf), l);
    }
    std::vector<std::string> each = at;
    each.push_back("kv + t");
    m += rowStatisticsOnce(0, 2 * int64_t(info.norms.size()), "      ");
    m += fmt::format("      vecMode = true;\n      kv = {};\n"
                     "#pragma unroll\n      for (int t = 0; t < {}; ++t) {{\n{}"
                     "        v[t] = {};\n      }}\n      vecMode = false;\n{}      return;\n"
                     "    }}\n",
                     last, vec, set, e.call(x, each),
                     info.norms.empty() ? "" : "      rowMode = false;\n");
  }
  m += "    }\n  }\n";
  return m;
}

/// epilogue(z, m, n, acc): every result anchor z feeds at (m, n), computed
/// before any is stored; extra(first, stride): the results no anchor feeds.
/// What an epilogue result reads, where 16-byte pieces can carry it: group
/// inputs of the output's shape (read at (m, n..n+V-1), contiguous) and [N]
/// weights (a bias, a post-norm's weight: read at n..n+V-1). None when the
/// result also reads anything else.
std::optional<std::vector<Value>> epilogueLeaves(const GemmInfo &info, Value result,
                                                 const Anchor &a) {
  const Value anchor = a.result();
  const std::vector<int64_t> outShape = GroupEmitter::shape(anchor);
  auto rowWeight = [&](Value v) {
    auto w = v.getDefiningOp<WeightOp>();
    return w && !w.getStoredAs() && GroupEmitter::shape(v) == std::vector<int64_t>{info.n};
  };
  std::vector<Value> leaves, work{result};
  llvm::DenseSet<Value> seen{result};
  auto push = [&](Value v) {
    if (seen.insert(v).second)
      work.push_back(v);
  };
  while (!work.empty()) {
    Value v = work.back();
    work.pop_back();
    if (v == anchor) {
      if (Value bias = a.bias()) {
        if (!rowWeight(bias))
          return std::nullopt;
        if (seen.insert(bias).second)
          leaves.push_back(bias);
      }
      continue;
    }
    if (isa<BlockArgument>(v)) {
      if (GroupEmitter::shape(v) != outShape)
        return std::nullopt;
      leaves.push_back(v);
      continue;
    }
    Operation *op = v.getDefiningOp();
    if (rowWeight(v)) {
      leaves.push_back(v);
      continue;
    }
    const bool postNorm = llvm::is_contained(info.postNorms, op);
    if ((!isElementwiseOp(op) && !postNorm) || GroupEmitter::shape(v) != outShape)
      return std::nullopt;
    for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
      if (postNorm && i > 0) { // the norm's weight and bias
        if (!rowWeight(operand))
          return std::nullopt;
        if (seen.insert(operand).second)
          leaves.push_back(operand);
        continue;
      }
      if (GroupEmitter::shape(operand) == outShape || operand == anchor)
        push(operand);
      else if (rowWeight(operand) && seen.insert(operand).second)
        leaves.push_back(operand);
      else if (!rowWeight(operand))
        return std::nullopt;
    }
  }
  return leaves;
}

/// The [N] weights a post-norm's input `x` reads that rowStats can load once
/// per lane instead of once per row: those with an e_* stand-in
/// (`epiCached`), where nothing else that x reads has one (epiMode would
/// stand in for it too) and the row fits the registers (whole rows of at
/// most 24 values a lane).
std::vector<Value> columnWeights(const GemmInfo &info, Value x, const Anchor &a,
                                 const llvm::SetVector<Value> &epiCached) {
  if (epiCached.empty() || GroupEmitter::shape(x).size() < 2 ||
      (info.n + 31) / 32 > kMaxRowValuesPerLane)
    return {};
  auto leaves = epilogueLeaves(info, x, a);
  if (!leaves)
    return {};
  std::vector<Value> weights;
  for (Value v : *leaves) {
    if (!epiCached.contains(v))
      continue;
    if (!v.getDefiningOp<WeightOp>())
      return {};
    weights.push_back(v);
  }
  return weights;
}

/// epilogueVec(z, m, n, acc): the epilogue at (m, n..n+V-1), V = `bytes`
/// (16, 8 or 4) of T: every input it reads loaded `bytes` at a time, every
/// result stored so (kGemmEpiVec = V).
std::string vectorEpilogueMethod(const GroupEmitter &e, GemmInfo &info, YieldOp yield,
                                 const std::vector<std::vector<Value>> &leaves, int64_t bytes,
                                 int64_t vec) {
  if (!bytes)
    return "  __device__ __forceinline__ void epilogueVec(int, idx_t, idx_t, const float *) {}\n";
  std::string m = fmt::format("  // The epilogue at (m, n..n+V-1), V = {0} bytes of T: its inputs "
                              "and results {0} bytes at a time.\n"
                              "  __device__ __forceinline__ void epilogueVec(int z, idx_t m, "
                              "idx_t n, const float *acc) {{\n    switch (z) {{\n",
                              bytes);
  for (auto [j, a] : llvm::enumerate(info.anchors)) {
    m += fmt::format("    case {}: {{\n", j);
    Value out = a.result();
    const size_t r = GroupEmitter::shape(out).size();
    if (info.epilogueYields[j].empty()) {
      m += "      break;\n    }\n";
      continue;
    }
    m += e.delinearizePrefix(out, r - 1, "m", "i", "      ");
    std::vector<std::string> first = GroupEmitter::indexNames("i", r - 1);
    first.push_back("n");
    std::string set;
    for (auto [l, leaf] : llvm::enumerate(leaves[j])) {
      const bool row = GroupEmitter::shape(leaf).size() == 1 && r > 1;
      m += fmt::format("      float piece{}[{}];\n      load{}({} + {}, piece{});\n", l, vec, bytes,
                       *e.pointerName(leaf), row ? std::string("n") : e.linear(leaf, first), l);
      set += fmt::format("        e_{} = piece{}[t];\n", e.name(leaf), l);
    }
    for (unsigned y : info.epilogueYields[j])
      m += fmt::format("      float r{}[{}];\n", y, vec);
    std::vector<std::string> each = GroupEmitter::indexNames("i", r - 1);
    each.push_back("n + t");
    // The statistics of the norms of this anchor's output.
    bool reads = false;
    for (auto [i, anchor] : llvm::enumerate(info.postNormAnchor))
      if (anchor == j) {
        const int64_t slot = 2 * int64_t(info.norms.size() + i);
        m += rowStatisticsOnce(slot, slot + 2, "      ");
        reads = true;
      }
    m += fmt::format("      epiMode = true;\n#pragma unroll\n      for (int t = 0; t < {}; ++t) {{\n"
                     "        cur{} = acc[t];\n{}",
                     vec, j, set);
    for (unsigned y : info.epilogueYields[j])
      m += fmt::format("        r{}[t] = {};\n", y, e.call(yield.getValues()[y], each));
    m += "      }\n      epiMode = false;\n";
    if (reads)
      m += "      rowMode = false;\n";
    for (unsigned y : info.epilogueYields[j])
      m += fmt::format("      store{}({} + m * kGemmN + n, r{}); // result #{}\n", bytes,
                       e.outputParam(y), y, y);
    m += "      break;\n    }\n";
  }
  m += "    }\n  }\n";
  return m;
}

std::string resultMethods(const GroupEmitter &e, GemmInfo &info, YieldOp yield,
                          const std::vector<unsigned> &fused) {
  std::string m;
  m += "\n  // The epilogue: every result of linear z at (m, n), computed before any is stored.\n";
  m += "  __device__ __forceinline__ void epilogue(int z, idx_t m, idx_t n, float acc) {\n"
       "    switch (z) {\n";
  for (auto [j, a] : llvm::enumerate(info.anchors)) {
    m += fmt::format("    case {}: {{\n      cur{} = acc;\n", j, j);
    Value out = a.result();
    const size_t r = GroupEmitter::shape(out).size();
    if (!info.epilogueYields[j].empty())
      m += e.delinearizePrefix(out, r - 1, "m", "i", "      ");
    std::vector<std::string> idx = GroupEmitter::indexNames("i", r - 1);
    idx.push_back("n");
    for (unsigned y : info.epilogueYields[j])
      m += fmt::format("      const float r{} = {};\n", y, e.call(yield.getValues()[y], idx));
    for (unsigned y : info.epilogueYields[j])
      m += fmt::format("      {}[m * kGemmN + n] = {}; // result #{}\n", e.outputParam(y),
                       e.storeValue(y, fmt::format("r{}", y)), y);
    m += "      break;\n    }\n";
  }
  m += "    }\n  }\n";

  std::vector<unsigned> rest;
  for (unsigned y : info.extraYields)
    if (!llvm::is_contained(fused, y))
      rest.push_back(y);
  m += rest.empty() ? "  __device__ __forceinline__ void extra(idx_t, idx_t) {}\n"
                    : "  // Results that read no linear.\n"
                      "  __device__ __forceinline__ void extra(idx_t first, idx_t stride) {\n";
  if (!rest.empty())
    m += e.plainResultLoops(yield.getValues(), rest, "", "    ") + "  }\n";

  return m;
}

/// The registers a thread of tile `t` takes, about: 8 fp32 accumulators a
/// lane for each 16 x 16 fragment of its warp, and 120 for the rest (a
/// convolution's gather and a row norm take about that: 16 fragments
/// compile to 242-248).
int64_t tileRegisters(const Tile &t) { return (t.bm / t.wm / 16) * (t.bn / t.wn / 16) * 8 + 120; }

/// The blocks of `threads` threads and `smem` bytes one SM holds at once:
/// by shared memory (an SM has the per-block limit plus 1 KiB, and each
/// block reserves 1 KiB), and by `registers` a thread (by default the most
/// a thread may take: the GEMMs take 160-240).
int64_t residentBlocks(int64_t threads, int64_t smem, int64_t limit, int64_t registers = 256) {
  const int64_t bySmem = (limit + 1024) / (smem + 1024);
  const int64_t byRegisters = 65536 / (threads * registers);
  return std::max<int64_t>(1, std::min(bySmem, byRegisters));
}

/// The busiest SM's cycles for tile `t`, as the performance model counts
/// them (perf/Model.cpp): per 16 of K, the L1's lines and wavefronts for
/// A's and W's rows copied in (one of each per 128 bytes), each warp's
/// fragments by ldmatrix (its rows and columns, 32 bytes each) and the C
/// tile's trip through shared memory to the epilogue, spread over K;
/// against mma.sync's rate; times the blocks an SM does and the last
/// wave's quantization. Every block reads the W rows of its N tile, so BM
/// decides how often W is read, and the warp tile ldmatrix's traffic per
/// MMA (a 64 x 64 warp tile reads a third of what a 16 x 32 one does).
double tileCycles(const GemmInfo &info, Staging st, const Tile &t, int64_t limit, int64_t sms) {
  const int64_t elem = st.mode == kMma16 ? 2 : 4;
  // K in steps of 16 (a tap row a step where A is read along the input's
  // rows: each padded to BK).
  const double steps =
      st.spanRowK ? double(info.k / st.spanRowK * t.bk / 16) : double((info.k + 15) / 16);
  // mma.sync's 16-bit rate on an H100 SM a clock (2/3 of wgmma's 4096);
  // only its ratio to the L1's one wavefront a clock matters.
  const double mmaFlopsPerClock = st.mode == kMma16 ? 2730.0 : 1365.0;
  const double perStep = double(t.bm * 16) * (info.aInputBytes * st.spanLoads + elem) / 128 +
                         2.0 * double(t.bn * 16 * elem) / 128 +
                         double(t.wm * t.wn * (t.bm / t.wm + t.bn / t.wn) * 32) / 128 +
                         2.0 * double(t.bm * t.bn * 4) / 128 / steps;
  const double mma = double(t.bm * t.bn * 32) / mmaFlopsPerClock;
  const double blocks = double((info.m + t.bm - 1) / t.bm) * double((info.n + t.bn - 1) / t.bn);
  const int64_t resident = residentBlocks(t.wm * t.wn * 32, smemBytes(t, st, info.stats(), info.k),
                                          limit, tileRegisters(t));
  const double tail = rt::lastWaveFactor(blocks, double(sms), double(resident));
  return tail * blocks / double(std::min<int64_t>(sms, int64_t(blocks))) * steps *
         std::max(perStep, mma);
}

/// Whether each thread of `t` has the registers its warp's fragments need
/// (65536 / threads, at most 255): else ptxas spills.
bool registersFit(const Tile &t) {
  const int64_t threads = t.threads();
  return tileRegisters(t) <= std::min<int64_t>(255, 65536 / threads / 8 * 8);
}

/// Tiles whose rows are whole (BN >= N, one tile column), for the norms of
/// an anchor's output, ranked by tileCycles: every block reads all of W.
/// Each warp holds at most 16 fragments of 16 x 16 (8 along N).
std::vector<Tile> wholeRowTiles(const GemmInfo &info, Staging st, int64_t limit, int64_t sms) {
  struct Ranked {
    Tile t;
    double cost;
  };
  std::vector<Ranked> ranked;
  // BK as stepK says; halved while no tile fits (a target of less shared
  // memory: W's whole rows of 384 at BK 64 take 96 KiB in two stages).
  // A tap row a step (kGemmASpan): BK is the row's, or no tile.
  for (int64_t bk = stepK(info, st);
       ranked.empty() && bk >= 16 && (!st.spanRowK || bk == stepK(info, st)); bk /= 2)
    for (int64_t bm : {16, 32, 64, 128, 256})
      for (int64_t wn = 1; wn <= 16; ++wn)
        for (int64_t wm : {1, 2, 4}) {
          const int64_t bn = (info.n + 16 * wn - 1) / (16 * wn) * (16 * wn);
          const int64_t fragN = bn / wn / 16, fragM = bm / wm / 16;
          Tile t{bm, bn, bk, wm, wn};
          if (bm % (16 * wm) != 0 || fragN > 8 || fragM * fragN > 16 || wm * wn * 32 > 1024 ||
              !registersFit(t) || smemBytes(t, st, info.stats(), info.k) > limit ||
              (bm > 16 && bm / 2 >= info.m))
            continue;
          ranked.push_back({t, tileCycles(info, st, t, limit, sms)});
        }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const Ranked &a, const Ranked &b) { return a.cost < b.cost; });
  // tileCycles counts throughput. A grid of one wave or less (a batch-1
  // stem: 98 blocks of 32 rows) is bound by latency instead, which one warp
  // a block cannot hide: there tiles of several warps lead (modeled H100,
  // mambaout_tiny's stem conv + LayerNorm at batch 1: 6.22 us with one warp,
  // 4.13 with two; mambaout_base's one warp of 32 x 128 also spilled).
  std::stable_partition(ranked.begin(), ranked.end(), [&](const Ranked &r) {
    return r.t.threads() > 32 || (info.m + r.t.bm - 1) / r.t.bm > sms;
  });
  std::vector<Tile> tiles;
  for (const Ranked &r : ranked)
    if (tiles.size() < 8) // the best few: each is a kernel the tuner builds
      tiles.push_back(r.t);
  return tiles;
}

/// A panel's blocks (SSMC_PANEL) and their cost, the larger of two counts in
/// bytes per 16 of K. The busiest SM's shared memory: each block stages its
/// panel and takes the rows' statistics from it (twice the panel's bytes),
/// and for each of its N tiles copies W's rows in and loads every warp's
/// fragments with ldmatrix; as the performance model counts it
/// (perf/Model.h), an SM's resident blocks share its pipes and the busiest
/// SM does the whole waves' blocks or one block more than the average,
/// whichever is more. And an SM's share of the L2's traffic, each part
/// reading its panel's inputs and its N tiles of W and writing its tiles
/// of C (2 bytes an element, spread over K's steps), weighted 3x (the L2
/// moves about a third of what the SMs' shared memory does a clock: 9.4
/// TB/s against 132 x 128 B x 1.83 GHz on an H100).
/// One panel a block can leave SMs idle: 196 panels of 128 rows, one a SM,
/// are two waves on 132 SMs for 1.48 waves of work; two blocks a panel make
/// that three waves for 2.97. Where the panel's inputs weigh as much as its
/// part of W (vim_tiny's in_proj: K = 192, fp32 residual), reading them
/// twice costs the L2 more than the waves gain.
struct PanelChoice {
  int64_t parts = 1;
  double cost = 0;
};
PanelChoice choosePanelParts(const GemmInfo &info, const Tile &t, int64_t smem, int64_t limit,
                             int64_t sms, int64_t minBlocks = 0) {
  const int64_t mTiles = (info.m + t.bm - 1) / t.bm, nTiles = (info.n + t.bn - 1) / t.bn;
  const int64_t resident = residentBlocks(32 * t.wm * t.wn, smem, limit);
  const double panel = 2.0 * t.bm * 32;
  const double tile = t.bn * 32 + t.wm * t.wn * (t.bm / t.wm + t.bn / t.wn) * 32;
  PanelChoice best;
  // At least two N tiles a part: the rows' statistics are never taken per
  // N tile. Up to 16 parts: mambaout_base's stage-3 LayerNorm + fc1s at
  // batch 8 (1568 rows, 22 N tiles of 128) fill a wave with 13 panels of
  // 128 rows in 10 parts; at most 8 parts left only panels of 64 rows,
  // whose warp tiles load twice the fragments per MMA (modeled H100: 21.2
  // -> 12.7 us each).
  const int64_t most = std::max<int64_t>(1, std::min<int64_t>(nTiles / 2, 16));
  for (int64_t p = 1; p <= most; ++p) {
    // Parts that make fewer than `minBlocks` blocks only where none make more.
    if (mTiles * p < minBlocks && mTiles * most >= minBlocks)
      continue;
    const double blocks = double(mTiles * p), perSm = blocks / std::min(blocks, double(sms));
    const double tail = rt::lastWaveFactor(blocks, double(sms), double(resident));
    const double tilesPerBlock = double((nTiles + p - 1) / p);
    const double shared = perSm * tail * (tilesPerBlock * tile + panel);
    const double steps = double((info.k + 15) / 16);
    const double l2 = 3.0 * blocks / double(sms) *
                      (double(t.bm * 16 * info.aInputBytes) + tilesPerBlock * double(t.bn * 32) +
                       tilesPerBlock * double(t.bm * t.bn * 2) / steps);
    const double cost = std::max(shared, l2);
    if (best.cost == 0 || cost < best.cost)
      best = {p, cost};
  }
  return best;
}

/// Every valid tile configuration, the default first; empty when none fits
/// `limit` bytes of shared memory. `sms`: the target's SMs, for the waves.
std::vector<Tile> gemmTiles(const GemmInfo &info, Staging st, int64_t limit, int64_t sms) {
  const Mode mode = st.mode;
  if (info.wholeRows())
    return wholeRowTiles(info, st, limit, sms);
  const int64_t stats = info.stats();
  std::vector<Tile> tiles;
  const int64_t capM = std::max<int64_t>(32, pow2AtLeast(info.m));
  const int64_t capN = std::max<int64_t>(32, pow2AtLeast(info.n));
  const int64_t capK = std::max<int64_t>(16, pow2AtLeast(info.k));
  const int64_t bk = stepK(info, st);
  Tile def{info.m >= 64 ? 64 : 32, info.n >= 64 ? 64 : 32, bk, 1, 1};
  def.wm = def.bm / 32;
  def.wn = def.bn / 32;
  auto valid = [&](const Tile &t) {
    return t.bm % (16 * t.wm) == 0 && t.bn % (16 * t.wn) == 0 && t.threads() <= 1024 &&
           smemBytes(t, st, stats, info.k) <= limit;
  };
  // On tensor cores (mma.sync), where N allows, wide tiles: 2 x 2 warps of
  // up to 64 x 64 halve ldmatrix's shared-memory traffic per MMA against
  // 32 x 32. BN is the widest of 128, 96, 64 that pads N at most N / 16
  // more than the one that pads it least (the fewer ldmatrix per MMA are
  // worth a few wasted columns); BM 128 where that still gives 256 blocks,
  // else 64.
  int64_t wideBn = 0;
  if (mode == kMma16 && info.n >= 64) {
    auto padded = [&](int64_t bn) { return (info.n + bn - 1) / bn * bn; };
    const int64_t least = std::min({padded(128), padded(96), padded(64)});
    for (int64_t bn : {128, 96, 64})
      if (!wideBn && padded(bn) - least <= info.n / 16)
        wideBn = bn;
  }
  auto wide = [&](int64_t bm, int64_t panel) {
    return Tile{bm, wideBn, bk, bm >= 64 ? 2 : 1, 2, panel}; // 32 rows: 1 x 2 warps of 32 x BN/2
  };
  auto blocks = [&](const Tile &t) {
    return (info.m + t.bm - 1) / t.bm * (t.panel ? t.panel : (info.n + t.bn - 1) / t.bn);
  };
  // Without a panel: the wide tiles (warp tiles of 32 or 64 rows and 32,
  // 48 or 64 columns, at most 8 warps) ranked by tileCycles, which weighs
  // ldmatrix's traffic per MMA against the waves: fc2 of MambaOut's third
  // stage (N = 384) is 588 tiles of 128 x 128, 2.2 waves of two blocks an
  // SM, but 392 of 128 x 192, three full waves of one. The best is the
  // default; the next three go to the tuner. Only grids of a wave or more.
  std::vector<Tile> ranked;
  if (wideBn && info.norms.empty()) {
    std::vector<std::pair<double, Tile>> costs;
    for (int64_t bm : {64, 128, 256})
      for (int64_t bn : {64, 96, 128, 192, 256})
        for (int64_t wm : {1, 2, 4})
          for (int64_t wn : {1, 2, 3, 4}) {
            const Tile t{bm, bn, bk, wm, wn};
            const int64_t rows = bm / wm, cols = bn / wn;
            if (bm % wm || bn % wn || (rows != 32 && rows != 64) ||
                (cols != 32 && cols != 48 && cols != 64) || wm * wn > 8 || bm / 2 >= info.m ||
                bn / 2 >= info.n || !registersFit(t) || !valid(t) || blocks(t) < sms)
              continue;
            costs.push_back({tileCycles(info, st, t, limit, sms), t});
          }
    std::stable_sort(costs.begin(), costs.end(),
                     [](const auto &a, const auto &b) { return a.first < b.first; });
    for (const auto &c : costs)
      if (ranked.size() < 4)
        ranked.push_back(c.second);
    if (!ranked.empty())
      def = ranked.front();
  }
  // Grids smaller than the SMs (a classifier head) are latency-bound: more
  // warps a block, not bigger warp tiles.
  if (wideBn && ranked.empty())
    for (int64_t bm : {128, 64})
      if (Tile t = wide(bm, false); valid(t) && blocks(t) >= 256) {
        def = t;
        break;
      }
  // A grid that leaves SMs idle (a classifier head: 128 rows) takes the
  // smallest tiles, 32 x 32 of 2 x 2 warps, where they still make at most
  // a wave: four times the blocks, each with as many warps to keep loads
  // in flight (Vim-small's head 11.0 -> 4.3 us modeled).
  if (ranked.empty() && blocks(def) < sms)
    if (Tile t{32, 32, bk, 2, 2}; valid(t) && blocks(t) > blocks(def) && blocks(t) <= sms)
      def = t;
  // Where even those leave half the SMs idle (mambaout_tiny's last
  // downsampling conv and fc2s at batch 1: 36 blocks, K = 3456 and 1536),
  // sliced K: 2 to 8 warps a warp tile, each with its share of every
  // stage's columns, so a block has that many times the loads in flight
  // (modeled H100: the fc2s 6.05 -> 5.36 us at 2 x 2 x 2 warps, the conv
  // 9.97 -> 9.47 at 1 x 1 x 4). The default slices K 2 ways; the unsliced
  // tile and the others go to the tuner. Not for bigger tiles: 39 blocks
  // of 64 x 64 do better as 78 of 64 x 32 than sliced.
  std::vector<Tile> sliced;
  if (mode == kMma16 && info.norms.empty() && stats == 0 && def.bm == 32 && def.bn == 32 &&
      blocks(def) * 2 <= sms) {
    struct Shape {
      int64_t bk, wm, wn, wk;
    };
    // One warp's tile of the whole block tile (1 x 1) reads each operand
    // once a K step by ldmatrix rather than once per warp row or column.
    std::vector<Shape> shapes = {{def.bk, def.wm, def.wn, 2},
                                 {def.bk, def.wm, def.wn, 4},
                                 {def.bk, 1, 1, 4},
                                 {def.bk, 1, 1, 8}};
    if (!st.spanRowK && def.bk * 2 <= capK) // BK is a tap row's where A is read along rows
      shapes.push_back({def.bk * 2, def.wm, def.wn, 4});
    for (const Shape &sh : shapes) {
      Tile t{def.bm, def.bn, sh.bk, sh.wm, sh.wn};
      t.wk = sh.wk;
      if (sh.bk % (16 * sh.wk) == 0 && (info.k + sh.bk - 1) / sh.bk >= 4 && valid(t) &&
          registersFit(t))
        sliced.push_back(t);
    }
    if (!sliced.empty()) {
      sliced.push_back(def);
      def = sliced.front();
    }
  }
  // With prologue norms, panels first: each row's statistics and norm once
  // per kernel. The default: the most rows per block that still give 256
  // blocks and leave room for two blocks per SM; wide where the tensor
  // cores allow and the panel still gives 128 blocks.
  if (!info.norms.empty()) {
    const int64_t bn = info.n >= 64 ? 64 : 32;
    std::vector<Tile> panels;
    // Wide: the rows a panel and blocks a panel that cost least
    // (choosePanelParts) among those that make 128 blocks.
    std::optional<Tile> widePanel;
    double widest = 0;
    if (wideBn)
      for (int64_t bm : {128, 64, 32})
        if (Tile t = wide(bm, 1); valid(t)) {
          const PanelChoice c =
              choosePanelParts(info, t, smemBytes(t, st, stats, info.k), limit, sms, 128);
          t.panel = c.parts;
          if (blocks(t) < 128)
            continue;
          if (!widePanel || c.cost < widest) {
            widePanel = t;
            widest = c.cost;
          }
        }
    if (widePanel)
      panels.push_back(*widePanel);
    for (int64_t bm : {128, 64, 32})
      for (int64_t pbn : {bn, int64_t(128)}) {
        // At least four warps (2 x 2 for 32 rows), fragments of 32x32 per warp above.
        Tile t{bm, pbn, bk, std::max<int64_t>(2, bm / 32), pbn / 32, 1};
        if ((pbn == 128 && info.n <= 64) || (bm > 32 && bm > capM) || !valid(t) ||
            (!panels.empty() && pbn == 128 && bn == 128) || llvm::is_contained(panels, t))
          continue;
        panels.push_back(t);
      }
    if (panels.empty() || !(wideBn && panels.front().bn == wideBn)) {
      auto best = llvm::find_if(panels, [&](const Tile &t) {
        return t.bn == bn && (blocks(t) >= 256 || t.bm == 32) &&
               2 * smemBytes(t, st, stats, info.k) <= limit;
      });
      if (best != panels.end())
        std::rotate(panels.begin(), best, best + 1);
    }
    // The leading panel shared by as many blocks as fill the waves best;
    // the tuner also gets it whole and in two and four parts.
    if (!panels.empty()) {
      Tile whole = panels.front();
      whole.panel = 1;
      if (panels.front().panel == 1)
        panels.front().panel =
            choosePanelParts(info, whole, smemBytes(whole, st, stats, info.k), limit, sms).parts;
      for (int64_t p : {int64_t(1), int64_t(2), int64_t(4)}) {
        Tile t = whole;
        t.panel = p;
        if ((p == 1 || 2 * p <= (info.n + t.bn - 1) / t.bn) && !llvm::is_contained(panels, t))
          panels.push_back(t);
      }
    }
    // With few rows (a classifier head's batch) even a panel's parts would
    // leave most SMs idle, so the classic tile leads.
    const bool fewRows = panels.empty() || blocks(panels.front()) < 128;
    if (fewRows && valid(def))
      tiles.push_back(def);
    tiles.insert(tiles.end(), panels.begin(), panels.end());
  }
  if (valid(def) && (tiles.empty() || !(tiles.front().bm == def.bm && tiles.front().bn == def.bn &&
                                        tiles.front().bk == def.bk && !tiles.front().panel)))
    tiles.push_back(def);
  for (const Tile &t : sliced)
    if (!llvm::is_contained(tiles, t))
      tiles.push_back(t);
  for (const Tile &t : ranked)
    if (!llvm::is_contained(tiles, t))
      tiles.push_back(t);
  for (int64_t bm : {32, 64, 128})
    for (int64_t bn : {32, 64, 128})
      for (int64_t bk : st.spanRowK ? std::vector<int64_t>{def.bk} // a tap row (kGemmASpan)
                                    : std::vector<int64_t>{16, 32, 64})
        for (auto [wm, wn] :
             {std::pair<int64_t, int64_t>{1, 1}, {1, 2}, {2, 1}, {2, 2}, {2, 4}, {4, 2}}) {
          Tile t{bm, bn, bk, wm, wn};
          if (bm > capM || bn > capN || bk > capK || !valid(t))
            continue;
          if (t.bm == def.bm && t.bn == def.bn && t.bk == def.bk && t.wm == def.wm &&
              t.wn == def.wn)
            continue;
          if (!llvm::is_contained(tiles, t))
            tiles.push_back(t);
        }
  return tiles;
}

/// The K steps of tile `t` (Templates/Gemm.cuh's kTilesK): a tap row each
/// where A is read along the input's rows.
int64_t kSteps(const GemmInfo &info, Staging st, const Tile &t) {
  return st.spanRowK ? info.k / st.spanRowK : (info.k + t.bk - 1) / t.bk;
}

/// The tiles of C that tile `t` makes, over every anchor (blockIdx.z).
int64_t outputTiles(const GemmInfo &info, const Tile &t) {
  return (info.m + t.bm - 1) / t.bm * ((info.n + t.bn - 1) / t.bn) * int64_t(info.anchors.size());
}

/// Split K's shares for tile `t` (SSMC_SPLIT_K), 1 for none. Where the
/// grid leaves SMs idle (mambaout_tiny at batch 1: fc2s of 36 and 84 blocks
/// on 132 SMs), the S in 2..8 that costs least, at most 0.85 of the
/// unsplit tile's: the larger of the busiest SM's cycles (tileCycles, times
/// its ceil(blocks x S / SMs) blocks of 1/S of K against the unsplit grid's)
/// and DRAM's for the operands, the result and the S shares' fp32 C tiles
/// (written and read back; with prologue norms also each share's reading
/// of its rows for their statistics). Each share has at least two K steps
/// (every share some), and each tile one counter of the workspace's.
int64_t chooseSplitK(const GemmInfo &info, Staging st, const Tile &t, int64_t limit, int64_t sms) {
  if (st.mode != kMma16 || t.panel || t.wgmma)
    return 1;
  const int64_t tiles = outputTiles(info, t);
  const int64_t steps = kSteps(info, st, t);
  if (tiles >= sms || tiles > rt::kWorkspaceCounterBytes / 4)
    return 1;
  // An H100's DRAM bytes a clock (3.35 TB/s at 1.755 GHz).
  constexpr double kDramBytesPerClock = 1900.0;
  const double z = double(info.anchors.size()), m = double(info.m), n = double(info.n),
               k = double(info.k);
  const double operands = z * (m * k * double(info.aInputBytes) + n * k * 2 + m * n * 2);
  const double cycles = tileCycles(info, st, t, limit, sms);
  auto cost = [&](int64_t s) {
    const double busiest = double((tiles * s + sms - 1) / sms) / double(s);
    double bytes = operands;
    if (s > 1)
      bytes += z * (2.0 * double(s) * m * n * 4 +
                    (info.norms.empty() ? 0.0 : double(s - 1) * m * k * double(info.aInputBytes)));
    return std::max(cycles * busiest / double((tiles + sms - 1) / sms), bytes / kDramBytesPerClock);
  };
  int64_t best = 1;
  double bestCost = 0.85 * cost(1);
  for (int64_t s = 2; s <= 8; ++s) {
    const int64_t share = (steps + s - 1) / s;
    if (share < 2 || (s - 1) * share >= steps)
      continue;
    if (const double c = cost(s); c < bestCost) {
      best = s;
      bestCost = c;
    }
  }
  return best;
}

/// wgmmaTile<N>: one wgmma.mma_async m64nNk16 (fp32 += bf16 or f16, A and
/// B from shared memory by descriptor, K-major) for each BN among `tiles`;
/// the host shim's emulation under SSMC_HOST_SHIM.
std::string wgmmaInstructions(const std::vector<Tile> &tiles, bool f16) {
  std::string s = "#if SSMC_WGMMA\nnamespace ssmc_gemm {\n#ifdef SSMC_HOST_SHIM\n"
                  "template <int N> inline void wgmmaTile(float (&d)[N / 2], unsigned long long a, "
                  "unsigned long long b) {\n  ssmc_shim::wgmma<N>(d, a, b, " +
                  std::string(f16 ? "true" : "false") +
                  ");\n}\n"
                  "#else\n"
                  "template <int N>\n__device__ void wgmmaTile(float (&d)[N / 2], unsigned long "
                  "long a, unsigned long long b);\n";
  std::vector<int64_t> ns;
  for (const Tile &t : tiles)
    if (!llvm::is_contained(ns, t.bn))
      ns.push_back(t.bn);
  for (int64_t n : ns) {
    // Sixteen registers a line.
    std::string regs, operands;
    for (int64_t r = 0; r < n / 2; ++r) {
      const bool wrap = r > 0 && r % 16 == 0;
      regs += fmt::format("{}%{}", r == 0 ? "" : wrap ? ",\"\n               \" " : ", ", r);
      operands += fmt::format("{}\"+f\"(d[{}])",
                              r == 0 ? ""
                              : wrap ? ",\n                 "
                                     : ", ",
                              r);
    }
    s += fmt::format(
        "// D (64 x {0}, {1} fp32 a thread) += A (64 x 16) . B (16 x {0}); scale-d 1, no "
        "negation, both K-major\n"
        "template <>\n__device__ __forceinline__ void wgmmaTile<{0}>(float (&d)[{1}], unsigned "
        "long long a, unsigned long long b) {{\n"
        "  asm volatile(\"{{\\n.reg .pred p;\\nsetp.ne.b32 p, %{4}, 0;\\n"
        "wgmma.mma_async.sync.aligned.m64n{0}k16.f32.{2}.{2} \"\n"
        "               \"{{{3}}}, %{1}, %{5}, p, 1, 1, 0, 0;\\n}}\\n\"\n"
        "               : {6}\n"
        "               : \"l\"(a), \"l\"(b), \"r\"(1));\n}}\n",
        n, n / 2, f16 ? "f16" : "bf16", regs, n / 2 + 2, n / 2 + 1, operands);
  }
  return s + "#endif\n} // namespace ssmc_gemm\n#endif\n\n";
}

/// wgmma variants (sm_90a) of the first two of `tiles` (the leading ones)
/// where they allow one: 16-bit stage tiles of BK 64 (rows of 128 bytes,
/// the descriptors' swizzle; a panel then K blocks of 64 columns swizzled
/// alike), no realigned rows, BM a multiple of 64 and BN at most 256 (one
/// instruction's N), the accumulators at most 128 a thread; one warpgroup
/// for 64 rows, two above. The tuner's candidates, never the default:
/// wgmma's layouts can be checked only on a GPU (the host shim follows the
/// PTX ISA's reading of them).
std::vector<Tile> wgmmaTiles(const std::vector<Tile> &tiles, Staging st, int64_t stats, int64_t k,
                             int64_t limit) {
  std::vector<Tile> out;
  if (st.mode != kMma16 || st.aShift || st.bShift || st.spanRowK)
    return out;
  for (size_t i = 0; i < std::min<size_t>(2, tiles.size()); ++i) {
    const Tile &t = tiles[i];
    const int64_t groups = t.bm >= 128 ? 2 : 1;
    Tile w{t.bm, t.bn, t.bk, 4 * groups, 1, t.panel, true};
    if (t.bk != 64 || t.bm % (64 * groups) != 0 || t.bn % 8 != 0 || t.bn > 256 ||
        t.bm / groups / 64 * t.bn / 2 > 128 || smemBytes(w, st, stats, k) > limit ||
        llvm::is_contained(out, w))
      continue;
    out.push_back(w);
  }
  return out;
}

} // namespace

rt::Expected<rt::PlanKernel> emitGemmKernel(GroupEmitter &e, const CodegenOptions &options) {
  // Analyse.
  std::string why;
  auto analysis = analyze(e, &why);
  if (!analysis)
    return rt::Status::error(
        fmt::format("kernel group '{}' is not a GEMM: {}", e.groupName(), why));
  GemmInfo &info = *analysis;
  auto yield = cast<YieldOp>(e.group().getBody().front().getTerminator());
  const Mode mode = e.dtype() != rt::DType::F32 ? kMma16 : options.exactF32Gemm ? kFfma : kTf32;
  const int64_t stats = info.stats();
  // B by 16-byte copies: a linear's weight is row-major [N, K] in the
  // weight buffer (each weight 256-byte aligned), so whole rows of 16-byte
  // pieces are aligned when K's bytes are a multiple of 16.
  const int64_t elemBytes = e.dtype() == rt::DType::F32 ? 4 : 2;
  // A conv's weight qualifies when stored [O, KH, KW, C] (ssmc-layout), the
  // order of its taps here (not under exact fp32, which keeps PyTorch's).
  // A linear's weight with padded rows (row_pitch) qualifies where the pitch
  // is whole 16-byte pieces: the padding holds zeros.
  const bool bVec =
      llvm::all_of(info.anchors, [&](const Anchor &a) {
        auto w = a.weightRows().getDefiningOp<WeightOp>();
        if (!w || !e.pointerName(a.weightRows()))
          return false;
        if (!info.conv)
          return !w.getStoredAs() &&
                 w.getRowPitch().value_or(uint64_t(info.k)) * elemBytes % 16 == 0;
        if (info.k * elemBytes % 16 != 0)
          return false;
        return mode != kFfma && w.getStoredAs() && llvm::equal(*w.getStoredAs(),
                                                                 ArrayRef<int64_t>{0, 2, 3, 1});
      });

  // A read as it is (a linear reading a group input directly, no prologue,
  // K innermost): copied 16 bytes at a time (kGemmACopy), or, where K's
  // bytes are not a multiple of 16, as shifted rows (kGemmAShift), like W's
  // rows (kGemmBShift) then.
  const bool aAsItIs =
      !info.conv && info.norms.empty() && llvm::all_of(info.anchors, [&](const Anchor &a) {
        return isa<BlockArgument>(a.input()) && e.pointerName(a.input()) &&
               GroupEmitter::shape(a.input()).back() == info.k &&
               e.storageOf(a.input()) == e.dtype(); // copied as T
      });
  const bool wholePieces = info.k * elemBytes % 16 == 0;
  const bool aCopy = aAsItIs && wholePieces;
  Staging staging{mode};
  staging.aShift = aAsItIs && !wholePieces;
  staging.bShift =
      !wholePieces && !bVec && !info.conv && llvm::all_of(info.anchors, [&](const Anchor &a) {
        auto w = a.weightRows().getDefiningOp<WeightOp>();
        return w && e.pointerName(a.weightRows()) && !w.getStoredAs() && !w.getRowPitch();
      });

  // A convolution reading a channels-first image through a permute to
  // channels-last (the stem's NCHW image), stored as T with rows of whole
  // 16-byte pieces: the block's image rows go to shared memory by 16-byte
  // copies, and A's gather reads them there (kGemmAImage). A gather from
  // global memory reads pixels stride elements apart: half-used sectors.
  Value image;
  if (info.conv && info.anchors.size() == 1) {
    PermuteOp p = channelsFirstInput(info.anchors.front());
    if (p && e.pointerName(p.getInput()) && e.storageOf(p.getInput()) == e.dtype()) {
      std::vector<int64_t> in = GroupEmitter::shape(p.getInput());
      std::vector<int64_t> w = GroupEmitter::shape(info.anchors.front().weight());
      if (in[3] * elemBytes % 16 == 0) {
        image = p.getInput();
        staging.imageOW = GroupEmitter::shape(info.anchors.front().result())[2];
        staging.imageRowBytes = in[1] * w[2] * in[3] * elemBytes;
      }
    }
  }

  // A channels-last convolution whose prologue gives A 16 bytes at a time
  // (aVec: its channels whole pieces, its inputs not views): A is read
  // along the input's rows, a tap row a K step (kGemmASpan), so that a
  // warp's loads are contiguous and each input piece is read once.
  // Gathering each output pixel's taps reads a piece once per tap that uses
  // it (1.5x at stride 2 over 3 taps), 64 bytes of a row a quarter warp,
  // and where a pixel's bytes are not whole sectors (the stem's second
  // conv in femto: 24 channels) starts every other pixel mid-sector.
  Value span;
  if (info.conv && info.anchors.size() == 1 && mode == kMma16 && bVec && !image) {
    const Anchor &a = info.anchors.front();
    Conv2dOp conv = a.conv();
    const int64_t c = GroupEmitter::shape(a.input())[3];
    if (conv.getChannelsLast() && conv.getGroups() == 1 && !isView(a.input()) &&
        vectorLeaves(info, a) && c * elemBytes % 16 == 0) {
      const int64_t kw = GroupEmitter::shape(a.weight())[3];
      span = a.input();
      staging.spanRowK = kw * c;
      staging.spanLoads = std::min(1.0, double(conv.getStride()[1]) / double(kw));
    }
  }

  // Enumerate the configurations; the tiling weighs what A's prologue reads.
  if (auto leaves = vectorLeaves(info, info.anchors.front())) {
    int64_t bytes = 0;
    for (Value v : *leaves)
      if (isa<BlockArgument>(v))
        bytes += int64_t(rt::dtypeSize(e.storageOf(v)));
    info.aInputBytes = bytes ? bytes : elemBytes;
  } else {
    info.aInputBytes = elemBytes;
  }
  const int64_t sms = options.sms ? options.sms : rt::typicalSmCount(options.arch).value_or(132);
  std::vector<Tile> tiles = gemmTiles(info, staging, sharedMemoryLimit(options.arch), sms);
  if (tiles.empty() && image) { // image rows too wide to stage: the gather from global memory
    image = Value();
    staging.imageOW = staging.imageRowBytes = 0;
    tiles = gemmTiles(info, staging, sharedMemoryLimit(options.arch), sms);
  }
  if (span) {
    // A tap row a stage, no panel. Where a pixel's bytes are whole sectors,
    // only if its best tile costs less than the gather's (tileCycles, with
    // the span's fewer loads): a wide tap row (mambaout_base's 3 x 64 and
    // 3 x 128 channels) leaves room for small tiles only. Where they are not
    // (femto's 24 channels), wherever a tile fits: the gather half-uses
    // sectors.
    llvm::erase_if(tiles, [](const Tile &t) { return t.panel != 0; });
    Staging gather = staging;
    gather.spanRowK = 0;
    gather.spanLoads = 1.0;
    const int64_t limit = sharedMemoryLimit(options.arch);
    std::vector<Tile> other = gemmTiles(info, gather, limit, sms);
    const bool wholeSectors = GroupEmitter::shape(span)[3] * elemBytes % 32 == 0;
    if (tiles.empty() || (wholeSectors && !other.empty() &&
                          tileCycles(info, gather, other.front(), limit, sms) <=
                              tileCycles(info, staging, tiles.front(), limit, sms))) {
      span = Value();
      staging = gather;
      tiles = std::move(other);
    }
  }
  if (tiles.empty())
    return rt::Status::error(fmt::format("kernel group '{}': no GEMM tile fits the shared memory "
                                         "of {}",
                                         e.groupName(), options.arch));
  // sm_90a: the tuner may also try wgmma (SSMC_WGMMA), listed right after
  // the default (ssmc-rt tune times the first --top configurations); the
  // default stays mma.sync.
  std::vector<Tile> wgmma;
  if (options.arch == "sm_90a")
    wgmma = wgmmaTiles(tiles, staging, stats, info.k, sharedMemoryLimit(options.arch));
  tiles.insert(tiles.begin() + 1, wgmma.begin(), wgmma.end());
  // Split K where the default's grid leaves SMs idle: the split tile leads;
  // the tuner also gets the unsplit one and (last) two shares.
  if (const int64_t shares =
          chooseSplitK(info, staging, tiles.front(), sharedMemoryLimit(options.arch), sms);
      shares > 1) {
    Tile split = tiles.front();
    split.sk = shares;
    tiles.insert(tiles.begin(), split);
    if (shares != 2 && kSteps(info, staging, split) >= 4) {
      split.sk = 2;
      tiles.push_back(split);
    }
  }

  // Emit: the Group struct with the members and methods the template calls.
  std::string m = e.outputMembers();
  m += "  idx_t m0; // the block's first row\n"
       "  bool firstN; // whether the block's tile is C's first N tile\n";
  // A conv's geometry as the Group's constants k<P>B, k<P>C, ... k<P>PW:
  // the input's batch, channels, height and width, the output's height and
  // width, the taps, strides and padding.
  const auto geometry = [&](const char *p, int64_t b, int64_t c, int64_t h, int64_t w) {
    Conv2dOp conv = info.anchors.front().conv();
    std::vector<int64_t> wt = GroupEmitter::shape(conv.getWeight());
    std::vector<int64_t> out = GroupEmitter::shape(conv.getResult());
    return fmt::format("  static constexpr int k{0}B = {1}, k{0}C = {2}, k{0}H = {3}, k{0}W = {4}, "
                       "k{0}OH = {5}, k{0}OW = {6};\n"
                       "  static constexpr int k{0}KH = {7}, k{0}KW = {8}, k{0}SH = {9}, k{0}SW = "
                       "{10}, k{0}PH = {11}, k{0}PW = {12};\n",
                       p, b, c, h, w, out[1], out[2], wt[2], wt[3], conv.getStride()[0],
                       conv.getStride()[1], conv.getPadding()[0], conv.getPadding()[1]);
  };
  if (image) {
    std::vector<int64_t> in = GroupEmitter::shape(image); // [B, C, H, W]
    m += fmt::format("  // The image A gathers from (kGemmAImage): [B, C, H, W], the output's\n"
                     "  // height and width, the taps, strides and padding; k is a tap {}.\n",
                     mode == kFfma ? "(ci, ky, kx)" : "(ky, kx, ci)");
    m += geometry("Img", in[0], in[1], in[2], in[3]);
    m += fmt::format("  static constexpr bool kImgTapCFirst = {};\n"
                     "  const T *imageRows; // its rows in shared memory\n"
                     "  __device__ __forceinline__ const T *image() {{ return {}; }}\n",
                     mode == kFfma, *e.pointerName(image));
  }
  if (span) {
    std::vector<int64_t> in = GroupEmitter::shape(span); // [B, H, W, C]
    m +=
        "  // The conv's input, read along its rows (kGemmASpan): [B, H, W, C], the\n"
        "  // output's height and width, the taps, strides and padding; k is a tap (ky, kx, ci).\n";
    m += geometry("Span", in[0], in[3], in[1], in[2]);
  }
  for (int64_t s = 0; s < stats; ++s)
    m += fmt::format("  float *s{}; // {} of norm {} per row of the block\n", s,
                     s % 2 ? "1/sqrt(var + eps)" : "mean", s / 2);
  if (stats)
    m += "  bool rowMode = false; // the norms read their row's statistics from q*\n";
  for (int64_t s = 0; s < stats; ++s)
    m += fmt::format("  float q{0}; // s{0} at the row aVec or epilogueVec evaluates\n", s);
  for (size_t j = 0; j < info.anchors.size(); ++j)
    m += fmt::format("  float cur{}; // linear {}'s accumulator at the element the epilogue "
                     "evaluates\n",
                     j, j);

  // A by 16-byte pieces where every anchor's prologue allows (K, or a conv's
  // channels, in whole pieces; group inputs start 256-byte aligned).
  const int64_t vec = 16 / elemBytes;
  std::vector<std::vector<Value>> leaves;
  for (const Anchor &a : info.anchors) {
    auto l = vectorLeaves(info, a);
    const int64_t along = info.conv ? GroupEmitter::shape(a.input()).back() : info.k;
    const bool view = isView(a.input());
    const std::vector<std::string> idx(GroupEmitter::shape(a.input()).size(), "i");
    if (!l || along % vec != 0 || (info.conv && mode == kFfma) ||
        (view && (!viewPieceOffset(a.input(), vec, idx) || e.storageOf(l->front()) != e.dtype()))) {
      leaves.clear();
      break;
    }
    leaves.push_back(*l);
  }
  if (aAsItIs)
    leaves.clear();
  const bool aVec = !leaves.empty();
  if (span && !aVec)
    return rt::Status::error(
        fmt::format("kernel group '{}': internal error: A read along the input's rows needs aVec",
                    e.groupName()));
  // A convolution reading a channels-first input through a permute to
  // channels-last (the stem's NCHW image): consecutive output pixels of a
  // row are stride elements apart, a tap's channels a whole plane apart,
  // so the element-by-element gather walks rows, not taps (one or two
  // 128-byte lines a warp instead of one per channel and tap row).
  const bool aRowsFastest =
      !aVec && !aCopy && !staging.aShift && info.conv &&
      llvm::all_of(info.anchors, [](const Anchor &a) { return bool(channelsFirstInput(a)); });
  if (image && !aRowsFastest)
    return rt::Status::error(
        fmt::format("kernel group '{}': internal error: a staged image needs the gather along M",
                    e.groupName()));
  // A's pieces as halves (V/2 values a call) where an input is kept in fp32
  // beside 16-bit ones, so that consecutive threads read consecutive 16
  // bytes of it (whole pieces of 8 floats would half-use every sector).
  const bool aHalves =
      aVec && !info.conv && e.dtype() != rt::DType::F32 &&
      llvm::any_of(leaves, [&](const std::vector<Value> &l) {
        return llvm::any_of(l, [&](Value v) { return e.storageOf(v) == rt::DType::F32; });
      });
  llvm::DenseMap<Value, std::string> custom = gemmIndexFunctions(e, info);
  llvm::SetVector<Value> cached;
  for (const std::vector<Value> &l : leaves)
    cached.insert(l.begin(), l.end());
  if (aVec)
    m += "  bool vecMode = false; // aVec's inputs read from c_*\n  idx_t kv = 0; // aVec's "
         "first k\n";
  // aVec sets c_<input> to the element being evaluated: a scalar, so no
  // array indexed by a value only the vector path knows is constant ends up
  // in local memory where the function is also inlined (the statistics).
  for (Value leaf : cached) {
    m += fmt::format("  float c_{}; // {} at A(m, kv + t) while aVec evaluates t\n", e.name(leaf),
                     e.name(leaf));
    std::vector<std::string> idx =
        GroupEmitter::indexNames("i", GroupEmitter::shape(leaf).size());
    custom[leaf] = fmt::format("if (vecMode)\n      return c_{};\n    return ld({}[{}]);",
                               e.name(leaf), *e.pointerName(leaf), e.linear(leaf, idx));
  }
  // The epilogue 16 bytes at a time (kGemmEpiVec) where N is whole pieces,
  // else 8 or 4 (at least two values) where N is whole pieces of those, so
  // that every row's pieces stay aligned; and where every result reads only
  // what pieces can carry (epilogueLeaves), none of it also read by aVec.
  int64_t epiBytes = 0;
  for (int64_t bytes : {16, 8, 4})
    if (!epiBytes && info.n * elemBytes % bytes == 0 && bytes / elemBytes >= 2)
      epiBytes = bytes;
  const int64_t epiV = epiBytes / elemBytes;
  std::vector<std::vector<Value>> epiLeaves(info.anchors.size());
  bool epiVec =
      epiBytes > 0 && llvm::any_of(info.epilogueYields, [](const auto &ys) { return !ys.empty(); });
  for (size_t j = 0; j < info.anchors.size() && epiVec; ++j)
    for (unsigned y : info.epilogueYields[j]) {
      auto l = epilogueLeaves(info, yield.getValues()[y], info.anchors[j]);
      if (!l || llvm::any_of(*l, [&](Value v) { return cached.contains(v) || !e.pointerName(v); })) {
        epiVec = false;
        break;
      }
      for (Value v : *l)
        if (!llvm::is_contained(epiLeaves[j], v))
          epiLeaves[j].push_back(v);
    }
  llvm::SetVector<Value> epiCached;
  if (epiVec) {
    m += "  bool epiMode = false; // epilogueVec's inputs read from e_*\n";
    for (const std::vector<Value> &l : epiLeaves)
      epiCached.insert(l.begin(), l.end());
  }
  for (Value leaf : epiCached) {
    m += fmt::format("  float e_{}; // {} at (m, n + t) while epilogueVec evaluates t\n",
                     e.name(leaf), e.name(leaf));
    std::vector<std::string> idx =
        GroupEmitter::indexNames("i", GroupEmitter::shape(leaf).size());
    custom[leaf] = fmt::format("if (epiMode)\n      return e_{};\n    return ld({}[{}]);",
                               e.name(leaf), *e.pointerName(leaf), e.linear(leaf, idx));
  }
  // A panel filled by the statistics (kGemmPanelFromStats): one linear
  // whose A is a prologue norm's output itself, A's inputs read through
  // aVec, the norm's weight (and bias) [K] weights stored as T.
  Operation *panelNorm = nullptr;
  if (aVec && !info.conv && info.anchors.size() == 1 && info.norms.size() == 1 &&
      info.anchors.front().input() == info.norms.front()->getResult(0)) {
    Operation *norm = info.norms.front();
    auto ln = dyn_cast<LayerNormOp>(norm);
    std::vector<Value> affine = {ln ? ln.getWeight() : cast<RmsNormOp>(norm).getWeight()};
    if (ln)
      affine.push_back(ln.getBias());
    if (llvm::all_of(affine, [&](Value w) {
          return w && e.pointerName(w) && GroupEmitter::shape(w) == std::vector<int64_t>{info.k} &&
                 e.storageOf(w) == e.dtype();
        }))
      panelNorm = norm;
  }
  // The statistics first: they decide which extra results need store16.
  std::vector<unsigned> fused; // extra results stored by stats()
  bool statsInRegisters = false, statsHalves = false, panelFromStats = false;
  const std::string statsCode = statsMethods(e, info, cached, epiCached, vec, yield, panelNorm,
                                             fused, statsInRegisters, statsHalves, panelFromStats);
  if ((epiVec && epiBytes == 16) || !fused.empty())
    m += storeMethod(16, vec, e.anyKeptInF32());
  if ((aVec && !aHalves) || (epiVec && epiBytes == 16) || statsInRegisters)
    m += loadMethod(16, vec, e.anyKeptInF32());
  if (epiVec && epiBytes != 16) {
    m += storeMethod(epiBytes, epiV, e.anyKeptInF32());
    m += loadMethod(epiBytes, epiV, e.anyKeptInF32());
  }
  // The statistics' halves of pieces (V / 2 values: 8 bytes of T, 16 of fp32).
  if ((statsHalves || aHalves) && !(epiVec && epiBytes == 8 && epiV == vec / 2)) {
    m += storeMethod(8, vec / 2, e.anyKeptInF32());
    m += loadMethod(8, vec / 2, e.anyKeptInF32());
  }

  if (aAsItIs) {
    // Row-major and contiguous: row m of the rows that M flattens starts m
    // rows in (what splitting m into indices and joining them gives, less
    // the divisions that ptxas does not fold, once per copy a K step).
    std::vector<std::string> rows;
    for (const auto &a : info.anchors) {
      Value x = a.input();
      rows.push_back(fmt::format("{} + m * {}", *e.pointerName(x),
                                 e.dim(x, GroupEmitter::shape(x).size() - 1)));
    }
    m += "  // A[z]'s row m, for the 16-byte copies (kGemmACopy, kGemmAShift).\n";
    m += rowMethod("aRow", "m", rows);
  } else {
    m += "  __device__ __forceinline__ const T *aRow(int, idx_t) { return nullptr; }\n";
  }
  m += statsCode;
  m += operandMethods(e, info, mode == kFfma);
  m += vectorOperandMethod(e, info, leaves, mode == kFfma, aHalves ? vec / 2 : vec);
  m += resultMethods(e, info, yield, fused);
  m += vectorEpilogueMethod(e, info, yield, epiLeaves, epiVec ? epiBytes : 0, epiV);
  auto fns = e.groupStruct(custom, m);
  if (!fns)
    return fns.status();
  const Tile &d = tiles.front();
  const bool panels = llvm::any_of(tiles, [](const Tile &t) { return t.panel; });
  const bool slicedK = llvm::any_of(tiles, [](const Tile &t) { return t.wk > 1; });
  const bool splitK = llvm::any_of(tiles, [](const Tile &t) { return t.sk > 1; });
  // Split K's workspace: the counters, then the most any configuration's
  // shares take (S fp32 C tiles a tile).
  int64_t workspaceBytes = 0;
  for (const Tile &t : tiles)
    if (t.sk > 1)
      workspaceBytes = std::max(workspaceBytes,
                                rt::splitKWorkspaceBytes(outputTiles(info, t), t.sk, t.bm, t.bn));
  if (splitK)
    e.addWorkspace(workspaceBytes);

  const char *modeText = mode == kMma16 ? "mma.sync m16n8k16 on tensor cores (ldmatrix "
                                           "fragments), fp32 accumulate"
                         : mode == kTf32 ? "wmma 16x16x8 TF32 on tensor cores, fp32 accumulate"
                                         : "FFMA, exact fp32";
  std::vector<std::string> notes = {
      fmt::format("GEMM: M {} x N {} x K {}, {} {} (blockIdx.z), {}.", info.m, info.n, info.k,
                  info.anchors.size(),
                  info.conv ? "convolution(s) as implicit GEMMs (K = taps x channels)"
                            : "linear(s)",
                  modeText),
      "Prologue as A(m, k), epilogue per (m, n) from the fp32 C tile; " +
          std::string(info.norms.empty() ? "no prologue norm statistics"
                      : statsInRegisters
                          ? "prologue norm statistics per row first, each row's 16-byte pieces "
                            "in registers"
                          : "prologue norm statistics per row first, one warp per row") +
          (info.wholeRows() ? "; the output's norm statistics from the C tile, whole rows per "
                              "block (BN >= N)."
                            : "."),
      fmt::format("Dynamic shared memory: {} bytes for the default tiles (the runtime opts in "
                  "above 48 KiB).",
                  smemBytes(d, staging, stats, info.k))};
  if (staging.aShift || staging.bShift)
    notes.push_back(fmt::format(
        "K = {} is not whole 16-byte pieces: {} rows are copied as the aligned 16-byte chunks "
        "that cover them (cp.async) and realigned in shared memory before the MMAs.",
        info.k,
        staging.aShift && staging.bShift ? "A's and W's"
        : staging.aShift                 ? "A's"
                                         : "W's"));
  if (image)
    notes.push_back(fmt::format(
        "A gathers from the channels-first image's rows: each block first copies the rows "
        "its output rows read ({} bytes an output row, every channel and tap row) to shared "
        "memory, 16 bytes at a time (cp.async).",
        staging.imageRowBytes));
  if (splitK)
    notes.push_back(fmt::format(
        "Split K (SPLIT_K > 1, blockIdx.z = z x SPLIT_K + the share): each block multiplies "
        "its share of the K steps and stores its fp32 C tile in the workspace after its first "
        "{} bytes (int32 counters, one a tile); the last block of a tile to count itself adds "
        "the shares in order, runs the epilogue and sets the counter back to zero.",
        rt::kWorkspaceCounterBytes));
  if (span)
    notes.push_back(fmt::format(
        "A is read along the input's rows: a K step is one tap row ({} columns, zeros to BK), "
        "each output row's pixels read one contiguous span of an input row 16 bytes a thread, "
        "and each piece is stored at every tap that reads it.",
        staging.spanRowK));
  if (bVec && !info.conv && info.k * elemBytes % 16 != 0)
    notes.push_back(
        fmt::format("W's rows are stored padded with zeros to {} elements (row_pitch): "
                    "copied 16 bytes at a time.",
                    *info.anchors.front().weightRows().getDefiningOp<WeightOp>().getRowPitch()));
  if (!info.extraYields.empty())
    notes.push_back(fmt::format(
        "Result(s) #{} read no linear: written by the blocks of C's first N tile with "
        "blockIdx.z == 0{}.",
        fmt::join(info.extraYields, ", #"),
        fused.empty() ? ""
                      : fmt::format(" (#{} with the norm statistics)", fmt::join(fused, ", #"))));
  std::vector<std::pair<std::string, std::string>> described = {
      {"BM", fmt::format("rows of C per block (default {})", d.bm)},
      {"BN", fmt::format("columns of C per block (default {})", d.bn)},
      {"BK", fmt::format("K per shared-memory stage (default {})", d.bk)},
      {"WARPS_M", fmt::format("warps along M (default {})", d.wm)},
      {"WARPS_N", fmt::format("warps along N (default {})", d.wn)},
      {"STAGES",
       fmt::format("K steps in the shared-memory pipeline (default {})", stagesFor(d, staging))}};
  if (!wgmma.empty())
    described.push_back({"WGMMA", "1: wgmma.mma_async from the stage tiles (sm_90a; warpgroups "
                                  "along M, WARPS_N 1); 0: ldmatrix + mma.sync (default 0)"});
  if (splitK)
    described.push_back(
        {"SPLIT_K", fmt::format("blocks along K, each a share of the K steps; the last of a tile "
                                "adds the shares' C tiles (the workspace) and runs the epilogue "
                                "(default {})",
                                d.sk)});
  if (slicedK)
    described.push_back({"WARPS_K", fmt::format("warps along K, each BK / WARPS_K columns of a "
                                                "stage, their sums added (default {})",
                                                d.wk)});
  if (panels)
    described.push_back(
        {"PANEL", fmt::format("P > 0: A's rows staged once per block, P blocks a panel (each "
                              "every P-th N tile); 0: A tiled per K step (default {})",
                              d.panel)});
  std::string src = e.header("gemm", notes, described);
  src += '\n';
  src += e.prelude();
  src += fmt::format("\n#define SSMC_GEMM_MODE {} // 0 FFMA, 1 mma.sync 16-bit, 2 wmma TF32\n",
                     int(mode));
  if (e.dtype() == rt::DType::F16)
    src += "#define SSMC_MMA_F16 1\n";
  src += fmt::format("#ifndef SSMC_BM\n#define SSMC_BM {}\n#endif\n"
                     "#ifndef SSMC_BN\n#define SSMC_BN {}\n#endif\n"
                     "#ifndef SSMC_BK\n#define SSMC_BK {}\n#endif\n"
                     "#ifndef SSMC_WARPS_M\n#define SSMC_WARPS_M {}\n#endif\n"
                     "#ifndef SSMC_WARPS_N\n#define SSMC_WARPS_N {}\n#endif\n"
                     "#ifndef SSMC_STAGES\n#define SSMC_STAGES {}\n#endif\n",
                     d.bm, d.bn, d.bk, d.wm, d.wn, stagesFor(d, staging));
  if (panels)
    src += fmt::format("#ifndef SSMC_PANEL\n#define SSMC_PANEL {}\n#endif\n", d.panel);
  if (!wgmma.empty())
    src += fmt::format("#ifndef SSMC_WGMMA\n#define SSMC_WGMMA {}\n#endif\n", int(d.wgmma));
  if (slicedK)
    src += fmt::format("#ifndef SSMC_WARPS_K\n#define SSMC_WARPS_K {}\n#endif\n", d.wk);
  if (splitK)
    src += fmt::format("#ifndef SSMC_SPLIT_K\n#define SSMC_SPLIT_K {}\n#endif\n", d.sk);
  src += "\n";
  std::string code = fmt::format(
      "constexpr idx_t kGemmM = {}, kGemmN = {}, kGemmK = {};\n"
      "constexpr int kGemmStats = {};\n"
      "constexpr bool kGemmRowStats = {}; // norms of the output\n"
      "constexpr bool kGemmBVec = {}; // W's rows in 16-byte pieces\n"
      "constexpr bool kGemmAVec = {}; // A's inputs in 16-byte pieces\n"
      "constexpr int kGemmAVecElems = {}; // values an aVec call gives (halves "
      "of 16 bytes of T where an input is fp32)\n"
      "constexpr bool kGemmACopy = {}; // A copied as it is, 16 bytes "
      "at a time\n"
      "constexpr bool kGemmARowsFastest = {}; // A gathered element by element, "
      "consecutive threads along M (a channels-first input)\n"
      "constexpr bool kGemmAShift = {}, kGemmBShift = {}; // rows "
      "copied as aligned chunks, realigned in shared memory\n"
      "constexpr int kGemmEpiVec = {}; // the epilogue this many "
      "values at a time (16, 8 or 4 bytes; 0: one at a time)\n"
      "constexpr bool kGemmNFastest = {}; // block order: N tiles of "
      "a row of tiles side by side (A is the larger operand)\n"
      "constexpr bool kGemmPanelFromStats = {}; // a panel's A written by stats() from its "
      "registers\n"
      "constexpr bool kGemmAImage = {}; // A gathered from a channels-first image's rows "
      "staged in shared memory\n"
      "constexpr int kGemmImageRowBytes = {}, kGemmImageOW = {}; // their bytes an output row, "
      "output pixels a row\n"
      "constexpr bool kGemmASpan = {}; // A read along a channels-last input's rows, a tap row "
      "a K step\n"
      "constexpr int kGemmSpanRowK = {}; // a tap row's columns (KW x C)\n"
      "constexpr int kGemmSmemLimit = {}; // shared memory a block may take on the target\n"
      "constexpr int kGemmCounterBytes = {}; // split K: the workspace's counters, then the "
      "shares' C tiles\n\n",
      info.m, info.n, info.k, stats, info.wholeRows(), bVec, aVec, aHalves ? vec / 2 : vec, aCopy,
      aRowsFastest, staging.aShift, staging.bShift, epiVec ? epiV : 0, info.m >= info.n,
      panelFromStats, bool(image), staging.imageRowBytes, staging.imageOW ? staging.imageOW : 1,
      bool(span), staging.spanRowK, sharedMemoryLimit(options.arch), rt::kWorkspaceCounterBytes);
  if (!wgmma.empty())
    code += wgmmaInstructions(wgmma, e.dtype() == rt::DType::F16);
  code += std::string(kAsyncTemplate) + "\n" + kGemmTemplate + "\n" + *fns + "\n";
  code += fmt::format("extern \"C\" __global__ void __launch_bounds__(32 * SSMC_WARPS_M * "
                      "SSMC_WARPS_N{}, ssmc_gemm::kMinBlocks) {}(\n    {}) {{\n",
                      slicedK ? " * SSMC_WARPS_K" : "", e.entry(), e.kernelParams());
  code += "  extern __shared__ __align__(128) float smem[];\n";
  code += "  " + e.groupInit(e.outputNames()) + "\n";
  code += splitK ? "  ssmc_gemm::run(g, smem, ws);\n}\n" : "  ssmc_gemm::run(g, smem);\n}\n";
  src += e.shapeConstants(code) + code;

  std::vector<std::string> tunables = {"BK", "BM", "BN", "STAGES", "WARPS_M", "WARPS_N"};
  if (panels)
    tunables.push_back("PANEL");
  if (!wgmma.empty())
    tunables.push_back("WGMMA");
  if (slicedK)
    tunables.push_back("WARPS_K");
  if (splitK)
    tunables.push_back("SPLIT_K");
  rt::PlanKernel plan = e.kernel("gemm", std::move(src), tunables);
  plan.workspaceBytes = workspaceBytes;
  for (const Tile &t : tiles) {
    rt::PlanConfig c;
    c.tunables = {{"BM", t.bm},      {"BN", t.bn},      {"BK", t.bk},
                  {"WARPS_M", t.wm}, {"WARPS_N", t.wn}, {"STAGES", stagesFor(t, staging)}};
    if (panels)
      c.tunables["PANEL"] = t.panel;
    if (!wgmma.empty())
      c.tunables["WGMMA"] = t.wgmma;
    if (slicedK)
      c.tunables["WARPS_K"] = t.wk;
    if (splitK)
      c.tunables["SPLIT_K"] = t.sk;
    c.block = {t.threads(), 1, 1};
    c.grid = {(info.m + t.bm - 1) / t.bm, t.panel ? t.panel : (info.n + t.bn - 1) / t.bn,
              int64_t(info.anchors.size()) * t.sk};
    c.smemBytes = smemBytes(t, staging, stats, info.k);
    plan.configs.push_back(c);
  }
  return plan;
}

} // namespace ssmc::codegen
