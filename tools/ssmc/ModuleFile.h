//===- ModuleFile.h - `ssmc compile|run FILE.mlir` --------------------------===//
//
// A module in the ssmc dialect (a `--dump-ir` file of any stage, edited or
// written by hand) in place of a registered model: its inputs are the
// arguments of @main (named by `ssmc.name`), its parameters the `ssmc.weight`
// ops, its shapes those of its types. The whole pipeline runs on it (every
// stage leaves IR it has already processed as it is).
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_TOOLS_MODULEFILE_H
#define SSMC_TOOLS_MODULEFILE_H

#include "Session.h"

namespace ssmc::cli {

/// True when MODEL names a .mlir file rather than a registered model.
bool isModuleFile(const std::string &model);

/// Parses and checks the module; `givenShapes` (from --inputs) must equal
/// its input types.
rt::Expected<BuiltModel> loadModuleFile(const Options &options,
                                        const std::map<std::string, shape::Shape> &givenShapes);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_MODULEFILE_H
