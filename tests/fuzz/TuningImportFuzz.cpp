//===- TuningImportFuzz.cpp - `ssmc tune --import` ------------------------===//
//
// Any file: an error naming the first bad line, or rows recorded.

#include "FuzzUtil.h"
#include "Tune/TuningDb.h"

#include <optional>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ssmc::rt::TuningDb::available())
    return 0;
  static std::optional<ssmc::rt::TuningDb> db = [] {
    auto d = ssmc::rt::TuningDb::open((ssmc::fuzz::scratchDir() / "tuning.db").string());
    return d ? std::optional<ssmc::rt::TuningDb>(std::move(*d)) : std::nullopt;
  }();
  if (!db)
    return 0;
  const std::string path = ssmc::fuzz::writeInput(data, size, "tuning.jsonl");
  (void)ssmc::rt::importTuning(*db, path);
  return 0;
}
