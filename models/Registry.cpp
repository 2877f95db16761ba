//===- Registry.cpp - registered models and --set parsing -----------------===//

#include "Registry.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace ssmc::models {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '[' || s.front() == '('))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == ']' || s.back() == ')'))
    s.remove_suffix(1);
  return std::string(s);
}

std::optional<int64_t> parseInt(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size())
    return std::nullopt;
  return v;
}

std::optional<double> parseFloat(std::string_view s) {
  std::string text(s);
  char *end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(v))
    return std::nullopt;
  return v;
}

std::optional<bool> parseBool(std::string_view s) {
  if (s == "true" || s == "True" || s == "1")
    return true;
  if (s == "false" || s == "False" || s == "0")
    return false;
  return std::nullopt;
}

std::optional<std::vector<int64_t>> parseIntList(std::string_view text) {
  std::string s = trim(text);
  std::vector<int64_t> out;
  size_t pos = 0;
  while (pos <= s.size()) {
    size_t comma = s.find(',', pos);
    std::string item = trim(s.substr(pos, comma == std::string::npos ? std::string::npos
                                                                      : comma - pos));
    auto v = parseInt(item);
    if (!v)
      return std::nullopt;
    out.push_back(*v);
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  return out;
}

bool isNullText(std::string_view s) { return s == "null" || s == "None"; }

const char *typeWords(KeyType t) {
  switch (t) {
  case KeyType::Int:
    return "an integer";
  case KeyType::Float:
    return "a number";
  case KeyType::FloatOrNull:
    return "a number or null";
  case KeyType::Bool:
    return "true or false";
  case KeyType::IntList:
    return "a comma-separated list of integers";
  case KeyType::String:
    return "a string";
  case KeyType::IntOrAuto:
    return "an integer or \"auto\"";
  case KeyType::Opaque:
    return "a value";
  }
  return "a value";
}

/// Canonical text of a valid value, or nullopt.
std::optional<std::string> normalize(const ConfigKey &key, const std::string &value) {
  if (isNullText(value))
    return key.type == KeyType::Opaque || key.type == KeyType::String ||
                   key.type == KeyType::IntOrAuto || key.type == KeyType::FloatOrNull
               ? std::optional<std::string>("null")
               : std::nullopt;
  switch (key.type) {
  case KeyType::Int:
    if (auto v = parseInt(value))
      return std::to_string(*v);
    // 8.0 is an integer too (JSON configs write floats for ints sometimes).
    if (auto f = parseFloat(value); f && *f == std::floor(*f) && std::abs(*f) < 1e15)
      return std::to_string(static_cast<int64_t>(*f));
    return std::nullopt;
  case KeyType::Float:
  case KeyType::FloatOrNull:
    return parseFloat(value) ? std::optional<std::string>(value) : std::nullopt;
  case KeyType::Bool:
    if (auto b = parseBool(value))
      return std::string(*b ? "true" : "false");
    return std::nullopt;
  case KeyType::IntList:
    if (auto l = parseIntList(value))
      return fmt::format("{}", fmt::join(*l, ","));
    return std::nullopt;
  case KeyType::IntOrAuto:
    if (value == "auto" || parseInt(value))
      return value;
    return std::nullopt;
  case KeyType::String:
  case KeyType::Opaque:
    return value;
  }
  return std::nullopt;
}

struct Tables {
  std::vector<Family> families;
  std::vector<Variant> variants;
  Tables() {
    addMambaOutModels(families, variants);
    addMambaModels(families, variants);
  }
};

Tables &tables() {
  static Tables t;
  return t;
}

bool isModelName(const std::string &name) {
  return std::any_of(tables().families.begin(), tables().families.end(),
                     [&](const Family &f) { return f.name == name; }) ||
         std::any_of(tables().variants.begin(), tables().variants.end(),
                     [&](const Variant &v) { return v.name == name; });
}
} // namespace

int64_t Config::getInt(const std::string &key) const { return *parseInt(values_.at(key)); }
double Config::getFloat(const std::string &key) const { return *parseFloat(values_.at(key)); }
bool Config::getBool(const std::string &key) const { return *parseBool(values_.at(key)); }
std::vector<int64_t> Config::getIntList(const std::string &key) const {
  return *parseIntList(values_.at(key));
}
const std::string &Config::getString(const std::string &key) const { return values_.at(key); }
bool Config::isNull(const std::string &key) const {
  auto it = values_.find(key);
  return it == values_.end() || it->second == "null";
}

const std::vector<Family> &families() { return tables().families; }
const std::vector<Variant> &variants() { return tables().variants; }

rt::Status addModels(const RegisterModelsFn &add, const std::string &origin) {
  std::vector<Family> newFamilies;
  std::vector<Variant> newVariants;
  add(newFamilies, newVariants);
  if (newFamilies.empty() && newVariants.empty())
    return rt::Status::error(fmt::format("{} registers no model", origin));
  std::vector<std::string> names;
  auto checkName = [&](const std::string &name, const char *what) -> rt::Status {
    if (name.empty())
      return rt::Status::error(fmt::format("{} registers a {} without a name", origin, what));
    if (isModelName(name) || std::find(names.begin(), names.end(), name) != names.end())
      return rt::Status::error(fmt::format("{} registers {} '{}', but a model of that name is "
                                           "already registered: rename it",
                                           origin, what, name));
    names.push_back(name);
    return rt::Status::success();
  };
  for (const Family &f : newFamilies) {
    if (rt::Status s = checkName(f.name, "family"); !s.ok())
      return s;
    if (!f.inputs || !f.build)
      return rt::Status::error(fmt::format("{}: family '{}' needs `inputs` and `build`", origin,
                                           f.name));
  }
  for (const Variant &v : newVariants) {
    if (rt::Status s = checkName(v.name, "variant"); !s.ok())
      return s;
    if (!findFamily(v.family) &&
        std::none_of(newFamilies.begin(), newFamilies.end(),
                     [&](const Family &f) { return f.name == v.family; }))
      return rt::Status::error(fmt::format("{}: variant '{}' names family '{}', which is not "
                                           "registered",
                                           origin, v.name, v.family));
  }
  Tables &t = tables();
  t.families.insert(t.families.end(), std::make_move_iterator(newFamilies.begin()),
                    std::make_move_iterator(newFamilies.end()));
  t.variants.insert(t.variants.end(), std::make_move_iterator(newVariants.begin()),
                    std::make_move_iterator(newVariants.end()));
  return rt::Status::success();
}

const Family *findFamily(std::string_view name) {
  for (const Family &f : families())
    if (f.name == name)
      return &f;
  return nullptr;
}

rt::Expected<ResolvedModel> resolve(const std::string &name,
                                    const std::vector<std::pair<std::string, std::string>> &sets) {
  ResolvedModel model;
  model.name = name;
  std::vector<std::pair<std::string, std::string>> all;
  if (const Family *f = findFamily(name)) {
    model.family = f;
  } else {
    for (const Variant &v : variants())
      if (v.name == name) {
        model.family = findFamily(v.family);
        all = v.settings;
      }
  }
  if (!model.family) {
    std::vector<std::string> known;
    for (const Variant &v : variants())
      known.push_back(v.name);
    for (const Family &f : families())
      known.push_back(f.name);
    return rt::Status::error(fmt::format("unknown model '{}': known models and families are {} "
                                         "(see `ssmc list`)",
                                         name, fmt::join(known, ", ")));
  }
  const Family &family = *model.family;
  model.evalCropPct = family.evalCropPct;
  for (const Variant &v : variants())
    if (v.name == name && v.evalCropPct > 0)
      model.evalCropPct = v.evalCropPct;
  for (const ConfigKey &k : family.keys)
    model.config.set(k.name, k.defaultValue);
  all.insert(all.end(), sets.begin(), sets.end());
  for (const auto &[key, value] : all) {
    auto k = std::find_if(family.keys.begin(), family.keys.end(),
                          [&](const ConfigKey &c) { return c.name == key; });
    if (k == family.keys.end()) {
      std::vector<std::string> valid;
      for (const ConfigKey &c : family.keys)
        valid.push_back(c.name);
      return rt::Status::error(fmt::format("unknown --set key '{}' for {}: valid keys are {}", key,
                                           family.name, fmt::join(valid, ", ")));
    }
    auto normalized = normalize(*k, value);
    if (!normalized)
      return rt::Status::error(fmt::format("bad value '{}' for --set {}: expected {}", value, key,
                                           typeWords(k->type)));
    model.config.set(key, *normalized);
  }
  if (family.validate)
    if (std::string why = family.validate(model.config); !why.empty())
      return rt::Status::error(fmt::format("{}: {}", name, why));
  return model;
}

} // namespace ssmc::models
