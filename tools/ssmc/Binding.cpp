//===- Binding.cpp - weights and inputs for `ssmc run` --------------------===//

#include "Binding.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <random>
#include <set>

namespace ssmc::cli {

using interp::HostTensor;
using interp::TensorMap;

namespace {
/// A tensor of the file as fp32: borrowed from the mapping when it already
/// is aligned F32, converted otherwise.
rt::Expected<HostTensor> toHost(const rt::TensorView &view,
                                const std::shared_ptr<rt::SafetensorsFile> &file) {
  shape::Shape shape(view.shape.begin(), view.shape.end());
  if (view.dtype == rt::DType::F32 &&
      reinterpret_cast<uintptr_t>(view.data) % alignof(float) == 0)
    return HostTensor::borrow(shape, reinterpret_cast<const float *>(view.data), file);
  auto values = rt::SafetensorsFile::toF32(view);
  if (!values)
    return values.status();
  HostTensor t = HostTensor::allocate(shape);
  std::copy(values->begin(), values->end(), t.data);
  return t;
}

uint64_t hashName(const std::string &s) {
  uint64_t h = 1469598103934665603ull; // FNV-1a
  for (unsigned char c : s)
    h = (h ^ c) * 1099511628211ull;
  return h;
}

/// "a, b, c (and 4 more)": the first few of a list.
std::string firstFew(const std::vector<std::string> &items, size_t shown = 4,
                     const char *separator = "; ") {
  shown = std::min(shown, items.size());
  std::string text = fmt::format("{}", fmt::join(items.begin(), items.begin() + shown, separator));
  if (items.size() > shown)
    text += fmt::format(" (and {} more)", items.size() - shown);
  return text;
}
} // namespace

rt::Expected<TensorMap> readTensors(const std::string &path,
                                    std::map<std::string, std::string> *unreadable) {
  auto file = rt::SafetensorsFile::open(path);
  if (!file)
    return file.status();
  TensorMap out;
  for (const rt::TensorView &view : (*file)->tensors()) {
    auto t = toHost(view, *file);
    if (!t && unreadable)
      (*unreadable)[view.name] = t.message();
    else if (!t)
      return t.status();
    else
      out[view.name] = std::move(*t);
  }
  return out;
}

rt::Status checkReadable(const std::map<std::string, std::string> &unreadable,
                         const std::string &name) {
  auto it = unreadable.find(name);
  return it == unreadable.end()
             ? rt::Status::success()
             : rt::Status::error(fmt::format("input '{}' cannot be used: {}", name, it->second));
}

rt::Expected<BoundWeights> bindWeights(const std::string &path, const models::Family &family,
                                       const std::vector<dsl::ParamInfo> &params,
                                       bool allowUnused) {
  auto file = rt::SafetensorsFile::open(path);
  if (!file)
    return file.status();
  const std::vector<rt::TensorView> &tensors = (*file)->tensors();
  // Official name -> the file's tensor. Unwrap `model.` or `module.` (a
  // wrapper's or DataParallel's prefix) when every key has it; in a file of
  // the foreign (timm) scheme translate every key once, never mixing the
  // schemes.
  std::string prefix;
  for (const char *candidate : {"model.", "module."}) {
    bool all = !tensors.empty();
    for (const rt::TensorView &v : tensors)
      all = all && v.name.rfind(candidate, 0) == 0;
    if (all)
      prefix = candidate;
  }
  auto unwrapped = [&](const rt::TensorView &v) { return v.name.substr(prefix.size()); };
  bool foreign = false;
  if (family.officialName && !family.foreignMarker.empty())
    for (const rt::TensorView &v : tensors)
      foreign = foreign || unwrapped(v) == family.foreignMarker;
  std::map<std::string, const rt::TensorView *> byName;
  for (const rt::TensorView &v : tensors) {
    std::string name = unwrapped(v);
    if (foreign)
      name = family.officialName(name).value_or(name);
    byName.emplace(name, &v);
  }

  BoundWeights bound;
  // Mis-shaped weights say more than missing ones (usually a --set
  // mistake): list them first, then the missing, then the unused.
  std::vector<std::string> misShaped, missing;
  std::set<std::string> used;
  for (const dsl::ParamInfo &p : params) {
    auto it = byName.find(p.name);
    if (it == byName.end()) {
      // Named as the file would name it.
      const std::string asInFile =
          prefix + (foreign && family.foreignName ? family.foreignName(p.name) : p.name);
      missing.push_back(fmt::format("'{}' {} is missing", asInFile, shape::str(p.shape)));
      continue;
    }
    used.insert(it->first);
    shape::Shape got(it->second->shape.begin(), it->second->shape.end());
    if (got != p.shape) {
      misShaped.push_back(fmt::format("'{}' is {}, expected {}", it->second->name,
                                      shape::str(got), shape::str(p.shape)));
      continue;
    }
    auto t = toHost(*it->second, *file);
    if (!t)
      return t.status();
    bound.weights[p.name] = std::move(*t);
  }
  std::vector<std::string> unused;
  for (const auto &[name, view] : byName)
    if (!used.count(name))
      unused.push_back(view->name);
  std::vector<std::string> quoted;
  for (const std::string &n : unused)
    quoted.push_back("'" + n + "'");
  std::vector<std::string> problems = misShaped;
  problems.insert(problems.end(), missing.begin(), missing.end());
  if (!problems.empty())
    return rt::Status::error(fmt::format(
        "weights '{}' do not fit the model: {}{}; check the model name and its --set values", path,
        firstFew(problems),
        unused.empty() ? std::string()
                       : fmt::format("; unused: {}", firstFew(quoted, 5, ", "))));
  if (!unused.empty()) {
    const std::string list = fmt::format("{} tensor{} the model does not use: {}", unused.size(),
                                         unused.size() == 1 ? "" : "s", firstFew(quoted, 5, ", "));
    if (!allowUnused)
      return rt::Status::error(fmt::format("weights '{}' have {}; check the model name and its "
                                           "--set values, or pass --allow-unused-weights",
                                           path, list));
    bound.unused = fmt::format("'{}' has {}", path, list);
  }
  return bound;
}

TensorMap randomWeights(const std::vector<dsl::ParamInfo> &params, uint64_t seed) {
  TensorMap weights;
  for (const dsl::ParamInfo &p : params) {
    HostTensor t = HostTensor::allocate(p.shape);
    const int64_t n = t.numElements();
    // Each parameter has its own stream, so adding one changes no other.
    std::mt19937_64 rng(seed ^ hashName(p.name));
    const int64_t fanIn = p.shape.empty() || p.shape[0] == 0 ? 1 : std::max<int64_t>(1, n / p.shape[0]);
    switch (p.init) {
    case dsl::Init::Zeros:
      std::fill(t.data, t.data + n, 0.0f);
      break;
    case dsl::Init::Ones:
      std::fill(t.data, t.data + n, 1.0f);
      break;
    case dsl::Init::Constant:
      std::fill(t.data, t.data + n, static_cast<float>(p.value));
      break;
    case dsl::Init::FanInUniform: {
      const float bound = 1.0f / std::sqrt(static_cast<float>(fanIn));
      std::uniform_real_distribution<float> dist(-bound, bound);
      for (int64_t i = 0; i < n; ++i)
        t.data[i] = dist(rng);
      break;
    }
    case dsl::Init::Normal002: {
      std::normal_distribution<float> dist(0.0f, 0.02f);
      for (int64_t i = 0; i < n; ++i)
        t.data[i] = dist(rng);
      break;
    }
    case dsl::Init::ALog: {
      const int64_t states = p.shape.empty() ? 1 : p.shape.back();
      for (int64_t i = 0; i < n; ++i)
        t.data[i] = std::log(static_cast<float>(i % states + 1));
      break;
    }
    case dsl::Init::DtBias: {
      // softplus⁻¹(0.01) = log(expm1(0.01))
      std::fill(t.data, t.data + n, static_cast<float>(std::log(std::expm1(0.01))));
      break;
    }
    }
    weights[p.name] = std::move(t);
  }
  return weights;
}

TensorMap randomInputs(const std::vector<models::InputDecl> &inputs, uint64_t seed) {
  TensorMap out;
  for (const models::InputDecl &d : inputs) {
    HostTensor t = HostTensor::allocate(d.shape);
    std::mt19937_64 rng(seed ^ hashName("input:" + d.name));
    std::normal_distribution<float> dist(0.0f, 1.0f);
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.data[i] = dist(rng);
    out[d.name] = std::move(t);
  }
  return out;
}

} // namespace ssmc::cli
