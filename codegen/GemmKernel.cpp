//===- GemmKernel.cpp - tensor-core GEMM groups ---------------------------===//
//
// A group whose anchors are linears of one shape (one, or independent twins
// such as Vim's two x_proj) becomes ssmc's GEMM template
// (Templates/Gemm.cuh) instantiated with the group's index functions:
//
//   prologue  A(m, k) = the linear's input at row m, column k: views,
//             elementwise ops, and LayerNorm/RMSNorm over K whose row
//             statistics each block computes first (one warp per row) into
//             shared memory;
//   epilogue  every result that reads the linear through same-shape
//             elementwise ops (bias, GELU, residual add, ...) at the same
//             (m, n), evaluated from the fp32 C tile;
//   extra     results that read no linear (Vim's residual_out = x +
//             residual beside the GEMM), written by the blocks of the first
//             column of tiles.
//
// Anything else (a norm whose output is also used elsewhere, a view after
// the linear, two linears combined) goes to the generic emitter.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

using namespace mlir;

namespace ssmc::codegen {
namespace {

#include "GemmTemplate.inc"

bool isElementwiseOp(Operation *op) {
  return isa<GeluOp, SiluOp, SoftplusOp, ExpOp, NegOp, ScaleOp, AddOp, MulOp>(op);
}

struct GemmInfo {
  std::vector<LinearOp> linears;
  int64_t m = 0, n = 0, k = 0;
  std::vector<Operation *> norms;                    // statistics per row, in order
  std::vector<std::vector<unsigned>> epilogueYields; // per linear
  std::vector<unsigned> extraYields;
};

/// Whether every path from `v` to the yield of `target` is same-shape
/// elementwise, so the result at (m, n) reads the linear at (m, n) only.
bool identityPath(Value v, Value target, const llvm::DenseSet<Value> &roots,
                  llvm::DenseMap<Value, bool> &memo) {
  if (v == target)
    return true;
  Operation *op = v.getDefiningOp();
  if (!op || !isElementwiseOp(op))
    return false;
  for (Value operand : op->getOperands()) {
    llvm::DenseSet<Value> one{target};
    llvm::DenseMap<Value, bool> m;
    if (!GroupEmitter::dependsOn(operand, one, m))
      continue;
    if (operand.getType() != v.getType() || !identityPath(operand, target, roots, memo))
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
    if (isa<Conv2dOp, DepthwiseConv2dOp, CausalConv1dOp, SelectiveScanOp, ReduceMeanOp>(op))
      return no("it holds a non-GEMM anchor");
    if (auto l = dyn_cast<LinearOp>(op))
      info.linears.push_back(l);
  }
  if (info.linears.empty())
    return no("it holds no linear");
  llvm::DenseSet<Value> results;
  for (auto [j, l] : llvm::enumerate(info.linears)) {
    std::vector<int64_t> w = GroupEmitter::shape(l.getWeight());
    const int64_t n = w[0], k = w[1], m = GroupEmitter::numElements(l.getInput()) / k;
    if (j == 0) {
      info.m = m;
      info.n = n;
      info.k = k;
    } else if (m != info.m || n != info.n || k != info.k) {
      return no("its linears differ in shape");
    }
    results.insert(l.getResult());
  }
  for (LinearOp l : info.linears) {
    llvm::DenseMap<Value, bool> memo;
    for (Value operand : l->getOperands())
      if (GroupEmitter::dependsOn(operand, results, memo))
        return no("a linear reads another linear");
  }
  // Norms: statistics per row only if they feed linears' inputs alone.
  llvm::DenseSet<Value> linearInputs;
  for (LinearOp l : info.linears)
    linearInputs.insert(l.getInput());
  for (Operation &op : body.without_terminator()) {
    if (!isa<LayerNormOp, RmsNormOp>(op))
      continue;
    llvm::DenseMap<Value, bool> memo;
    if (GroupEmitter::dependsOn(op.getOperand(0), results, memo))
      return no("a norm reads a linear");
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
  // Results: the epilogue of one linear, or extra.
  info.epilogueYields.resize(info.linears.size());
  auto yield = cast<YieldOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    std::vector<size_t> reads;
    for (size_t j = 0; j < info.linears.size(); ++j) {
      llvm::DenseSet<Value> one{info.linears[j].getResult()};
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
    Value target = info.linears[reads[0]].getResult();
    llvm::DenseMap<Value, bool> memo;
    if (v.getType() != target.getType() || !identityPath(v, target, results, memo))
      return no("a result reads its linear through more than same-shape elementwise ops");
    info.epilogueYields[reads[0]].push_back(i);
  }
  return info;
}

enum Mode { kFfma = 0, kWmma16 = 1, kTf32 = 2 };

struct Tile {
  int64_t bm, bn, bk, wm, wn;
};

int64_t smemBytes(const Tile &t, Mode mode, int64_t stats) {
  const int64_t pad = mode == kWmma16 ? 8 : 4, elem = mode == kWmma16 ? 2 : 4;
  const int64_t tile = (t.bm * (t.bk + pad) + t.bk * (t.bn + pad)) * elem;
  const int64_t c = t.bm * (t.bn + 4) * 4;
  const int64_t mainFloats = (std::max(tile, c) + 127) / 128 * 32;
  return (mainFloats + stats * t.bm) * 4;
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

/// The index functions the GEMM supplies itself: a linear reads the C tile
/// (plus its bias), a norm its row's statistics.
llvm::DenseMap<Value, std::string> gemmIndexFunctions(const GroupEmitter &e, GemmInfo &info) {
  llvm::DenseMap<Value, std::string> custom;
  for (auto [j, l] : llvm::enumerate(info.linears)) {
    const size_t r = GroupEmitter::shape(l.getResult()).size();
    std::string body =
        fmt::format("// the GEMM's C tile at this (m, n) (fp32)\n    return cur{}", j);
    if (l.getBias())
      body += " + " + e.call(l.getBias(), {fmt::format("i{}", r - 1)});
    custom[l.getResult()] = body + ";";
  }
  for (auto [i, op] : llvm::enumerate(info.norms)) {
    Value out = op->getResult(0), x = op->getOperand(0);
    const size_t r = GroupEmitter::shape(out).size();
    std::vector<std::string> idx = GroupEmitter::indexNames("i", r);
    std::vector<std::string> lead(idx.begin(), idx.end() - 1);
    std::string row = fmt::format("const idx_t row = {} - m0; // the row's statistics, computed "
                                  "per block\n    ",
                                  lead.empty() ? "0" : e.linear(out, lead));
    if (auto ln = dyn_cast<LayerNormOp>(op))
      custom[out] =
          row + fmt::format("return ({} - s{}[row]) * s{}[row] * {} + {};", e.call(x, idx), 2 * i,
                            2 * i + 1, e.call(ln.getWeight(), {idx.back()}),
                            e.call(ln.getBias(), {idx.back()}));
    else
      custom[out] = row + fmt::format("return {} * s{}[row] * {};", e.call(x, idx), 2 * i + 1,
                                      e.call(cast<RmsNormOp>(op).getWeight(), {idx.back()}));
  }

  return custom;
}

/// The norm statistics: bindStats(p) points s0.. into shared memory, stats()
/// computes mean and 1/sqrt(var + eps) per row of the block, a warp a row.
std::string statsMethods(const GroupEmitter &e, GemmInfo &info, int64_t stats) {
  std::string m;
  m += stats ? "\n  __device__ __forceinline__ void bindStats(float *p) {\n"
             : "\n  __device__ __forceinline__ void bindStats(float *) {}\n";
  for (int64_t s = 0; s < stats; ++s)
    m += fmt::format("    s{} = p + {} * SSMC_BM;\n", s, s);
  if (stats)
    m += "  }\n";
  m += stats ? "  __device__ __forceinline__ void stats(int warp, int lane) {\n"
             : "  __device__ __forceinline__ void stats(int, int) {}\n";
  for (auto [i, op] : llvm::enumerate(info.norms)) {
    Value x = op->getOperand(0);
    const size_t r = GroupEmitter::shape(x).size();
    const bool layerNorm = isa<LayerNormOp>(op);
    const double eps = layerNorm ? cast<LayerNormOp>(op).getEps().convertToDouble()
                                 : cast<RmsNormOp>(op).getEps().convertToDouble();
    std::vector<std::string> xi = GroupEmitter::indexNames("j", r - 1);
    xi.push_back("k");
    const std::string c = e.dim(x, r - 1);
    m += fmt::format("    // norm {}: {} over the last axis of {}, one warp per row\n", i,
                     layerNorm ? "LayerNorm" : "RMSNorm", e.name(x));
    m += "    for (int r = warp; r < SSMC_BM; r += SSMC_WARPS_M * SSMC_WARPS_N) {\n";
    m += "      const idx_t m = m0 + r;\n      if (m >= kGemmM)\n        continue;\n";
    m += e.delinearizePrefix(x, r - 1, "m", "j", "      ");
    if (layerNorm) {
      m += fmt::format("      float sum = 0.0f;\n      for (idx_t k = lane; k < {}; k += 32)\n"
                       "        sum += {};\n",
                       c, e.call(x, xi));
      m += "      for (int o = 16; o > 0; o >>= 1)\n"
           "        sum += __shfl_xor_sync(0xffffffffu, sum, o);\n";
      m += fmt::format("      const float mean = sum / (float){};\n", c);
      m += fmt::format("      float sq = 0.0f; // two passes: no cancellation\n"
                       "      for (idx_t k = lane; k < {}; k += 32) {{\n"
                       "        const float d = {} - mean;\n        sq += d * d;\n      }}\n",
                       c, e.call(x, xi));
    } else {
      m += fmt::format("      float sq = 0.0f;\n      for (idx_t k = lane; k < {}; k += 32) {{\n"
                       "        const float v = {};\n        sq += v * v;\n      }}\n",
                       c, e.call(x, xi));
    }
    m += "      for (int o = 16; o > 0; o >>= 1)\n"
         "        sq += __shfl_xor_sync(0xffffffffu, sq, o);\n";
    m += "      if (lane == 0) {\n";
    if (layerNorm)
      m += fmt::format("        s{}[r] = mean;\n", 2 * i);
    else
      m += fmt::format("        s{}[r] = 0.0f;\n", 2 * i);
    m += fmt::format("        s{}[r] = 1.0f / sqrtf(sq / (float){} + {});\n      }}\n    }}\n",
                     2 * i + 1, c, floatLiteral(eps));
  }
  if (stats)
    m += "  }\n";

  return m;
}

/// The prologue a(z, m, k) (linear z's input at row m) and the weight
/// b(z, k, n).
std::string operandMethods(const GroupEmitter &e, GemmInfo &info) {
  std::string m;
  m += "\n  // The prologue: A[z](m, k), the linear's input at row m.\n";
  m += "  __device__ __forceinline__ float a(int z, idx_t m, idx_t k) {\n    switch (z) {\n";
  for (auto [j, l] : llvm::enumerate(info.linears)) {
    Value x = l.getInput();
    const size_t r = GroupEmitter::shape(x).size();
    std::vector<std::string> xi = GroupEmitter::indexNames("j", r - 1);
    xi.push_back("k");
    m += fmt::format("    case {}: {{\n", j);
    m += e.delinearizePrefix(x, r - 1, "m", "j", "      ");
    m += fmt::format("      return {};\n    }}\n", e.call(x, xi));
  }
  m += "    }\n    return 0.0f;\n  }\n";
  m += "  // The weight: W[z][n, k].\n";
  m += "  __device__ __forceinline__ float b(int z, idx_t k, idx_t n) {\n    switch (z) {\n";
  for (auto [j, l] : llvm::enumerate(info.linears))
    m += fmt::format("    case {}:\n      return {};\n", j, e.call(l.getWeight(), {"n", "k"}));
  m += "    }\n    return 0.0f;\n  }\n";

  return m;
}

/// epilogue(z, m, n, acc): every result linear z feeds at (m, n), computed
/// before any is stored; extra(first, stride): the results no linear feeds.
std::string resultMethods(const GroupEmitter &e, GemmInfo &info, YieldOp yield) {
  std::string m;
  m += "\n  // The epilogue: every result of linear z at (m, n), computed before any is stored.\n";
  m += "  __device__ __forceinline__ void epilogue(int z, idx_t m, idx_t n, float acc) {\n"
       "    switch (z) {\n";
  for (auto [j, l] : llvm::enumerate(info.linears)) {
    m += fmt::format("    case {}: {{\n      cur{} = acc;\n", j, j);
    Value out = l.getResult();
    const size_t r = GroupEmitter::shape(out).size();
    if (!info.epilogueYields[j].empty())
      m += e.delinearizePrefix(out, r - 1, "m", "i", "      ");
    std::vector<std::string> idx = GroupEmitter::indexNames("i", r - 1);
    idx.push_back("n");
    for (unsigned y : info.epilogueYields[j])
      m += fmt::format("      const float r{} = {};\n", y, e.call(yield.getValues()[y], idx));
    for (unsigned y : info.epilogueYields[j])
      m += fmt::format("      {}[m * kGemmN + n] = st(r{}); // result #{}\n", e.outputParam(y), y,
                       y);
    m += "      break;\n    }\n";
  }
  m += "    }\n  }\n";

  m += info.extraYields.empty() ? "  __device__ __forceinline__ void extra(idx_t, idx_t) {}\n"
                                : "  // Results that read no linear.\n"
                                  "  __device__ __forceinline__ void extra(idx_t first, idx_t "
                                  "stride) {\n";
  if (!info.extraYields.empty())
    m += e.plainResultLoops(yield.getValues(), info.extraYields, "", "    ") + "  }\n";

  return m;
}

/// Every valid tile configuration, the default first; empty when none fits
/// `limit` bytes of shared memory.
std::vector<Tile> gemmTiles(const GemmInfo &info, Mode mode, int64_t stats, int64_t limit) {
  std::vector<Tile> tiles;
  const int64_t capM = std::max<int64_t>(32, pow2AtLeast(info.m));
  const int64_t capN = std::max<int64_t>(32, pow2AtLeast(info.n));
  const int64_t capK = std::max<int64_t>(16, pow2AtLeast(info.k));
  Tile def{info.m >= 64 ? 64 : 32, info.n >= 64 ? 64 : 32, info.k > 16 ? 32 : 16, 1, 1};
  def.wm = def.bm / 32;
  def.wn = def.bn / 32;
  auto valid = [&](const Tile &t) {
    return t.bm % (16 * t.wm) == 0 && t.bn % (16 * t.wn) == 0 && t.wm * t.wn * 32 <= 1024 &&
           smemBytes(t, mode, stats) <= limit;
  };
  if (valid(def))
    tiles.push_back(def);
  for (int64_t bm : {32, 64, 128})
    for (int64_t bn : {32, 64, 128})
      for (int64_t bk : {16, 32, 64})
        for (auto [wm, wn] :
             {std::pair<int64_t, int64_t>{1, 1}, {1, 2}, {2, 1}, {2, 2}, {2, 4}, {4, 2}}) {
          Tile t{bm, bn, bk, wm, wn};
          if (bm > capM || bn > capN || bk > capK || !valid(t))
            continue;
          if (t.bm == def.bm && t.bn == def.bn && t.bk == def.bk && t.wm == def.wm &&
              t.wn == def.wn)
            continue;
          tiles.push_back(t);
        }
  return tiles;
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
  const Mode mode = e.dtype() != rt::DType::F32 ? kWmma16 : options.exactF32Gemm ? kFfma : kTf32;
  const int64_t stats = 2 * int64_t(info.norms.size());

  // Enumerate the configurations.
  const std::vector<Tile> tiles = gemmTiles(info, mode, stats, sharedMemoryLimit(options.arch));
  if (tiles.empty())
    return rt::Status::error(fmt::format("kernel group '{}': no GEMM tile fits the shared memory "
                                         "of {}",
                                         e.groupName(), options.arch));

  // Emit: the Group struct with the members and methods the template calls.
  // Members and the methods the template calls.
  const char *restrict = e.mayAlias() ? "" : "__restrict__ ";
  std::string m;
  std::vector<std::string> outs;
  for (const rt::PlanParam &p : e.params())
    if (p.kind == rt::PlanParam::Kind::Output) {
      m += fmt::format("  T *{}{};\n", restrict, p.name);
      outs.push_back(p.name);
    }
  m += "  idx_t m0; // the block's first row\n";
  for (int64_t s = 0; s < stats; ++s)
    m += fmt::format("  float *s{}; // {} of norm {} per row of the block\n", s,
                     s % 2 ? "1/sqrt(var + eps)" : "mean", s / 2);
  for (size_t j = 0; j < info.linears.size(); ++j)
    m += fmt::format("  float cur{}; // linear {}'s accumulator at the element the epilogue "
                     "evaluates\n",
                     j, j);

  m += statsMethods(e, info, stats);
  m += operandMethods(e, info);
  m += resultMethods(e, info, yield);
  auto fns = e.groupStruct(gemmIndexFunctions(e, info), m);
  if (!fns)
    return fns.status();
  const Tile &d = tiles.front();

  const char *modeText = mode == kWmma16 ? "wmma 16x16x16 on tensor cores, fp32 accumulate"
                         : mode == kTf32 ? "wmma 16x16x8 TF32 on tensor cores, fp32 accumulate"
                                         : "FFMA, exact fp32";
  std::vector<std::string> notes = {
      fmt::format("GEMM: M {} x N {} x K {}, {} linear(s) (blockIdx.z), {}.", info.m, info.n,
                  info.k, info.linears.size(), modeText),
      "Prologue as A(m, k), epilogue per (m, n) from the fp32 C tile; " +
          std::string(info.norms.empty() ? "no norm statistics."
                                         : "norm statistics per row first, one warp per row."),
      fmt::format("Dynamic shared memory: {} bytes for the default tiles (the runtime opts in "
                  "above 48 KiB).",
                  smemBytes(d, mode, stats))};
  if (!info.extraYields.empty())
    notes.push_back(fmt::format("Result(s) #{} read no linear: written by the blocks with "
                                "blockIdx.y == 0 and blockIdx.z == 0.",
                                fmt::join(info.extraYields, ", #")));
  std::string src = e.header("gemm", notes,
                             {{"BM", fmt::format("rows of C per block (default {})", d.bm)},
                              {"BN", fmt::format("columns of C per block (default {})", d.bn)},
                              {"BK", fmt::format("K per shared-memory stage (default {})", d.bk)},
                              {"WARPS_M", fmt::format("warps along M (default {})", d.wm)},
                              {"WARPS_N", fmt::format("warps along N (default {})", d.wn)}});
  src += '\n';
  src += e.prelude();
  src +=
      fmt::format("\n#define SSMC_GEMM_MODE {} // 0 FFMA, 1 wmma 16-bit, 2 wmma TF32\n", int(mode));
  src += fmt::format("#ifndef SSMC_BM\n#define SSMC_BM {}\n#endif\n"
                     "#ifndef SSMC_BN\n#define SSMC_BN {}\n#endif\n"
                     "#ifndef SSMC_BK\n#define SSMC_BK {}\n#endif\n"
                     "#ifndef SSMC_WARPS_M\n#define SSMC_WARPS_M {}\n#endif\n"
                     "#ifndef SSMC_WARPS_N\n#define SSMC_WARPS_N {}\n#endif\n\n",
                     d.bm, d.bn, d.bk, d.wm, d.wn);
  std::string code = fmt::format("constexpr idx_t kGemmM = {}, kGemmN = {}, kGemmK = {};\n"
                                 "constexpr int kGemmStats = {};\n\n",
                                 info.m, info.n, info.k, stats);
  code += *fns + "\n" + kGemmTemplate + "\n";
  code += fmt::format("extern \"C\" __global__ void __launch_bounds__(32 * SSMC_WARPS_M * "
                      "SSMC_WARPS_N) {}(\n    {}) {{\n",
                      e.entry(), e.kernelParams());
  code += "  extern __shared__ __align__(128) float smem[];\n";
  code += "  " + e.groupInit(fmt::format("{}", fmt::join(outs, ", "))) + "\n";
  code += "  ssmc_gemm::run(g, smem);\n}\n";
  src += e.shapeConstants(code) + code;

  rt::PlanKernel plan = e.kernel("gemm", std::move(src), {"BK", "BM", "BN", "WARPS_M", "WARPS_N"});
  for (const Tile &t : tiles) {
    rt::PlanConfig c;
    c.tunables = {{"BM", t.bm}, {"BN", t.bn}, {"BK", t.bk}, {"WARPS_M", t.wm}, {"WARPS_N", t.wn}};
    c.block = {32 * t.wm * t.wn, 1, 1};
    c.grid = {(info.m + t.bm - 1) / t.bm, (info.n + t.bn - 1) / t.bn, int64_t(info.linears.size())};
    c.smemBytes = smemBytes(t, mode, stats);
    plan.configs.push_back(c);
  }
  return plan;
}

} // namespace ssmc::codegen
