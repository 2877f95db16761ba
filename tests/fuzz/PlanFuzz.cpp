//===- PlanFuzz.cpp - plan.json ------------------------------------------===//
//
// Any text: an error, or a plan that passed every consistency rule.

#include "Exec/Plan.h"

#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  auto plan = ssmc::rt::parsePlan(std::string_view(reinterpret_cast<const char *>(data), size));
  if (plan)
    for (const ssmc::rt::PlanKernel &k : plan->kernels)
      for (const ssmc::rt::PlanConfig &c : k.configs)
        (void)ssmc::rt::configDefines(c);
  return 0;
}
