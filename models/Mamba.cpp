//===- Mamba.cpp - selective scan, Mamba, Vim mixer/block, Vision Mamba ---===//
//
// Written as the references' forward(): upstream `Mamba` (state-spaces/mamba,
// slow path), the Vim fork's bimamba v2 mixer (fast path), Vim's `Block` and
// `VisionMamba`. The scan wants [B, D, L]; the model keeps tokens as
// [B, L, D] and permutes between the two as the reference's rearranges do.
// The backward direction of the Vim mixer is written with explicit flips
// along L, as the reference does; the passes fold them into reversed
// indexing, not the model.
//
//===----------------------------------------------------------------------===//

#include "Ops.h"
#include "Registry.h"

#include <fmt/format.h>

namespace ssmc::models {
using namespace dsl;

namespace {
// Default shapes when no tensor is given.
constexpr int64_t kDefaultSeqLen = 64;
constexpr int64_t kScanDefaultDim = 16;
constexpr int64_t kScanDefaultDState = 16;

//===----------------------------------------------------------------------===//
// Config helpers
//===----------------------------------------------------------------------===//

bool isAuto(const Config &c, const std::string &key) { return c.getString(key) == "auto"; }

/// An IntOrAuto key that may not be null: "" when fine, else the reason.
std::string checkIntOrAuto(const Config &c, const std::string &key) {
  if (c.isNull(key))
    return fmt::format("{} must be an integer or auto, got null", key);
  if (!isAuto(c, key) && c.getInt(key) < 1)
    return fmt::format("{} must be positive or auto, got {}", key, c.getInt(key));
  return "";
}

std::string checkPositive(const Config &c, std::initializer_list<const char *> keys) {
  for (const char *k : keys)
    if (c.getInt(k) < 1)
      return fmt::format("{} must be positive, got {}", k, c.getInt(k));
  return "";
}

std::string notImplemented(const std::string &what) {
  return fmt::format("{} is not implemented by ssmc yet", what);
}

std::string checkBimamba(const Config &c) {
  if (c.getString("bimamba_type") != "v2")
    return fmt::format("bimamba_type={} is not implemented by ssmc yet (only v2)",
                       c.getString("bimamba_type"));
  if (!c.isNull("init_layer_scale"))
    return notImplemented(fmt::format("init_layer_scale={} (layer scale on the mixer output)",
                                      c.getString("init_layer_scale"))) +
           " (only null)";
  return "";
}

//===----------------------------------------------------------------------===//
// The Mamba mixer
//===----------------------------------------------------------------------===//

struct MambaOptions {
  int64_t dModel = 64;
  int64_t dState = 16;
  int64_t dConv = 4;
  int64_t expand = 2;
  int64_t dtRank = 4;
  bool convBias = true;
  bool bias = false;          // in_proj and out_proj
  bool bidirectional = false; // Vim's bimamba v2
  bool divideOut = true;      // halve the sum of the two directions
  bool residualInF32 = false; // Vim: the residual stream stored in fp32 (residual_in_fp32)
};

int64_t innerWidth(const MambaOptions &o) { return o.expand * o.dModel; }

/// math.ceil(d_model / 16) for dt_rank="auto".
int64_t autoDtRank(int64_t dModel) { return (dModel + 15) / 16; }

/// Mamba arguments from the keys every mixer-carrying family shares.
MambaOptions mambaOptions(const Config &c, int64_t dModel) {
  MambaOptions o;
  o.dModel = dModel;
  o.dState = c.getInt("d_state");
  o.dConv = c.has("d_conv") ? c.getInt("d_conv") : 4;
  o.expand = c.has("expand") ? c.getInt("expand") : 2;
  o.dtRank = !c.has("dt_rank") || isAuto(c, "dt_rank") ? autoDtRank(dModel) : c.getInt("dt_rank");
  o.convBias = c.has("conv_bias") ? c.getBool("conv_bias") : true;
  o.bias = c.has("bias") ? c.getBool("bias") : false;
  o.divideOut = c.has("if_divide_out") ? c.getBool("if_divide_out") : true;
  return o;
}

/// One direction of the mixer after in_proj (the reference's
/// `mamba_inner_fn_no_out_proj` without in_proj): causal conv1d + SiLU,
/// x_proj, dt_proj, selective scan with the D skip and the z gate.
/// x, z: [B, E, L] -> y: [B, E, L]. `suffix` is "" for the forward direction
/// and "_b" for Vim's backward one (conv1d_b, x_proj_b, dt_proj_b, A_b_log, D_b).
Tensor mambaDirection(Scope s, Tensor x, Tensor z, const MambaOptions &o,
                      const std::string &suffix) {
  Graph &g = s.graph();
  const int64_t e = innerWidth(o), r = o.dtRank, n = o.dState;

  Tensor u = silu(causalConv1d(s["conv1d" + suffix], x, o.dConv, o.convBias)); // [B,E,L]
  // x_dbl = x_proj(u) per token: [B, L, R + 2N] = (dt, B, C).
  Tensor xDbl = linear(s["x_proj" + suffix], permute(u, {0, 2, 1}), r + 2 * n, {.bias = false});
  std::vector<Tensor> parts = split(xDbl, {r, n, n}, -1);
  // dt_proj's weight here; its bias is the scan's delta_bias (softplus inside).
  Scope dtProj = s["dt_proj" + suffix];
  Tensor dtWeight = g.param(dtProj.name("weight"), {e, r}, Init::FanInUniform);
  Tensor dtBias = g.param(dtProj.name("bias"), {e}, Init::DtBias);
  Tensor delta = permute(linear(parts[0], dtWeight, std::nullopt), {0, 2, 1}); // [B,E,L]
  Tensor bT = permute(parts[1], {0, 2, 1});                                    // [B,N,L]
  Tensor cT = permute(parts[2], {0, 2, 1});                                    // [B,N,L]
  // A = -exp(A_log), computed at run time as the reference does.
  Tensor a = neg(exp(g.param(s.name("A" + suffix + "_log"), {e, n}, Init::ALog)));
  Tensor d = g.param(s.name("D" + suffix), {e}, Init::Ones);
  ScanOptions scan{.D = d, .z = z, .deltaBias = dtBias, .deltaSoftplus = true};
  return selectiveScan(u, delta, a, bT, cT, scan).out;
}

/// The mixer on tokens [B, L, d_model] -> [B, L, d_model]: upstream Mamba, or
/// with `bidirectional` Vim's bimamba v2 (fast path).
Tensor mambaMixer(Scope s, Tensor h, const MambaOptions &o) {
  const int64_t e = innerWidth(o);
  Tensor xz = permute(linear(s["in_proj"], h, 2 * e, {.bias = o.bias}), {0, 2, 1}); // [B,2E,L]
  std::vector<Tensor> xzParts = split(xz, {e, e}, 1);
  Tensor x = xzParts[0], z = xzParts[1];
  Tensor y = mambaDirection(s, x, z, o, "");
  if (o.bidirectional) {
    // x AND z reversed in time; the result reversed back.
    Tensor xb = flip(x, 2);
    Tensor zb = flip(z, 2);
    Tensor yb = mambaDirection(s, xb, zb, o, "_b");
    y = y + flip(yb, 2);
    if (o.divideOut)
      y = scale(y, 0.5);
  }
  return linear(s["out_proj"], permute(y, {0, 2, 1}), o.dModel, {.bias = o.bias});
}

std::string validateMixer(const Config &c, const std::string &widthKey) {
  if (std::string why = checkPositive(c, {widthKey.c_str(), "d_state"}); !why.empty())
    return why;
  if (c.has("d_conv") && c.getInt("d_conv") < 1)
    return fmt::format("d_conv must be positive, got {}", c.getInt("d_conv"));
  if (c.has("expand") && c.getInt("expand") < 1)
    return fmt::format("expand must be positive, got {}", c.getInt("expand"));
  if (c.has("dt_rank"))
    if (std::string why = checkIntOrAuto(c, "dt_rank"); !why.empty())
      return why;
  return "";
}

/// Fails unless `t` is [B, L, width].
bool checkTokens(Graph &g, const Tensor &t, const std::string &name, int64_t width,
                 const std::string &widthKey, Where where = Where::current()) {
  if (!t.valid())
    return false;
  if (t.rank() != 3 || t.dim(2) != width) {
    g.fail(fmt::format("{} is {}, expected tokens [B, L, {}] ({} = {})", name,
                       shape::str(t.shape()), width, widthKey, width),
           where);
    return false;
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Vim block and Vision Mamba
//===----------------------------------------------------------------------===//

/// Vim's Block with fused add + RMSNorm: returns (mixer output, residual).
std::pair<Tensor, Tensor> vimBlock(Scope s, Tensor hidden, std::optional<Tensor> residual,
                                   const MambaOptions &o, double eps) {
  Tensor res = residual ? hidden + *residual : hidden;
  // As the reference's fused add + norm: the sum is computed in fp32 and,
  // with residual_in_fp32, stored so. A first block's residual is its input.
  if (residual && o.residualInF32)
    s.graph().keepInF32(res);
  Tensor out = mambaMixer(s["mixer"], rmsNorm(s["norm"], res, eps), o);
  return {out, res};
}

/// Flags of Block/create_block that ssmc does not implement (shared by
/// vim_block and vision_mamba).
std::string validateVimFlags(const Config &c) {
  if (!c.getBool("rms_norm"))
    return notImplemented("rms_norm=false (LayerNorm blocks)") + " (only RMSNorm)";
  if (c.getBool("if_bimamba"))
    return notImplemented("if_bimamba=true (bimamba v1)") + " (only bimamba_type=v2)";
  if (!c.isNull("ssm_cfg") && c.getString("ssm_cfg") != "{}")
    return notImplemented(fmt::format("ssm_cfg={}", c.getString("ssm_cfg"))) +
           " (only null: Vim's Mamba defaults d_conv=4, expand=2, dt_rank=auto)";
  if (c.getFloat("norm_epsilon") < 0)
    return fmt::format("norm_epsilon must not be negative, got {}", c.getFloat("norm_epsilon"));
  return checkBimamba(c);
}

struct VimGeometry {
  int64_t dim, patch, grid, patches; // D, p, img/p, M
};

VimGeometry vimGeometry(const Config &c) {
  VimGeometry v;
  v.dim = c.getInt("embed_dim");
  v.patch = c.getInt("patch_size");
  v.grid = c.getInt("img_size") / v.patch;
  v.patches = v.grid * v.grid;
  return v;
}

std::string validateVisionMamba(const Config &c) {
  if (std::string why = checkPositive(
          c, {"img_size", "patch_size", "stride", "depth", "embed_dim", "d_state", "channels"});
      !why.empty())
    return why;
  if (c.getInt("num_classes") < 0)
    return fmt::format("num_classes must not be negative, got {}", c.getInt("num_classes"));
  if (c.getInt("stride") != c.getInt("patch_size"))
    return fmt::format("stride != patch_size is not implemented yet (stride = {}, patch_size = "
                       "{}; only non-overlapping patches)",
                       c.getInt("stride"), c.getInt("patch_size"));
  if (c.getInt("img_size") % c.getInt("patch_size") != 0)
    return fmt::format("img_size {} must be a multiple of patch_size {}", c.getInt("img_size"),
                       c.getInt("patch_size"));
  if (c.getBool("if_rope"))
    return notImplemented("if_rope=true (rotary position embedding)");
  if (c.getBool("if_rope_residual"))
    return notImplemented("if_rope_residual=true (rotary position embedding)");
  if (c.getBool("if_bidirectional"))
    return notImplemented("if_bidirectional=true (layer pairs over the reversed sequence)");
  if (!c.getBool("if_cls_token"))
    return notImplemented("if_cls_token=false (pooled features)");
  if (c.getBool("use_double_cls_token"))
    return notImplemented("use_double_cls_token=true");
  if (!c.getBool("use_middle_cls_token"))
    return notImplemented("use_middle_cls_token=false (cls token first)");
  if (!c.getBool("if_abs_pos_embed"))
    return notImplemented("if_abs_pos_embed=false");
  if (c.getFloat("flip_img_sequences_ratio") > 0)
    return notImplemented(fmt::format("flip_img_sequences_ratio={} (random flips of the token "
                                      "sequence)",
                                      c.getFloat("flip_img_sequences_ratio"))) +
           " (only <= 0)";
  return validateVimFlags(c);
}

/// VisionMamba.forward: NCHW image -> logits [B, num_classes] (features
/// [B, embed_dim] when num_classes = 0, as the reference's Identity head).
Tensor visionMamba(Graph &g, Tensor image, const Config &c) {
  Scope root = g.root();
  const VimGeometry v = vimGeometry(c);
  const int64_t batch = image.dim(0);
  const int64_t depth = c.getInt("depth");
  const double eps = c.getFloat("norm_epsilon");
  MambaOptions o = mambaOptions(c, v.dim);
  o.bidirectional = true;
  o.residualInF32 = c.getBool("residual_in_fp32");

  // Patch embedding, flattened row-major over the grid: [B, M, D].
  Tensor x = conv2d(root["patch_embed"]["proj"], image, v.dim,
                    {.kernel = v.patch, .stride = v.patch, .padding = 0});
  x = permute(reshape(x, {batch, v.dim, v.patches}), {0, 2, 1});
  g.activation("act.patch_embed", x);

  // cls token in the middle (index M//2), inserted before pos_embed is added.
  // No broadcast op: the [1, 1, D] token is repeated over the batch.
  const int64_t mid = v.patches / 2;
  Tensor cls = g.param("cls_token", {1, 1, v.dim}, Init::Normal002);
  if (batch > 1)
    cls = concat(std::vector<Tensor>(batch, cls), 0);
  std::vector<Tensor> pieces;
  if (mid > 0)
    pieces.push_back(slice(x, 1, 0, mid));
  pieces.push_back(cls);
  pieces.push_back(slice(x, 1, mid, v.patches - mid));
  Tensor pos = g.param("pos_embed", {1, v.patches + 1, v.dim}, Init::Normal002);
  Tensor tokens = concat(pieces, 1) + pos; // [B, M+1, D]
  g.activation("act.tokens", tokens);

  // Blocks: residual_0 = tokens, residual_i = residual_{i-1} + hidden_{i-1}.
  Tensor hidden = tokens;
  std::optional<Tensor> residual;
  for (int64_t i = 0; i < depth; ++i) {
    auto [h, r] = vimBlock(root["layers"][i], hidden, residual, o, eps);
    hidden = h;
    residual = r;
    if (i == 0 || i == depth - 1) {
      g.activation(fmt::format("act.layers.{}.hidden", i), hidden);
      g.activation(fmt::format("act.layers.{}.residual", i), *residual);
    }
  }
  Tensor last = residual ? *residual + hidden : hidden;
  if (residual && o.residualInF32)
    g.keepInF32(last);
  Tensor out = rmsNorm(root["norm_f"], last, eps);
  g.activation("act.norm_f", out);

  // Only the middle cls token reaches the head.
  Tensor features = reshape(slice(out, 1, mid, 1), {batch, v.dim});
  g.activation("act.features", features);
  if (c.getInt("num_classes") == 0)
    return features;
  return linear(root["head"], features, c.getInt("num_classes"));
}

//===----------------------------------------------------------------------===//
// selective_scan
//===----------------------------------------------------------------------===//

/// Shape of a scan input from the keys; dims whose key is auto are free.
InputDecl scanInput(const Config &c, int64_t batch, std::string name,
                    std::vector<std::string> keys) {
  InputDecl d{std::move(name), {}, {}};
  for (size_t i = 0; i < keys.size(); ++i) {
    const std::string &k = keys[i];
    if (isAuto(c, k)) {
      d.freeDims.push_back(static_cast<int64_t>(i));
      d.shape.push_back(k == "batch"    ? batch
                        : k == "dim"    ? kScanDefaultDim
                        : k == "seqlen" ? kDefaultSeqLen
                                        : kScanDefaultDState);
    } else {
      d.shape.push_back(c.getInt(k));
    }
  }
  return d;
}

std::vector<InputDecl> scanInputs(const Config &c, int64_t batch) {
  std::vector<InputDecl> in;
  in.push_back(scanInput(c, batch, "u", {"batch", "dim", "seqlen"}));
  in.push_back(scanInput(c, batch, "delta", {"batch", "dim", "seqlen"}));
  in.push_back(scanInput(c, batch, "A", {"dim", "dstate"}));
  in.push_back(scanInput(c, batch, "B", {"batch", "dstate", "seqlen"}));
  in.push_back(scanInput(c, batch, "C", {"batch", "dstate", "seqlen"}));
  if (c.getBool("has_D"))
    in.push_back(scanInput(c, batch, "D", {"dim"}));
  if (c.getBool("has_z"))
    in.push_back(scanInput(c, batch, "z", {"batch", "dim", "seqlen"}));
  if (c.getBool("has_delta_bias"))
    in.push_back(scanInput(c, batch, "delta_bias", {"dim"}));
  return in;
}

std::string validateScan(const Config &c) {
  for (const char *k : {"batch", "dim", "seqlen", "dstate"})
    if (std::string why = checkIntOrAuto(c, k); !why.empty())
      return why;
  return "";
}

void buildScan(Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
  ScanOptions o;
  if (c.getBool("has_D"))
    o.D = in.at("D");
  if (c.getBool("has_z"))
    o.z = in.at("z");
  if (c.getBool("has_delta_bias"))
    o.deltaBias = in.at("delta_bias");
  o.deltaSoftplus = c.getBool("delta_softplus");
  ScanResult r = selectiveScan(in.at("u"), in.at("delta"), in.at("A"), in.at("B"), in.at("C"), o);
  g.output("out", r.out);
  if (c.getBool("return_last_state"))
    g.output("last_state", r.lastState);
}

//===----------------------------------------------------------------------===//
// Keys
//===----------------------------------------------------------------------===//

/// Upstream Mamba's constructor arguments (mamba_simple.py), d_model first.
std::vector<ConfigKey> mambaKeys() {
  return {
      {"d_model", KeyType::Int, "64", "model width (tokens are [B, L, d_model])"},
      {"d_state", KeyType::Int, "16", "SSM state size N"},
      {"d_conv", KeyType::Int, "4", "causal conv1d kernel K"},
      {"expand", KeyType::Int, "2", "d_inner E = expand·d_model"},
      {"dt_rank", KeyType::IntOrAuto, "auto", "width R of dt; auto = ceil(d_model/16)"},
      {"dt_min", KeyType::Float, "0.001", "dt_proj.bias initialisation only", true},
      {"dt_max", KeyType::Float, "0.1", "dt_proj.bias initialisation only", true},
      {"dt_init", KeyType::String, "random", "dt_proj.weight initialisation only", true},
      {"dt_scale", KeyType::Float, "1.0", "dt_proj.weight initialisation only", true},
      {"dt_init_floor", KeyType::Float, "1e-4", "dt_proj.bias initialisation only", true},
      {"conv_bias", KeyType::Bool, "true", "conv1d has a bias"},
      {"bias", KeyType::Bool, "false", "in_proj and out_proj have biases"},
      {"use_fast_path", KeyType::Bool, "true",
       "fused CUDA kernels or not in the reference; ssmc computes the same math either way", true},
      {"layer_idx", KeyType::Opaque, "null", "inference-cache slot", true},
  };
}

/// The Vim fork's extra Mamba arguments.
std::vector<ConfigKey> bimambaKeys() {
  return {
      {"bimamba_type", KeyType::String, "v2",
       "v2: a backward direction with its own *_b parameters (the only one implemented)"},
      {"if_divide_out", KeyType::Bool, "true", "halve the sum of the two directions"},
      {"init_layer_scale", KeyType::Opaque, "null", "layer scale on the mixer (only null)"},
  };
}

std::vector<ConfigKey> vimBlockKeys() {
  std::vector<ConfigKey> keys = {
      {"d_model", KeyType::Int, "64", "model width (tokens are [B, L, d_model])"},
      {"d_state", KeyType::Int, "16", "SSM state size N"},
      {"ssm_cfg", KeyType::Opaque, "null",
       "extra Mamba arguments (only null; use d_conv, expand, dt_rank)"},
      {"norm_epsilon", KeyType::Float, "1e-05", "RMSNorm eps"},
      {"drop_path", KeyType::Float, "0.0", "identity at inference", true},
      {"rms_norm", KeyType::Bool, "true", "RMSNorm (only true is implemented)"},
      {"residual_in_fp32", KeyType::Bool, "true",
       "the residual stream (each block's add) stored in fp32 in a bf16/f16 model"},
      {"fused_add_norm", KeyType::Bool, "true", "fused add + norm: same result either way", true},
      {"layer_idx", KeyType::Opaque, "null", "inference-cache slot", true},
      {"if_bimamba", KeyType::Bool, "false", "bimamba v1 (only false)"},
  };
  for (ConfigKey &k : bimambaKeys())
    keys.push_back(std::move(k));
  keys.push_back({"d_conv", KeyType::Int, "4", "the mixer's causal conv1d kernel K"});
  keys.push_back({"expand", KeyType::Int, "2", "the mixer's d_inner E = expand·d_model"});
  keys.push_back(
      {"dt_rank", KeyType::IntOrAuto, "auto", "the mixer's dt width R; auto = ceil(d_model/16)"});
  keys.push_back({"has_residual", KeyType::Bool, "true",
                  "declare the input 'residual' (false: the first block, residual_out = input)"});
  return keys;
}

std::vector<ConfigKey> visionMambaKeys() {
  return {
      {"img_size", KeyType::Int, "224", "input image height and width"},
      {"patch_size", KeyType::Int, "16", "patch conv kernel"},
      {"stride", KeyType::Int, "16", "patch conv stride (only = patch_size)"},
      {"depth", KeyType::Int, "24", "number of blocks"},
      {"embed_dim", KeyType::Int, "192", "token width D"},
      {"d_state", KeyType::Int, "16", "SSM state size N"},
      {"channels", KeyType::Int, "3", "image channels"},
      {"num_classes", KeyType::Int, "1000", "logits (0: the cls-token features)"},
      {"ssm_cfg", KeyType::Opaque, "null", "extra Mamba arguments (only null)"},
      {"drop_rate", KeyType::Float, "0.0", "identity at inference", true},
      {"drop_path_rate", KeyType::Float, "0.1", "identity at inference", true},
      {"norm_epsilon", KeyType::Float, "1e-05", "RMSNorm eps"},
      {"rms_norm", KeyType::Bool, "true", "RMSNorm (only true is implemented)"},
      {"initializer_cfg", KeyType::Opaque, "null", "initialisation only", true},
      {"fused_add_norm", KeyType::Bool, "true", "fused add + norm: same result either way", true},
      {"residual_in_fp32", KeyType::Bool, "true",
       "the residual stream (each block's add) stored in fp32 in a bf16/f16 model"},
      {"ft_seq_len", KeyType::Opaque, "null", "rotary embedding only", true},
      {"pt_hw_seq_len", KeyType::Int, "14", "rotary embedding only", true},
      {"if_bidirectional", KeyType::Bool, "false",
       "layer pairs over the reversed sequence (only false)"},
      {"final_pool_type", KeyType::String, "mean",
       "not reached: the cls token is returned before pooling", true},
      {"if_abs_pos_embed", KeyType::Bool, "true", "learned pos_embed (only true)"},
      {"if_rope", KeyType::Bool, "false", "rotary embedding (only false)"},
      {"if_rope_residual", KeyType::Bool, "false", "rotary embedding (only false)"},
      {"flip_img_sequences_ratio", KeyType::Float, "-1.0", "random sequence flips (only <= 0)"},
      {"if_bimamba", KeyType::Bool, "false", "bimamba v1 (only false)"},
      {"bimamba_type", KeyType::String, "v2", "backward direction with *_b parameters (only v2)"},
      {"if_cls_token", KeyType::Bool, "true", "cls token (only true)"},
      {"if_divide_out", KeyType::Bool, "true", "halve the sum of the two directions"},
      {"init_layer_scale", KeyType::Opaque, "null", "layer scale on the mixer (only null)"},
      {"use_double_cls_token", KeyType::Bool, "false", "cls tokens at both ends (only false)"},
      {"use_middle_cls_token", KeyType::Bool, "true", "cls token at index M//2 (only true)"},
  };
}
} // namespace

void addMambaModels(std::vector<Family> &families, std::vector<Variant> &variants) {
  families.push_back(Family{
      .name = "selective_scan",
      .summary = "selective_scan_fn: u, delta, z [B, D, L], A [D, N], B, C [B, N, L], D, "
                 "delta_bias [D]",
      .keys = {{"batch", KeyType::IntOrAuto, "auto",
                "B; auto: from the given tensors (--batch without them)"},
               {"dim", KeyType::IntOrAuto, "auto",
                "channels D; auto: from the given tensors (16 without them)"},
               {"seqlen", KeyType::IntOrAuto, "auto",
                "length L; auto: from the given tensors (64 without them)"},
               {"dstate", KeyType::IntOrAuto, "auto",
                "state size N; auto: from the given tensors (16 without them)"},
               {"delta_softplus", KeyType::Bool, "false", "delta = softplus(delta + delta_bias)"},
               {"return_last_state", KeyType::Bool, "true", "also output last_state [B, D, N]"},
               {"has_D", KeyType::Bool, "false", "input D [D]: out += D·u"},
               {"has_z", KeyType::Bool, "false", "input z [B, D, L]: out *= silu(z)"},
               {"has_delta_bias", KeyType::Bool, "false", "input delta_bias [D]"}},
      .inputs = scanInputs,
      .validate = validateScan,
      .build = buildScan,
      .officialName = {},
      .numClasses = [](const Config &) -> int64_t { return 0; },
  });

  families.push_back(Family{
      .name = "mamba_block",
      .summary = "upstream Mamba mixer (state-spaces/mamba) on tokens [B, L, d_model]",
      .keys = mambaKeys(),
      .inputs = [](const Config &c, int64_t batch) -> std::vector<InputDecl> {
        return {{"input", {batch, kDefaultSeqLen, c.getInt("d_model")}, {0, 1}}};
      },
      .validate = [](const Config &c) { return validateMixer(c, "d_model"); },
      .build =
          [](Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
            Tensor x = in.at("input");
            MambaOptions o = mambaOptions(c, c.getInt("d_model"));
            if (!checkTokens(g, x, "input", o.dModel, "d_model"))
              return;
            g.output("output", mambaMixer(g.root(), x, o));
          },
      .officialName = {},
      .numClasses = [](const Config &) -> int64_t { return 0; },
  });

  std::vector<ConfigKey> mixerKeys = mambaKeys();
  for (ConfigKey &k : bimambaKeys())
    mixerKeys.push_back(std::move(k));
  families.push_back(Family{
      .name = "vim_mixer",
      .summary = "Vim's bidirectional Mamba mixer (bimamba v2) on tokens [B, L, d_model]",
      .keys = mixerKeys,
      .inputs = [](const Config &c, int64_t batch) -> std::vector<InputDecl> {
        return {{"input", {batch, kDefaultSeqLen, c.getInt("d_model")}, {0, 1}}};
      },
      .validate =
          [](const Config &c) {
            if (std::string why = validateMixer(c, "d_model"); !why.empty())
              return why;
            return checkBimamba(c);
          },
      .build =
          [](Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
            Tensor x = in.at("input");
            MambaOptions o = mambaOptions(c, c.getInt("d_model"));
            o.bidirectional = true;
            if (!checkTokens(g, x, "input", o.dModel, "d_model"))
              return;
            g.output("output", mambaMixer(g.root(), x, o));
          },
      .officialName = {},
      .numClasses = [](const Config &) -> int64_t { return 0; },
  });

  families.push_back(Family{
      .name = "vim_block",
      .summary = "Vim Block: residual add + RMSNorm + bimamba v2 mixer; outputs the mixer output "
                 "and the residual",
      .keys = vimBlockKeys(),
      .inputs = [](const Config &c, int64_t batch) -> std::vector<InputDecl> {
        std::vector<InputDecl> in{{"input", {batch, kDefaultSeqLen, c.getInt("d_model")}, {0, 1}}};
        if (c.getBool("has_residual"))
          in.push_back({"residual",
                        {batch, kDefaultSeqLen, c.getInt("d_model")},
                        {0, 1},
                        std::pair<std::string, std::string>("has_residual", "false")});
        return in;
      },
      .validate =
          [](const Config &c) {
            if (std::string why = validateMixer(c, "d_model"); !why.empty())
              return why;
            return validateVimFlags(c);
          },
      .build =
          [](Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
            Tensor x = in.at("input");
            MambaOptions o = mambaOptions(c, c.getInt("d_model"));
            o.bidirectional = true;
            o.residualInF32 = c.getBool("residual_in_fp32");
            if (!checkTokens(g, x, "input", o.dModel, "d_model"))
              return;
            std::optional<Tensor> residual;
            if (c.getBool("has_residual")) {
              residual = in.at("residual");
              if (!residual->valid())
                return;
              if (residual->shape() != x.shape()) {
                g.fail(fmt::format("residual is {} but input is {}: they must have the same "
                                   "shape",
                                   shape::str(residual->shape()), shape::str(x.shape())),
                       Where::current());
                return;
              }
              if (o.residualInF32)
                g.keepInF32(*residual);
            }
            auto [out, res] = vimBlock(g.root(), x, residual, o, c.getFloat("norm_epsilon"));
            g.output("output", out);
            g.output("residual_out", res);
          },
      .officialName = {},
      .numClasses = [](const Config &) -> int64_t { return 0; },
  });

  families.push_back(Family{
      .name = "vision_mamba",
      .summary = "Vision Mamba (hustvl/Vim): patch embedding, middle cls token, bimamba v2 "
                 "blocks, RMSNorm, head on the cls token (NCHW image in)",
      .keys = visionMambaKeys(),
      .inputs = [](const Config &c, int64_t batch) -> std::vector<InputDecl> {
        const int64_t img = c.getInt("img_size");
        return {{"input", {batch, c.getInt("channels"), img, img}, {0}}};
      },
      .validate = validateVisionMamba,
      .build =
          [](Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
            Tensor image = in.at("input");
            if (!image.valid())
              return;
            const int64_t ch = c.getInt("channels"), img = c.getInt("img_size");
            if (image.rank() != 4 || image.dim(1) != ch || image.dim(2) != img ||
                image.dim(3) != img) {
              g.fail(fmt::format("input is {}, expected an NCHW image {} (channels = {}, "
                                 "img_size = {})",
                                 shape::str(image.shape()),
                                 shape::str({image.rank() ? image.dim(0) : 1, ch, img, img}), ch,
                                 img),
                     Where::current());
              return;
            }
            g.output("output", visionMamba(g, image, c));
          },
      .officialName = {},
      .numClasses = [](const Config &c) { return c.getInt("num_classes"); },
      // Vim's evaluation (DeiT's): resize to 224 / 0.875, centre-crop 224.
      .evalCropPct = 0.875,
  });

  auto variant = [&](std::string name, std::string dim, std::string what) {
    variants.push_back(
        {std::move(name), "vision_mamba", {{"embed_dim", dim}, {"depth", "24"}}, std::move(what)});
  };
  variant("vim_tiny", "192",
          "Vim-tiny (patch 16, 197 tokens): 7.1M params, 1.3 GMACs at 224 (+0.2 in the scans)");
  variant("vim_small", "384",
          "Vim-small (patch 16, 197 tokens): 26M params, 4.9 GMACs at 224 (+0.4 in the scans)");
}

} // namespace ssmc::models
