//===- ScanKernel.cpp - groups holding selective scans --------------------===//
//
// A thread owns one (batch, channel) of every scan in the group, or with
// SSMC_SCAN_SPLITS > 1 one part of its sequence, and runs the recurrences
// one after the other, its d_state-wide state h in registers. A thread block
// holds SSMC_SCAN_CHANNELS channels (x SSMC_SCAN_SPLITS parts) of one batch
// element and walks the sequence in chunks of SSMC_SCAN_CHUNK steps, staging
// each part's chunk of B and C (shared by all its channels) in shared
// memory. u, delta, z, A, D and delta_bias are read through their index
// functions, so producers such as dt_proj + softplus or exp(A_log) are
// recomputed in place.
//
// Time split (small batches): pass 1 scans each part from a zero state for
// its end state and summed delta, the block combines them in order into each
// part's starting state (the decay of a part is exp(A * sum(delta))), and
// pass 2 scans each part again from it, writing what the group yields.
//
// The epilogue (what the group yields from the scans' outputs: D skip, the
// sum of two directions, scaling, permutes, flips) is evaluated by the
// thread of the step: every yielded value that reads scan outputs is
// "driven" by the last scan it reads. Each step of that scan evaluates the
// yield at the position the step's (batch, channel, t) maps to, the scan's
// own output coming from a register; outputs of earlier scans come from a
// per-scan fp32 scratch area of the workspace, written before a barrier.
// The emitter proves the mapping symbolically (only elementwise ops,
// permutes, flips and unit reshapes between a scan and a yield, and every
// scan read at the thread's own batch and channel) and refuses anything
// else by name.
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
/// default (the tiling's) first, then time splits (a warp a block: more
/// blocks at small batch), then channel and chunk variations without.
std::vector<rt::PlanConfig> scanConfigs(int64_t batch, int64_t channels, int64_t length,
                                        int64_t maxStates, int64_t deltaInputs,
                                        ScanTilingAttr tiling, int64_t limit) {
  std::vector<rt::PlanConfig> configs;
  std::set<std::tuple<int64_t, int64_t, int64_t>> seen;
  auto add = [&](int64_t ch, int64_t chunk, int64_t splits) {
    if (ch < 1 || chunk < 1 || splits < 1 || ch * splits > 1024 ||
        !seen.insert({ch, chunk, splits}).second)
      return;
    rt::PlanConfig c;
    c.tunables["SCAN_CHANNELS"] = ch;
    c.tunables["SCAN_CHUNK"] = chunk;
    c.tunables["SCAN_SPLITS"] = splits;
    c.block = {ch * splits, 1, 1};
    c.grid = {batch * ((channels + ch - 1) / ch), 1, 1};
    c.smemBytes = scanSharedBytes(maxStates, deltaInputs, chunk, ch, splits);
    if (c.smemBytes <= limit)
      configs.push_back(c);
  };
  add(tiling.getChannels(), tiling.getChunk(), tiling.getSplits());
  for (int64_t ch : {1, 2, 4, 8, 16}) {
    const int64_t splits = 32 / ch;
    add(ch, std::min<int64_t>(kSplitScanChunk, (length + splits - 1) / splits), splits);
  }
  const int64_t channelCap = std::max<int64_t>(32, (channels + 31) / 32 * 32);
  for (int64_t ch : {8, 16, 32, 64, 128, 256}) // few channels: more blocks at batch 1
    for (int64_t chunk : {16, 32, 64, 128, 256})
      if (ch <= channelCap && chunk <= std::max<int64_t>(16, length))
        add(ch, chunk, 1);
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
        t && (t.getChunk() != tiling.getChunk() || t.getChannels() != tiling.getChannels() ||
              t.getSplits() != tiling.getSplits()))
      return e.unsupported(s.op, fmt::format("the scans of one kernel must share one tiling; "
                                             "this one has chunk {}, channels {} and splits {}, "
                                             "the first chunk {}, channels {} and splits {}",
                                             t.getChunk(), t.getChannels(), t.getSplits(),
                                             tiling.getChunk(), tiling.getChannels(),
                                             tiling.getSplits()));
  const int64_t defChannels = tiling.getChannels(), defChunk = tiling.getChunk(),
                defSplits = tiling.getSplits();
  const int64_t limit = sharedMemoryLimit(options.arch);
  if (const int64_t bytes =
          scanSharedBytes(maxStates, maxDeltaInputs, defChunk, defChannels, defSplits);
      bytes > limit)
    return e.unsupported(first, fmt::format("its tiling (chunk {}) stages {} bytes of shared "
                                            "memory per block, more than the {} bytes of {}: the "
                                            "module was tiled for another target; lower it with "
                                            "--arch {} (ssmc-tile-scan's arch option)",
                                            defChunk, bytes, limit, options.arch, options.arch));
  std::vector<rt::PlanConfig> configs =
      scanConfigs(batch, channels, length, maxStates, maxDeltaInputs, tiling, limit);
  if (configs.empty())
    return e.unsupported(first, "no scan configuration fits the shared memory of " + options.arch);

  std::vector<std::string> notes = {
      fmt::format("Scan kernel: one thread per (batch, channel, part of the sequence) of {} "
                  "[{}]; {} scan(s), d_state {}.",
                  nlc ? "channels-last" : "sequence-major", fmt::join(bdl, ", "), scans.size(),
                  maxStates),
      fmt::format("State h in registers; per chunk of SSMC_SCAN_CHUNK steps, B and C{} staged in "
                  "shared memory as fp32 (dynamic, {} floats a step).",
                  maxDeltaInputs ? " and the delta projection's inputs" : "",
                  2 * scanStepPitch(maxStates) + scanStepPitch(maxDeltaInputs)),
      "exp(delta * A) as exp2f(delta * A * log2(e)): one MUFU.EX2 per state and step.",
      "SSMC_SCAN_SPLITS > 1 (a time-parallel scan, for small batches): each part is scanned "
      "from a zero state for its end state and summed delta, the block combines those into "
      "each part's starting state, and each part is scanned again from it, writing outputs.",
      "The epilogue runs in the thread that owns the (batch, channel, step)."};
  if (scratchFloats)
    notes.push_back(fmt::format("Workspace: {} bytes of fp32 scratch for scan outputs read by a "
                                "later scan's epilogue.",
                                scratchFloats * 4));
  std::string src = e.header(
      "scan", notes,
      {{"SCAN_CHANNELS", fmt::format("channels per block (default {})", defChannels)},
       {"SCAN_CHUNK", fmt::format("time steps staged per chunk (default {})", defChunk)},
       {"SCAN_SPLITS", fmt::format("parts of the sequence scanned side by side, a thread each "
                                   "(default {})",
                                   defSplits)}});
  src += '\n';
  src += e.prelude();
  src += fmt::format("\n#ifndef SSMC_SCAN_CHANNELS\n#define SSMC_SCAN_CHANNELS {}\n#endif\n"
                     "#ifndef SSMC_SCAN_CHUNK\n#define SSMC_SCAN_CHUNK {}\n#endif\n"
                     "#ifndef SSMC_SCAN_SPLITS\n#define SSMC_SCAN_SPLITS {}\n#endif\n\n",
                     defChannels, defChunk, defSplits);
  auto seqIndex = [&](const char *inner) {
    return nlc ? std::vector<std::string>{"b", "t", inner}
               : std::vector<std::string>{"b", inner, "t"};
  };
  std::string code;
  code += *fns + "\n";
  code += fmt::format("extern \"C\" __global__ void __launch_bounds__(SSMC_SCAN_CHANNELS * "
                      "SSMC_SCAN_SPLITS) {}(\n    {}) {{\n",
                      e.entry(), e.kernelParams());
  // A step's staged values are contiguous (16-byte aligned rows): every
  // thread of a part reads the same ones, each 16-byte load a broadcast.
  code += "  // Per part, per step of the chunk: B, C [SSMC_SCAN_CHUNK][kStatePitch] each";
  code += maxDeltaInputs ? "; the delta projection's inputs [SSMC_SCAN_CHUNK][kDtPitch]" : "";
  code += ".\n  // With splits, each (channel, part)'s carried state and summed delta\n"
          "  // [SSMC_SCAN_CHANNELS * kSplits][kCarryPitch].\n";
  code += "  extern __shared__ __align__(16) float smem[];\n";
  code += "  float *const sB = smem, *const sC = sB + kSplits * kPartB;\n";
  code += maxDeltaInputs ? "  float *const sX = sC + kSplits * kPartB;\n"
                           "  float *const sCarry = sX + kSplits * kPartX;\n"
                         : "  float *const sCarry = sC + kSplits * kPartB;\n";
  code += "  " + e.groupInit(extraInit) + "\n";
  code += "  const int lane = kSplits == 1 ? (int)threadIdx.x : (int)threadIdx.x % "
          "SSMC_SCAN_CHANNELS; // channel in the block\n";
  code += "  const int part = kSplits == 1 ? 0 : (int)threadIdx.x / SSMC_SCAN_CHANNELS;\n";
  code += "  const idx_t b = (idx_t)blockIdx.x / kChannelBlocks;\n";
  code += "  const idx_t d = ((idx_t)blockIdx.x % kChannelBlocks) * SSMC_SCAN_CHANNELS + lane;\n";
  code += "  const bool active = d < kChannels;\n";
  code += "  // This thread's part: steps [p0, p0 + partLen) in scan order.\n";
  code += "  const idx_t p0 = part * kPartSteps;\n";
  code += "  const idx_t partLen = kLength - p0 < kPartSteps ? (kLength - p0 > 0 ? kLength - p0 : "
          "0) : kPartSteps;\n";

  for (size_t k = 0; k < scans.size(); ++k) {
    SelectiveScanOp s = scans[k].op;
    const int64_t n = scans[k].states;
    const bool rev = s.getReverse();
    LinearOp dtProj = stagedDeltaProjection(s);
    // Step `i` of the scan (0 first) at time t.
    auto timeOf = [&](const std::string &i) {
      return rev ? fmt::format("kLength - 1 - ({})", i) : i;
    };
    code += fmt::format("\n  // scan {}: {} of [{}], d_state {}{}{}{}{}{}{}\n", k,
                        e.name(s.getOut()), fmt::join(bdl, ", "), n, nlc ? ", channels-last" : "",
                        rev ? ", reverse (t from the end)" : "", s.getD() ? ", D skip" : "",
                        s.getZ() ? ", silu(z) gate" : "", s.getDeltaBias() ? ", delta_bias" : "",
                        s.getDeltaSoftplus() ? ", softplus(delta)" : "");
    if (k > 0 && scratchFloats)
      code += "  __syncthreads(); // earlier scans' outputs, written by other parts, are read\n";
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
    code += "    const float *const myB = sB + part * kPartB, *const myC = sC + part * kPartB;\n";
    if (dtProj)
      code += "    const float *const myX = sX + part * kPartX;\n";

    // One pass over this thread's part, chunk by chunk: stage (every
    // part's chunk, the whole block), then step. `outputs`: the second
    // pass (C, the epilogue); else the first (the end state, summed delta).
    auto pass = [&](bool outputs, const std::string &indent) {
      std::string c;
      auto line = [&](const std::string &text) { c += indent + text + "\n"; };
      line("for (idx_t c0 = 0; c0 < kPartSteps; c0 += SSMC_SCAN_CHUNK) {");
      line("  __syncthreads(); // the previous chunk's staged values are consumed");
      // Every part's chunk of `width` values a step; `split` names step s
      // and value index `v` within a part's i.
      auto stage = [&](const char *width, const std::string &split,
                       const std::vector<std::string> &stores) {
        line(fmt::format("  for (idx_t j = threadIdx.x; j < kSplits * SSMC_SCAN_CHUNK * {}; j += "
                         "kThreads) {{",
                         width));
        line(fmt::format("    const idx_t q = kSplits == 1 ? 0 : j / (SSMC_SCAN_CHUNK * {0}), i = "
                         "j - q * SSMC_SCAN_CHUNK * {0};",
                         width));
        line("    " + split);
        line("    if (q * kPartSteps + c0 + s >= kLength || c0 + s >= kPartSteps)");
        line("      continue;");
        line(fmt::format("    const idx_t t = {};", timeOf("q * kPartSteps + c0 + s")));
        for (const std::string &store : stores)
          line("    " + store);
        line("  }");
      };
      std::vector<std::string> stateStores = {fmt::format(
          "sB[q * kPartB + s * kStatePitch + n] = g.{};", e.call(s.getB(), seqIndex("n")))};
      if (outputs)
        stateStores.push_back(fmt::format("sC[q * kPartB + s * kStatePitch + n] = g.{};",
                                          e.call(s.getC(), seqIndex("n"))));
      stage("kStates",
            nlc ? "const idx_t s = i / kStates, n = i - s * kStates; // states fastest"
                : "const idx_t n = i / SSMC_SCAN_CHUNK, s = i - n * SSMC_SCAN_CHUNK; // steps "
                  "fastest (B, C are [B, N, L])",
            stateStores);
      if (dtProj)
        stage("kDtIn", "const idx_t s = i / kDtIn, r = i - s * kDtIn;",
              {fmt::format("sX[q * kPartX + s * kDtPitch + r] = g.{};",
                           e.call(dtProj.getInput(), {"b", "t", "r"}))});
      line("  __syncthreads();");
      line("  const idx_t len = partLen - c0 < SSMC_SCAN_CHUNK ? partLen - c0 : SSMC_SCAN_CHUNK;");
      line("  if (!active)");
      line("    continue;");
      line("  for (idx_t s = 0; s < len; ++s) {");
      line(fmt::format("    const idx_t t = {};", timeOf("p0 + c0 + s")));
      if (dtProj) {
        // The linear's order: the sum over its inputs, then its bias.
        line("    float dt = 0.0f;");
        line("#pragma unroll");
        line("    for (int r0 = 0; r0 < kDtIn; r0 += 4) {");
        line("      const Step4 x4 = loadStep4(myX + s * kDtPitch + r0);");
        line("#pragma unroll");
        line("      for (int i = 0; i < 4; ++i)");
        line("        if (r0 + i < kDtIn)");
        line("          dt += x4.v[i] * wdt[r0 + i];");
        line("    }");
        if (dtProj.getBias())
          line("    dt += dtBias;");
      } else {
        line(fmt::format("    float dt = g.{};", e.call(s.getDelta(), seqIndex("d"))));
      }
      if (s.getDeltaBias())
        line("    dt += deltaBias;");
      if (s.getDeltaSoftplus())
        line("    dt = dt <= 20.0f ? log1pf(expf(dt)) : dt;");
      line(fmt::format("    const float u = g.{};", e.call(s.getU(), seqIndex("d"))));
      // The state update; the second pass also sums y = C . h.
      if (outputs)
        line("    float y = 0.0f;");
      else
        line("    dtSum += dt;");
      line("#pragma unroll");
      line("    for (int n0 = 0; n0 < kStates; n0 += 4) {");
      line("      const Step4 b4 = loadStep4(myB + s * kStatePitch + n0);");
      if (outputs)
        line("      const Step4 c4 = loadStep4(myC + s * kStatePitch + n0);");
      line("#pragma unroll");
      line("      for (int i = 0; i < 4; ++i) {");
      line("        const int n = n0 + i;");
      line("        if (n >= kStates)");
      line("          break;");
      line("        h[n] = exp2f(dt * A2[n]) * h[n] + dt * b4.v[i] * u;");
      if (outputs)
        line("        y += h[n] * c4.v[i];");
      line("      }");
      line("    }");
      if (!outputs) {
        line("  }");
        line("}");
        return c;
      }
      if (s.getD())
        line("    y += skip * u;");
      if (s.getZ()) {
        line(fmt::format("    const float z = g.{};", e.call(s.getZ(), seqIndex("d"))));
        line("    y *= z / (1.0f + expf(-z));");
      }
      line(fmt::format("    g.cur{} = y;", k));
      if (scans[k].scratch)
        line(fmt::format("    g.ws[{} + {}] = y;", scans[k].scratchOffset,
                         e.linear(s.getOut(), coords)));
      for (const DrivenYield &dy : scans[k].driven) {
        Value v = yield.getValues()[dy.result];
        std::vector<int64_t> ys = GroupEmitter::shape(v);
        std::vector<std::string> yi(ys.size(), "0");
        for (size_t a = 0; a < 3; ++a) {
          const AxisExpr &x = dy.driverMap[a];
          if (x.axis >= 0)
            yi[x.axis] = x.flip ? fmt::format("{} - 1 - {}", sizeNames[a], coords[a]) : coords[a];
        }
        line(fmt::format("    {}[{}] = {}; // result #{}", e.outputParam(dy.result),
                         e.linear(v, yi), e.storeValue(dy.result, "g." + e.call(v, yi)),
                         dy.result));
      }
      line("  }");
      line("}");
      return c;
    };

    code += "    if constexpr (kSplits > 1) {\n";
    code += "      // Pass 1: this part from a zero state; its end state and summed delta.\n";
    code += "      float dtSum = 0.0f;\n";
    code += pass(false, "      ");
    code += "      float *const carry = sCarry + (lane * kSplits + part) * kCarryPitch;\n";
    code += "#pragma unroll\n      for (int n = 0; n < kStates; ++n)\n        carry[n] = h[n];\n";
    code += "      carry[kStatePitch] = dtSum;\n      __syncthreads();\n";
    code += "      // Each part's starting state: the parts before it combined in order,\n";
    code += "      // h <- exp(A * sum(delta)) * h + end state; thread `part` takes states\n";
    code += "      // part, part + kSplits, ...\n";
    code += "#pragma unroll\n      for (int n = 0; n < kStates; ++n) {\n";
    code += "        if (n % kSplits != part)\n          continue;\n";
    code += "        float hin = 0.0f;\n";
    code += "        for (int q = 0; q < kSplits; ++q) {\n";
    code += "          float *const c = sCarry + (lane * kSplits + q) * kCarryPitch;\n";
    code += "          const float end = c[n];\n          c[n] = hin;\n";
    code += "          hin = exp2f(A2[n] * c[kStatePitch]) * hin + end;\n";
    code += "        }\n      }\n      __syncthreads();\n";
    code += "#pragma unroll\n      for (int n = 0; n < kStates; ++n)\n        h[n] = carry[n];\n";
    code += "    }\n";
    code += "    // Pass 2 (the only one without splits): the outputs.\n";
    code += pass(true, "    ");
    for (unsigned r : scans[k].lastStateYields)
      code += fmt::format("    if (active && part == kSplits - 1)\n      for (int n = 0; n < "
                          "kStates; ++n)\n        {}[(b * kChannels + d) * kStates + n] = "
                          "{}; // result #{}: last_state\n",
                          e.outputParam(r), e.storeValue(r, "h[n]"), r);
    code += "  }\n";
  }
  if (!plainYields.empty()) {
    code += "\n  // Results that read no scan: one thread per element.\n";
    code += "  const idx_t first = (idx_t)blockIdx.x * kThreads + (idx_t)threadIdx.x;\n";
    code += "  const idx_t stride = (idx_t)gridDim.x * kThreads;\n";
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
  src += R"(constexpr int kSplits = SSMC_SCAN_SPLITS, kThreads = SSMC_SCAN_CHANNELS * kSplits;
constexpr idx_t kChannelBlocks = (kChannels + SSMC_SCAN_CHANNELS - 1) / SSMC_SCAN_CHANNELS;
constexpr idx_t kPartSteps = (kLength + kSplits - 1) / kSplits; // steps of one part
// Floats of one part's staged chunk (scanPartFloats): with splits, padded to
// 4 past a multiple of 32, so the parts' 16-byte loads take different banks.
constexpr int partFloats(int stepFloats) {
  return kSplits == 1 || stepFloats == 0 ? stepFloats * SSMC_SCAN_CHUNK
                                         : (stepFloats * SSMC_SCAN_CHUNK + 31) / 32 * 32 + 4;
}
constexpr int kPartB = partFloats(kStatePitch);
// A (channel, part)'s carried state, then its summed delta: an odd pitch, so
// the threads' rows fall in different banks.
constexpr int kCarryPitch = kStatePitch + 1;
)";
  if (maxDeltaInputs)
    src += "constexpr int kPartX = partFloats(kDtPitch);\n";
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

  rt::PlanKernel plan =
      e.kernel("scan", std::move(src), {"SCAN_CHANNELS", "SCAN_CHUNK", "SCAN_SPLITS"});
  plan.workspaceBytes = scratchFloats * 4;

  plan.configs = std::move(configs);
  return plan;
}

} // namespace ssmc::codegen
