//===- Binding.cpp - weights and inputs for `ssmc run` --------------------===//

#include "Binding.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <fstream>
#include <random>

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
} // namespace

rt::Expected<TensorMap> readTensors(const std::string &path) {
  auto file = rt::SafetensorsFile::open(path);
  if (!file)
    return file.status();
  TensorMap out;
  for (const rt::TensorView &view : (*file)->tensors()) {
    auto t = toHost(view, *file);
    if (!t)
      return t.status();
    out[view.name] = std::move(*t);
  }
  return out;
}

rt::Expected<TensorMap> bindWeights(const std::string &path, const models::Family &family,
                                    const std::vector<dsl::ParamInfo> &params) {
  auto file = rt::SafetensorsFile::open(path);
  if (!file)
    return file.status();
  // Official name -> the file's tensor. Unwrap `model.`; in a file of the
  // foreign (timm) scheme translate every key once, never mixing the schemes.
  std::map<std::string, const rt::TensorView *> byName;
  bool allWrapped = !(*file)->tensors().empty();
  for (const rt::TensorView &v : (*file)->tensors())
    allWrapped = allWrapped && v.name.rfind("model.", 0) == 0;
  auto unwrapped = [&](const rt::TensorView &v) { return allWrapped ? v.name.substr(6) : v.name; };
  bool foreign = false;
  if (family.officialName && !family.foreignMarker.empty())
    for (const rt::TensorView &v : (*file)->tensors())
      foreign = foreign || unwrapped(v) == family.foreignMarker;
  for (const rt::TensorView &v : (*file)->tensors()) {
    std::string name = unwrapped(v);
    if (foreign)
      name = family.officialName(name).value_or(name);
    byName.emplace(name, &v);
  }

  TensorMap weights;
  // Mis-shaped weights say more than missing ones (usually a --set mistake): list them first.
  std::vector<std::string> misShaped, missing;
  for (const dsl::ParamInfo &p : params) {
    auto it = byName.find(p.name);
    if (it == byName.end()) {
      missing.push_back(fmt::format("'{}' {} is missing", p.name, shape::str(p.shape)));
      continue;
    }
    shape::Shape got(it->second->shape.begin(), it->second->shape.end());
    if (got != p.shape) {
      misShaped.push_back(fmt::format("'{}' is {}, expected {}", p.name, shape::str(got),
                                      shape::str(p.shape)));
      continue;
    }
    auto t = toHost(*it->second, *file);
    if (!t)
      return t.status();
    weights[p.name] = std::move(*t);
  }
  std::vector<std::string> problems = misShaped;
  problems.insert(problems.end(), missing.begin(), missing.end());
  if (!problems.empty()) {
    size_t shown = std::min<size_t>(problems.size(), 4);
    std::string more = problems.size() > shown
                           ? fmt::format(" (and {} more)", problems.size() - shown)
                           : std::string();
    return rt::Status::error(fmt::format(
        "weights '{}' do not fit the model: {}{}; check the model name and its --set values",
        path, fmt::join(problems.begin(), problems.begin() + shown, "; "), more));
  }
  return weights;
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

namespace {
/// Reads the next header token of a PPM, skipping whitespace and comments.
bool nextToken(std::istream &in, std::string &token) {
  token.clear();
  char c;
  while (in.get(c)) {
    if (c == '#') {
      std::string line;
      std::getline(in, line);
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      token.push_back(c);
      break;
    }
  }
  while (in.get(c) && !std::isspace(static_cast<unsigned char>(c)))
    token.push_back(c);
  return !token.empty();
}
} // namespace

rt::Expected<HostTensor> readImage(const std::string &path, int64_t height, int64_t width) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return rt::Status::error(fmt::format("cannot open image '{}'", path));
  std::string magic, ws, hs, ms;
  if (!nextToken(in, magic) || magic != "P6" || !nextToken(in, ws) || !nextToken(in, hs) ||
      !nextToken(in, ms))
    return rt::Status::error(fmt::format("image '{}' is not a binary PPM (P6); convert it, e.g. "
                                         "`convert photo.jpg image.ppm`",
                                         path));
  const int64_t w = std::atoll(ws.c_str()), h = std::atoll(hs.c_str()),
                maxValue = std::atoll(ms.c_str());
  if (w < 1 || h < 1 || w > 16384 || h > 16384 || maxValue != 255)
    return rt::Status::error(fmt::format("image '{}' has an unsupported size {}x{} or maximum "
                                         "value {} (8-bit PPM only)",
                                         path, ws, hs, ms));
  std::vector<unsigned char> pixels(w * h * 3);
  if (!in.read(reinterpret_cast<char *>(pixels.data()), pixels.size()))
    return rt::Status::error(fmt::format("image '{}' is truncated: {}x{} pixels need {} bytes",
                                         path, w, h, pixels.size()));
  static constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
  static constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
  HostTensor t = HostTensor::allocate({1, 3, height, width});
  for (int64_t y = 0; y < height; ++y)
    for (int64_t x = 0; x < width; ++x) {
      // Bilinear sample at the pixel centre (align_corners = false).
      float sy = std::clamp((y + 0.5f) * h / height - 0.5f, 0.0f, float(h - 1));
      float sx = std::clamp((x + 0.5f) * w / width - 0.5f, 0.0f, float(w - 1));
      int64_t y0 = int64_t(sy), x0 = int64_t(sx);
      int64_t y1 = std::min(y0 + 1, h - 1), x1 = std::min(x0 + 1, w - 1);
      float fy = sy - y0, fx = sx - x0;
      for (int c = 0; c < 3; ++c) {
        auto px = [&](int64_t yy, int64_t xx) { return pixels[(yy * w + xx) * 3 + c] / 255.0f; };
        float v = (1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x1)) +
                  fy * ((1 - fx) * px(y1, x0) + fx * px(y1, x1));
        t.data[(c * height + y) * width + x] = (v - kMean[c]) / kStd[c];
      }
    }
  return t;
}

} // namespace ssmc::cli
