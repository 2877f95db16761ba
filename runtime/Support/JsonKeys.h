//===- Support/JsonKeys.h - duplicate keys in a JSON document ---*- C++ -*-===//
//
// nlohmann::json keeps one value of a key given twice in an object and says
// nothing. Files ssmc reads (safetensors headers, plan.json) are refused
// instead: parse with this as the callback, then look at `duplicate`.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_SUPPORT_JSONKEYS_H
#define SSMC_RUNTIME_SUPPORT_JSONKEYS_H

#include <nlohmann/json.hpp>

#include <optional>
#include <set>
#include <string>
#include <vector>

namespace ssmc::rt {

/// Records the first key that repeats within one JSON object at any depth.
struct DuplicateKeyFinder {
  std::vector<std::set<std::string>> openObjects;
  std::optional<std::string> duplicate;
  bool duplicateAtTopLevel = false;

  /// For nlohmann::json and ordered_json alike.
  template <class Json> bool operator()(int, nlohmann::json::parse_event_t event, Json &parsed) {
    using Event = nlohmann::json::parse_event_t;
    switch (event) {
    case Event::object_start:
      openObjects.emplace_back();
      break;
    case Event::object_end:
      if (!openObjects.empty())
        openObjects.pop_back();
      break;
    case Event::key:
      if (!duplicate && !openObjects.empty() &&
          !openObjects.back().insert(parsed.template get<std::string>()).second) {
        duplicate = parsed.template get<std::string>();
        duplicateAtTopLevel = openObjects.size() == 1;
      }
      break;
    default:
      break;
    }
    return true;
  }
};

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_SUPPORT_JSONKEYS_H
