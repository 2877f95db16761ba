//===- Commands.h - one function per ssmc-rt command ----------------------===//

#ifndef SSMC_TOOLS_SSMCRT_COMMANDS_H
#define SSMC_TOOLS_SSMCRT_COMMANDS_H

#include "Options.h"

namespace ssmc::rtcli {

/// Each returns the exit status (ExitError on failure or mismatch).
int cmdInfo();
int cmdValidate(const Options &o);
int cmdRun(const Options &o);
int cmdBench(const Options &o);
int cmdCheck(const Options &o);
int cmdCheckKernels(const Options &o);
int cmdTune(const Options &o);

} // namespace ssmc::rtcli

#endif // SSMC_TOOLS_SSMCRT_COMMANDS_H
