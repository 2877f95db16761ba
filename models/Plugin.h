//===- Plugin.h - models built outside ssmc, loaded with --plugin ---------===//
//
// A plugin is a shared library that registers families and variants just as
// models/MambaOut.cpp does, through one macro:
//
//   void addMyModels(std::vector<Family> &families, std::vector<Variant> &variants);
//   SSMC_MODEL_PLUGIN(addMyModels)
//
// Build it with CMake (find_package(ssmc), then ssmc_add_model_plugin(NAME
// SOURCES...)) and load it with `ssmc list|compile|run --plugin libNAME.so`
// or SSMC_PLUGINS=a.so:b.so. The DSL's code lives in the ssmc executable,
// which exports it, so a plugin carries only its own model code and shares
// ssmc's MLIR. It records the ssmc it was built against (SSMC_PLUGIN_ABI:
// the version and a digest of the DSL headers); ssmc refuses any other.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_MODELS_PLUGIN_H
#define SSMC_MODELS_PLUGIN_H

#include "Ops.h"
#include "Registry.h"
#include "SsmcVersion.h"

#include <vector>

/// The two entry points ssmc looks up after dlopen.
#define SSMC_PLUGIN_ABI_SYMBOL "ssmc_plugin_abi"
#define SSMC_PLUGIN_REGISTER_SYMBOL "ssmc_plugin_register"

namespace ssmc::models {
using PluginAbiFn = const char *(*)();
using PluginRegisterFn = void (*)(std::vector<Family> *, std::vector<Variant> *);
} // namespace ssmc::models

#define SSMC_MODEL_PLUGIN(registerFunction)                                                        \
  extern "C" __attribute__((visibility("default"))) const char *ssmc_plugin_abi() {               \
    return SSMC_PLUGIN_ABI;                                                                        \
  }                                                                                                \
  extern "C" __attribute__((visibility("default"))) void ssmc_plugin_register(                    \
      std::vector<ssmc::models::Family> *families, std::vector<ssmc::models::Variant> *variants) { \
    registerFunction(*families, *variants);                                                        \
  }

#endif // SSMC_MODELS_PLUGIN_H
