//===- Exec/Plan.cpp - plan types, shared helpers -------------------------===//

#include "Exec/Plan.h"
#include "Exec/PlanDetail.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

using namespace ssmc::rt;
using namespace ssmc::rt::plan_detail;
namespace fs = std::filesystem;

namespace ssmc::rt::plan_detail {

const std::string_view fixRecompile =
    "the artifact is damaged or was not written by this ssmc: recompile it "
    "with `ssmc compile MODEL -o DIR`";

bool isIdentifier(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0])))
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_')
      return false;
  return true;
}

/// Kernel names become file names: letters, digits, '_', '-', '.'.
bool isFileNameSafe(std::string_view s) {
  if (s.empty() || s[0] == '.')
    return false;
  for (char c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  return true;
}

/// "sm_<digits>" with an optional trailing 'a' (sm_90a).
bool isArch(std::string_view s) {
  if (s.size() < 4 || s.substr(0, 3) != "sm_")
    return false;
  std::string_view digits = s.substr(3);
  if (!digits.empty() && digits.back() == 'a')
    digits.remove_suffix(1);
  if (digits.empty())
    return false;
  for (char c : digits)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

/// Product of \p Shape, or nullopt for a negative dimension or overflow.
std::optional<int64_t> checkedElements(const std::vector<int64_t> &shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0 || __builtin_mul_overflow(n, d, &n))
      return std::nullopt;
  }
  return n;
}

std::optional<int64_t> checkedBytes(const std::vector<int64_t> &shape, DType d) {
  auto n = checkedElements(shape);
  int64_t bytes = 0;
  if (!n || __builtin_mul_overflow(*n, int64_t(dtypeSize(d)), &bytes))
    return std::nullopt;
  return bytes;
}

std::string shapeStr(const std::vector<int64_t> &shape) {
  return fmt::format("[{}]", fmt::join(shape, ", "));
}

} // namespace ssmc::rt::plan_detail

//===----------------------------------------------------------------------===//
// Public API.
//===----------------------------------------------------------------------===//

std::optional<DType> ssmc::rt::parsePlanDType(std::string_view name) {
  if (name == "f32")
    return DType::F32;
  if (name == "bf16")
    return DType::BF16;
  if (name == "f16")
    return DType::F16;
  return std::nullopt;
}

std::string_view ssmc::rt::planDTypeName(DType d) {
  switch (d) {
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

std::string_view ssmc::rt::paramKindName(PlanParam::Kind k) {
  switch (k) {
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

int64_t PlanTensor::numElements() const { return checkedElements(shape).value_or(-1); }

std::vector<int64_t> PlanTensor::valueShape() const {
  return shapeWithInsertedZeros(shape, insertedZeros);
}

std::vector<int64_t> PlanTensor::storedShape() const {
  std::vector<int64_t> s = valueShape();
  if (rowPitch > 0 && !s.empty())
    s.back() = rowPitch;
  return s;
}

int64_t PlanTensor::bytes() const { return checkedBytes(storedShape(), dtype).value_or(-1); }

std::vector<float> ssmc::rt::toDeviceLayout(std::vector<float> values, const PlanTensor &t) {
  const std::vector<int64_t> shape = t.valueShape();
  values = withInsertedZeros(std::move(values), t.shape, t.insertedZeros);
  values = toStoredOrder(std::move(values), shape, t.storedAs);
  if (t.rowPitch <= 0 || shape.empty() || t.rowPitch == shape.back())
    return values;
  const size_t row = size_t(shape.back()), pitch = size_t(t.rowPitch);
  const size_t rows = row ? values.size() / row : 0;
  std::vector<float> out(rows * pitch, 0.0f);
  for (size_t r = 0; r < rows; ++r)
    std::copy_n(values.begin() + std::ptrdiff_t(r * row), row,
                out.begin() + std::ptrdiff_t(r * pitch));
  return out;
}

std::vector<float> ssmc::rt::toStoredOrder(std::vector<float> values,
                                           const std::vector<int64_t> &shape,
                                           const std::vector<int64_t> &order) {
  if (order.empty())
    return values;
  // Walk the stored layout in order; each element's offset in the logical
  // one follows from the logical strides.
  const size_t rank = shape.size();
  std::vector<int64_t> logicalStride(rank, 1);
  for (size_t i = rank; i-- > 1;)
    logicalStride[i - 1] = logicalStride[i] * shape[i];
  std::vector<float> out(values.size());
  std::vector<int64_t> index(rank, 0); // in the stored axes
  for (float &o : out) {
    int64_t from = 0;
    for (size_t j = 0; j < rank; ++j)
      from += index[j] * logicalStride[size_t(order[j])];
    o = values[size_t(from)];
    for (size_t j = rank; j-- > 0;) {
      if (++index[j] < shape[size_t(order[j])])
        break;
      index[j] = 0;
    }
  }
  return out;
}

const PlanTensor *Plan::findInput(std::string_view name) const {
  for (const PlanTensor &t : inputs)
    if (t.name == name)
      return &t;
  return nullptr;
}

const PlanTensor *Plan::findWeight(std::string_view name) const {
  for (const PlanTensor &t : weights)
    if (t.name == name)
      return &t;
  return nullptr;
}

const PlanKernel *Plan::findKernel(std::string_view name) const {
  for (const PlanKernel &k : kernels)
    if (k.name == name)
      return &k;
  return nullptr;
}

std::vector<std::string> ssmc::rt::configDefines(const PlanConfig &config) {
  std::vector<std::string> out;
  for (const auto &[Name, Value] : config.tunables)
    out.push_back(fmt::format("-DSSMC_{}={}", Name, Value));
  return out;
}
