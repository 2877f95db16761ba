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

namespace ssmc::models {
using namespace dsl;

namespace {
constexpr double kLayerNormEps = 1e-6;

struct GatedCNNOptions {
  int64_t dim = 48;
  double expansionRatio = 8.0 / 3;
  int64_t kernelSize = 7;
  double convRatio = 1.0;
};

// Both are Python int() of a double product, as the reference computes them.
int64_t hiddenWidth(const GatedCNNOptions &o) {
  return static_cast<int64_t>(o.expansionRatio * o.dim);
}
int64_t convChannels(const GatedCNNOptions &o) {
  return static_cast<int64_t>(o.convRatio * o.dim);
}

/// x: [B, H, W, C] -> [B, H, W, C].
Tensor gatedCNNBlock(Scope s, Tensor x, const GatedCNNOptions &o) {
  const int64_t hidden = hiddenWidth(o);
  const int64_t conv = convChannels(o);
  Tensor shortcut = x;
  Tensor h = linear(s["fc1"], layerNorm(s["norm"], x, kLayerNormEps), 2 * hidden);
  std::vector<Tensor> parts = split(h, {hidden, hidden - conv, conv}, -1);
  Tensor c = depthwiseConv2d(s["conv"], parts[2], o.kernelSize);
  Tensor mixed = gelu(parts[0]) * concat({parts[1], c}, -1);
  return linear(s["fc2"], mixed, o.dim) + shortcut;
}

std::string validateBlock(const GatedCNNOptions &o) {
  if (o.dim < 1)
    return fmt::format("dim must be positive, got {}", o.dim);
  if (o.kernelSize < 1 || o.kernelSize % 2 == 0)
    return fmt::format("kernel_size must be odd and positive (same padding), got {}",
                       o.kernelSize);
  if (hiddenWidth(o) < 1)
    return fmt::format("expansion_ratio {} gives a hidden width of {}", o.expansionRatio,
                       hiddenWidth(o));
  if (convChannels(o) < 1 || convChannels(o) > hiddenWidth(o))
    return fmt::format("conv_ratio {} gives {} conv channels; it must be between 1 and the hidden "
                       "width {}",
                       o.convRatio, convChannels(o), hiddenWidth(o));
  return "";
}

GatedCNNOptions blockOptions(const Config &c) {
  return {c.getInt("dim"), c.getFloat("expansion_ratio"), c.getInt("kernel_size"),
          c.getFloat("conv_ratio")};
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
  GatedCNNOptions block{0, 8.0 / 3, c.getInt("kernel_size"), c.getFloat("conv_ratio")};

  // Stem: conv, LN, GELU, conv, LN (downsample_layers.0).
  Scope stem = root["downsample_layers"][0];
  Tensor x = conv2d(stem["conv1"], image, dims[0] / 2, {.kernel = 3, .stride = 2, .padding = 1});
  x = permute(layerNorm(stem["norm1"], permute(x, {0, 2, 3, 1}), kLayerNormEps), {0, 3, 1, 2});
  x = convToChannelsLast(stem["conv2"], gelu(x), dims[0]);
  x = layerNorm(stem["norm2"], x, kLayerNormEps);

  for (size_t stage = 0; stage < depths.size(); ++stage) {
    if (stage > 0) {
      Scope down = root["downsample_layers"][stage];
      x = convToChannelsLast(down["conv"], permute(x, {0, 3, 1, 2}), dims[stage]);
      x = layerNorm(down["norm"], x, kLayerNormEps);
    }
    g.activation(fmt::format("act.downsample_layers.{}", stage), x);
    block.dim = dims[stage];
    for (int64_t j = 0; j < depths[stage]; ++j)
      x = gatedCNNBlock(root["stages"][stage][j], x, block);
    g.activation(fmt::format("act.stages.{}", stage), x);
  }

  Tensor features = layerNorm(root["norm"], reduceMean(x, {1, 2}), kLayerNormEps);
  g.activation("act.features", features);
  Scope head = root["head"];
  const int64_t wide = 4 * dims.back();
  Tensor h = gelu(linear(head["fc1"], features, wide));
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
    GatedCNNOptions o{dims[i], 8.0 / 3, c.getInt("kernel_size"), c.getFloat("conv_ratio")};
    if (std::string why = validateBlock(o); !why.empty())
      return fmt::format("stage {}: {}", i, why);
  }
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
} // namespace

void addMambaOutModels(std::vector<Family> &families, std::vector<Variant> &variants) {
  families.push_back(Family{
      .name = "gated_cnn_block",
      .summary = "MambaOut's GatedCNNBlock on a channels-last [B, H, W, dim] input",
      .keys = {{"dim", KeyType::Int, "48", "channels C"},
               {"expansion_ratio", KeyType::Float, "2.6666666666666665", "hidden = int(ratio·dim)"},
               {"kernel_size", KeyType::Int, "7", "depthwise conv kernel"},
               {"conv_ratio", KeyType::Float, "1.0", "conv channels = int(ratio·dim)"},
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
               {"kernel_size", KeyType::Int, "7", "depthwise conv kernel"},
               {"drop_path_rate", KeyType::Float, "0.0", "identity at inference", true},
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
      .numClasses = [](const Config &c) { return c.getInt("num_classes"); },
  });

  auto variant = [&](std::string name, std::string depths, std::string dims, std::string what) {
    variants.push_back({std::move(name), "mambaout", {{"depths", depths}, {"dims", dims}},
                        std::move(what)});
  };
  variant("mambaout_femto", "3,3,9,3", "48,96,192,288", "7.3M params, 1.2 GMACs at 224");
  variant("mambaout_kobe", "3,3,15,3", "48,96,192,288", "9.1M params, 1.5 GMACs at 224");
  variant("mambaout_tiny", "3,3,9,3", "96,192,384,576", "26.5M params, 4.5 GMACs at 224");
  variant("mambaout_small", "3,4,27,3", "96,192,384,576", "48.5M params, 9.0 GMACs at 224");
  variant("mambaout_base", "3,4,27,3", "128,256,512,768", "84.8M params, 15.8 GMACs at 224");
}

} // namespace ssmc::models
