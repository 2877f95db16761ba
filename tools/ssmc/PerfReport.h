//===- PerfReport.h - `ssmc compile --perf-report` --------------*- C++ -*-===//

#ifndef SSMC_TOOLS_PERFREPORT_H
#define SSMC_TOOLS_PERFREPORT_H

#include "Artifact.h"

#include "Report.h"

#include <optional>

namespace ssmc::cli {

/// What the IR says each of the plan's kernels (the kernel groups, in
/// order) must do, in storage bytes.
std::vector<perf::KernelCost> kernelCosts(mlir::ModuleOp module);

/// The modeled GPU of architecture `arch` with `sms` SMs (0: its own
/// count): what a GPU present is modeled as; none when ssmc models no GPU of
/// that architecture.
std::optional<perf::GpuTarget> modeledTargetFor(const std::string &arch, int64_t sms);

/// The report of a compiled model on `gpu` (counted traffic, SASS facts,
/// modeled times); a progress line on stderr when it is a terminal.
rt::Expected<perf::Report> perfReport(mlir::ModuleOp module, const CompiledModel &compiled,
                                      const perf::GpuTarget &gpu, const Options &options);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_PERFREPORT_H
