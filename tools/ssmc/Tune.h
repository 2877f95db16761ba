//===- Tune.h - `ssmc tune` -------------------------------------*- C++ -*-===//

#ifndef SSMC_TOOLS_SSMC_TUNE_H
#define SSMC_TOOLS_SSMC_TUNE_H

#include "Args.h"

namespace ssmc::cli {

/// `ssmc tune --show | --export FILE | --import FILE [--db PATH]`: the
/// tuning database listed, written out or read in. The exit code.
int tuneDatabase(const Options &options);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_SSMC_TUNE_H
