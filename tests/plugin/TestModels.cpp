//===- TestModels.cpp - a model plugin for the --plugin tests -------------===//
//
// A family with one --set key and a variant, written as a user's plugin is:
// DSL ops, the registry's types, SSMC_MODEL_PLUGIN at the end.
//
//===----------------------------------------------------------------------===//

#include "Plugin.h"

#include <string>

using namespace ssmc;
using namespace ssmc::dsl;
using namespace ssmc::models;

namespace {
void addTestModels(std::vector<Family> &families, std::vector<Variant> &variants) {
  families.push_back(Family{
      .name = "plugin_gelu_mlp",
      .summary = "test plugin: LayerNorm, Linear, GELU, Linear on [B, L, dim]",
      .keys = {{"dim", KeyType::Int, "8", "channels"}, {"hidden", KeyType::Int, "16", "MLP width"}},
      .inputs = [](const Config &c,
                   int64_t batch) -> std::vector<InputDecl> {
        return {{"input", {batch, 4, c.getInt("dim")}, {0, 1}}};
      },
      .validate = [](const Config &c) -> std::string {
        return c.getInt("dim") > 0 && c.getInt("hidden") > 0 ? "" : "dim and hidden must be positive";
      },
      .build =
          [](Graph &g, const Config &c, const std::map<std::string, Tensor> &in) {
            Scope s = g.root();
            Tensor x = in.at("input");
            Tensor h = gelu(linear(s["fc1"], layerNorm(s["norm"], x, 1e-5), c.getInt("hidden")));
            g.output("output", linear(s["fc2"], h, c.getInt("dim")) + x);
          },
  });
  variants.push_back({"plugin_gelu_mlp_wide", "plugin_gelu_mlp", {{"hidden", "32"}},
                      "test plugin: the MLP at hidden=32"});
}
} // namespace

SSMC_MODEL_PLUGIN(addTestModels)
