// A plugin as an older ssmc would have built it: the entry points are there,
// the ABI string is not this ssmc's.
#include "Plugin.h"

extern "C" __attribute__((visibility("default"))) const char *ssmc_plugin_abi() {
  return "0.0.1+dsl.000000000000";
}
extern "C" __attribute__((visibility("default"))) void
ssmc_plugin_register(std::vector<ssmc::models::Family> *, std::vector<ssmc::models::Variant> *) {}
