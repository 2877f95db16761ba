//===- RowKernel.cpp - groups around one LayerNorm/RMSNorm ----------------===//
//
// A group with one norm whose results read it through elementwise ops,
// permutes, flips and unit reshapes (the stem and downsample convolutions +
// LayerNorm of MambaOut, Vim's final add + RMSNorm): one block per row of the
// norm. The block computes the norm's input row once into shared memory
// (e.g. the conv output of one pixel, all channels), reduces its statistics,
// then evaluates every such result at the positions the row maps to. The
// generic path would recompute the row (and the conv) per element.
//
//===----------------------------------------------------------------------===//

#include "AxisMap.h"
#include "Kernels.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

using namespace mlir;

namespace ssmc::codegen {
namespace {

struct RowInfo {
  Operation *norm = nullptr;
  std::vector<std::pair<unsigned, AxisMap>> driven; // result #, the norm's axes in its coordinates
  std::vector<unsigned> plain;
};

std::optional<RowInfo> analyzeRows(GroupEmitter &e) {
  KernelGroupOp group = e.group();
  Block &body = group.getBody().front();
  RowInfo info;
  for (Operation &op : body.without_terminator()) {
    if (isa<SelectiveScanOp>(op))
      return std::nullopt;
    if (isa<LayerNormOp, RmsNormOp>(op)) {
      if (info.norm)
        return std::nullopt; // one norm per kernel
      info.norm = &op;
    }
  }
  if (!info.norm)
    return std::nullopt;
  llvm::DenseMap<Value, size_t> targets;
  targets[info.norm->getResult(0)] = 0;
  AxisTracer tracer(e, targets, "not a row kernel");
  const std::vector<int64_t> ns = GroupEmitter::shape(info.norm->getResult(0));
  auto yield = cast<YieldOp>(body.getTerminator());
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    if (!tracer.dependsOnTargets(v)) {
      info.plain.push_back(i);
      continue;
    }
    std::vector<int64_t> ys = GroupEmitter::shape(v);
    std::vector<TargetRead> reads;
    if (!tracer.trace(v, AxisTracer::identity(ys), reads).ok() || reads.empty())
      return std::nullopt;
    for (const TargetRead &r : reads)
      if (r.map != reads.front().map)
        return std::nullopt;
    const AxisMap &map = reads.front().map;
    std::vector<int> covered(ys.size(), 0);
    for (size_t a = 0; a < ns.size(); ++a) {
      if (map[a].axis < 0 && ns[a] != 1)
        return std::nullopt;
      if (map[a].axis >= 0)
        ++covered[map[a].axis];
    }
    for (size_t a = 0; a < ys.size(); ++a)
      if (ys[a] != 1 && covered[a] != 1)
        return std::nullopt;
    info.driven.push_back({unsigned(i), map});
  }
  if (info.driven.empty())
    return std::nullopt;
  return info;
}

} // namespace

bool isRowGroup(GroupEmitter &e) { return analyzeRows(e).has_value(); }

rt::Expected<rt::PlanKernel> emitRowKernel(GroupEmitter &e, const CodegenOptions &options) {
  auto analysis = analyzeRows(e);
  if (!analysis)
    return rt::Status::error(fmt::format("kernel group '{}' is not a row kernel", e.groupName()));
  RowInfo &info = *analysis;
  KernelGroupOp group = e.group();
  auto yield = cast<YieldOp>(group.getBody().front().getTerminator());
  Operation *norm = info.norm;
  Value out = norm->getResult(0), x = norm->getOperand(0);
  const bool layerNorm = isa<LayerNormOp>(norm);
  const double eps = layerNorm ? cast<LayerNormOp>(norm).getEps().convertToDouble()
                               : cast<RmsNormOp>(norm).getEps().convertToDouble();
  const std::vector<int64_t> ns = GroupEmitter::shape(out);
  const size_t rank = ns.size();
  const int64_t cols = ns.back(), rows = GroupEmitter::numElements(out) / cols;

  llvm::DenseMap<Value, std::string> custom;
  const std::string c = fmt::format("i{}", rank - 1);
  if (layerNorm)
    custom[out] = fmt::format("// the block's row, staged in shared memory\n    return (xs[{}] - "
                              "mean) * rstd * {} + {};",
                              c, e.call(cast<LayerNormOp>(norm).getWeight(), {c}),
                              e.call(cast<LayerNormOp>(norm).getBias(), {c}));
  else
    custom[out] = fmt::format("// the block's row, staged in shared memory\n    return xs[{}] * "
                              "rstd * {};",
                              c, e.call(cast<RmsNormOp>(norm).getWeight(), {c}));
  auto fns = e.groupStruct(custom, "  float *xs; // the norm's input row\n"
                                   "  float mean, rstd; // its statistics\n");
  if (!fns)
    return fns.status();

  const int64_t defThreads = cols <= 32 ? 32 : cols <= 64 ? 64 : cols <= 512 ? 128 : 256;
  std::string src = e.header(
      "rows: one block per row of the norm",
      {fmt::format("{} over the last axis of {} ({} rows of {}): each block stages a row of the "
                   "norm's input in shared memory, reduces its statistics, then writes every "
                   "result element that row maps to.",
                   layerNorm ? "LayerNorm" : "RMSNorm", e.name(x), rows, cols)},
      {{"ROW_THREADS", fmt::format("threads per block (32 to 256; default {})", defThreads)}});
  src += '\n';
  src += e.prelude();
  src += fmt::format("\n#ifndef SSMC_ROW_THREADS\n#define SSMC_ROW_THREADS {}\n#endif\n\n",
                     defThreads);
  std::string code = fmt::format("constexpr idx_t kRows = {}, kCols = {};\n\n", rows, cols);
  code += *fns;
  code += R"(
// Sum over the block; every thread gets it. `red` holds one float per warp.
// Each lane reads one warp's sum (one shared load a warp, not one per warp)
// and the butterfly adds them: every lane ends with the same bits.
__device__ __forceinline__ float ssmc_block_sum(float v, float *red) {
  for (int o = 16; o > 0; o >>= 1)
    v += __shfl_xor_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x % 32;
  if (lane == 0)
    red[threadIdx.x / 32] = v;
  __syncthreads();
  float s = lane < SSMC_ROW_THREADS / 32 ? red[lane] : 0.0f;
  for (int o = 16; o > 0; o >>= 1)
    s += __shfl_xor_sync(0xffffffffu, s, o);
  __syncthreads(); // red is free again
  return s;
}
)";
  code += fmt::format("\nextern \"C\" __global__ void __launch_bounds__(SSMC_ROW_THREADS) {}(\n"
                      "    {}) {{\n",
                      e.entry(), e.kernelParams());
  code += "  extern __shared__ float smem[]; // kCols floats: the row\n";
  code += "  __shared__ float red[32];\n";
  code += "  " + e.groupInit("smem") + "\n";
  code += "  const int tid = threadIdx.x;\n";
  code += "  for (idx_t row = blockIdx.x; row < kRows; row += gridDim.x) {\n";
  code += e.delinearizePrefix(out, rank - 1, "row", "i", "    ");
  std::vector<std::string> xi = GroupEmitter::indexNames("i", rank - 1);
  xi.push_back("c");
  code += "    for (idx_t c = tid; c < kCols; c += SSMC_ROW_THREADS)\n";
  code += fmt::format("      g.xs[c] = g.{};\n    __syncthreads();\n", e.call(x, xi));
  if (layerNorm) {
    code += "    float part = 0.0f;\n    for (idx_t c = tid; c < kCols; c += SSMC_ROW_THREADS)\n"
            "      part += g.xs[c];\n";
    code += "    g.mean = ssmc_block_sum(part, red) / (float)kCols;\n";
    code += "    part = 0.0f; // two passes: no cancellation\n"
            "    for (idx_t c = tid; c < kCols; c += SSMC_ROW_THREADS) {\n"
            "      const float d = g.xs[c] - g.mean;\n      part += d * d;\n    }\n";
  } else {
    code += "    float part = 0.0f;\n    for (idx_t c = tid; c < kCols; c += SSMC_ROW_THREADS)\n"
            "      part += g.xs[c] * g.xs[c];\n";
  }
  code += fmt::format("    g.rstd = 1.0f / sqrtf(ssmc_block_sum(part, red) / (float)kCols + {});\n",
                      floatLiteral(eps));
  code += "    for (idx_t c = tid; c < kCols; c += SSMC_ROW_THREADS) {\n";
  for (auto &[r, map] : info.driven) {
    Value v = yield.getValues()[r];
    std::vector<int64_t> ys = GroupEmitter::shape(v);
    std::vector<std::string> yi(ys.size(), "0");
    for (size_t a = 0; a < rank; ++a) {
      if (map[a].axis < 0)
        continue;
      const std::string coord = a + 1 == rank ? "c" : fmt::format("i{}", a);
      yi[map[a].axis] = map[a].flip ? fmt::format("{} - 1 - {}", ns[a], coord) : coord;
    }
    code += fmt::format("      const float r{} = g.{};\n", r, e.call(v, yi));
    code += fmt::format("      const idx_t at{} = {};\n", r, e.linear(v, yi));
  }
  for (auto &[r, map] : info.driven)
    code += fmt::format("      {}[at{}] = {}; // result #{}\n", e.outputParam(r), r,
                        e.storeValue(r, fmt::format("r{}", r)), r);
  code += "    }\n    __syncthreads(); // the row's buffer is reused\n  }\n";
  if (!info.plain.empty()) {
    code += "  // Results that read no norm: one thread per element.\n";
    code += "  const idx_t first = (idx_t)blockIdx.x * SSMC_ROW_THREADS + tid;\n";
    code += "  const idx_t stride = (idx_t)gridDim.x * SSMC_ROW_THREADS;\n";
    code += e.plainResultLoops(yield.getValues(), info.plain, "g.", "  ");
  }
  code += "}\n";
  src += e.shapeConstants(code) + code;

  rt::PlanKernel plan = e.kernel("rows", std::move(src), {"ROW_THREADS"});
  const int64_t limit = sharedMemoryLimit(options.arch);
  std::vector<int64_t> threads = {defThreads};
  for (int64_t t : {32, 64, 128, 256})
    if (t != defThreads)
      threads.push_back(t);
  for (int64_t t : threads) {
    rt::PlanConfig cfg;
    cfg.tunables["ROW_THREADS"] = t;
    cfg.block = {t, 1, 1};
    cfg.grid = {std::min<int64_t>(rows, int64_t(1) << 30), 1, 1};
    cfg.smemBytes = cols * 4;
    if (cfg.smemBytes <= limit)
      plan.configs.push_back(cfg);
  }
  if (plan.configs.empty())
    return emitGenericKernel(e, options); // a row longer than shared memory
  return plan;
}

} // namespace ssmc::codegen
