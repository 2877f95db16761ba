//===- Tune.cpp - `ssmc tune`: the tuning database ------------------------===//

#include "Tune.h"

#include "Tune/TuningDb.h"

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <set>

namespace ssmc::cli {

namespace {

int fail(const std::string &message, int code = 1) {
  std::fprintf(stderr, "ssmc: error: %s\n", message.c_str());
  return code;
}

/// One line per (device, kernel): its best configuration and how it was
/// found, then how many other configurations were timed.
void show(const rt::TuningDb &db,
          const std::vector<std::pair<rt::TuningDevice, rt::TuningEntry>> &rows) {
  fmt::print("tuning database {}: {} timing(s)\n", db.path(), rows.size());
  // A kernel name with results for more than one signature (its generated
  // code changed between tunings): each row names its signature.
  auto kernelOn = [](const rt::TuningDevice &d, const rt::TuningEntry &e) {
    return fmt::format("{}/{}/{}/{}/{}/{}", d.gpu, d.arch, d.sms, d.driver, d.nvrtc, e.kernel);
  };
  std::map<std::string, std::set<std::string>> signatures;
  for (const auto &[d, e] : rows)
    signatures[kernelOn(d, e)].insert(e.signature);
  bool versions = false;
  const rt::TuningDevice *device = nullptr;
  std::string lastKernel;
  int others = 0;
  auto flush = [&] {
    if (others)
      fmt::print("      ({} other configuration(s) timed)\n", others);
    others = 0;
  };
  for (const auto &[d, e] : rows) {
    if (!device || !(*device == d)) {
      flush();
      device = &d;
      lastKernel.clear();
      if (d.driver || d.nvrtc)
        fmt::print("\n{} ({}, {} SMs), driver {}, NVRTC {}: measured\n", d.gpu, d.arch, d.sms,
                   d.driver, d.nvrtc);
      else
        fmt::print("\n{} ({}, {} SMs): modeled by the performance report\n", d.gpu, d.arch, d.sms);
      fmt::print("  {:<44} {:>11} {:>11} {:>8}  {}\n", "kernel", "default", "tuned", "speed-up",
                 "configuration");
    }
    // Rows come best first per kernel and kind: the first is the winner.
    const std::string key = e.kernel + "/" + e.signature + (e.measured ? "m" : "e");
    if (key == lastKernel) {
      ++others;
      continue;
    }
    flush();
    lastKernel = key;
    std::string name = e.kernel;
    if (signatures[kernelOn(d, e)].size() > 1) {
      name += " #" + e.signature.substr(0, 8);
      versions = true;
    }
    if (name.size() > 44)
      name = name.substr(0, 41) + "...";
    fmt::print("  {:<44} {:>8.2f} us {:>8.2f} us {:>7.2f}x  {} ({})\n", name, e.defaultUs, e.timeUs,
               e.defaultUs / e.timeUs, rt::configText(e.config),
               e.measured ? "measured" : "modeled");
  }
  flush();
  if (versions)
    fmt::print("\nA kernel listed with #signature has results for more than one version of its "
               "generated code; each compile uses the one whose code it generates.\n");
}

} // namespace

rt::Expected<rt::TuningDb> openTuningDb(const Options &o) {
  const std::string path = o.db.empty() ? rt::TuningDb::defaultPath() : o.db;
  if (path.empty())
    return rt::Status::error(
        "no place for the tuning database: set HOME or XDG_CACHE_HOME, or give --db PATH");
  std::string notice;
  auto db = rt::TuningDb::open(path, &notice);
  if (db && !notice.empty())
    std::fprintf(stderr, "ssmc: warning: %s\n", notice.c_str());
  return db;
}

int tuneDatabase(const Options &o) {
  const int actions = int(o.show) + int(!o.exportFile.empty()) + int(!o.importFile.empty());
  if (actions != 1)
    return fail("`ssmc tune` takes one of --show, --export FILE, --import FILE", 2);
  if (!o.model.empty())
    return fail(fmt::format("`ssmc tune --show/--export/--import` works on the database alone: "
                            "drop {} (or drop the flag to tune it)",
                            o.model),
                2);
  auto db = openTuningDb(o);
  if (!db)
    return fail(db.message());
  const std::string &path = db->path();
  if (o.show) {
    auto rows = db->all();
    if (!rows)
      return fail(rows.message());
    show(*db, *rows);
    return 0;
  }
  if (!o.exportFile.empty()) {
    if (rt::Status s = rt::exportTuning(*db, o.exportFile); !s.ok())
      return fail(s.message());
    if (!o.quiet)
      std::fprintf(stderr, "ssmc: tuning results of %s written to %s\n", path.c_str(),
                   o.exportFile.c_str());
    return 0;
  }
  auto n = rt::importTuning(*db, o.importFile);
  if (!n)
    return fail(n.message());
  if (!o.quiet)
    std::fprintf(stderr, "ssmc: %zu timing(s) from %s recorded in %s\n", *n, o.importFile.c_str(),
                 path.c_str());
  return 0;
}

} // namespace ssmc::cli
