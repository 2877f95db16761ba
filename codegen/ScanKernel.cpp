//===- ScanKernel.cpp - groups holding selective scans --------------------===//
//
// The loops are Templates/Scan.cuh: a thread owns one (batch, channel) of
// every scan in the group, or with SSMC_SCAN_SPLITS > 1 one part of its
// sequence, its state in registers, B and C (and dt_proj's inputs) staged in
// shared memory per chunk of steps. This file writes what the template asks
// of each scan: a `ScanK` struct of flags and of static functions reading
// u, delta, z, A, D, delta_bias, B and C through their index functions (so
// producers such as dt_proj + softplus or exp(A_log) are recomputed in place)
// and holding the epilogue.
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

#include "AsyncTemplate.inc"
#include "AxisMap.h"
#include "Kernels.h"
#include "Pieces.h"
#include "ScanTemplate.inc"
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
  // Staged rows (its tiling's row_bytes > 0): the group input whose rows
  // hold B, C and dt_proj's inputs, and where each starts.
  int64_t rowBytes = 0;
  BlockArgument rows;
  int64_t offB = 0, offC = 0, offX = 0;
};

/// Where result `v` of a split along the last axis starts on that axis.
int64_t splitColumn(Value v) {
  auto r = cast<OpResult>(v);
  int64_t column = 0;
  for (unsigned i = 0; i < r.getResultNumber(); ++i)
    column += cast<RankedTensorType>(r.getOwner()->getResult(i).getType()).getShape().back();
  return column;
}

/// Every configuration of a scan kernel over [batch, channels, length] with
/// up to `maxStates` states (staging rows of `rowBytes`, or values where 0)
/// that fits `limit` bytes of shared memory: the
/// default (the tiling's) first, then time splits (a warp a block: more
/// blocks at small batch), then channel and chunk variations without.
std::vector<rt::PlanConfig> scanConfigs(int64_t batch, int64_t channels, int64_t length,
                                        int64_t maxStates, int64_t deltaInputs, int64_t rowBytes,
                                        int64_t sequenceTiles, ScanTilingAttr tiling,
                                        int64_t limit) {
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
    c.smemBytes =
        scanSharedBytes(maxStates, deltaInputs, chunk, ch, splits, rowBytes, sequenceTiles);
    if (c.smemBytes <= limit)
      configs.push_back(c);
  };
  add(tiling.getChannels(), tiling.getChunk(), tiling.getSplits());
  for (int64_t ch : {1, 2, 4, 8, 16}) {
    const int64_t splits = 32 / ch, partSteps = (length + splits - 1) / splits;
    add(ch, std::min<int64_t>(kSplitScanChunk, partSteps), splits);
    // Whole parts: staged once for both passes (ssmc::chooseSplitChunk).
    if (scanSharedBytes(maxStates, deltaInputs, partSteps, ch, splits, rowBytes, sequenceTiles) <=
        kSplitWholePartBytes)
      add(ch, partSteps, splits);
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

  // Scratch: fp32, laid out as the output, per scan read after its own loop;
  // in the workspace after its counters (rt::kWorkspaceCounterBytes).
  int64_t scratchFloats = 0;
  for (ScanInfo &s : scans)
    if (s.scratch) {
      s.scratchOffset = rt::kWorkspaceCounterBytes / 4 + scratchFloats;
      scratchFloats += batch * channels * length;
    }
  const int64_t workspaceBytes = scratchFloats ? rt::kWorkspaceCounterBytes + scratchFloats * 4 : 0;
  if (scratchFloats)
    e.addWorkspace(workspaceBytes);

  // Index functions: scan outputs come from the current step or the scratch.
  llvm::DenseMap<Value, std::string> custom;
  // The Group stores the results itself (the scans' epilogues are its
  // callers' static functions).
  std::string members = e.outputMembers();
  std::string extraInit = e.outputNames() + ", ";
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
  // Sequence-major scans whose u, delta (where read) and z come 16 bytes at
  // a time along time (group inputs, or elementwise ops of them, [B, D, L]
  // with L whole pieces): the tiles are filled by 16-byte loads. Forward
  // scans only (a reverse one, which only a Vim lowered without the layout
  // pass has, reads a value at a time).
  const int64_t vec = PieceEmitter::valuesPerPiece(e.dtype());
  std::vector<std::string> vecMethods;
  bool vecTiles = !nlc && length % vec == 0;
  for (size_t k = 0; k < scans.size() && vecTiles; ++k) {
    SelectiveScanOp s = scans[k].op;
    if (s.getReverse())
      continue;
    std::vector<std::pair<const char *, Value>> operands = {{"u", s.getU()}};
    if (!stagedDeltaProjection(s))
      operands.push_back({"delta", s.getDelta()});
    if (s.getZ())
      operands.push_back({"z", s.getZ()});
    for (auto [name, v] : operands) {
      PieceEmitter pe(e, {"b", "d"}, vec, llvm::DenseMap<Value, PieceEmitter::Computed>());
      std::optional<std::string> fill = pe.fill(v, "t0", "v", "    ");
      if (!fill) {
        vecTiles = false;
        break;
      }
      vecMethods.push_back(fmt::format("  // Scan {0}'s {1} at (b, d, t0..t0+{2}).\n"
                                       "  __device__ __forceinline__ void {1}{0}Vec(idx_t b, idx_t "
                                       "d, idx_t t0, float *v) {{\n{3}  }}\n",
                                       k, name, vec - 1, *fill));
    }
  }
  if (vecTiles) {
    members += loadMethod(16, vec, e.anyKeptInF32());
    for (const std::string &m : vecMethods)
      members += m;
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
  for (ScanInfo &s : scans) {
    ScanTilingAttr t = s.op.getTilingAttr();
    s.rowBytes = t ? t.getRowBytes() : stagedRowBytes(s.op);
    if ((s.rowBytes > 0) != (scans[0].rowBytes > 0))
      return e.unsupported(s.op, "the scans of one kernel must all stage rows (row_bytes) or "
                                 "all stage values");
    if (s.rowBytes > 0) {
      // ssmc-tile-scan stages rows only where B, C and dt_proj's inputs
      // are columns of one group input (stagedRowBytes); the verifier
      // holds the attribute to that.
      auto split = s.op.getB().getDefiningOp<SplitOp>();
      s.rows = cast<BlockArgument>(split.getInput());
      const int64_t width = GroupEmitter::shape(s.rows).back();
      const int64_t stored = width * int64_t(rt::dtypeSize(e.storageOf(s.rows)));
      if (stored != s.rowBytes)
        return e.unsupported(s.op, fmt::format("its tiling stages rows of {} bytes, but in this "
                                               "kernel's storage type they take {}: lower the "
                                               "module with the --dtype it is generated for",
                                               s.rowBytes, stored));
      s.offB = splitColumn(s.op.getB());
      s.offC = splitColumn(s.op.getC());
      if (LinearOp dt = stagedDeltaProjection(s.op))
        s.offX = splitColumn(dt.getInput());
    }
    if (t && (t.getChunk() != tiling.getChunk() || t.getChannels() != tiling.getChannels() ||
              t.getSplits() != tiling.getSplits()))
      return e.unsupported(s.op, fmt::format("the scans of one kernel must share one tiling; "
                                             "this one has chunk {}, channels {} and splits {}, "
                                             "the first chunk {}, channels {} and splits {}",
                                             t.getChunk(), t.getChannels(), t.getSplits(),
                                             tiling.getChunk(), tiling.getChannels(),
                                             tiling.getSplits()));
  }
  int64_t maxRowBytes = 0;
  for (ScanInfo &s : scans)
    maxRowBytes = std::max(maxRowBytes, s.rowBytes);
  const int64_t defChannels = tiling.getChannels(), defChunk = tiling.getChunk(),
                defSplits = tiling.getSplits();
  const int64_t limit = sharedMemoryLimit(options.arch);
  const int64_t sequenceTiles = scanSequenceTiles(first);
  if (const int64_t bytes = scanSharedBytes(maxStates, maxDeltaInputs, defChunk, defChannels,
                                            defSplits, maxRowBytes, sequenceTiles);
      bytes > limit)
    return e.unsupported(first, fmt::format("its tiling (chunk {}) stages {} bytes of shared "
                                            "memory per block, more than the {} bytes of {}: the "
                                            "module was tiled for another target; lower it with "
                                            "--arch {} (ssmc-tile-scan's arch option)",
                                            defChunk, bytes, limit, options.arch, options.arch));
  std::vector<rt::PlanConfig> configs =
      scanConfigs(batch, channels, length, maxStates, maxDeltaInputs, maxRowBytes, sequenceTiles,
                  tiling, limit);
  if (configs.empty())
    return e.unsupported(first, "no scan configuration fits the shared memory of " + options.arch);

  std::vector<std::string> notes = {
      fmt::format("Scan kernel: one thread per (batch, channel, part of the sequence) of {} "
                  "[{}]; {} scan(s), d_state {}.",
                  nlc ? "channels-last" : "sequence-major", fmt::join(bdl, ", "), scans.size(),
                  maxStates),
      maxRowBytes
          ? fmt::format("State h in registers; per chunk of SSMC_SCAN_CHUNK steps, the rows "
                        "holding B and C{} ({} bytes a step) copied as stored into shared memory "
                        "by cp.async, a chunk ahead (two buffers), then unpacked once per block "
                        "to fp32 ({} floats a step) for the steps.",
                        maxDeltaInputs ? " and the delta projection's inputs" : "", maxRowBytes,
                        2 * scanStepPitch(maxStates) + scanStepPitch(maxDeltaInputs))
          : fmt::format("State h in registers; per chunk of SSMC_SCAN_CHUNK steps, B and C{} "
                        "staged in shared memory as fp32 (dynamic, {} floats a step).",
                        maxDeltaInputs ? " and the delta projection's inputs" : "",
                        2 * scanStepPitch(maxStates) + scanStepPitch(maxDeltaInputs)),
      "exp(delta * A) as exp2f(delta * A * log2(e)): one MUFU.EX2 per state and step.",
      sequenceTiles
          ? fmt::format("Sequence-major: per chunk, u{}{} of each of the block's channels read "
                        "along time into fp32 tiles (a row a channel), {}; the outputs written "
                        "over u's tile and stored along time by consecutive threads; B and C "
                        "staged 4 states a 16-byte store.",
                        stagedDeltaProjection(first) ? "" : ", delta", first.getZ() ? ", z" : "",
                        vecTiles ? fmt::format("{} steps a 16-byte load", vec)
                                 : std::string("a step a thread"))
          : std::string("Channels-last: a warp's threads read and write consecutive channels."),
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
  // Per scan, what the template asks of it (Templates/Scan.cuh): its flags
  // and its operands' index functions.
  std::string code = std::string(kAsyncTemplate) + "\n" + kScanTemplate + "\n" + *fns + "\n";
  for (size_t k = 0; k < scans.size(); ++k) {
    SelectiveScanOp s = scans[k].op;
    LinearOp dtProj = stagedDeltaProjection(s);
    const int64_t dtIn = dtProj ? GroupEmitter::shape(dtProj.getWeight())[1] : 0;
    auto flag = [](bool on) { return on ? "true" : "false"; };
    auto fn = [&](const char *ret, const char *name, const char *params, const std::string &body) {
      code += fmt::format("  static __device__ __forceinline__ {} {}({}) {{\n    {}\n  }}\n", ret,
                          name, params, body);
    };
    auto value = [&](Value v, const std::vector<std::string> &index) {
      return "return g." + e.call(v, index) + ";";
    };
    code +=
        fmt::format("\n// scan {}: {} of [{}], d_state {}{}{}{}{}{}{}\n", k, e.name(s.getOut()),
                    fmt::join(bdl, ", "), scans[k].states, nlc ? ", channels-last" : "",
                    s.getReverse() ? ", reverse (t from the end)" : "", s.getD() ? ", D skip" : "",
                    s.getZ() ? ", silu(z) gate" : "", s.getDeltaBias() ? ", delta_bias" : "",
                    s.getDeltaSoftplus() ? ", softplus(delta)" : "");
    if (dtProj)
      code += fmt::format("// delta = {} computed in the scan: the channel's weights in registers, "
                          "the inputs staged per chunk.\n",
                          e.name(dtProj.getResult()));
    code += fmt::format("struct Scan{} {{\n", k);
    code +=
        fmt::format("  static constexpr int kPhase = {}, kStates = {}, kDtIn = {}, kVecT = {};\n",
                    k, scans[k].states, dtIn, vecTiles && !s.getReverse() ? vec : 0);
    code += fmt::format(
        "  static constexpr bool kReverse = {}, kStatesFastest = {}, kSkip = {}, kGate = {},\n"
        "                        kDeltaBias = {}, kDtBias = {}, kSoftplus = {}, kLastState = {};\n",
        flag(s.getReverse()), flag(nlc), flag(bool(s.getD())), flag(bool(s.getZ())),
        flag(bool(s.getDeltaBias())), flag(dtProj && dtProj.getBias()), flag(s.getDeltaSoftplus()),
        flag(!scans[k].lastStateYields.empty()));
    if (const int64_t rowBytes = scans[k].rowBytes) {
      const rt::PlanParam *param = nullptr;
      for (const rt::PlanParam &p : e.params())
        if (p.kind == rt::PlanParam::Kind::Input && p.index == scans[k].rows.getArgNumber())
          param = &p;
      const std::vector<int64_t> rs = GroupEmitter::shape(scans[k].rows);
      code += fmt::format("  // Staged rows: {} [{}]; B, C{} its columns {}, {}{}.\n", param->name,
                          fmt::join(rs, ", "), dtIn ? " and dt_proj's inputs" : "", scans[k].offB,
                          scans[k].offC, dtIn ? fmt::format(", {}", scans[k].offX) : std::string());
      code += fmt::format("  typedef {} Row;\n", e.pointee(*param));
      // Unpacked 4 values at a time where every step's B, C and inputs are
      // whole aligned pieces of 4 (the rows start 256-byte aligned).
      const int64_t elem = int64_t(rt::dtypeSize(param->dtype));
      const bool fours = scans[k].states % 4 == 0 && dtIn % 4 == 0 && rowBytes % (4 * elem) == 0 &&
                         scans[k].offB % 4 == 0 && scans[k].offC % 4 == 0 && scans[k].offX % 4 == 0;
      code += fmt::format("  static constexpr int kRowBytes = {}, kOffB = {}, kOffC = {}, kOffX = "
                          "{}, kUnpack = {};\n",
                          rowBytes, scans[k].offB, scans[k].offC, scans[k].offX, fours ? 4 : 1);
      fn("const Row", "*row", "Group &g, idx_t b, idx_t t",
         fmt::format("return g.{} + ((idx_t)b * {} + t) * {};", param->name, rs[1], rs[2]));
    }
    fn("float", "A", "Group &g, idx_t d, idx_t n", value(s.getA(), {"d", "n"}));
    fn("float", "B", "Group &g, idx_t b, idx_t t, idx_t n", value(s.getB(), seqIndex("n")));
    fn("float", "C", "Group &g, idx_t b, idx_t t, idx_t n", value(s.getC(), seqIndex("n")));
    fn("float", "u", "Group &g, idx_t b, idx_t d, idx_t t", value(s.getU(), seqIndex("d")));
    if (dtProj) {
      fn("float", "dtIn", "Group &g, idx_t b, idx_t t, idx_t r",
         value(dtProj.getInput(), {"b", "t", "r"}));
      fn("float", "dtWeight", "Group &g, idx_t d, idx_t r", value(dtProj.getWeight(), {"d", "r"}));
      if (dtProj.getBias())
        fn("float", "dtBias", "Group &g, idx_t d", value(dtProj.getBias(), {"d"}));
    } else {
      fn("float", "delta", "Group &g, idx_t b, idx_t d, idx_t t",
         value(s.getDelta(), seqIndex("d")));
    }
    if (s.getDeltaBias())
      fn("float", "deltaBias", "Group &g, idx_t d", value(s.getDeltaBias(), {"d"}));
    if (s.getD())
      fn("float", "skip", "Group &g, idx_t d", value(s.getD(), {"d"}));
    if (s.getZ())
      fn("float", "z", "Group &g, idx_t b, idx_t d, idx_t t", value(s.getZ(), seqIndex("d")));
    if (vecTiles && !s.getReverse()) {
      const char *params = "Group &g, idx_t b, idx_t d, idx_t t0, float *v";
      fn("void", "uVec", params, fmt::format("g.u{}Vec(b, d, t0, v);", k));
      if (!dtProj)
        fn("void", "deltaVec", params, fmt::format("g.delta{}Vec(b, d, t0, v);", k));
      if (s.getZ())
        fn("void", "zVec", params, fmt::format("g.z{}Vec(b, d, t0, v);", k));
    }
    // The epilogue at (b, d, t): this scan's output for later reads, then
    // every result this scan drives.
    std::string step = fmt::format("g.cur{} = y;", k);
    if (scans[k].scratch)
      step += fmt::format("\n    g.ws[{} + {}] = y;", scans[k].scratchOffset,
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
      step +=
          fmt::format("\n    g.{}[{}] = {}; // result #{}", e.outputParam(dy.result),
                      e.linear(v, yi), e.storeValue(dy.result, "g." + e.call(v, yi)), dy.result);
    }
    fn("void", "step", "Group &g, idx_t b, idx_t d, idx_t t, float y", step);
    if (!scans[k].lastStateYields.empty()) {
      std::string body;
      for (unsigned r : scans[k].lastStateYields)
        body +=
            fmt::format("{}g.{}[(b * kChannels + d) * kStates + n] = {}; // result #{}: "
                        "last_state",
                        body.empty() ? "" : "\n    ", e.outputParam(r), e.storeValue(r, "h"), r);
      fn("void", "lastState", "Group &g, idx_t b, idx_t d, idx_t n, float h", body);
    }
    code += "};\n";
  }

  code += fmt::format("\nextern \"C\" __global__ void __launch_bounds__(SSMC_SCAN_CHANNELS * "
                      "SSMC_SCAN_SPLITS) {}(\n    {}) {{\n",
                      e.entry(), e.kernelParams());
  code +=
      "  extern __shared__ __align__(16) float smem[]; // staged B, C, dt_proj inputs; carries\n";
  code += "  " + e.groupInit(extraInit) + "\n";
  code += "  const ssmc_scan::Thread th = ssmc_scan::thread();\n";
  for (size_t k = 0; k < scans.size(); ++k) {
    if (k > 0 && scratchFloats)
      code += "  __syncthreads(); // earlier scans' outputs, written by other parts, are read\n";
    code += fmt::format("  ssmc_scan::run<Scan{}>(g, smem, th);\n", k);
  }
  if (!plainYields.empty()) {
    code += "\n  // Results that read no scan: one thread per element.\n";
    code += "  const idx_t first = (idx_t)blockIdx.x * ssmc_scan::kThreads + (idx_t)threadIdx.x;\n";
    code += "  const idx_t stride = (idx_t)gridDim.x * ssmc_scan::kThreads;\n";
    code += e.plainResultLoops(yield.getValues(), plainYields, "g.", "  ");
  }
  code += "}\n";
  src += e.shapeConstants(code);
  src += fmt::format("constexpr idx_t kBatch = {}, kChannels = {}, kLength = {}; // the scans' "
                     "[batch, channels, length]\n",
                     batch, channels, length);
  src += fmt::format("constexpr int kStatePitch = {}; // floats a step of B (of C) takes\n",
                     scanStepPitch(maxStates));
  src += fmt::format("constexpr int kDtPitch = {}; // floats a step of the delta projection's "
                     "inputs takes\n",
                     scanStepPitch(maxDeltaInputs));
  src += fmt::format("constexpr int kMaxRowBytes = {}; // bytes of a staged row (0: the values "
                     "are staged)\n",
                     maxRowBytes);
  src += fmt::format("constexpr int kSequenceTiles = {}; // tiles of u, delta, z along time (0: "
                     "channels-last)\n",
                     sequenceTiles);
  src += code;

  rt::PlanKernel plan =
      e.kernel("scan", std::move(src), {"SCAN_CHANNELS", "SCAN_CHUNK", "SCAN_SPLITS"});
  plan.workspaceBytes = workspaceBytes;

  plan.configs = std::move(configs);
  return plan;
}

} // namespace ssmc::codegen
