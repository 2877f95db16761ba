//===- Exec/Plan.cpp - plan types, shared helpers -------------------------===//

#include "Exec/Plan.h"
#include "Support/AtomicFile.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>
#include "Exec/PlanDetail.h"

using namespace ssmc::rt;
using namespace ssmc::rt::plan_detail;
namespace fs = std::filesystem;

namespace ssmc::rt::plan_detail {

const std::string_view FixRecompile =
    "the artifact is damaged or was not written by this ssmc: recompile it "
    "with `ssmc compile MODEL -o DIR`";

bool isIdentifier(std::string_view S) {
  if (S.empty() || std::isdigit(static_cast<unsigned char>(S[0])))
    return false;
  for (char C : S)
    if (!std::isalnum(static_cast<unsigned char>(C)) && C != '_')
      return false;
  return true;
}

/// Kernel names become file names: letters, digits, '_', '-', '.'.
bool isFileNameSafe(std::string_view S) {
  if (S.empty() || S[0] == '.')
    return false;
  for (char C : S)
    if (!std::isalnum(static_cast<unsigned char>(C)) && C != '_' && C != '-' &&
        C != '.')
      return false;
  return true;
}

/// "sm_<digits>" with an optional trailing 'a' (sm_90a).
bool isArch(std::string_view S) {
  if (S.size() < 4 || S.substr(0, 3) != "sm_")
    return false;
  std::string_view Digits = S.substr(3);
  if (!Digits.empty() && Digits.back() == 'a')
    Digits.remove_suffix(1);
  if (Digits.empty())
    return false;
  for (char C : Digits)
    if (!std::isdigit(static_cast<unsigned char>(C)))
      return false;
  return true;
}

/// Product of \p Shape, or nullopt for a negative dimension or overflow.
std::optional<int64_t> checkedElements(const std::vector<int64_t> &Shape) {
  int64_t N = 1;
  for (int64_t D : Shape) {
    if (D < 0 || __builtin_mul_overflow(N, D, &N))
      return std::nullopt;
  }
  return N;
}

std::optional<int64_t> checkedBytes(const std::vector<int64_t> &Shape,
                                    DType D) {
  auto N = checkedElements(Shape);
  int64_t Bytes = 0;
  if (!N || __builtin_mul_overflow(*N, int64_t(dtypeSize(D)), &Bytes))
    return std::nullopt;
  return Bytes;
}

std::string shapeStr(const std::vector<int64_t> &Shape) {
  return fmt::format("[{}]", fmt::join(Shape, ", "));
}

} // namespace ssmc::rt::plan_detail

//===----------------------------------------------------------------------===//
// Public API.
//===----------------------------------------------------------------------===//

std::optional<DType> ssmc::rt::parsePlanDType(std::string_view Name) {
  if (Name == "f32")
    return DType::F32;
  if (Name == "bf16")
    return DType::BF16;
  if (Name == "f16")
    return DType::F16;
  return std::nullopt;
}

std::string_view ssmc::rt::planDTypeName(DType D) {
  switch (D) {
  case DType::F32:
    return "f32";
  case DType::BF16:
    return "bf16";
  case DType::F16:
    return "f16";
  default:
    return "unsupported";
  }
}

std::string_view ssmc::rt::paramKindName(PlanParam::Kind K) {
  switch (K) {
  case PlanParam::Kind::Input:
    return "input";
  case PlanParam::Kind::Weight:
    return "weight";
  case PlanParam::Kind::Output:
    return "output";
  case PlanParam::Kind::Workspace:
    return "workspace";
  }
  return "input";
}

int64_t PlanTensor::numElements() const {
  return checkedElements(shape).value_or(-1);
}

int64_t PlanTensor::bytes() const {
  return checkedBytes(shape, dtype).value_or(-1);
}

const PlanTensor *Plan::findInput(std::string_view Name) const {
  for (const PlanTensor &T : inputs)
    if (T.name == Name)
      return &T;
  return nullptr;
}

const PlanTensor *Plan::findWeight(std::string_view Name) const {
  for (const PlanTensor &T : weights)
    if (T.name == Name)
      return &T;
  return nullptr;
}

const PlanKernel *Plan::findKernel(std::string_view Name) const {
  for (const PlanKernel &K : kernels)
    if (K.name == Name)
      return &K;
  return nullptr;
}

std::vector<std::string> ssmc::rt::configDefines(const PlanConfig &Config) {
  std::vector<std::string> Out;
  for (const auto &[Name, Value] : Config.tunables)
    Out.push_back(fmt::format("-DSSMC_{}={}", Name, Value));
  return Out;
}
