//===- DepthwiseKernel.cpp - groups around one depthwise conv -------------===//
//
// A group with one channels-last depthwise conv whose results read it at
// their own pixel (through elementwise ops and concats or slices along the
// channel axis: MambaOut's partial-channel conv, concat and GELU gate)
// becomes the depthwise template (Templates/Depthwise.cuh): a block stages
// a tile of the input with its halo and the weights in shared memory,
// computes the conv for the tile's pixels, all channels, into shared memory
// (several outputs per thread from a sliding window), then evaluates every
// result at those pixels with the conv read from the tile. The generic path
// reads every tap from global memory per output element, and the weights
// with lanes 49 elements apart.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"
#include "Pieces.h"

#include "Support/Arch.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

using namespace mlir;

namespace ssmc::codegen {
namespace {

#include "DepthwiseTemplate.inc"

struct DepthwiseInfo {
  DepthwiseConv2dOp conv;
  int64_t b = 0, h = 0, w = 0, c = 0, kh = 0, kw = 0;
};

/// Whether `v` reads the conv only at its own pixel: v's first three axes
/// are the conv's, and every path to the conv keeps them (elementwise ops,
/// and concats, splits and slices along the channel axis).
bool readsAtOwnPixel(Value v, Value conv, const std::vector<int64_t> &pixel) {
  llvm::DenseSet<Value> roots{conv};
  llvm::DenseMap<Value, bool> memo;
  if (!GroupEmitter::dependsOn(v, roots, memo))
    return true;
  std::vector<int64_t> s = GroupEmitter::shape(v);
  if (s.size() != 4 || !std::equal(pixel.begin(), pixel.end(), s.begin()))
    return false;
  if (v == conv)
    return true;
  Operation *op = v.getDefiningOp();
  if (!op)
    return false;
  if (isElementwiseOp(op) || (isa<ConcatOp>(op) && cast<ConcatOp>(op).getAxis() == 3) ||
      (isa<SplitOp>(op) && cast<SplitOp>(op).getAxis() == 3) ||
      (isa<SliceOp>(op) && cast<SliceOp>(op).getAxis() == 3))
    return llvm::all_of(op->getOperands(),
                        [&](Value in) { return readsAtOwnPixel(in, conv, pixel); });
  return false;
}

/// The conv channel that `v` reads at its channel `c`: -1 where it reads
/// none, nullopt where it reads more than one or a broadcast of the conv
/// (paths as readsAtOwnPixel allows them).
std::optional<int64_t> convChannelAt(Value v, Value conv, int64_t c) {
  if (v == conv)
    return c;
  llvm::DenseSet<Value> roots{conv};
  llvm::DenseMap<Value, bool> memo;
  if (!GroupEmitter::dependsOn(v, roots, memo))
    return -1;
  Operation *op = v.getDefiningOp();
  if (auto concat = dyn_cast_or_null<ConcatOp>(op)) {
    int64_t start = 0;
    for (Value in : concat.getInputs()) {
      const int64_t size = GroupEmitter::shape(in)[3];
      if (c < start + size)
        return convChannelAt(in, conv, c - start);
      start += size;
    }
    return std::nullopt;
  }
  if (auto split = dyn_cast_or_null<SplitOp>(op)) {
    int64_t start = 0;
    for (Value r : split.getResults()) {
      if (r == v)
        return convChannelAt(split.getInput(), conv, c + start);
      start += GroupEmitter::shape(r)[3];
    }
    return std::nullopt;
  }
  if (auto slice = dyn_cast_or_null<SliceOp>(op))
    return convChannelAt(slice.getInput(), conv, c + slice.getStart());
  if (!op || !isElementwiseOp(op))
    return std::nullopt;
  int64_t read = -1;
  for (Value in : op->getOperands()) {
    std::optional<int64_t> r =
        GroupEmitter::shape(in).back() == GroupEmitter::shape(v).back() ? convChannelAt(in, conv, c)
        : GroupEmitter::dependsOn(in, roots, memo)                      ? std::nullopt
                                                   : std::optional<int64_t>(-1);
    if (!r || (*r >= 0 && read >= 0 && *r != read))
      return std::nullopt;
    read = std::max(read, *r);
  }
  return read;
}

/// A run of a result's channels [begin, end) that read the conv at channel
/// c - shift, or (shift nullopt) none of it.
struct ChannelRun {
  int64_t begin, end;
  std::optional<int64_t> shift;
  bool operator==(const ChannelRun &) const = default;
};

/// The runs of `v`'s channels, or nothing where a channel's conv channel
/// cannot be told.
std::optional<std::vector<ChannelRun>> channelRuns(Value v, Value conv) {
  std::vector<ChannelRun> runs;
  const int64_t channels = GroupEmitter::shape(v)[3];
  for (int64_t c = 0; c < channels; ++c) {
    std::optional<int64_t> read = convChannelAt(v, conv, c);
    if (!read)
      return std::nullopt;
    std::optional<int64_t> shift =
        *read >= 0 ? std::optional<int64_t>(c - *read) : std::optional<int64_t>();
    if (!runs.empty() && runs.back().shift == shift)
      runs.back().end = c + 1;
    else
      runs.push_back({c, c + 1, shift});
  }
  return runs;
}

std::optional<DepthwiseInfo> analyzeDepthwise(GroupEmitter &e) {
  Block &body = e.group().getBody().front();
  DepthwiseInfo info;
  for (Operation &op : body.without_terminator()) {
    if (isa<SelectiveScanOp, LinearOp, Conv2dOp, CausalConv1dOp, LayerNormOp, RmsNormOp,
            ReduceMeanOp>(op))
      return std::nullopt;
    if (auto dw = dyn_cast<DepthwiseConv2dOp>(op)) {
      if (info.conv)
        return std::nullopt; // one conv per kernel
      info.conv = dw;
    }
  }
  // Results written over an input (memory planning) would race with other
  // blocks' halo reads.
  if (!info.conv || e.mayAlias())
    return std::nullopt;
  std::vector<int64_t> s = GroupEmitter::shape(info.conv.getResult());
  std::vector<int64_t> ws = GroupEmitter::shape(info.conv.getWeight());
  info.b = s[0];
  info.h = s[1];
  info.w = s[2];
  info.c = s[3];
  info.kh = ws[2];
  info.kw = ws[3];
  const std::vector<int64_t> pixel(s.begin(), s.begin() + 3);
  auto yield = cast<YieldOp>(body.getTerminator());
  for (Value v : yield.getValues()) {
    std::vector<int64_t> ys = GroupEmitter::shape(v);
    if (ys.size() != 4 || !std::equal(pixel.begin(), pixel.end(), ys.begin()) ||
        !readsAtOwnPixel(v, info.conv.getResult(), pixel))
      return std::nullopt;
  }
  return info;
}

/// Where the results' channels can be cut into groups (the template's
/// kDwGroups): every result of one shape, reading the conv alike at
/// channels [convBegin, convEnd), conv channel c - shift at channel c, all
/// at whole pieces of `vec` channels, as are the results.
struct DwGroups {
  bool ok = false;
  int64_t outC = 0, convBegin = 0, convEnd = 0, shift = 0;
};

DwGroups channelGroups(ValueRange results, Value conv, int64_t vec) {
  DwGroups g;
  g.outC = GroupEmitter::shape(results.front())[3];
  std::optional<std::vector<ChannelRun>> runs = channelRuns(results.front(), conv);
  if (!runs || g.outC % vec)
    return g;
  for (Value r : results.drop_front())
    if (GroupEmitter::shape(r) != GroupEmitter::shape(results.front()) ||
        channelRuns(r, conv) != runs)
      return g;
  int convRuns = 0;
  for (const ChannelRun &run : *runs) {
    if (!run.shift)
      continue;
    ++convRuns;
    g.convBegin = run.begin;
    g.convEnd = run.end;
    g.shift = *run.shift;
  }
  g.ok = convRuns <= 1 && g.convBegin % vec == 0 && g.convEnd % vec == 0 && g.shift % vec == 0;
  return g;
}

struct DwTile {
  int64_t th, tw, cb, cg = 1; // cg: channel groups
};

/// The template's kGroupOut: a group's channels of the results.
int64_t groupOut(const DwGroups &g, int64_t vec, int64_t cg) {
  return ((g.outC + vec - 1) / vec + cg - 1) / cg * vec;
}

int64_t dwSmemBytes(const DepthwiseInfo &info, const DwGroups &g, int64_t vec, const DwTile &t) {
  const int64_t tileC = t.cg == 1 ? info.c : groupOut(g, vec, t.cg);
  return 4 * (t.th * t.tw * tileC + (t.th + info.kh - 1) * (t.tw + info.kw - 1) * t.cb +
              info.kh * info.kw * (t.cb + 1));
}

/// The most groups of a tile: a group of fewer channels of the results than
/// a chunk would leave threads idle.
int64_t maxGroups(const DwGroups &g, const DwTile &t) { return (g.outC + t.cb - 1) / t.cb; }

/// The groups for tile `t` (`tiles` blocks without groups): of those that
/// give every SM a block (or the most there are), the fewest that minimize
/// the most work a group has times the blocks an SM gets. A group's work is
/// its conv chunks' channels (a chunk stages its whole halo) at kConvWork
/// each (the taps against one gate), plus its channels of the results.
/// Even groups matter: MambaOut's conv part is the results' last 96 of 256
/// channels in stage 1, so 6 groups of 48 give one group 48 conv channels
/// (2 chunks), 8 groups of 32 none more than 32 (4.22 -> 3.50 us modeled);
/// past a wave, fewer groups (8 x 28 x 28 x 192: 2 groups 8.43 us, 8 groups
/// 11.70 us).
int64_t groupsFor(const DwGroups &g, int64_t vec, const DwTile &t, int64_t tiles, int64_t sms) {
  constexpr int64_t kConvWork = 4;
  const int64_t most = maxGroups(g, t);
  int64_t best = 1;
  double bestCost = 0;
  for (int64_t cg = std::min(most, (sms + tiles - 1) / tiles); cg <= most; ++cg) {
    const int64_t out = groupOut(g, vec, cg);
    int64_t work = 0;
    for (int64_t k = 0; k < cg; ++k) {
      const int64_t lo = k * out, hi = std::min(g.outC, lo + out);
      const int64_t conv =
          std::max<int64_t>(0, std::min(hi, g.convEnd) - std::max(lo, g.convBegin));
      work = std::max(work, kConvWork * ((conv + t.cb - 1) / t.cb * t.cb) +
                                std::max<int64_t>(0, hi - lo));
    }
    const double cost = double(work) * std::ceil(double(tiles * cg) / double(sms));
    if (best == 1 || cost < bestCost - 1e-9) {
      best = cg;
      bestCost = cost;
    }
  }
  return best;
}

/// Every tile that fits `limit` bytes of shared memory, in the order below;
/// the first is the default (larger tiles first, 32-channel chunks before
/// 64). By the performance model 32-channel chunks of 8 x 8 pixels, even
/// at one block an SM, beat 64 x 4 x 8 at two in every MambaOut-tiny stage
/// (stage 1: 247.3 -> 206.7 us, stage 3: 60.8 -> 54.7 us, stage 4: 29.1 ->
/// 21.2 us).
///
/// Where those tiles make fewer blocks than the GPU has SMs (small batches)
/// and the channels can be grouped, the 8 x 8 and 4 x 8 tiles cut in
/// channel groups come first (groupsFor), then the same tiles with the
/// groups for about one and four blocks an SM, for the tuner.
std::vector<DwTile> dwTiles(const DepthwiseInfo &info, const DwGroups &g, int64_t vec,
                            int64_t limit, int64_t sms) {
  std::vector<DwTile> all =
      info.c > 32 ? std::vector<DwTile>{{8, 8, 32}, {4, 8, 32}, {4, 8, 64},
                                        {2, 8, 64}, {4, 4, 64}, {2, 8, 32}}
                  : std::vector<DwTile>{{8, 8, 32}, {4, 8, 32}, {2, 8, 32}, {4, 4, 32}};
  auto blocks = [&](const DwTile &t) {
    return (info.w + t.tw - 1) / t.tw * ((info.h + t.th - 1) / t.th) * info.b;
  };
  std::vector<DwTile> tiles;
  auto add = [&](DwTile t, int64_t cg) {
    t.cg = cg;
    if (cg > 1 && dwSmemBytes(info, g, vec, t) <= limit &&
        llvm::none_of(tiles, [&](const DwTile &o) {
          return o.th == t.th && o.tw == t.tw && o.cb == t.cb && o.cg == t.cg;
        }))
      tiles.push_back(t);
  };
  if (g.ok && blocks(all.front()) < sms) {
    for (const DwTile &t : {all[0], all[1]})
      add(t, groupsFor(g, vec, t, blocks(t), sms));
    for (int64_t waves : {1, 4})
      for (const DwTile &t : {all[0], all[1]})
        add(t, std::min(maxGroups(g, t), (waves * sms + blocks(t) - 1) / blocks(t)));
  }
  for (const DwTile &t : all)
    if (dwSmemBytes(info, g, vec, t) <= limit)
      tiles.push_back(t);
  return tiles;
}

/// The pieces' reader of the conv: its tile in shared memory, plus the bias
/// (16 bytes at a time where its channels are whole pieces).
PieceEmitter pieces(const GroupEmitter &e, const DepthwiseInfo &info, int64_t vec) {
  const int64_t channels = info.c;
  PieceEmitter::Computed conv =
      [&e, info, vec, channels](const std::string &c, const std::string &out,
                                const std::string &indent) -> std::optional<std::string> {
    std::string s;
    std::string bias;
    DepthwiseConv2dOp dw = info.conv;
    if (Value b = dw.getBias()) {
      const std::string *p = e.pointerName(b);
      if (!p || GroupEmitter::shape(b) != std::vector<int64_t>{channels})
        return std::nullopt;
      bias = out + "_bias";
      s += fmt::format("{}float {}[{}];\n{}load16({} + {}, {});\n", indent, bias, vec, indent, *p,
                       c, bias);
    }
    s += fmt::format("{}ssmc_dw::loadPiece(convTile + ((i1 - y0) * ssmc_dw::kTW + (i2 - x0)) * "
                     "ssmc_dw::kTileC + {} - convBase, {});\n",
                     indent, c, out);
    if (!bias.empty())
      s += fmt::format("#pragma unroll\n{0}for (int t = 0; t < {1}; ++t)\n{0}  {2}[t] += {3}[t];\n",
                       indent, vec, out, bias);
    return s;
  };
  DepthwiseConv2dOp dw = info.conv;
  llvm::DenseMap<Value, PieceEmitter::Computed> computed;
  computed[dw.getResult()] = conv;
  return PieceEmitter(e, {"i0", "i1", "i2"}, vec, std::move(computed));
}

} // namespace

bool isDepthwiseGroup(GroupEmitter &e) { return analyzeDepthwise(e).has_value(); }

rt::Expected<rt::PlanKernel> emitDepthwiseKernel(GroupEmitter &e, const CodegenOptions &options) {
  auto analysis = analyzeDepthwise(e);
  if (!analysis)
    return rt::Status::error(
        fmt::format("kernel group '{}' is not a depthwise-conv group", e.groupName()));
  DepthwiseInfo &info = *analysis;
  auto yield = cast<YieldOp>(e.group().getBody().front().getTerminator());
  Value conv = info.conv.getResult(), x = info.conv.getInput();
  const int64_t vec = PieceEmitter::valuesPerPiece(e.dtype());
  const DwGroups groups = channelGroups(yield.getValues(), conv, vec);
  const int64_t sms = options.sms ? options.sms : rt::typicalSmCount(options.arch).value_or(132);
  const std::vector<DwTile> tiles =
      dwTiles(info, groups, vec, sharedMemoryLimit(options.arch), sms);
  if (tiles.empty())
    return rt::Status::error(fmt::format("kernel group '{}': no depthwise tile fits the shared "
                                         "memory of {}",
                                         e.groupName(), options.arch));

  // The conv reads the tile; its bias is added where it is read.
  llvm::DenseMap<Value, std::string> custom;
  std::string body = "// the conv tile (shared memory) at this pixel\n    return convTile[((i1 - "
                     "y0) * ssmc_dw::kTW + (i2 - x0)) * ssmc_dw::kTileC + i3 - convBase]";
  if (info.conv.getBias())
    body += " + " + e.call(info.conv.getBias(), {"i3"});
  custom[conv] = body + ";";

  std::string m = e.outputMembers();
  m += "  idx_t y0, x0;     // the tile's first output pixel\n";
  m += "  float *convTile; // [kTH * kTW][kTileC]: the group's conv at the tile's pixels\n";
  m += "  idx_t convBase;   // the conv channel of the tile's first column\n";
  m += "\n  // The conv's input and weight.\n";
  m += fmt::format("  __device__ __forceinline__ float x(idx_t b, idx_t iy, idx_t ix, idx_t c) {{\n"
                   "    return {};\n  }}\n",
                   e.call(x, {"b", "iy", "ix", "c"}));
  // The input a piece of channels at a time where it is a group input (or
  // a split of one) at whole pieces.
  {
    PieceEmitter pe = pieces(e, info, vec);
    auto code = pe.fill(x, "c", "v", "    ");
    m += fmt::format("  static constexpr bool kXVec = {};\n", code ? "true" : "false");
    m += code ? "  __device__ __forceinline__ void xVec(idx_t i0, idx_t i1, idx_t i2, idx_t c, "
                "float *v) {\n" +
                    *code + "  }\n"
              : "  __device__ __forceinline__ void xVec(idx_t, idx_t, idx_t, idx_t, float *) {}\n";
  }
  m += fmt::format("  __device__ __forceinline__ float w(idx_t c, idx_t ky, idx_t kx) {{\n"
                   "    return {};\n  }}\n",
                   e.call(info.conv.getWeight(), {"c", "0", "ky", "kx"}));
  // Every result at the tile's pixels, V consecutive channels a thread
  // (16 bytes of T) where a result's channels are whole pieces: its values
  // computed (their loads issued together), then one 16-byte store; results
  // of one shape share a loop, every value computed before any is stored.
  m += storeMethod(16, vec, e.anyKeptInF32());
  m += loadMethod(16, vec, e.anyKeptInF32());
  m += "\n  // Every result at the tile's pixels, channels [olo, ohi): pieces of V channels, "
       "first, first + stride, ...\n";
  m += "  __device__ __forceinline__ void pixels(idx_t i0, int first, int stride, idx_t olo, "
       "idx_t ohi) {\n";
  std::vector<std::vector<unsigned>> loops;
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    auto same = llvm::find_if(loops, [&](const std::vector<unsigned> &l) {
      return GroupEmitter::shape(yield.getValues()[l.front()]) == GroupEmitter::shape(v);
    });
    if (same != loops.end())
      same->push_back(unsigned(i));
    else
      loops.push_back({unsigned(i)});
  }
  for (const std::vector<unsigned> &loop : loops) {
    Value v = yield.getValues()[loop.front()];
    const int64_t channels = GroupEmitter::shape(v)[3];
    // Each input 16 bytes at a time where the results' ops allow
    // (PieceEmitter), else element by element.
    std::string pieceCode;
    if (channels % vec == 0) {
      PieceEmitter pe = pieces(e, info, vec);
      for (unsigned r : loop) {
        auto code = pe.fill(yield.getValues()[r], "c", fmt::format("r{}", r), "      ");
        if (!code) {
          pieceCode.clear();
          break;
        }
        pieceCode += fmt::format("      float r{}[{}];\n", r, vec) + *code;
      }
    }
    if (!pieceCode.empty()) {
      const int64_t pieces = channels / vec;
      m += fmt::format(
          "    // result{0} #{1}: {2} piece(s) of {3} channels a pixel\n"
          "    const int pieces{4} = ssmc_dw::kCG == 1 ? {2} : (int)(ohi - olo) / {3};\n"
          "#pragma unroll 4\n"
          "    for (int e = first; e < ssmc_dw::kTH * ssmc_dw::kTW * pieces{4}; e += "
          "stride) {{\n"
          "      const int p = e / pieces{4};\n"
          "      const idx_t i1 = y0 + p / ssmc_dw::kTW, i2 = x0 + p % ssmc_dw::kTW, "
          "c = olo + (idx_t)(e % pieces{4}) * {3};\n"
          "      if (i1 >= kDwH || i2 >= kDwW)\n        continue;\n",
          loop.size() > 1 ? "s" : "", fmt::join(loop, ", #"), pieces, vec, loop.front());
      m += pieceCode;
      for (unsigned r : loop)
        m += fmt::format("      store16({} + {}, r{});\n", e.outputParam(r),
                         e.linear(v, {"i0", "i1", "i2", "c"}), r);
      m += "    }\n";
      continue;
    }
    // Element by element, a channel a thread (lanes on consecutive
    // channels: coalesced loads), unrolled so that several are in flight.
    m += fmt::format("    // result{0} #{1}: a channel a thread\n"
                     "    const int width{3} = ssmc_dw::kCG == 1 ? {2} : (int)(ohi - olo);\n"
                     "#pragma unroll 4\n"
                     "    for (int e = first; e < ssmc_dw::kTH * ssmc_dw::kTW * width{3}; e += "
                     "stride) {{\n"
                     "      const int p = e / width{3};\n"
                     "      const idx_t i1 = y0 + p / ssmc_dw::kTW, i2 = x0 + p % ssmc_dw::kTW, "
                     "i3 = olo + e % width{3};\n"
                     "      if (i1 >= kDwH || i2 >= kDwW)\n        continue;\n",
                     loop.size() > 1 ? "s" : "", fmt::join(loop, ", #"), channels, loop.front());
    const std::vector<std::string> idx = GroupEmitter::indexNames("i", 4);
    for (unsigned r : loop)
      m += fmt::format("      const float r{} = {};\n", r, e.call(yield.getValues()[r], idx));
    for (unsigned r : loop)
      m += fmt::format("      {}[{}] = {};\n", e.outputParam(r), e.linear(v, idx),
                       e.storeValue(r, fmt::format("r{}", r)));
    m += "    }\n";
  }
  m += "  }\n";
  auto fns = e.groupStruct(custom, m);
  if (!fns)
    return fns.status();

  const DwTile &d = tiles.front();
  std::string src = e.header(
      "depthwise",
      {fmt::format("Depthwise conv {}x{} over [{}, {}, {}, {}] (same padding): one block per tile "
                   "of output pixels and group of channels (DW_CG; 1: every channel).",
                   info.kh, info.kw, info.b, info.h, info.w, info.c),
       "The input tile with its halo and the weights staged in shared memory per chunk of "
       "channels; each thread computes TW outputs of one channel from a sliding window.",
       "Then every result at the tile's pixels, 16 bytes of channels a thread, the conv read "
       "from the tile in shared memory.",
       fmt::format("Dynamic shared memory: {} bytes for the default tile.",
                   dwSmemBytes(info, groups, vec, d))},
      {{"DW_TH", fmt::format("output rows per tile (default {})", d.th)},
       {"DW_TW", fmt::format("output columns per tile, outputs per thread (default {})", d.tw)},
       {"DW_CB", fmt::format("channels per staged chunk (default {}); threads = CB x TH", d.cb)},
       {"DW_CG", fmt::format("channel groups, blocks per tile (default {}; more than 1 only where "
                             "the results can be cut so)",
                             d.cg)}});
  src += '\n';
  src += e.prelude();
  src += fmt::format("\n#ifndef SSMC_DW_TH\n#define SSMC_DW_TH {}\n#endif\n"
                     "#ifndef SSMC_DW_TW\n#define SSMC_DW_TW {}\n#endif\n"
                     "#ifndef SSMC_DW_CB\n#define SSMC_DW_CB {}\n#endif\n"
                     "#ifndef SSMC_DW_CG\n#define SSMC_DW_CG {}\n#endif\n\n",
                     d.th, d.tw, d.cb, d.cg);
  std::string code = fmt::format("constexpr idx_t kDwB = {}, kDwH = {}, kDwW = {}, kDwC = {};\n"
                                 "constexpr int kDwKH = {}, kDwKW = {};\n",
                                 info.b, info.h, info.w, info.c, info.kh, info.kw);
  code += fmt::format("// The results' channels; where they read the conv (channel c - shift at "
                      "c), whether they can be cut into channel groups.\n"
                      "constexpr idx_t kDwOutC = {}, kDwConvBegin = {}, kDwConvEnd = {}, "
                      "kDwConvShift = {};\nconstexpr bool kDwGroups = {};\n\n",
                      groups.outC, groups.convBegin, groups.convEnd, groups.shift,
                      groups.ok ? "true" : "false");
  code += std::string(kDepthwiseTemplate) + "\n" + *fns + "\n";
  code += fmt::format("extern \"C\" __global__ void __launch_bounds__(SSMC_DW_CB * SSMC_DW_TH) "
                      "{}(\n    {}) {{\n",
                      e.entry(), e.kernelParams());
  code += "  extern __shared__ __align__(128) float smem[];\n";
  code += "  " + e.groupInit(e.outputNames()) + "\n";
  code += "  ssmc_dw::run(g, smem);\n}\n";
  src += e.shapeConstants(code) + code;

  rt::PlanKernel plan = e.kernel("depthwise", std::move(src), {"DW_CB", "DW_CG", "DW_TH", "DW_TW"});
  for (const DwTile &t : tiles) {
    rt::PlanConfig c;
    c.tunables = {{"DW_TH", t.th}, {"DW_TW", t.tw}, {"DW_CB", t.cb}, {"DW_CG", t.cg}};
    c.block = {t.cb * t.th, 1, 1};
    c.grid = {(info.w + t.tw - 1) / t.tw, (info.h + t.th - 1) / t.th, info.b * t.cg};
    c.smemBytes = dwSmemBytes(info, groups, vec, t);
    plan.configs.push_back(c);
  }
  return plan;
}

} // namespace ssmc::codegen
