//===- Exec/PlanDetail.h - what Plan*.cpp share (not installed) -*- C++ -*-===//

#ifndef SSMC_RUNTIME_EXEC_PLANDETAIL_H
#define SSMC_RUNTIME_EXEC_PLANDETAIL_H

#include "Exec/Plan.h"

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ssmc::rt::plan_detail {

using Json = nlohmann::ordered_json;

/// The fix every "damaged artifact" message ends with.
extern const std::string_view fixRecompile;
bool isIdentifier(std::string_view s);
bool isFileNameSafe(std::string_view s);
bool isArch(std::string_view s);
/// The product of the dimensions, or nullopt when one is negative or it overflows.
std::optional<int64_t> checkedElements(const std::vector<int64_t> &shape);
/// Elements times the size of `D`, or nullopt on overflow.
std::optional<int64_t> checkedBytes(const std::vector<int64_t> &shape, DType d);
std::string shapeStr(const std::vector<int64_t> &shape);

/// plan.json's JSON into a Plan, without the consistency rules (PlanRead.cpp).
Expected<Plan> readPlan(const Json &j, std::string_view what);

} // namespace ssmc::rt::plan_detail

#endif // SSMC_RUNTIME_EXEC_PLANDETAIL_H
