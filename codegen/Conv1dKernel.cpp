//===- Conv1dKernel.cpp - groups around channels-last causal conv1ds ------===//
//
// Mamba's causal conv1d over [B, L, D] (Vision Mamba: a forward and a
// reverse one on the same input, each followed by SiLU). The generic path
// computes each output element alone: every tap and weight a 2-byte load,
// the input read K times per conv. Here a thread owns V channels (16 bytes
// of T) of T consecutive time steps of one batch: it keeps the conv
// weights in registers, sweeps the input rows l0 - K + 1 .. l0 + T + K - 2
// once through a K-row window (each row one 16-byte load), which gives a
// causal conv's output at the window's last row and a reverse conv's at
// its first, then evaluates every result at its T steps from those
// registers and stores each 16 bytes at a time. Lanes take consecutive
// pieces of channels, so every load and store is coalesced.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Pieces.h"

#include <fmt/format.h>

#include <algorithm>

using namespace mlir;

namespace ssmc::codegen {
namespace {

struct Conv1dInfo {
  std::vector<CausalConv1dOp> convs;
  int64_t b = 0, l = 0, d = 0, k = 0, vec = 8;
  /// Per conv, the window (distinct input) it reads: convs whose input
  /// pieces load the same data share one.
  std::vector<size_t> windowOf;
  std::vector<std::string> windowFill; ///< statements filling `v` with a row's piece
};

/// The pieces reader of every conv of the group: its registers at step `s`.
PieceEmitter pieces(const GroupEmitter &e, const Conv1dInfo &info) {
  llvm::DenseMap<Value, PieceEmitter::Computed> computed;
  for (size_t n = 0; n < info.convs.size(); ++n) {
    const int64_t vec = info.vec;
    CausalConv1dOp conv = info.convs[n];
    computed[conv.getResult()] = [n, vec](const std::string &, const std::string &out,
                                          const std::string &indent) -> std::optional<std::string> {
      return fmt::format("#pragma unroll\n{0}for (int t = 0; t < {1}; ++t)\n"
                         "{0}  {2}[t] = cv{3}[s][t];\n",
                         indent, vec, out, n);
    };
  }
  return PieceEmitter(e, {"i0", "i1"}, info.vec, std::move(computed));
}

std::optional<Conv1dInfo> analyzeConv1d(GroupEmitter &e) {
  Block &body = e.group().getBody().front();
  Conv1dInfo info;
  info.vec = PieceEmitter::valuesPerPiece(e.dtype());
  for (Operation &op : body.without_terminator()) {
    if (isa<SelectiveScanOp, LinearOp, Conv2dOp, DepthwiseConv2dOp, LayerNormOp, RmsNormOp,
            ReduceMeanOp>(op))
      return std::nullopt;
    if (auto conv = dyn_cast<CausalConv1dOp>(op))
      info.convs.push_back(conv);
  }
  // Results written over an input (memory planning) would race with other
  // threads' reads of the rows around theirs.
  if (info.convs.empty() || e.mayAlias())
    return std::nullopt;
  const std::vector<int64_t> shape = GroupEmitter::shape(info.convs.front().getResult());
  if (shape.size() != 3 || shape[2] % info.vec != 0)
    return std::nullopt;
  info.b = shape[0];
  info.l = shape[1];
  info.d = shape[2];
  info.k = GroupEmitter::shape(info.convs.front().getWeight()).back();
  for (CausalConv1dOp conv : info.convs) {
    if (!conv.getChannelsLast() || GroupEmitter::shape(conv.getResult()) != shape ||
        GroupEmitter::shape(conv.getWeight()) != std::vector<int64_t>{info.d, 1, info.k} ||
        (conv.getBias() && GroupEmitter::shape(conv.getBias()) != std::vector<int64_t>{info.d}))
      return std::nullopt;
    PieceEmitter rows(e, {"i0", "i1"}, info.vec, llvm::DenseMap<Value, PieceEmitter::Computed>());
    auto fill = rows.fill(conv.getInput(), "c", "v", "    ");
    if (!fill)
      return std::nullopt;
    auto same = std::find(info.windowFill.begin(), info.windowFill.end(), *fill);
    info.windowOf.push_back(size_t(same - info.windowFill.begin()));
    if (same == info.windowFill.end())
      info.windowFill.push_back(*fill);
  }
  auto yield = cast<YieldOp>(body.getTerminator());
  for (Value v : yield.getValues()) {
    PieceEmitter pe = pieces(e, info);
    if (GroupEmitter::shape(v) != shape || !pe.fill(v, "c", "r", "      "))
      return std::nullopt;
  }
  return info;
}

/// Statements loading a conv's weight (into w[K][V]) and bias (b[V]) for
/// channels c..c+V-1: 16-byte loads where the weight is stored [1, K, D]
/// (the layout pass's channels-last packing), else element by element.
std::string loadWeights(const GroupEmitter &e, const Conv1dInfo &info, CausalConv1dOp conv,
                        size_t n) {
  std::string s;
  const int64_t vec = info.vec;
  Value w = conv.getWeight();
  const std::string *wp = e.pointerName(w);
  bool packed = false;
  if (auto weight = w.getDefiningOp<WeightOp>(); weight && wp)
    if (std::optional<llvm::ArrayRef<int64_t>> order = weight.getStoredAs())
      packed = order->size() == 3 && (*order)[0] == 1 && (*order)[1] == 2 && (*order)[2] == 0;
  s += fmt::format("    float cw{0}[kC1K][{1}], cb{0}[{1}]; // conv #{0}: weights, bias\n", n, vec);
  if (packed)
    s += fmt::format("#pragma unroll\n    for (int j = 0; j < kC1K; ++j)\n"
                     "      load16({} + j * kC1D + c, cw{}[j]);\n",
                     *wp, n);
  else
    s += fmt::format("#pragma unroll\n    for (int j = 0; j < kC1K; ++j)\n#pragma unroll\n"
                     "      for (int t = 0; t < {}; ++t)\n        cw{}[j][t] = {};\n",
                     vec, n, e.call(w, {"c + t", "0", "j"}));
  Value bias = conv.getBias();
  const std::string *bp = bias ? e.pointerName(bias) : nullptr;
  if (bp)
    s += fmt::format("    load16({} + c, cb{});\n", *bp, n);
  else
    s += fmt::format("#pragma unroll\n    for (int t = 0; t < {}; ++t)\n      cb{}[t] = {};\n", vec,
                     n, bias ? e.call(bias, {"c + t"}) : "0.0f");
  return s;
}

struct Conv1dConfig {
  int64_t steps, block;
};

} // namespace

bool isConv1dGroup(GroupEmitter &e) { return analyzeConv1d(e).has_value(); }

rt::Expected<rt::PlanKernel> emitConv1dKernel(GroupEmitter &e, const CodegenOptions &options) {
  auto analysis = analyzeConv1d(e);
  if (!analysis)
    return rt::Status::error(
        fmt::format("kernel group '{}' is not a causal-conv1d group", e.groupName()));
  const Conv1dInfo &info = *analysis;
  const int64_t vec = info.vec;
  auto yield = cast<YieldOp>(e.group().getBody().front().getTerminator());
  const bool anyReverse =
      llvm::any_of(info.convs, [](CausalConv1dOp c) { return bool(c.getReverse()); });

  std::string m = e.outputMembers();
  m += storeMethod(16, vec, e.anyKeptInF32());
  m += loadMethod(16, vec, e.anyKeptInF32());
  for (auto [n, fill] : llvm::enumerate(info.windowFill))
    m += fmt::format("\n  // Input row i1 of window {}, channels c..c+V-1 (zero outside the "
                     "sequence: the convs' padding).\n"
                     "  __device__ __forceinline__ void row{}(idx_t i0, idx_t i1, idx_t c, float "
                     "*v) {{\n"
                     "    if (i1 < 0 || i1 >= kC1L) {{\n#pragma unroll\n"
                     "      for (int t = 0; t < {}; ++t)\n        v[t] = 0.0f;\n"
                     "      return;\n    }}\n{}  }}\n",
                     n, n, vec, fill);

  m += "\n  // Channels c..c+V-1 of time steps l0..l0+STEPS-1 of batch i0: every result.\n";
  m += "  __device__ __forceinline__ void steps(idx_t i0, idx_t l0, idx_t c) {\n";
  for (auto [n, conv] : llvm::enumerate(info.convs))
    m += loadWeights(e, info, conv, n);
  for (size_t n = 0; n < info.convs.size(); ++n)
    m += fmt::format("    float cv{}[SSMC_C1_STEPS][{}]; // conv #{} at the steps\n", n, vec, n);
  for (size_t n = 0; n < info.windowFill.size(); ++n)
    m += fmt::format("    float win{0}[kC1K][{1}]; // window {0}: rows r - K + 1 .. r\n"
                     "#pragma unroll\n    for (int j = 0; j + 1 < kC1K; ++j)\n"
                     "      row{0}(i0, l0 - (kC1K - 1) + j, c, win{0}[j + 1]);\n",
                     n, vec);
  m += fmt::format(
      "    // The sweep: row r = l0 + s enters the window; a causal conv's output at r and a "
      "reverse conv's at r - (K - 1) are complete.\n"
      "#pragma unroll\n    for (int s = 0; s < SSMC_C1_STEPS + {}; ++s) {{\n",
      anyReverse ? "kC1K - 1" : "0");
  for (size_t n = 0; n < info.windowFill.size(); ++n)
    m += fmt::format("#pragma unroll\n      for (int j = 0; j + 1 < kC1K; ++j)\n#pragma unroll\n"
                     "        for (int t = 0; t < {1}; ++t)\n"
                     "          win{0}[j][t] = win{0}[j + 1][t];\n"
                     "      row{0}(i0, l0 + s, c, win{0}[kC1K - 1]);\n",
                     n, vec);
  for (size_t n = 0; n < info.convs.size(); ++n) {
    CausalConv1dOp conv = info.convs[n];
    const size_t x = info.windowOf[n];
    if (conv.getReverse())
      m += fmt::format("      if (s >= kC1K - 1) {{ // conv #{0} (reverse): out[r - K + 1] = sum_j "
                       "w[j] x[r - j]\n"
                       "#pragma unroll\n        for (int t = 0; t < {1}; ++t) {{\n"
                       "          float acc = cb{0}[t];\n#pragma unroll\n"
                       "          for (int j = 0; j < kC1K; ++j)\n"
                       "            acc += cw{0}[j][t] * win{2}[kC1K - 1 - j][t];\n"
                       "          cv{0}[s - (kC1K - 1)][t] = acc;\n        }}\n      }}\n",
                       n, vec, x);
    else
      m += fmt::format("      if (s < SSMC_C1_STEPS) {{ // conv #{0} (causal): out[r] = sum_j "
                       "w[j] x[r - K + 1 + j]\n"
                       "#pragma unroll\n        for (int t = 0; t < {1}; ++t) {{\n"
                       "          float acc = cb{0}[t];\n#pragma unroll\n"
                       "          for (int j = 0; j < kC1K; ++j)\n"
                       "            acc += cw{0}[j][t] * win{2}[j][t];\n"
                       "          cv{0}[s][t] = acc;\n        }}\n      }}\n",
                       n, vec, x);
  }
  m += "    }\n";
  // The results, step by step: every result of a step computed before any
  // is stored.
  m += "#pragma unroll\n    for (int s = 0; s < SSMC_C1_STEPS; ++s) {\n"
       "      const idx_t i1 = l0 + s;\n"
       "      if (i1 >= kC1L)\n        break;\n";
  PieceEmitter pe = pieces(e, info);
  for (auto [r, v] : llvm::enumerate(yield.getValues())) {
    auto code = pe.fill(v, "c", fmt::format("r{}", r), "      ");
    if (!code)
      return rt::Status::error(fmt::format("kernel group '{}': result #{} is not a piece of the "
                                           "convs",
                                           e.groupName(), r));
    m += fmt::format("      float r{}[{}]; // result #{}\n", r, vec, r) + *code;
  }
  for (auto [r, v] : llvm::enumerate(yield.getValues()))
    m += fmt::format("      store16({} + {}, r{});\n", e.outputParam(unsigned(r)),
                     e.linear(v, {"i0", "i1", "c"}), r);
  m += "    }\n  }\n";

  auto fns = e.groupStruct(llvm::DenseMap<Value, std::string>(), m);
  if (!fns)
    return fns.status();

  // The last with the most steps a thread (the host run tests the first and the last).
  const std::vector<Conv1dConfig> configs = {{4, 128}, {2, 128}, {4, 256}, {8, 128}};
  const Conv1dConfig &d = configs.front();
  std::string src = e.header(
      "causal conv1d",
      {fmt::format("{} causal conv1d(s) of width {} over [{}, {}, {}] (channels last){}.",
                   info.convs.size(), info.k, info.b, info.l, info.d,
                   anyReverse ? ", reverse ones included" : ""),
       fmt::format("A thread: {} channels (16 bytes) of STEPS consecutive time steps; the "
                   "weights in registers, the input rows swept once through a {}-row window, "
                   "each row one 16-byte load.",
                   vec, info.k),
       "Then every result at the thread's steps from the conv values in registers, one "
       "16-byte store each."},
      {{"C1_STEPS", fmt::format("time steps per thread (default {})", d.steps)},
       {"BLOCK", fmt::format("threads per block (default {})", d.block)}});
  src += '\n';
  src += e.prelude();
  src += fmt::format("\n#ifndef SSMC_C1_STEPS\n#define SSMC_C1_STEPS {}\n#endif\n"
                     "#ifndef SSMC_BLOCK\n#define SSMC_BLOCK {}\n#endif\n\n",
                     d.steps, d.block);
  std::string code = fmt::format("constexpr idx_t kC1B = {}, kC1L = {}, kC1D = {};\n"
                                 "constexpr int kC1K = {};\n\n",
                                 info.b, info.l, info.d, info.k);
  code += *fns + "\n";
  code +=
      fmt::format("extern \"C\" __global__ void __launch_bounds__(SSMC_BLOCK) {}(\n    {}) {{\n",
                  e.entry(), e.kernelParams());
  code += "  " + e.groupInit(e.outputNames()) + "\n";
  code += fmt::format(
      "  // Work items: (batch, chunk of STEPS steps, piece of {0} channels), pieces fastest.\n"
      "  constexpr idx_t kPieces = kC1D / {0}, kChunks = (kC1L + SSMC_C1_STEPS - 1) / "
      "SSMC_C1_STEPS;\n"
      "  for (idx_t e = (idx_t)blockIdx.x * SSMC_BLOCK + (idx_t)threadIdx.x; e < kC1B * kChunks "
      "* kPieces;\n"
      "       e += (idx_t)gridDim.x * SSMC_BLOCK) {{\n"
      "    const idx_t piece = e % kPieces, chunk = e / kPieces % kChunks, i0 = e / kPieces / "
      "kChunks;\n"
      "    g.steps(i0, chunk * SSMC_C1_STEPS, piece * {0});\n"
      "  }}\n}}\n",
      vec);
  src += e.shapeConstants(code) + code;

  rt::PlanKernel plan = e.kernel("conv1d", std::move(src), {"C1_STEPS", "BLOCK"});
  for (const Conv1dConfig &c : configs) {
    const int64_t items = info.b * ((info.l + c.steps - 1) / c.steps) * (info.d / vec);
    rt::PlanConfig pc = gridStrideConfig(items, c.block);
    pc.tunables = {{"C1_STEPS", c.steps}, {"BLOCK", c.block}};
    plan.configs.push_back(pc);
  }
  (void)options;
  return plan;
}

} // namespace ssmc::codegen
