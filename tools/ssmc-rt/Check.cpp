//===- Check.cpp - ssmc-rt check ------------------------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

int cmdCheck(const Options &o) {
  Session s;
  if (auto r = prepare(o, s))
    return *r;
  auto expected = SafetensorsFile::open(o.expected);
  if (!expected)
    return fail(expected.message());
  // Defaults by storage type: TF32 tensor cores for f32 GEMMs, 8 and 11
  // mantissa bits for bf16 and f16.
  double defRtol = s.p.dtype == DType::F32 ? 5e-3 : s.p.dtype == DType::F16 ? 1e-2 : 5e-2;
  double rtol = o.rtol.value_or(defRtol), atol = o.atol.value_or(1e-5);
  warnNonFinite("input", s.inputTensors);
  if (auto r = loadModel(o, s))
    return *r;
  auto plain = s.model->run(s.inputTensors);
  if (!plain)
    return fail(plain.message());
  auto graph = s.model->runGraph(s.inputTensors);
  if (!graph)
    return fail(graph.message());
  std::printf("%s (%s) on %s (%s), against %s: pass when max|got - expected| "
              "<= atol + rtol * max|expected| (rtol %g, atol %g)\n",
              s.p.model.c_str(), std::string(planDTypeName(s.p.dtype)).c_str(),
              s.model->device().name.c_str(), s.model->device().arch().c_str(), o.expected.c_str(),
              rtol, atol);
  bool ok = true;
  for (const PlanOutput &p : s.p.outputs) {
    Comparison c = compare(p.name, plain->at(p.name), (*expected)->find(p.name), rtol, atol);
    std::printf("%s\n", c.line.c_str());
    ok &= c.ok;
    const FloatTensor &a = plain->at(p.name), &b = graph->at(p.name);
    if (std::memcmp(a.data.data(), b.data.data(), a.data.size() * sizeof(float)) != 0) {
      std::printf("  %-24s graph replay differs from plain launches  FAIL\n", p.name.c_str());
      ok = false;
    }
  }
  if (!o.output.empty())
    if (Status st = writeOutputs(o.output, *plain, s, o, false); !st)
      return fail(st.message());
  std::printf("%s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : kExitError;
}

} // namespace ssmc::rtcli
