//===- Plugins.h - loading model plugins (--plugin, SSMC_PLUGINS) ---------===//

#ifndef SSMC_TOOLS_PLUGINS_H
#define SSMC_TOOLS_PLUGINS_H

#include "Support/Status.h"

#include <string>
#include <vector>

namespace ssmc::cli {

/// The plugins to load: those in $SSMC_PLUGINS (colon-separated) first,
/// then the --plugin ones, each once.
std::vector<std::string> pluginPaths(const std::vector<std::string> &given);

/// Loads each plugin and adds its models to the registry. Errors name the
/// file and the fix: not found, not loadable (with the loader's reason), not
/// an ssmc plugin, built against another ssmc, or a model name taken.
rt::Status loadPlugins(const std::vector<std::string> &paths);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_PLUGINS_H
