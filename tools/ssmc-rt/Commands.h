//===- Commands.h - one function per ssmc-rt command ----------------------===//

#ifndef SSMC_TOOLS_SSMCRT_COMMANDS_H
#define SSMC_TOOLS_SSMCRT_COMMANDS_H

#include "Options.h"

namespace ssmc::rtcli {

/// Each returns the exit status (ExitError on failure or mismatch).
int cmdInfo();
int cmdValidate(const Options &O);
int cmdRun(const Options &O);
int cmdBench(const Options &O);
int cmdCheck(const Options &O);
int cmdCheckKernels(const Options &O);

} // namespace ssmc::rtcli

#endif // SSMC_TOOLS_SSMCRT_COMMANDS_H
