//===- Tune.h - `ssmc tune` -------------------------------------*- C++ -*-===//

#ifndef SSMC_TOOLS_SSMC_TUNE_H
#define SSMC_TOOLS_SSMC_TUNE_H

#include "Args.h"

#include "Tune/TuningDb.h"

namespace ssmc::cli {

/// The database --db names, else the default one, opened (created); a
/// notice (a damaged file moved aside) is printed as a warning.
rt::Expected<rt::TuningDb> openTuningDb(const Options &options);

/// `ssmc tune --show | --export FILE | --import FILE [--db PATH]`: the
/// tuning database listed, written out or read in. The exit code.
int tuneDatabase(const Options &options);

/// `ssmc tune MODEL`: every distinct kernel's candidates timed (on the GPU
/// present, or modeled with --model-only) and recorded in the database.
/// The exit code (130 when interrupted, what was timed kept).
int tuneModel(const Options &options);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_SSMC_TUNE_H
