//===- HideLibraryOptions.h - --help without LLVM's backend options -------===//

#ifndef SSMC_TOOLS_HIDELIBRARYOPTIONS_H
#define SSMC_TOOLS_HIDELIBRARYOPTIONS_H

#include "llvm/Support/CommandLine.h"

#include <algorithm>
#include <iterator>

namespace ssmc {

/// LLVM's libraries register hundreds of backend options at static
/// initialisation, none of which ssmc's MLIR drivers use: hidden from --help
/// (they still parse, and --help-hidden lists them). Call it first in main:
/// the drivers' own options are registered later and stay visible.
inline void hideLibraryOptions() {
  static const llvm::StringRef kKept[] = {"help", "help-list", "version", "color"};
  for (auto &[name, option] : llvm::cl::getRegisteredOptions())
    if (std::find(std::begin(kKept), std::end(kKept), name) == std::end(kKept))
      option->setHiddenFlag(llvm::cl::Hidden);
}

} // namespace ssmc

#endif // SSMC_TOOLS_HIDELIBRARYOPTIONS_H
