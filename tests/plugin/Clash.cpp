// A plugin whose variant takes a built-in model's name.
#include "Plugin.h"

namespace {
void addClash(std::vector<ssmc::models::Family> &, std::vector<ssmc::models::Variant> &variants) {
  variants.push_back({"mambaout_femto", "mambaout", {}, "clashes with the built-in variant"});
}
} // namespace

SSMC_MODEL_PLUGIN(addClash)
