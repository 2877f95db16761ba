//===- Tune/TuningDb.cpp - the tuning database ----------------------------===//

#include "Tune/TuningDb.h"

#include "Cuda/Nvrtc.h"
#include "Cuda/Sha256.h"
#include "Support/AtomicFile.h"
#include "Support/CacheHome.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#if SSMC_HAVE_SQLITE
#include <sqlite3.h>
#endif

namespace fs = std::filesystem;

namespace ssmc::rt {

//===----------------------------------------------------------------------===//
// Keys
//===----------------------------------------------------------------------===//

std::string kernelSignature(const PlanKernel &kernel) {
  // canonicalSource drops comments (the header names the defaults) and
  // renames the entry; the tunables' own #defines go here.
  std::istringstream in(canonicalSource({kernel.name, kernel.entry, kernel.source}));
  Sha256 h;
  h.updateField(kernel.kind);
  for (std::string line; std::getline(in, line);) {
    bool tunable = false;
    for (const std::string &t : kernel.tunables)
      if (line.rfind("#define SSMC_" + t + " ", 0) == 0)
        tunable = true;
    if (!tunable)
      h.updateField(line);
  }
  return h.hexDigest();
}

std::string configText(const std::map<std::string, int64_t> &config) {
  std::string s;
  for (const auto &[name, value] : config)
    s += fmt::format("{}{}={}", s.empty() ? "" : ",", name, value);
  return s;
}

namespace {

/// configText read back; std::nullopt when malformed. (Unused in a build
/// without SQLite.)
[[maybe_unused]] std::optional<std::map<std::string, int64_t>>
parseConfigText(const std::string &text) {
  std::map<std::string, int64_t> config;
  std::istringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    const size_t eq = item.find('=');
    if (eq == std::string::npos || eq == 0)
      return std::nullopt;
    try {
      size_t used = 0;
      const std::string number = item.substr(eq + 1);
      const long long v = std::stoll(number, &used);
      if (used != number.size())
        return std::nullopt;
      config[item.substr(0, eq)] = v;
    } catch (const std::exception &) {
      return std::nullopt;
    }
  }
  return config;
}

} // namespace

std::string TuningDb::defaultPath() {
  if (const char *p = std::getenv("SSMC_TUNING_DB"); p && *p)
    return p;
  const std::string home = cacheHome();
  return home.empty() ? home : home + "/tuning.db";
}

#if SSMC_HAVE_SQLITE

//===----------------------------------------------------------------------===//
// SQLite
//===----------------------------------------------------------------------===//

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char *kSchema = R"sql(
CREATE TABLE IF NOT EXISTS timings (
  gpu TEXT NOT NULL, arch TEXT NOT NULL, sms INTEGER NOT NULL,
  driver INTEGER NOT NULL, nvrtc INTEGER NOT NULL,
  signature TEXT NOT NULL, kernel TEXT NOT NULL, config TEXT NOT NULL,
  default_us REAL NOT NULL, time_us REAL NOT NULL, measured INTEGER NOT NULL,
  recorded INTEGER NOT NULL,
  PRIMARY KEY (gpu, arch, sms, driver, nvrtc, signature, config, measured)
);
)sql";

/// A prepared statement, finalized on scope exit.
class Statement {
public:
  Statement(sqlite3 *db, const char *sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement &) = delete;
  Statement &operator=(const Statement &) = delete;

  bool ok() const { return rc_ == SQLITE_OK; }
  void bind(int i, const std::string &s) {
    sqlite3_bind_text(stmt_, i, s.c_str(), int(s.size()), SQLITE_TRANSIENT);
  }
  void bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); }
  /// SQLITE_ROW, SQLITE_DONE or an error code.
  int step() { return sqlite3_step(stmt_); }
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  std::string text(int i) const {
    const unsigned char *t = sqlite3_column_text(stmt_, i);
    return t ? reinterpret_cast<const char *>(t) : "";
  }
  int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }
  double real(int i) const { return sqlite3_column_double(stmt_, i); }
  std::string error() const { return sqlite3_errmsg(db_); }

private:
  sqlite3 *db_;
  sqlite3_stmt *stmt_ = nullptr;
  int rc_;
};

Status exec(sqlite3 *db, const char *sql) {
  char *msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    return Status::error(m);
  }
  return Status::success();
}

/// The database usable: schema made, version known, contents intact.
/// Fails with SQLite's message when the file is not one or is damaged
/// (`damaged` then true: move it aside, rather than report an error).
Status prepare(sqlite3 *db, bool &damaged) {
  damaged = false;
  // SQLite says "not a database" or "malformed" by these codes.
  const auto failed = [&](std::string message) {
    const int code = sqlite3_errcode(db);
    damaged = code == SQLITE_NOTADB || code == SQLITE_CORRUPT;
    return Status::error(std::move(message));
  };
  if (Status s = exec(db, "PRAGMA journal_mode=WAL;"); !s.ok())
    return failed(s.message());
  int version = 0;
  {
    Statement v(db, "PRAGMA user_version;");
    if (!v.ok() || v.step() != SQLITE_ROW)
      return failed(v.error());
    version = int(v.integer(0));
  }
  if (version > kSchemaVersion)
    return Status::error(fmt::format("schema version {} is newer than this ssmc's {}: use the "
                                     "ssmc that wrote it, or another --db",
                                     version, kSchemaVersion));
  {
    Statement check(db, "PRAGMA quick_check;");
    if (!check.ok() || check.step() != SQLITE_ROW)
      return failed(check.error());
    if (check.text(0) != "ok") {
      damaged = true;
      return Status::error("damaged: " + check.text(0));
    }
  }
  if (Status s = exec(db, kSchema); !s.ok())
    return failed(s.message());
  return exec(db, fmt::format("PRAGMA user_version={};", kSchemaVersion).c_str());
}

Expected<sqlite3 *> openFile(const std::string &path) {
  sqlite3 *db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOFOLLOW, nullptr);
  if (rc != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return Status::error(m);
  }
  // Another process writing waits its turn instead of failing.
  sqlite3_busy_timeout(db, 30000);
  return db;
}

} // namespace

struct TuningDb::Handle {
  sqlite3 *db = nullptr;
  ~Handle() { sqlite3_close(db); }
};

bool TuningDb::available() { return true; }

Expected<TuningDb> TuningDb::open(const std::string &path, std::string *notice) {
  if (path.empty())
    return Status::error("no tuning database path: pass --db PATH or set SSMC_TUNING_DB (or HOME)");
  std::error_code ec;
  if (fs::path parent = fs::path(path).parent_path(); !parent.empty())
    fs::create_directories(parent, ec);
  auto db = openFile(path);
  if (!db)
    return Status::error(fmt::format("cannot open the tuning database {}: {}", path, db.message()));
  auto handle = std::make_unique<Handle>();
  handle->db = *db;
  bool damaged = false;
  if (Status s = prepare(handle->db, damaged); !s.ok()) {
    if (!damaged)
      return Status::error(fmt::format("tuning database {}: {}", path, s.message()));
    handle.reset();
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const std::string aside = fmt::format(
        "{}.damaged-{}", path, std::chrono::duration_cast<std::chrono::seconds>(now).count());
    fs::rename(path, aside, ec);
    if (ec)
      return Status::error(fmt::format("tuning database {} is damaged ({}) and cannot be moved "
                                       "aside: {}; remove it",
                                       path, s.message(), ec.message()));
    for (const char *suffix : {"-wal", "-shm"})
      fs::remove(path + suffix, ec);
    if (notice)
      *notice = fmt::format("tuning database {} was damaged ({}); moved to {} and started afresh",
                            path, s.message(), aside);
    auto fresh = openFile(path);
    if (!fresh)
      return Status::error(
          fmt::format("cannot create the tuning database {}: {}", path, fresh.message()));
    handle = std::make_unique<Handle>();
    handle->db = *fresh;
    if (Status again = prepare(handle->db, damaged); !again.ok())
      return Status::error(fmt::format("tuning database {}: {}", path, again.message()));
  }
  return TuningDb(path, std::move(handle));
}

Status TuningDb::record(const TuningDevice &device, const std::vector<TuningEntry> &entries) {
  sqlite3 *db = handle_->db;
  // IMMEDIATE: take the write lock now, waiting (busy timeout) for another
  // writer, rather than failing half-way.
  if (Status s = exec(db, "BEGIN IMMEDIATE;"); !s.ok())
    return Status::error(fmt::format("tuning database {}: {}", path_, s.message()));
  Statement insert(db, "INSERT OR REPLACE INTO timings VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                       "strftime('%s', 'now'));");
  auto fail = [&](const std::string &why) {
    (void)exec(db, "ROLLBACK;"); // the failure to report is the one before
    return Status::error(fmt::format("tuning database {}: nothing recorded: {}", path_, why));
  };
  if (!insert.ok())
    return fail(insert.error());
  for (const TuningEntry &e : entries) {
    insert.bind(1, device.gpu);
    insert.bind(2, device.arch);
    insert.bind(3, device.sms);
    insert.bind(4, device.driver);
    insert.bind(5, device.nvrtc);
    insert.bind(6, e.signature);
    insert.bind(7, e.kernel);
    insert.bind(8, configText(e.config));
    insert.bind(9, e.defaultUs);
    insert.bind(10, e.timeUs);
    insert.bind(11, int64_t(e.measured));
    if (insert.step() != SQLITE_DONE)
      return fail(insert.error());
    insert.reset();
  }
  if (Status s = exec(db, "COMMIT;"); !s.ok())
    return fail(s.message());
  return Status::success();
}

namespace {

Expected<std::pair<TuningDevice, TuningEntry>> readRow(Statement &q, const std::string &path) {
  TuningDevice d{q.text(0), q.text(1), q.integer(2), q.integer(3), q.integer(4)};
  TuningEntry e;
  e.signature = q.text(5);
  e.kernel = q.text(6);
  auto config = parseConfigText(q.text(7));
  if (!config)
    return Status::error(fmt::format("tuning database {}: configuration '{}' of {} is not "
                                     "NAME=VALUE,...",
                                     path, q.text(7), e.kernel));
  e.config = *config;
  e.defaultUs = q.real(8);
  e.timeUs = q.real(9);
  e.measured = q.integer(10) != 0;
  return std::make_pair(d, e);
}

/// Every row `q` yields.
Expected<std::vector<std::pair<TuningDevice, TuningEntry>>> collect(Statement &q,
                                                                    const std::string &path) {
  std::vector<std::pair<TuningDevice, TuningEntry>> rows;
  for (int rc; (rc = q.step()) != SQLITE_DONE;) {
    if (rc != SQLITE_ROW)
      return Status::error(fmt::format("tuning database {}: {}", path, q.error()));
    auto row = readRow(q, path);
    if (!row)
      return row.status();
    rows.push_back(std::move(*row));
  }
  return rows;
}

constexpr const char *kColumns = "gpu, arch, sms, driver, nvrtc, signature, kernel, config, "
                                 "default_us, time_us, measured";

} // namespace

Expected<std::vector<TuningEntry>> TuningDb::ranked(const TuningDevice &device,
                                                    const std::string &signature) const {
  // Measured on this very GPU and software, else modeled for its
  // architecture and SM count.
  const std::string sql = fmt::format(
      "SELECT {} FROM timings WHERE signature = ?1 AND ((measured = 1 AND gpu = ?2 AND arch = ?3 "
      "AND sms = ?4 AND driver = ?5 AND nvrtc = ?6) OR (measured = 0 AND arch = ?3 AND sms = "
      "?4)) ORDER BY measured DESC, time_us ASC, config ASC;",
      kColumns);
  Statement q(handle_->db, sql.c_str());
  if (!q.ok())
    return Status::error(fmt::format("tuning database {}: {}", path_, q.error()));
  q.bind(1, signature);
  q.bind(2, device.gpu);
  q.bind(3, device.arch);
  q.bind(4, device.sms);
  q.bind(5, device.driver);
  q.bind(6, device.nvrtc);
  auto rows = collect(q, path_);
  if (!rows)
    return rows.status();
  std::vector<TuningEntry> entries;
  for (auto &[device, entry] : *rows)
    entries.push_back(std::move(entry));
  return entries;
}

Expected<std::vector<std::pair<TuningDevice, TuningEntry>>> TuningDb::all() const {
  const std::string sql = fmt::format("SELECT {} FROM timings ORDER BY gpu, arch, sms, driver, "
                                      "nvrtc, kernel, signature, measured DESC, time_us, config;",
                                      kColumns);
  Statement q(handle_->db, sql.c_str());
  if (!q.ok())
    return Status::error(fmt::format("tuning database {}: {}", path_, q.error()));
  return collect(q, path_);
}

#else // !SSMC_HAVE_SQLITE

struct TuningDb::Handle {};

bool TuningDb::available() { return false; }

Expected<TuningDb> TuningDb::open(const std::string &path, std::string *) {
  return Status::error(fmt::format("cannot open the tuning database {}: this ssmc was built "
                                   "without SQLite; install libsqlite3-dev and rebuild",
                                   path));
}
Status TuningDb::record(const TuningDevice &, const std::vector<TuningEntry> &) {
  return Status::error("built without SQLite");
}
Expected<std::vector<TuningEntry>> TuningDb::ranked(const TuningDevice &,
                                                    const std::string &) const {
  return Status::error("built without SQLite");
}
Expected<std::vector<std::pair<TuningDevice, TuningEntry>>> TuningDb::all() const {
  return Status::error("built without SQLite");
}

#endif // SSMC_HAVE_SQLITE

TuningDb::TuningDb(std::string path, std::unique_ptr<Handle> handle)
    : path_(std::move(path)), handle_(std::move(handle)) {}
TuningDb::TuningDb(TuningDb &&) noexcept = default;
TuningDb &TuningDb::operator=(TuningDb &&) noexcept = default;
TuningDb::~TuningDb() = default;

//===----------------------------------------------------------------------===//
// Export, import, use
//===----------------------------------------------------------------------===//

Status exportTuning(const TuningDb &db, const std::string &file) {
  auto rows = db.all();
  if (!rows)
    return rows.status();
  std::string text;
  for (const auto &[d, e] : *rows) {
    nlohmann::ordered_json j;
    j["gpu"] = d.gpu;
    j["arch"] = d.arch;
    j["sms"] = d.sms;
    j["driver"] = d.driver;
    j["nvrtc"] = d.nvrtc;
    j["kernel"] = e.kernel;
    j["signature"] = e.signature;
    j["config"] = e.config;
    j["default_us"] = e.defaultUs;
    j["time_us"] = e.timeUs;
    j["measured"] = e.measured;
    text += j.dump() + "\n";
  }
  if (Status s = writeFileAtomically(file, text); !s.ok())
    return Status::error(fmt::format("cannot export tuning results to {}: {}", file, s.message()));
  return Status::success();
}

Expected<size_t> importTuning(TuningDb &db, const std::string &file) {
  std::error_code ec;
  if (!fs::is_regular_file(file, ec))
    return Status::error(fmt::format("cannot import {}: not a regular file", file));
  std::ifstream in(file);
  if (!in)
    return Status::error(fmt::format("cannot import {}: cannot open it", file));
  // Grouped by device: one transaction each, all checked before any.
  std::vector<std::pair<TuningDevice, std::vector<TuningEntry>>> groups;
  size_t count = 0, lineNo = 0;
  for (std::string line; std::getline(in, line);) {
    ++lineNo;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    auto bad = [&](const std::string &why) {
      return Status::error(fmt::format("cannot import {}: line {}: {} (a file `ssmc tune "
                                       "--export` writes has one JSON object per line)",
                                       file, lineNo, why));
    };
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object())
      return bad("not a JSON object");
    try {
      TuningDevice d{j.at("gpu").get<std::string>(), j.at("arch").get<std::string>(),
                     j.at("sms").get<int64_t>(), j.at("driver").get<int64_t>(),
                     j.at("nvrtc").get<int64_t>()};
      TuningEntry e;
      e.kernel = j.at("kernel").get<std::string>();
      e.signature = j.at("signature").get<std::string>();
      e.config = j.at("config").get<std::map<std::string, int64_t>>();
      e.defaultUs = j.at("default_us").get<double>();
      e.timeUs = j.at("time_us").get<double>();
      e.measured = j.at("measured").get<bool>();
      if (e.signature.size() != 64 ||
          e.signature.find_first_not_of("0123456789abcdef") != std::string::npos)
        return bad("signature is not a sha256 hex digest");
      if (!(e.timeUs > 0) || !(e.defaultUs > 0))
        return bad("time_us and default_us must be positive");
      auto it =
          std::find_if(groups.begin(), groups.end(), [&](const auto &g) { return g.first == d; });
      if (it == groups.end())
        it = groups.insert(groups.end(), {d, {}});
      it->second.push_back(std::move(e));
      ++count;
    } catch (const nlohmann::json::exception &x) {
      return bad(x.what());
    }
  }
  for (const auto &[d, entries] : groups)
    if (Status s = db.record(d, entries); !s.ok())
      return s;
  return count;
}

Expected<TuningApplied> applyTuning(Plan &plan, const TuningDb &db, const TuningDevice &device) {
  TuningApplied applied;
  for (PlanKernel &k : plan.kernels) {
    auto ranked = db.ranked(device, kernelSignature(k));
    if (!ranked)
      return ranked.status();
    bool tuned = false;
    for (const TuningEntry &e : *ranked) {
      auto it = std::find_if(k.configs.begin(), k.configs.end(),
                             [&](const PlanConfig &c) { return c.tunables == e.config; });
      if (it == k.configs.end()) {
        // Once per kernel signature (a model repeats its blocks' kernels).
        std::string w = fmt::format("{}: ignoring the tuned configuration {}, which is not "
                                    "one of its configurations any more",
                                    e.kernel, configText(e.config));
        if (std::find(applied.warnings.begin(), applied.warnings.end(), w) ==
            applied.warnings.end())
          applied.warnings.push_back(std::move(w));
        continue;
      }
      k.defaultConfig = it - k.configs.begin();
      ++(e.measured ? applied.measured : applied.modeled);
      tuned = true;
      break;
    }
    if (!tuned)
      ++applied.untuned;
  }
  return applied;
}

TuningDevice measuredDevice(const DeviceInfo &info) {
  TuningDevice d;
  d.gpu = info.name;
  d.arch = info.arch();
  d.sms = info.smCount;
  d.driver = info.driverVersion;
  // "13.0" -> 13000, as the driver counts.
  const std::string v = nvrtcVersion();
  const size_t dot = v.find('.');
  d.nvrtc = std::atoi(v.c_str()) * 1000 +
            (dot == std::string::npos ? 0 : std::atoi(v.c_str() + dot + 1) * 10);
  return d;
}

std::string applyDefaultTuning(Plan &plan, const TuningDevice &device,
                               const std::function<void(const std::string &)> &warn) {
  const std::string path = TuningDb::defaultPath();
  std::error_code ec;
  if (path.empty() || !TuningDb::available() || !std::filesystem::is_regular_file(path, ec))
    return "";
  std::string notice;
  auto db = TuningDb::open(path, &notice);
  if (!notice.empty())
    warn(notice);
  auto applied = db ? applyTuning(plan, *db, device) : Expected<TuningApplied>(db.status());
  if (!applied) {
    warn(applied.message() + "; the kernels keep their default configurations");
    return "";
  }
  for (const std::string &w : applied->warnings)
    warn(w);
  if (applied->measured + applied->modeled == 0)
    return "";
  return fmt::format("tuning database {}: {} of {} kernels tuned ({} measured, {} modeled), {} at "
                     "their defaults",
                     path, applied->measured + applied->modeled, plan.kernels.size(),
                     applied->measured, applied->modeled, applied->untuned);
}

} // namespace ssmc::rt
