//===- Check.cpp - ssmc-rt check ------------------------------------------===//

#include "Commands.h"
#include "Session.h"

#include "Cuda/Driver.h"
#include "Cuda/KernelCache.h"
#include "Cuda/Nvrtc.h"
#include "Exec/Executor.h"
#include "Exec/Plan.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <unistd.h>

using namespace ssmc::rt;
namespace fs = std::filesystem;

namespace ssmc::rtcli {

int cmdCheck(const Options &O) {
  Session S;
  if (auto R = prepare(O, S))
    return *R;
  auto Expected = SafetensorsFile::open(O.expected);
  if (!Expected)
    return fail(Expected.message());
  // Defaults by storage type: TF32 tensor cores for f32 GEMMs, 8 and 11
  // mantissa bits for bf16 and f16.
  double DefRtol = S.P.dtype == DType::F32    ? 5e-3
                   : S.P.dtype == DType::F16 ? 1e-2
                                             : 5e-2;
  double Rtol = O.rtol.value_or(DefRtol), Atol = O.atol.value_or(1e-5);
  if (auto R = loadModel(O, S))
    return *R;
  auto Plain = S.Model->run(S.InputTensors);
  if (!Plain)
    return fail(Plain.message());
  auto Graph = S.Model->runGraph(S.InputTensors);
  if (!Graph)
    return fail(Graph.message());
  std::printf("%s (%s) on %s (%s), against %s: pass when max|got - expected| "
              "<= atol + rtol * max|expected| (rtol %g, atol %g)\n",
              S.P.model.c_str(), std::string(planDTypeName(S.P.dtype)).c_str(),
              S.Model->device().name.c_str(), S.Model->device().arch().c_str(),
              O.expected.c_str(), Rtol, Atol);
  bool Ok = true;
  for (const PlanOutput &P : S.P.outputs) {
    Comparison C = compare(P.name, Plain->at(P.name),
                           (*Expected)->find(P.name), Rtol, Atol);
    std::printf("%s\n", C.line.c_str());
    Ok &= C.ok;
    const HostTensor &A = Plain->at(P.name), &B = Graph->at(P.name);
    if (std::memcmp(A.data.data(), B.data.data(),
                    A.data.size() * sizeof(float)) != 0) {
      std::printf("  %-24s graph replay differs from plain launches  FAIL\n",
                  P.name.c_str());
      Ok = false;
    }
  }
  if (!O.output.empty())
    if (Status St = writeOutputs(O.output, *Plain, S, O, false); !St)
      return fail(St.message());
  std::printf("%s\n", Ok ? "PASS" : "FAIL");
  return Ok ? 0 : ExitError;
}

} // namespace ssmc::rtcli
