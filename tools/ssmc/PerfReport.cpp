//===- PerfReport.cpp - `ssmc compile --perf-report` ----------------------===//

#include "PerfReport.h"

#include "Cost.h"
#include "SsmcOps.h"
#include "Tune/TuningDb.h"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <unistd.h>

namespace ssmc::cli {

std::vector<perf::KernelCost> kernelCosts(mlir::ModuleOp module) {
  std::vector<perf::KernelCost> costs;
  mlir::func::FuncOp entry = getEntryFunction(module);
  for (auto g : entry.getBody().front().getOps<KernelGroupOp>()) {
    OpCost c = estimateGroupCost(g);
    costs.push_back({double(c.flops), double(c.matmulFlops), double(c.bytes),
                     double(c.transcendentals)});
  }
  return costs;
}

rt::Expected<perf::Report> perfReport(mlir::ModuleOp module, const CompiledModel &compiled,
                                      const perf::GpuTarget &gpu, const Options &o) {
  const rt::Plan &plan = compiled.plan;
  std::vector<perf::KernelCost> costs = kernelCosts(module);
  if (costs.size() != plan.kernels.size())
    return rt::Status::error("the plan's kernels and the module's kernel groups disagree");
  std::vector<perf::KernelInput> inputs(plan.kernels.size());
  std::map<std::string, int> firstWithCode;
  for (size_t i = 0; i < inputs.size(); ++i) {
    perf::KernelInput &in = inputs[i];
    in.cost = costs[i];
    const rt::CompiledKernel &ck = compiled.compiled[i];
    in.registers = std::max(0, ck.resources.registers);
    in.staticSmem = ck.resources.smemBytes;
    in.cubin = ck.cubin;
    const rt::PlanKernel &k = plan.kernels[i];
    in.codeKey = rt::canonicalSource({k.name, k.entry, k.source});
    auto [it, fresh] = firstWithCode.try_emplace(in.codeKey, int(i));
    if (!fresh)
      in.sameCodeAs = it->second;
  }
  perf::ReportOptions options;
  options.gpu = &gpu;
  options.model = plan.model;
  options.dtype = compiled.dtype();
  // The batch: what --batch set, else the first input's leading dimension.
  options.batch = o.batch.value_or(plan.inputs.empty() || plan.inputs[0].shape.empty()
                                       ? 1
                                       : plan.inputs[0].shape[0]);
  options.math.matmul = plan.dtype != rt::DType::F32 ? "tensor16" : o.f32Gemm == "ffma" ? "ffma" : "tf32";
  const bool tty = isatty(2) && !o.quiet;
  options.progress = [&](size_t done, size_t total, const std::string &name) {
    if (!tty)
      return;
    if (done == total)
      std::fprintf(stderr, "\r%100s\r", "");
    else
      std::fprintf(stderr, "\r  counting each kernel's memory traffic on the CPU: %zu/%zu %-40.40s",
                   done, total, name.c_str());
    std::fflush(stderr);
  };
  auto report = perf::buildReport(plan, inputs, options);
  // Each kernel's signature, so that a benchmark can tell the report is of
  // the plan it times (the same names but other shapes are not).
  if (report)
    for (size_t k = 0; k < report->kernels.size() && k < plan.kernels.size(); ++k)
      report->kernels[k].signature = rt::kernelSignature(plan.kernels[k]);
  if (report && !o.quiet)
    std::fprintf(stderr,
                 "ssmc: performance report: %zu kernels (%zu distinct traced on the CPU) in %.1f "
                 "s\n",
                 report->kernels.size(), report->kernelsTraced, report->traceSeconds);
  return report;
}

std::optional<perf::GpuTarget> modeledTargetFor(const std::string &arch, int64_t sms) {
  for (const perf::GpuTarget &t : perf::gpuTargets())
    if (t.arch == arch || std::string(t.arch) + "a" == arch) { // sm_90a: sm_90's GPUs
      perf::GpuTarget copy = t;
      if (sms > 0)
        copy.sms = int(sms);
      return copy;
    }
  return std::nullopt;
}

} // namespace ssmc::cli
