//===- SiluGatedBlock.cpp - a Gated CNN block variant as an ssmc plugin ---===//
//
// timm's GatedConvBlock with act_layer=SiLU and LayerScale (ls_init_value),
// on a channels-last [B, H, W, dim] input, written outside ssmc:
//
//   shortcut = x
//   g, i, c = split(fc1(norm(x)), [hidden, hidden - conv, conv])
//   c = depthwise_conv(c)                 # on the last `conv` channels only
//   y = fc2(silu(g) * cat(i, c))
//   return shortcut + ls.gamma * y        # LayerScale
//
// Parameter names follow timm's state_dict (norm, fc1, conv, fc2, ls.gamma),
// so timm's weights load as they are. See docs/dsl.md.
//
//===----------------------------------------------------------------------===//

#include "Plugin.h"

#include <string>

using namespace ssmc::dsl;
using namespace ssmc::models;

namespace {

struct BlockOptions {
  int64_t dim, hidden, conv, kernel;
  double layerScaleInit;
};

BlockOptions optionsOf(const Config &c) {
  const int64_t dim = c.getInt("dim");
  return {dim, static_cast<int64_t>(c.getFloat("expansion_ratio") * dim),
          static_cast<int64_t>(c.getFloat("conv_ratio") * dim), c.getInt("kernel_size"),
          c.getFloat("ls_init_value")};
}

Tensor siluGatedBlock(Scope s, Tensor x, const BlockOptions &o) {
  Tensor shortcut = x;
  Tensor h = linear(s["fc1"], layerNorm(s["norm"], x, 1e-6), 2 * o.hidden);
  std::vector<Tensor> parts = split(h, {o.hidden, o.hidden - o.conv, o.conv}, -1);
  Tensor c = depthwiseConv2d(s["conv"], parts[2], o.kernel);
  Tensor y = linear(s["fc2"], silu(parts[0]) * concat({parts[1], c}, -1), o.dim);
  return layerScale(s["ls"], y, o.layerScaleInit) + shortcut;
}

void addSiluGatedBlock(std::vector<Family> &families, std::vector<Variant> &variants) {
  families.push_back(Family{
      .name = "silu_gated_block",
      .summary = "example plugin: timm's GatedConvBlock with SiLU and LayerScale, [B, H, W, dim]",
      .keys = {{"dim", KeyType::Int, "48", "channels"},
               {"expansion_ratio", KeyType::Float, "2.6666666666666665", "hidden = int(ratio·dim)"},
               {"conv_ratio", KeyType::Float, "1.0", "conv channels = int(ratio·dim)"},
               {"kernel_size", KeyType::Int, "7", "depthwise conv kernel (odd)"},
               {"ls_init_value", KeyType::Float, "1e-6", "LayerScale's random-weight value"}},
      .inputs = [](const Config &c,
                   int64_t batch) -> std::vector<InputDecl> {
        // Batch, height and width may change with --input-shape or --inputs.
        return {{"input", {batch, 14, 14, c.getInt("dim")}, {0, 1, 2}}};
      },
      .validate = [](const Config &c) -> std::string {
        const BlockOptions o = optionsOf(c);
        if (o.dim < 1 || o.conv < 1 || o.conv > o.hidden)
          return "need dim >= 1 and 1 <= int(conv_ratio·dim) <= int(expansion_ratio·dim)";
        if (o.kernel < 1 || o.kernel % 2 == 0)
          return "kernel_size must be odd and positive";
        return "";
      },
      .build =
          [](Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
            g.output("output", siluGatedBlock(g.root(), in.at("input"), optionsOf(c)));
          },
  });
  // The configuration of the timm reference file check.py compares with.
  variants.push_back({"silu_gated_block_d16",
                      "silu_gated_block",
                      {{"dim", "16"}, {"expansion_ratio", "3"}, {"conv_ratio", "0.75"}},
                      "example plugin: silu_gated_block at dim 16 (the timm reference)"});
}

} // namespace

SSMC_MODEL_PLUGIN(addSiluGatedBlock)
