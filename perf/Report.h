//===- Report.h - the performance report of a compiled model ----*- C++ -*-===//
//
// For every kernel of a plan: its speed of light (perf/Model.h), its
// memory traffic counted by running the generated code on the CPU
// (perf/PlanTrace.h), the facts of its machine code (perf/Sass.h) and its
// modeled time; then the whole model. Identical kernels (same code, same
// configuration, same shapes and aliasing) are traced and disassembled
// once. Printed as a table, as JSON, and drawn as an SVG roofline.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_REPORT_H
#define SSMC_PERF_REPORT_H

#include "Model.h"
#include "Sass.h"

#include "Exec/Plan.h"

#include <functional>
#include <optional>

namespace ssmc::perf {

/// What the compiler knows of one plan kernel.
struct KernelInput {
  KernelCost cost;
  int registers = 0;       ///< ptxas, per thread
  int64_t staticSmem = 0;  ///< ptxas, bytes
  std::vector<char> cubin; ///< may be empty: then `sameCodeAs` has it
  int sameCodeAs = -1;     ///< an earlier kernel compiled from the same code
  std::string codeKey;     ///< equal for kernels equal up to comments and name
};

struct ReportOptions {
  const GpuTarget *gpu = nullptr;
  std::string model, dtype;
  int64_t batch = 1;
  MathMode math;
  bool trace = true; ///< count traffic (needs a host C++ compiler)
  bool sass = true;  ///< disassemble (needs nvdisasm)
  SampleOptions sampling; ///< waveBlocks and l2Bytes are set per kernel
  /// (kernels done, kernels, the one being traced)
  std::function<void(size_t, size_t, const std::string &)> progress;
};

struct KernelReport {
  std::string name, kind;
  KernelCost cost;
  Bound bound;
  LaunchShape launch;
  std::optional<KernelTraffic> traffic; ///< counted; absent when not traced
  std::optional<Modeled> modeled;
  std::optional<SassFacts> sass;
  /// The plan parameters in order (KernelTraffic::byOperand).
  struct Operand {
    std::string name; ///< a weight's state_dict name, else the parameter's
    std::string kind; ///< "input", "weight", "output", "workspace"
    std::vector<int64_t> shape;
  };
  std::vector<Operand> operands;
  bool sameAsEarlier = false; ///< traced as an identical earlier kernel
  /// rt::kernelSignature of the plan kernel, when the caller set it (the
  /// JSON's "signature": which plan the report is of).
  std::string signature;
};

struct Report {
  std::string model, gpu, dtype;
  int64_t batch = 1;
  std::vector<KernelReport> kernels;
  double speedOfLightUs = 0;
  std::optional<double> modeledUs; ///< when every kernel was traced
  std::vector<std::string> notes;  ///< what is missing and why
  double traceSeconds = 0;
  size_t kernelsTraced = 0; ///< distinct ones
};

rt::Expected<Report> buildReport(const rt::Plan &plan, const std::vector<KernelInput> &inputs,
                                 const ReportOptions &options);

/// The JSON of docs/performance.md.
std::string reportJson(const Report &report);
/// A table for a terminal.
std::string reportText(const Report &report, const GpuTarget &gpu);
/// The roofline chart: one point per kernel at its counted intensity and
/// modeled rate, under the memory and compute roofs of `gpu`.
std::string rooflineSvg(const Report &report, const GpuTarget &gpu);

} // namespace ssmc::perf

#endif // SSMC_PERF_REPORT_H
