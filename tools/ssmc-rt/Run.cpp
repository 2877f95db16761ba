//===- Run.cpp - ssmc-rt run ----------------------------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Exec/Plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <filesystem>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

int cmdRun(const Options &o) {
  Session s;
  if (auto r = prepare(o, s))
    return *r;
  warnNonFinite("input", s.inputTensors);
  if (auto r = loadModel(o, s))
    return *r;
  auto out = o.graph ? s.model->runGraph(s.inputTensors) : s.model->run(s.inputTensors);
  if (!out)
    return fail(out.message());
  warnNonFinite("output", *out);
  if (Status st = writeOutputs(o.output, *out, s, o, o.graph); !st)
    return fail(st.message());
  for (const PlanOutput &p : s.p.outputs)
    std::printf("%s [%s] -> %s\n", p.name.c_str(),
                fmt::format("{}", fmt::join(p.shape, ", ")).c_str(), o.output.c_str());
  return 0;
}

} // namespace ssmc::rtcli
