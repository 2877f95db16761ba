//===- ScanKernel.cpp - groups holding selective scans --------------------===//
//
// A thread owns one (batch, channel) of every scan in the group and runs the
// recurrences one after the other, its d_state-wide state h in registers. A
// thread block holds SSMC_SCAN_CHANNELS channels of one batch element and
// walks the sequence in chunks of SSMC_SCAN_CHUNK steps, staging the chunk's
// B and C (shared by all its channels) in shared memory. u, delta, z, A, D
// and delta_bias are read through their index functions, so producers such
// as dt_proj + softplus or exp(A_log) are recomputed in place.
//
// The epilogue (what the group yields from the scans' outputs: D skip, the
// sum of two directions, scaling, permutes, flips) is evaluated by the same
// thread: every yielded value that reads scan outputs is "driven" by the
// last scan it reads. Each step of that scan evaluates the yield at the
// position the step's (batch, channel, t) maps to, the scan's own output
// coming from a register; outputs of earlier scans come from a per-scan fp32
// scratch area of the workspace, which this same thread filled. The emitter
// proves the mapping symbolically (only elementwise ops, permutes, flips and
// unit reshapes between a scan and a yield, and every scan read at the
// thread's own batch and channel) and refuses anything else by name.
//
//===----------------------------------------------------------------------===//

#include "AxisMap.h"
#include "Kernels.h"
#include "ScanTiling.h"

#include "llvm/ADT/TypeSwitch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

using namespace mlir;

namespace ssmc::codegen {
namespace {

struct DrivenYield {
  unsigned result;   // yield operand #
  AxisMap driverMap; // the driving scan's (b, d, t) in yield coordinates
};

struct ScanInfo {
  SelectiveScanOp op;
  int64_t states = 0;
  bool scratch = false;      // its output is read by a later scan's epilogue
  int64_t scratchOffset = 0; // in floats
  std::vector<DrivenYield> driven;
  std::vector<unsigned> lastStateYields;
};

/// Every configuration of a scan kernel over [batch, channels, length] with
/// up to `maxStates` states that fits `limit` bytes of shared memory: the
/// default (the tiling's) first, then channel and chunk variations (few
/// channels per block give more blocks at batch 1).
std::vector<rt::PlanConfig> scanConfigs(int64_t batch, int64_t channels, int64_t length,
                                        int64_t maxStates, int64_t deltaInputs, int64_t defChannels,
                                        int64_t defChunk, int64_t limit) {
  std::vector<rt::PlanConfig> configs;
  auto config = [&](int64_t ch, int64_t chunk) {
    rt::PlanConfig c;
    c.tunables["SCAN_CHANNELS"] = ch;
    c.tunables["SCAN_CHUNK"] = chunk;
    c.block = {ch, 1, 1};
    c.grid = {batch * ((channels + ch - 1) / ch), 1, 1};
    c.smemBytes = scanSharedBytes(maxStates, deltaInputs, chunk);
    return c;
  };
  std::set<std::pair<int64_t, int64_t>> seen;
  auto add = [&](int64_t ch, int64_t chunk) {
    if (ch < 1 || ch > 1024 || chunk < 1 || !seen.insert({ch, chunk}).second)
      return;
    rt::PlanConfig c = config(ch, chunk);
    if (c.smemBytes <= limit)
      configs.push_back(c);
  };
  add(defChannels, defChunk);
  const int64_t channelCap = std::max<int64_t>(32, (channels + 31) / 32 * 32);
  for (int64_t ch : {8, 16, 32, 64, 128, 256}) // few channels: more blocks at batch 1
    for (int64_t chunk : {16, 32, 64, 128, 256})
      if (ch <= channelCap && chunk <= std::max<int64_t>(16, length))
        add(ch, chunk);
  return configs;
}

} // namespace

rt::Expected<rt::PlanKernel> emitScanKernel(GroupEmitter &e, const CodegenOptions &options) {
  KernelGroupOp group = e.group();
  Block &body = group.getBody().front();
  auto yield = cast<YieldOp>(body.getTerminator());

  std::vector<ScanInfo> scans;
  llvm::DenseMap<Value, size_t> scanOfOut;
  llvm::DenseSet<Value> scanResults;
  for (Operation &op : body.without_terminator())
    if (auto s = dyn_cast<SelectiveScanOp>(op)) {
      scanOfOut[s.getOut()] = scans.size();
      scanResults.insert(s.getOut());
      scanResults.insert(s.getLastState());
      ScanInfo info;
      info.op = s;
      info.states = GroupEmitter::shape(s.getA())[1];
      scans.push_back(info);
    }
  // u's shape: [B, D, L], or [B, L, D] channels-last (the scan's axes in
  // the order of its output's).
  const bool nlc = scans[0].op.getChannelsLast();
  const std::vector<int64_t> bdl = GroupEmitter::shape(scans[0].op.getU());
  for (ScanInfo &s : scans) {
    if (GroupEmitter::shape(s.op.getU()) != bdl || s.op.getChannelsLast() != nlc)
      return e.unsupported(s.op, fmt::format("the scans of one kernel must share [batch, "
                                             "channels, length] and layout; this one is [{}]{}, "
                                             "the first [{}]{}",
                                             fmt::join(GroupEmitter::shape(s.op.getU()), ", "),
                                             s.op.getChannelsLast() ? " channels-last" : "",
                                             fmt::join(bdl, ", "), nlc ? " channels-last" : ""));
    llvm::DenseMap<Value, bool> memo;
    for (Value in : s.op->getOperands())
      if (GroupEmitter::dependsOn(in, scanResults, memo))
        return e.unsupported(s.op, "a scan reading another scan's result in the same kernel "
                                   "is not supported (split the group)");
    for (Operation *user : s.op.getLastState().getUsers())
      if (!isa<YieldOp>(user))
        return e.unsupported(user, "the scan kernel writes last_state only as a group result");
    if (s.states > 256)
      return e.unsupported(s.op, "d_state above 256 is not supported");
  }
  const int64_t batch = bdl[0], channels = bdl[nlc ? 2 : 1], length = bdl[nlc ? 1 : 2];
  const unsigned channelAxis = nlc ? 2 : 1;
  // The thread's coordinates on the scan's output axes, and their sizes.
  const std::vector<std::string> coords =
      nlc ? std::vector<std::string>{"b", "t", "d"} : std::vector<std::string>{"b", "d", "t"};
  const char *const sizeNames[3] = {"kBatch", nlc ? "kLength" : "kChannels",
                                    nlc ? "kChannels" : "kLength"};
  int64_t maxStates = 0;
  for (ScanInfo &s : scans)
    maxStates = std::max(maxStates, s.states);

  // Classify what the group yields.
  AxisTracer tracer(e, scanOfOut,
                    "between a selective scan and what the group yields, the scan kernel takes "
                    "elementwise ops, permute, flip and unit reshapes only");
  std::vector<unsigned> plainYields;
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    if (auto r = dyn_cast<OpResult>(v);
        r && isa<SelectiveScanOp>(r.getOwner()) && r.getResultNumber() == 1) {
      for (ScanInfo &s : scans)
        if (s.op == r.getOwner())
          s.lastStateYields.push_back(i);
      continue;
    }
    if (!tracer.dependsOnTargets(v)) {
      plainYields.push_back(i);
      continue;
    }
    std::vector<int64_t> ys = GroupEmitter::shape(v);
    std::vector<TargetRead> reads;
    if (rt::Status st = tracer.trace(v, AxisTracer::identity(ys), reads); !st.ok())
      return st;
    size_t driver = 0;
    for (const TargetRead &r : reads)
      driver = std::max(driver, r.target);
    Operation *yieldDef = v.getDefiningOp() ? v.getDefiningOp() : group.getOperation();
    const AxisMap *driverMap = nullptr;
    for (const TargetRead &r : reads) {
      if (r.target != driver)
        continue;
      if (driverMap && *driverMap != r.map)
        return e.unsupported(yieldDef, fmt::format("result #{} reads the scan's output at two "
                                                   "different positions",
                                                   i));
      driverMap = &r.map;
    }
    // Every scan read at the thread's own batch and channel.
    for (const TargetRead &r : reads)
      if (r.map[0] != (*driverMap)[0] || r.map[channelAxis] != (*driverMap)[channelAxis])
        return e.unsupported(yieldDef,
                             fmt::format("result #{} combines scan outputs of different batch "
                                         "elements or channels",
                                         i));
    // The driver's (b, d, t) must cover the yield exactly once.
    std::vector<int> covered(ys.size(), 0);
    for (size_t a = 0; a < 3; ++a) {
      const AxisExpr &x = (*driverMap)[a];
      if (x.axis < 0 && bdl[a] != 1)
        return e.unsupported(yieldDef,
                             fmt::format("result #{} does not follow scan axis {}", i, a));
      if (x.axis >= 0)
        ++covered[x.axis];
    }
    for (size_t a = 0; a < ys.size(); ++a)
      if (ys[a] != 1 && covered[a] != 1)
        return e.unsupported(yieldDef,
                             fmt::format("result #{} axis {} is not one scan axis", i, a));
    for (const TargetRead &r : reads)
      if (r.target != driver)
        scans[r.target].scratch = true;
    scans[driver].driven.push_back({unsigned(i), *driverMap});
  }

  // Scratch: fp32, laid out as the output, per scan read after its own loop.
  int64_t scratchFloats = 0;
  for (ScanInfo &s : scans)
    if (s.scratch) {
      s.scratchOffset = scratchFloats;
      scratchFloats += batch * channels * length;
    }
  if (scratchFloats)
    e.addWorkspace(scratchFloats * 4);

  // Index functions: scan outputs come from the current step or the scratch.
  llvm::DenseMap<Value, std::string> custom;
  std::string members;
  std::string extraInit;
  if (scratchFloats) {
    members += "  float *__restrict__ ws; // fp32 scratch of scan outputs read by later scans\n";
    extraInit += "ws, ";
  }
  members += "  int phase;  // the scan whose steps run now\n";
  extraInit += "-1";
  for (size_t k = 0; k < scans.size(); ++k) {
    members += fmt::format("  float cur{}; // scan {}'s output at the current step\n", k, k);
    extraInit += ", 0.0f";
    Value out = scans[k].op.getOut();
    if (scans[k].scratch)
      custom[out] =
          fmt::format("if (phase == {}) return cur{};\n    return ws[{} + {}];", k, k,
                      scans[k].scratchOffset, e.linear(out, GroupEmitter::indexNames("i", 3)));
    else
      custom[out] = fmt::format("return cur{}; // only read at the step that computes it", k);
    custom[scans[k].op.getLastState()] =
        "return 0.0f; // last_state is written by the scan loop, never read";
  }
  auto fns = e.groupStruct(custom, members);
  if (!fns)
    return fns.status();

  SelectiveScanOp first = scans[0].op;
  // Each scan stages, per chunk of steps, B and C and (where the group
  // computes delta with a small linear, dt_proj) that linear's input rows;
  // one buffer serves the scans in turn.
  int64_t maxDeltaInputs = 0;
  for (ScanInfo &s : scans)
    maxDeltaInputs = std::max(maxDeltaInputs, stagedDeltaInputs(s.op));
  // The tiling ssmc-tile-scan chose (for a module it has not run on, the
  // same choice with its defaults) is the default configuration; it must
  // fit the target this kernel is generated for.
  ScanTilingAttr tiling = first.getTilingAttr();
  if (!tiling)
    tiling = chooseScanTiling(first, kDefaultScanChunk, kDefaultScanChannels);
  for (ScanInfo &s : scans)
    if (ScanTilingAttr t = s.op.getTilingAttr();
        t && (t.getChunk() != tiling.getChunk() || t.getChannels() != tiling.getChannels()))
      return e.unsupported(s.op, fmt::format("the scans of one kernel must share one tiling; "
                                             "this one has chunk {} and channels {}, the first "
                                             "chunk {} and channels {}",
                                             t.getChunk(), t.getChannels(), tiling.getChunk(),
                                             tiling.getChannels()));
  const int64_t defChannels = tiling.getChannels(), defChunk = tiling.getChunk();
  const int64_t limit = sharedMemoryLimit(options.arch);
  if (const int64_t bytes = scanSharedBytes(maxStates, maxDeltaInputs, defChunk); bytes > limit)
    return e.unsupported(first, fmt::format("its tiling (chunk {}) stages {} bytes of shared "
                                            "memory per block, more than the {} bytes of {}: the "
                                            "module was tiled for another target; lower it with "
                                            "--arch {} (ssmc-tile-scan's arch option)",
                                            defChunk, bytes, limit, options.arch, options.arch));
  std::vector<rt::PlanConfig> configs =
      scanConfigs(batch, channels, length, maxStates, maxDeltaInputs, defChannels, defChunk, limit);
  if (configs.empty())
    return e.unsupported(first, "no scan configuration fits the shared memory of " + options.arch);

  std::vector<std::string> notes = {
      fmt::format("Scan kernel: one thread per (batch, channel) of {} [{}]; {} scan(s), "
                  "d_state {}.",
                  nlc ? "channels-last" : "sequence-major", fmt::join(bdl, ", "), scans.size(),
                  maxStates),
      fmt::format("State h in registers; per chunk of SSMC_SCAN_CHUNK steps, B and C{} staged in "
                  "shared memory as fp32 (dynamic, {} floats a step).",
                  maxDeltaInputs ? " and the delta projection's inputs" : "",
                  2 * scanStepPitch(maxStates) + scanStepPitch(maxDeltaInputs)),
      "exp(delta * A) as exp2f(delta * A * log2(e)): one MUFU.EX2 per state and step.",
      "The epilogue runs in the thread that owns the (batch, channel)."};
  if (scratchFloats)
    notes.push_back(fmt::format("Workspace: {} bytes of fp32 scratch for scan outputs read by a "
                                "later scan's epilogue.",
                                scratchFloats * 4));
  std::string src = e.header(
      "scan", notes,
      {{"SCAN_CHANNELS", fmt::format("channels (threads) per block (default {})", defChannels)},
       {"SCAN_CHUNK", fmt::format("time steps staged per chunk (default {})", defChunk)}});
  src += '\n';
  src += e.prelude();
  src += fmt::format("\n#ifndef SSMC_SCAN_CHANNELS\n#define SSMC_SCAN_CHANNELS {}\n#endif\n"
                     "#ifndef SSMC_SCAN_CHUNK\n#define SSMC_SCAN_CHUNK {}\n#endif\n\n",
                     defChannels, defChunk);
  auto seqIndex = [&](const char *inner) {
    return nlc ? std::vector<std::string>{"b", "t", inner}
               : std::vector<std::string>{"b", inner, "t"};
  };
  std::string code;
  code += *fns + "\n";
  code += fmt::format(
      "extern \"C\" __global__ void __launch_bounds__(SSMC_SCAN_CHANNELS) {}(\n    {}) {{\n",
      e.entry(), e.kernelParams());
  // A step's staged values are contiguous (16-byte aligned rows): every
  // thread reads the same ones, each 16-byte load a broadcast.
  code += "  // Per step of the chunk: B, C [SSMC_SCAN_CHUNK][kStatePitch] each";
  code += maxDeltaInputs ? "; the delta projection's inputs [SSMC_SCAN_CHUNK][kDtPitch]\n" : "\n";
  code += "  extern __shared__ __align__(16) float smem[];\n";
  code += "  float *sB = smem, *sC = smem + kStatePitch * SSMC_SCAN_CHUNK;\n";
  if (maxDeltaInputs)
    code += "  float *sX = smem + 2 * kStatePitch * SSMC_SCAN_CHUNK;\n";
  code += "  " + e.groupInit(extraInit) + "\n";
  code += "  constexpr idx_t kChannelBlocks = (kChannels + SSMC_SCAN_CHANNELS - 1) / "
          "SSMC_SCAN_CHANNELS;\n";
  code += "  const idx_t b = (idx_t)blockIdx.x / kChannelBlocks;\n";
  code += "  const idx_t d = ((idx_t)blockIdx.x % kChannelBlocks) * SSMC_SCAN_CHANNELS + "
          "(idx_t)threadIdx.x;\n";
  code += "  const bool active = d < kChannels;\n";

  for (size_t k = 0; k < scans.size(); ++k) {
    SelectiveScanOp s = scans[k].op;
    const int64_t n = scans[k].states;
    const bool rev = s.getReverse();
    LinearOp dtProj = stagedDeltaProjection(s);
    std::string step = rev ? "kLength - 1 - (c0 + s)" : "c0 + s";
    code += fmt::format("\n  // scan {}: {} of [{}], d_state {}{}{}{}{}{}{}\n", k,
                        e.name(s.getOut()), fmt::join(bdl, ", "), n, nlc ? ", channels-last" : "",
                        rev ? ", reverse (t from the end)" : "", s.getD() ? ", D skip" : "",
                        s.getZ() ? ", silu(z) gate" : "", s.getDeltaBias() ? ", delta_bias" : "",
                        s.getDeltaSoftplus() ? ", softplus(delta)" : "");
    code += fmt::format("  g.phase = {};\n  {{\n", k);
    code += fmt::format("    constexpr int kStates = {};\n", n);
    code += "    float h[kStates], A2[kStates]; // A2 = A * log2(e)\n";
    code += "#pragma unroll\n    for (int n = 0; n < kStates; ++n) {\n      h[n] = 0.0f;\n";
    code += fmt::format("      A2[n] = active ? g.{} * 1.44269504088896341f : 0.0f;\n    }}\n",
                        e.call(s.getA(), {"d", "n"}));
    if (s.getD())
      code +=
          fmt::format("    const float skip = active ? g.{} : 0.0f;\n", e.call(s.getD(), {"d"}));
    if (s.getDeltaBias())
      code += fmt::format("    const float deltaBias = active ? g.{} : 0.0f;\n",
                          e.call(s.getDeltaBias(), {"d"}));
    if (dtProj) {
      const int64_t r = GroupEmitter::shape(dtProj.getWeight())[1];
      code += fmt::format("    // delta = {} computed here: the channel's weights in registers, "
                          "the inputs staged per chunk.\n",
                          e.name(dtProj.getResult()));
      code += fmt::format("    constexpr int kDtIn = {};\n    float wdt[kDtIn];\n", r);
      code += "#pragma unroll\n    for (int r = 0; r < kDtIn; ++r)\n";
      code += fmt::format("      wdt[r] = active ? g.{} : 0.0f;\n",
                          e.call(dtProj.getWeight(), {"d", "r"}));
      if (dtProj.getBias())
        code += fmt::format("    const float dtBias = active ? g.{} : 0.0f;\n",
                            e.call(dtProj.getBias(), {"d"}));
    }
    code += "    for (idx_t c0 = 0; c0 < kLength; c0 += SSMC_SCAN_CHUNK) {\n";
    code += "      const idx_t len = kLength - c0 < SSMC_SCAN_CHUNK ? kLength - c0 : "
            "SSMC_SCAN_CHUNK;\n";
    code += "      __syncthreads(); // the previous chunk's staged values are consumed\n";
    code += "      for (idx_t j = threadIdx.x; j < kStates * len; j += SSMC_SCAN_CHANNELS) {\n";
    code += nlc ? "        const idx_t s = j / kStates, n = j - s * kStates; // states fastest\n"
                : "        const idx_t n = j / len, s = j - n * len; // steps fastest (B, C are "
                  "[B, N, L])\n";
    code += fmt::format("        const idx_t t = {};\n", step);
    code +=
        fmt::format("        sB[s * kStatePitch + n] = g.{};\n", e.call(s.getB(), seqIndex("n")));
    code +=
        fmt::format("        sC[s * kStatePitch + n] = g.{};\n", e.call(s.getC(), seqIndex("n")));
    code += "      }\n";
    if (dtProj) {
      code += "      for (idx_t j = threadIdx.x; j < kDtIn * len; j += SSMC_SCAN_CHANNELS) {\n";
      code += "        const idx_t s = j / kDtIn, r = j - s * kDtIn;\n";
      code += fmt::format("        const idx_t t = {};\n", step);
      code += fmt::format("        sX[s * kDtPitch + r] = g.{};\n",
                          e.call(dtProj.getInput(), {"b", "t", "r"}));
      code += "      }\n";
    }
    code += "      __syncthreads();\n      if (!active)\n        continue;\n";
    code += "      for (idx_t s = 0; s < len; ++s) {\n";
    code += fmt::format("        const idx_t t = {};\n", step);
    if (dtProj) {
      // The linear's order: the sum over its inputs, then its bias.
      code += "        float dt = 0.0f;\n#pragma unroll\n";
      code += "        for (int r0 = 0; r0 < kDtIn; r0 += 4) {\n";
      code += "          const Step4 x4 = loadStep4(sX + s * kDtPitch + r0);\n#pragma unroll\n";
      code += "          for (int i = 0; i < 4; ++i)\n            if (r0 + i < kDtIn)\n";
      code += "              dt += x4.v[i] * wdt[r0 + i];\n        }\n";
      if (dtProj.getBias())
        code += "        dt += dtBias;\n";
    } else {
      code += fmt::format("        float dt = g.{};\n", e.call(s.getDelta(), seqIndex("d")));
    }
    if (s.getDeltaBias())
      code += "        dt += deltaBias;\n";
    if (s.getDeltaSoftplus())
      code += "        dt = dt <= 20.0f ? log1pf(expf(dt)) : dt;\n";
    code += fmt::format("        const float u = g.{};\n", e.call(s.getU(), seqIndex("d")));
    code += "        float y = 0.0f;\n#pragma unroll\n";
    code += "        for (int n0 = 0; n0 < kStates; n0 += 4) {\n";
    code += "          const Step4 b4 = loadStep4(sB + s * kStatePitch + n0);\n";
    code += "          const Step4 c4 = loadStep4(sC + s * kStatePitch + n0);\n#pragma unroll\n";
    code += "          for (int i = 0; i < 4; ++i) {\n";
    code += "            const int n = n0 + i;\n            if (n >= kStates)\n"
            "              break;\n";
    code += "            h[n] = exp2f(dt * A2[n]) * h[n] + dt * b4.v[i] * u;\n";
    code += "            y += h[n] * c4.v[i];\n          }\n        }\n";
    if (s.getD())
      code += "        y += skip * u;\n";
    if (s.getZ()) {
      code += fmt::format("        const float z = g.{};\n", e.call(s.getZ(), seqIndex("d")));
      code += "        y *= z / (1.0f + expf(-z));\n";
    }
    code += fmt::format("        g.cur{} = y;\n", k);
    if (scans[k].scratch)
      code += fmt::format("        g.ws[{} + {}] = y;\n", scans[k].scratchOffset,
                          e.linear(s.getOut(), coords));
    for (const DrivenYield &dy : scans[k].driven) {
      Value v = yield.getValues()[dy.result];
      std::vector<int64_t> ys = GroupEmitter::shape(v);
      std::vector<std::string> yi(ys.size(), "0");
      for (size_t a = 0; a < 3; ++a) {
        const AxisExpr &x = dy.driverMap[a];
        if (x.axis >= 0)
          yi[x.axis] = x.flip ? fmt::format("{} - 1 - {}", sizeNames[a], coords[a]) : coords[a];
      }
      code += fmt::format("        {}[{}] = st(g.{}); // result #{}\n", e.outputParam(dy.result),
                          e.linear(v, yi), e.call(v, yi), dy.result);
    }
    code += "      }\n    }\n";
    for (unsigned r : scans[k].lastStateYields)
      code += fmt::format("    if (active)\n      for (int n = 0; n < kStates; ++n)\n"
                          "        {}[(b * kChannels + d) * kStates + n] = st(h[n]); // result "
                          "#{}: last_state\n",
                          e.outputParam(r), r);
    code += "  }\n";
  }
  if (!plainYields.empty()) {
    code += "\n  // Results that read no scan: one thread per element.\n";
    code += "  const idx_t first = (idx_t)blockIdx.x * SSMC_SCAN_CHANNELS + (idx_t)threadIdx.x;\n";
    code += "  const idx_t stride = (idx_t)gridDim.x * SSMC_SCAN_CHANNELS;\n";
    code += e.plainResultLoops(yield.getValues(), plainYields, "g.", "  ");
  }
  code += "}\n";
  std::vector<std::string> sizes;
  for (auto [n, v] : {std::pair<const char *, int64_t>{"kBatch", batch},
                      {"kChannels", channels},
                      {"kLength", length}})
    if (mentions(code, n))
      sizes.push_back(fmt::format("{} = {}", n, v));
  src += e.shapeConstants(code);
  if (!sizes.empty())
    src += fmt::format("constexpr idx_t {}; // the scans' [batch, channels, length]\n",
                       fmt::join(sizes, ", "));
  src += fmt::format("constexpr int kStatePitch = {}; // floats a step of B (of C) takes\n",
                     scanStepPitch(maxStates));
  if (maxDeltaInputs)
    src += fmt::format("constexpr int kDtPitch = {}; // floats a step of the delta projection's "
                       "inputs takes\n",
                       scanStepPitch(maxDeltaInputs));
  src += R"(
// Four staged floats of one step by one 16-byte shared-memory load; every
// lane reads the same address (a broadcast: 2 wavefronts, one a half warp).
struct alignas(16) Step4 {
  float v[4];
};
__device__ __forceinline__ Step4 loadStep4(const float *p) {
#ifdef SSMC_HOST_SHIM
  Step4 r;
  memcpy(&r, p, sizeof r);
  return r;
#else
  return *reinterpret_cast<const Step4 *>(p);
#endif
}

)";
  src += code;

  rt::PlanKernel plan = e.kernel("scan", std::move(src), {"SCAN_CHANNELS", "SCAN_CHUNK"});
  plan.workspaceBytes = scratchFloats * 4;

  plan.configs = std::move(configs);
  return plan;
}

} // namespace ssmc::codegen
