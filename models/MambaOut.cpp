//===- MambaOut.cpp - Gated CNN block and MambaOut (yuweihao/MambaOut) ----===//
//
// Written as the reference's forward(): NCHW convolutions with the same
// permutes the reference does, channels-last everywhere else. The layout
// passes, not the model, are what get rid of the permutes.
//
//===----------------------------------------------------------------------===//

#include "Ops.h"
#include "Registry.h"

#include <fmt/format.h>

#include <optional>

namespace ssmc::models {
using namespace dsl;

namespace {
constexpr double kLayerNormEps = 1e-6;

struct GatedCNNOptions {
  int64_t dim = 48;
  double expansionRatio = 8.0 / 3;
  int64_t kernelSize = 7;
  double convRatio = 1.0;
  std::string act = "gelu";             // act_layer: gelu or silu
  std::optional<double> layerScaleInit; // ls_init_value: LayerScale after fc2 when set
};

/// timm's act_layer by name (the two MambaOut uses).
Tensor activation(const std::string &name, Tensor x) { return name == "silu" ? silu(x) : gelu(x); }

std::string validateAct(const std::string &act) {
  return act == "gelu" || act == "silu"
             ? ""
             : fmt::format("act_layer must be gelu or silu, got '{}'", act);
}

std::optional<double> layerScaleInit(const Config &c) {
  if (c.isNull("ls_init_value"))
    return std::nullopt;
  return c.getFloat("ls_init_value");
}

/// Python's int() of a double, as the reference computes widths; -1 for a
/// value no int64 holds (NaN, or a ratio like 1e308), which validation
/// reports instead of casting out of range.
int64_t truncatedWidth(double v) {
  return v > -9.2e18 && v < 9.2e18 ? static_cast<int64_t>(v) : -1;
}
int64_t hiddenWidth(const GatedCNNOptions &o) { return truncatedWidth(o.expansionRatio * o.dim); }
int64_t convChannels(const GatedCNNOptions &o) { return truncatedWidth(o.convRatio * o.dim); }

/// x: [B, H, W, C] -> [B, H, W, C].
Tensor gatedCNNBlock(Scope s, Tensor x, const GatedCNNOptions &o) {
  const int64_t hidden = hiddenWidth(o);
  const int64_t conv = convChannels(o);
  Tensor shortcut = x;
  Tensor h = linear(s["fc1"], layerNorm(s["norm"], x, kLayerNormEps), 2 * hidden);
  std::vector<Tensor> parts = split(h, {hidden, hidden - conv, conv}, -1);
  Tensor c = depthwiseConv2d(s["conv"], parts[2], o.kernelSize);
  Tensor mixed = activation(o.act, parts[0]) * concat({parts[1], c}, -1);
  Tensor y = linear(s["fc2"], mixed, o.dim);
  if (o.layerScaleInit)
    y = layerScale(s["ls"], y, *o.layerScaleInit);
  return y + shortcut;
}

std::string validateBlock(const GatedCNNOptions &o) {
  if (o.dim < 1)
    return fmt::format("dim must be positive, got {}", o.dim);
  if (o.kernelSize < 1 || o.kernelSize % 2 == 0)
    return fmt::format("kernel_size must be odd and positive (same padding), got {}",
                       o.kernelSize);
  if (hiddenWidth(o) < 1)
    return fmt::format("expansion_ratio {} gives a hidden width of {:.6g}", o.expansionRatio,
                       o.expansionRatio * double(o.dim));
  if (convChannels(o) < 1 || convChannels(o) > hiddenWidth(o))
    return fmt::format("conv_ratio {} gives {:.6g} conv channels; it must be between 1 and the "
                       "hidden width {}",
                       o.convRatio, o.convRatio * double(o.dim), hiddenWidth(o));
  return validateAct(o.act);
}

GatedCNNOptions blockOptions(const Config &c) {
  return {c.getInt("dim"), c.getFloat("expansion_ratio"), c.getInt("kernel_size"),
          c.getFloat("conv_ratio"), c.getString("act_layer"), layerScaleInit(c)};
}

/// The blocks of one stage of `mambaout` at width `dim`.
GatedCNNOptions stageBlockOptions(const Config &c, int64_t dim) {
  return {dim,
          c.getFloat("expansion_ratio"),
          c.getInt("kernel_size"),
          c.getFloat("conv_ratio"),
          c.getString("act_layer"),
          layerScaleInit(c)};
}

/// NCHW conv then back to channels-last, as the reference's permutes do.
Tensor convToChannelsLast(Scope s, Tensor nchw, int64_t out) {
  Tensor y = conv2d(s, nchw, out, {.kernel = 3, .stride = 2, .padding = 1});
  return permute(y, {0, 2, 3, 1});
}

Tensor mambaOut(Graph &g, Tensor image, const Config &c) {
  Scope root = g.root();
  const auto depths = c.getIntList("depths");
  const auto dims = c.getIntList("dims");
  const std::string act = c.getString("act_layer");
  const std::string downsample = c.getString("downsample");

  // Stem: conv, LN (unless stem_mid_norm=false), act, conv, LN
  // (downsample_layers.0; timm's `stem`).
  Scope stem = root["downsample_layers"][0];
  Tensor x = conv2d(stem["conv1"], image, dims[0] / 2, {.kernel = 3, .stride = 2, .padding = 1});
  if (c.getBool("stem_mid_norm"))
    x = permute(layerNorm(stem["norm1"], permute(x, {0, 2, 3, 1}), kLayerNormEps), {0, 3, 1, 2});
  x = convToChannelsLast(stem["conv2"], activation(act, x), dims[0]);
  x = layerNorm(stem["norm2"], x, kLayerNormEps);

  for (size_t stage = 0; stage < depths.size(); ++stage) {
    if (stage > 0 && downsample == "conv") {
      Scope down = root["downsample_layers"][stage];
      x = convToChannelsLast(down["conv"], permute(x, {0, 3, 1, 2}), dims[stage]);
      x = layerNorm(down["norm"], x, kLayerNormEps);
    } else if (stage > 0 && downsample == "conv_nf") { // timm's DownsampleNormFirst
      Scope down = root["downsample_layers"][stage];
      x = layerNorm(down["norm"], x, kLayerNormEps);
      x = convToChannelsLast(down["conv"], permute(x, {0, 3, 1, 2}), dims[stage]);
    }
    g.activation(fmt::format("act.downsample_layers.{}", stage), x);
    const GatedCNNOptions block = stageBlockOptions(c, dims[stage]);
    for (int64_t j = 0; j < depths[stage]; ++j)
      x = gatedCNNBlock(root["stages"][stage][j], x, block);
    g.activation(fmt::format("act.stages.{}", stage), x);
  }

  // Head: pool, norm, fc1, GELU (whatever act_layer is), then the default
  // head's LN or none (timm's ClNormMlpClassifierHead, head_fn=norm_mlp), fc2.
  Tensor features = layerNorm(root["norm"], reduceMean(x, {1, 2}), kLayerNormEps);
  g.activation("act.features", features);
  Scope head = root["head"];
  const int64_t wide = 4 * dims.back();
  Tensor h = gelu(linear(head["fc1"], features, wide));
  if (c.getString("head_fn") == "default")
    h = layerNorm(head["norm"], h, kLayerNormEps);
  return linear(head["fc2"], h, c.getInt("num_classes"));
}

std::string validateMambaOut(const Config &c) {
  const auto depths = c.getIntList("depths");
  const auto dims = c.getIntList("dims");
  if (depths.empty() || depths.size() != dims.size())
    return fmt::format("depths ({} stages) and dims ({} stages) must have the same, non-zero "
                       "length",
                       depths.size(), dims.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    if (depths[i] < 0)
      return fmt::format("depths[{}] = {} is negative", i, depths[i]);
    if (std::string why = validateBlock(stageBlockOptions(c, dims[i])); !why.empty())
      return fmt::format("stage {}: {}", i, why);
  }
  const std::string downsample = c.getString("downsample");
  if (downsample != "conv" && downsample != "conv_nf" && !downsample.empty())
    return fmt::format("downsample must be conv, conv_nf or '' (none), got '{}'", downsample);
  if (downsample.empty())
    for (size_t i = 1; i < dims.size(); ++i)
      if (dims[i] != dims[0])
        return fmt::format("downsample='' keeps the width, but dims[{}] = {} differs from dims[0] "
                           "= {}",
                           i, dims[i], dims[0]);
  if (c.getString("head_fn") != "default" && c.getString("head_fn") != "norm_mlp")
    return fmt::format("head_fn must be default or norm_mlp, got '{}'", c.getString("head_fn"));
  if (c.getString("global_pool") != "avg")
    return fmt::format("global_pool must be avg (the only pooling implemented), got '{}'",
                       c.getString("global_pool"));
  if (dims[0] < 2)
    return "dims[0] must be at least 2 (the stem's first conv has dims[0]/2 channels)";
  if (c.getInt("in_chans") < 1 || c.getInt("num_classes") < 1)
    return "in_chans and num_classes must be positive";
  return "";
}

/// timm's names for the official MambaOut parameters (models.md §2); each
/// key is translated once by its prefix, never by chained replacements.
std::optional<std::string> mambaOutOfficialName(const std::string &timm) {
  auto starts = [&](std::string_view p) { return timm.rfind(p, 0) == 0; };
  auto rest = [&](std::string_view p) { return timm.substr(p.size()); };
  if (starts("stem."))
    return "downsample_layers.0." + rest("stem.");
  if (starts("head.norm."))
    return "norm." + rest("head.norm.");
  if (starts("head.pre_logits.fc."))
    return "head.fc1." + rest("head.pre_logits.fc.");
  if (starts("head.pre_logits.norm."))
    return "head.norm." + rest("head.pre_logits.norm.");
  if (starts("head.fc."))
    return "head.fc2." + rest("head.fc.");
  if (starts("stages.")) {
    // stages.{i}.downsample.X -> downsample_layers.{i}.X; stages.{i}.blocks.{j}.X -> stages.{i}.{j}.X
    size_t dot = timm.find('.', 7);
    if (dot == std::string::npos)
      return std::nullopt;
    std::string stage = timm.substr(7, dot - 7);
    std::string tail = timm.substr(dot + 1);
    if (tail.rfind("downsample.", 0) == 0)
      return "downsample_layers." + stage + "." + tail.substr(11);
    if (tail.rfind("blocks.", 0) == 0)
      return "stages." + stage + "." + tail.substr(7);
  }
  return std::nullopt;
}
/// The inverse of mambaOutOfficialName.
std::string mambaOutTimmName(const std::string &official) {
  auto starts = [&](std::string_view p) { return official.rfind(p, 0) == 0; };
  auto rest = [&](std::string_view p) { return official.substr(p.size()); };
  if (starts("downsample_layers.0."))
    return "stem." + rest("downsample_layers.0.");
  if (starts("norm."))
    return "head.norm." + rest("norm.");
  if (starts("head.fc1."))
    return "head.pre_logits.fc." + rest("head.fc1.");
  if (starts("head.norm."))
    return "head.pre_logits.norm." + rest("head.norm.");
  if (starts("head.fc2."))
    return "head.fc." + rest("head.fc2.");
  // downsample_layers.{i}.X -> stages.{i}.downsample.X; stages.{i}.{j}.X -> stages.{i}.blocks.{j}.X
  for (std::string_view prefix : {"downsample_layers.", "stages."}) {
    if (!starts(prefix))
      continue;
    const size_t dot = official.find('.', prefix.size());
    if (dot == std::string::npos)
      return official;
    const std::string stage = official.substr(prefix.size(), dot - prefix.size());
    return prefix == "stages." ? "stages." + stage + ".blocks." + official.substr(dot + 1)
                               : "stages." + stage + ".downsample." + official.substr(dot + 1);
  }
  return official;
}
} // namespace

void addMambaOutModels(std::vector<Family> &families, std::vector<Variant> &variants) {
  families.push_back(Family{
      .name = "gated_cnn_block",
      .summary = "MambaOut's GatedCNNBlock on a channels-last [B, H, W, dim] input",
      .keys = {{"dim", KeyType::Int, "48", "channels C"},
               {"expansion_ratio", KeyType::Float, "2.6666666666666665", "hidden = int(ratio·dim)"},
               {"kernel_size", KeyType::Int, "7", "depthwise conv kernel"},
               {"conv_ratio", KeyType::Float, "1.0", "conv channels = int(ratio·dim)"},
               {"act_layer", KeyType::String, "gelu", "gate activation: gelu or silu"},
               {"ls_init_value", KeyType::FloatOrNull, "null",
                "LayerScale (ls.gamma) after fc2 when set; its random-weight value"},
               {"drop_path", KeyType::Float, "0.0", "identity at inference", true}},
      .inputs = [](const Config &c,
                   int64_t batch) -> std::vector<InputDecl> {
        return {{"input", {batch, 14, 14, c.getInt("dim")}, {0, 1, 2}}};
      },
      .validate = [](const Config &c) { return validateBlock(blockOptions(c)); },
      .build =
          [](Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
            g.output("output", gatedCNNBlock(g.root(), in.at("input"), blockOptions(c)));
          },
      .officialName = {},
      .numClasses = [](const Config &) -> int64_t { return 0; },
  });

  families.push_back(Family{
      .name = "mambaout",
      .summary = "MambaOut: stem, four stages of Gated CNN blocks, MLP head (NCHW image in)",
      .keys = {{"in_chans", KeyType::Int, "3", "image channels"},
               {"num_classes", KeyType::Int, "1000", "logits"},
               {"depths", KeyType::IntList, "3,3,9,3", "blocks per stage"},
               {"dims", KeyType::IntList, "96,192,384,576", "channels per stage"},
               {"conv_ratio", KeyType::Float, "1.0", "conv channels = int(ratio·dim)"},
               {"expansion_ratio", KeyType::Float, "2.6666666666666665", "hidden = int(ratio·dim)"},
               {"kernel_size", KeyType::Int, "7", "depthwise conv kernel"},
               {"act_layer", KeyType::String, "gelu", "stem and gate activation: gelu or silu"},
               {"stem_mid_norm", KeyType::Bool, "true", "LayerNorm between the stem's convs"},
               {"downsample", KeyType::String, "conv",
                "between stages: conv (conv, LN), conv_nf (LN, conv) or '' (none)"},
               {"ls_init_value", KeyType::FloatOrNull, "null",
                "LayerScale (ls.gamma) in every block when set; its random-weight value"},
               {"head_fn", KeyType::String, "default",
                "default (fc1, GELU, LN, fc2) or norm_mlp (fc1, GELU, fc2)"},
               {"global_pool", KeyType::String, "avg", "pooling before the head (only avg)"},
               {"drop_path_rate", KeyType::Float, "0.0", "identity at inference", true},
               {"drop_rate", KeyType::Float, "0.0", "identity at inference", true},
               {"head_dropout", KeyType::Float, "0.0", "identity at inference", true}},
      .inputs = [](const Config &c,
                   int64_t batch) -> std::vector<InputDecl> {
        return {{"input", {batch, c.getInt("in_chans"), 224, 224}, {0, 2, 3}}};
      },
      .validate = validateMambaOut,
      .build =
          [](Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
            Tensor image = in.at("input");
            if (image.valid() && (image.rank() != 4 || image.dim(1) != c.getInt("in_chans"))) {
              g.fail(fmt::format("input is {}, expected an NCHW image [B, {}, H, W] (in_chans = "
                                 "{})",
                                 shape::str(image.shape()), c.getInt("in_chans"),
                                 c.getInt("in_chans")),
                     Where::current());
              return;
            }
            g.output("output", mambaOut(g, image, c));
          },
      .officialName = mambaOutOfficialName,
      .foreignMarker = "stem.conv1.weight",
      .foreignName = mambaOutTimmName,
      .numClasses = [](const Config &c) { return c.getInt("num_classes"); },
  });

  using Settings = std::vector<std::pair<std::string, std::string>>;
  auto variant = [&](std::string name, std::string depths, std::string dims, std::string what,
                     Settings more = {}, double cropPct = 0) {
    Settings settings{{"depths", depths}, {"dims", dims}};
    settings.insert(settings.end(), more.begin(), more.end());
    variants.push_back(
        {std::move(name), "mambaout", std::move(settings), std::move(what), cropPct});
  };
  variant("mambaout_femto", "3,3,9,3", "48,96,192,288", "7.3M params, 1.2 GMACs at 224");
  variant("mambaout_kobe", "3,3,15,3", "48,96,192,288", "9.1M params, 1.5 GMACs at 224");
  variant("mambaout_tiny", "3,3,9,3", "96,192,384,576", "26.5M params, 4.5 GMACs at 224");
  variant("mambaout_small", "3,4,27,3", "96,192,384,576", "48.5M params, 9.0 GMACs at 224");
  variant("mambaout_base", "3,4,27,3", "128,256,512,768", "84.8M params, 15.8 GMACs at 224");
  // timm's own variants (timm/models/mambaout.py): no stem mid-norm,
  // norm-first downsampling, LayerScale, the norm_mlp head.
  const Settings rw = {{"stem_mid_norm", "false"},
                       {"downsample", "conv_nf"},
                       {"ls_init_value", "1e-6"},
                       {"head_fn", "norm_mlp"}};
  auto with = [&](Settings more) {
    Settings s = rw;
    s.insert(s.end(), more.begin(), more.end());
    return s;
  };
  variant("mambaout_small_rw", "3,4,27,3", "96,192,384,576", "timm: 48.5M params, 9.0 GMACs at 224", rw);
  variant("mambaout_base_short_rw", "3,3,25,3", "128,256,512,768", "timm: 88.8M params, 16.3 GMACs at 224",
          with({{"expansion_ratio", "3.0"}, {"conv_ratio", "1.25"}}), 0.95);
  variant("mambaout_base_tall_rw", "3,4,30,3", "128,256,512,768", "timm: 86.5M params, 16.2 GMACs at 224",
          with({{"expansion_ratio", "2.5"}, {"conv_ratio", "1.25"}}), 0.95);
  variant("mambaout_base_wide_rw", "3,4,27,3", "128,256,512,768", "timm: 94.4M params, 17.8 GMACs at 224, SiLU",
          with({{"expansion_ratio", "3.0"}, {"conv_ratio", "1.5"}, {"act_layer", "silu"}}), 0.95);
  variant("mambaout_base_plus_rw", "3,4,30,3", "128,256,512,768", "timm: 101.7M params, 19.2 GMACs at 224, SiLU",
          with({{"expansion_ratio", "3.0"}, {"conv_ratio", "1.5"}, {"act_layer", "silu"}}));
  variant("test_mambaout", "1,1,3,1", "16,32,48,64", "timm's test model: 0.45M params (timm runs it at 160)",
          {{"expansion_ratio", "3"},
           {"stem_mid_norm", "false"},
           {"downsample", "conv_nf"},
           {"ls_init_value", "1e-4"},
           {"act_layer", "silu"},
           {"head_fn", "norm_mlp"}});
}

} // namespace ssmc::models
