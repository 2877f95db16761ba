//===- Bench.h - `ssmc bench` -----------------------------------*- C++ -*-===//

#ifndef SSMC_TOOLS_BENCH_H
#define SSMC_TOOLS_BENCH_H

#include "Args.h"

namespace ssmc::cli {

/// `ssmc bench MODEL|ARTIFACT`: the model timed on the GPU present beside
/// its performance report; the exit status.
int benchModel(const Options &options);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_BENCH_H
