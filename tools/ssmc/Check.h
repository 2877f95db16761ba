//===- Check.h - `ssmc check`: the generated kernels on the CPU -----------===//

#ifndef SSMC_TOOLS_CHECK_H
#define SSMC_TOOLS_CHECK_H

#include "Args.h"

#include <functional>

namespace ssmc::cli {

/// Compiles the model, builds its kernels for the CPU and compares them,
/// one by one and all in order, with the reference executor (Check.cpp).
/// Returns the exit status: 0 when everything matches, 1 otherwise; errors
/// go through `fail(message, status)`.
int checkModel(const Options &options, const std::function<int(const std::string &, int)> &fail);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_CHECK_H
