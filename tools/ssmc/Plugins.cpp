//===- Plugins.cpp - loading model plugins (--plugin, SSMC_PLUGINS) -------===//

#include "Plugins.h"

#include "Plugin.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <dlfcn.h>
#include <filesystem>

namespace ssmc::cli {

std::vector<std::string> pluginPaths(const std::vector<std::string> &given) {
  std::vector<std::string> paths;
  auto add = [&](const std::string &p) {
    if (!p.empty() && std::find(paths.begin(), paths.end(), p) == paths.end())
      paths.push_back(p);
  };
  if (const char *env = std::getenv("SSMC_PLUGINS")) {
    std::string list = env;
    for (size_t start = 0; start <= list.size();) {
      size_t colon = std::min(list.find(':', start), list.size());
      add(list.substr(start, colon - start));
      start = colon + 1;
    }
  }
  for (const std::string &p : given)
    add(p);
  return paths;
}

namespace {
rt::Status loadPlugin(const std::string &path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_regular_file(path, ec))
    return rt::Status::error(fmt::format("plugin '{}' does not exist: build it with "
                                         "ssmc_add_model_plugin() (docs/dsl.md) and give its path",
                                         path));
  // dlopen searches the library path for a bare name; a file named here is
  // meant, so it is opened by its path.
  const std::string absolute = fs::absolute(path).string();
  // Never closed: the registry keeps the plugin's std::function objects.
  void *handle = dlopen(absolute.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *why = dlerror();
    std::string reason = why ? why : "unknown reason";
    std::string hint = reason.find("undefined symbol") != std::string::npos
                           ? "it uses a symbol this ssmc does not export; rebuild it against "
                             "this ssmc (cmake --install, then find_package(ssmc))"
                           : "is it a shared library built for this machine?";
    return rt::Status::error(
        fmt::format("cannot load plugin '{}': {} ({})", path, reason, hint));
  }
  auto abi = reinterpret_cast<models::PluginAbiFn>(dlsym(handle, SSMC_PLUGIN_ABI_SYMBOL));
  auto add = reinterpret_cast<models::PluginRegisterFn>(dlsym(handle, SSMC_PLUGIN_REGISTER_SYMBOL));
  if (!abi || !add)
    return rt::Status::error(fmt::format("'{}' is not an ssmc model plugin: it has no {}(); "
                                         "end the plugin's source with "
                                         "SSMC_MODEL_PLUGIN(yourRegisterFunction) (Plugin.h)",
                                         path, abi ? SSMC_PLUGIN_REGISTER_SYMBOL
                                                   : SSMC_PLUGIN_ABI_SYMBOL));
  const std::string built = abi() ? abi() : "";
  if (built != SSMC_PLUGIN_ABI)
    return rt::Status::error(fmt::format("plugin '{}' was built against ssmc {}, but this is ssmc "
                                         "{}: rebuild it against this ssmc (cmake --install, then "
                                         "find_package(ssmc) in the plugin's build)",
                                         path, built, SSMC_PLUGIN_ABI));
  return models::addModels(
      [&](std::vector<models::Family> &families, std::vector<models::Variant> &variants) {
        add(&families, &variants);
      },
      fmt::format("plugin '{}'", path));
}
} // namespace

rt::Status loadPlugins(const std::vector<std::string> &paths) {
  for (const std::string &path : paths)
    if (rt::Status s = loadPlugin(path); !s.ok())
      return s;
  return rt::Status::success();
}

} // namespace ssmc::cli
