//===- PerfReport.h - `ssmc compile --perf-report` --------------*- C++ -*-===//

#ifndef SSMC_TOOLS_PERFREPORT_H
#define SSMC_TOOLS_PERFREPORT_H

#include "Artifact.h"

#include "Report.h"

namespace ssmc::cli {

/// What the IR says each of the plan's kernels (the kernel groups, in
/// order) must do, in storage bytes.
std::vector<perf::KernelCost> kernelCosts(mlir::ModuleOp module);

/// The report of a compiled model on `gpu` (counted traffic, SASS facts,
/// modeled times); a progress line on stderr when it is a terminal.
rt::Expected<perf::Report> perfReport(mlir::ModuleOp module, const CompiledModel &compiled,
                                      const perf::GpuTarget &gpu, const Options &options);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_PERFREPORT_H
