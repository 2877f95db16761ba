//===- Run.cpp - ssmc-rt run ----------------------------------------------===//

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

int cmdRun(const Options &O) {
  Session S;
  if (auto R = prepare(O, S))
    return *R;
  if (auto R = loadModel(O, S))
    return *R;
  auto Out = O.graph ? S.Model->runGraph(S.InputTensors)
                     : S.Model->run(S.InputTensors);
  if (!Out)
    return fail(Out.message());
  if (Status St = writeOutputs(O.output, *Out, S, O, O.graph); !St)
    return fail(St.message());
  for (const PlanOutput &P : S.P.outputs)
    std::printf("%s [%s] -> %s\n", P.name.c_str(),
                fmt::format("{}", fmt::join(P.shape, ", ")).c_str(),
                O.output.c_str());
  return 0;
}

} // namespace ssmc::rtcli
