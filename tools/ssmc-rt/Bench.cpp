//===- Bench.cpp - ssmc-rt bench ------------------------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Bench/Bench.h"

#include <cstdio>
#include <filesystem>
#include <string>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

int cmdBench(const Options &o) {
  // The report first: a wrong --perf-report is a mistake to name before
  // minutes of compiling.
  std::optional<ModeledRun> modeled;
  std::string report = o.perfReport;
  std::error_code ec;
  if (report.empty() && !o.noPerfReport &&
      fs::is_regular_file(fs::path(o.artifact) / "perf-report.json", ec))
    report = (fs::path(o.artifact) / "perf-report.json").string();
  if (!report.empty()) {
    auto m = readPerfReport(report);
    if (!m)
      return fail(m.message());
    modeled = std::move(*m);
  }
  Session s;
  if (auto r = prepare(o, s))
    return *r;
  if (modeled)
    if (Status st = checkReportMatches(*modeled, s.p); !st)
      return fail(st.message() + ", or time it without: --no-perf-report");
  if (auto r = loadModel(o, s))
    return *r;
  if (Status st = s.model->setInputs(s.inputTensors); !st)
    return fail(st.message());
  BenchOptions options;
  options.warmup = o.warmup;
  options.iters = o.iters;
  options.perKernel = o.perKernel;
  auto result = runBench(*s.model, options, modeled ? &*modeled : nullptr);
  if (!result)
    return fail(result.message());
  std::fputs(benchText(*result).c_str(), stdout);
  if (Status st = writeBenchFiles(*result, o.json, o.markdown, o.svg); !st)
    return fail(st.message());
  return 0;
}

} // namespace ssmc::rtcli
