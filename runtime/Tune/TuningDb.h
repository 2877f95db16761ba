//===- Tune/TuningDb.h - the tuning database ---------------------*- C++ -*-===//
//
// What `ssmc tune` found, kept across runs: per GPU and software, per
// kernel, the time of each configuration tried, measured (CUDA events) or
// modeled (the performance report). One SQLite file, written in
// transactions with a busy timeout, so that a crash mid-write or two
// processes writing at once lose nothing and corrupt nothing; a damaged
// file is moved aside (and said so) and the database starts afresh.
//
// A kernel is keyed by its signature: a hash of its kind and of its source
// without comments, entry name or tunable defaults, so that results survive
// a new configuration being added to the kernel's list and apply to the
// same kernel in every layer and every artifact.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_RUNTIME_TUNE_TUNINGDB_H
#define SSMC_RUNTIME_TUNE_TUNINGDB_H

#include "Cuda/Driver.h"
#include "Exec/Plan.h"
#include "Support/Status.h"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ssmc::rt {

/// What a timing holds for. Measured timings match on every field; modeled
/// ones (driver and nvrtc 0) on the architecture and SM count only.
struct TuningDevice {
  std::string gpu;    ///< "NVIDIA H200", or the modeled GPU's description
  std::string arch;   ///< "sm_90"
  int64_t sms = 0;    ///< streaming multiprocessors
  int64_t driver = 0; ///< CUDA driver version (13000), 0 when modeled
  int64_t nvrtc = 0;  ///< NVRTC version (13000), 0 when modeled

  bool operator==(const TuningDevice &) const = default;
};

/// One configuration's time for one kernel.
struct TuningEntry {
  std::string signature;                 ///< kernelSignature()
  std::string kernel;                    ///< a readable name (the group's), for --show
  std::map<std::string, int64_t> config; ///< tunable -> value
  double defaultUs = 0;                  ///< the default configuration's time
  double timeUs = 0;                     ///< this configuration's time
  bool measured = false;                 ///< on the GPU, else by the performance model
};

/// The GPU present, as its measured timings are keyed: name, architecture,
/// SMs, driver and NVRTC versions.
TuningDevice measuredDevice(const DeviceInfo &info);

/// The kernel without what tuning changes: sha256 of its kind and of its
/// source with comments, the entry name and the tunables' #defines removed.
std::string kernelSignature(const PlanKernel &kernel);

/// "A=1,B=2" (tunables in name order), as the database stores a configuration.
std::string configText(const std::map<std::string, int64_t> &config);

class TuningDb {
public:
  /// Opens (creating) the database at `path`. A file that is not a tuning
  /// database, or a damaged one, is renamed to `path.damaged-<time>` and a
  /// new one made; `notice` (when given) then says so. An error only when
  /// nothing can be opened or made there.
  static Expected<TuningDb> open(const std::string &path, std::string *notice = nullptr);

  /// $SSMC_TUNING_DB, else $XDG_CACHE_HOME/ssmc/tuning.db, else
  /// ~/.cache/ssmc/tuning.db; empty when none can be named.
  static std::string defaultPath();

  /// Whether this build has SQLite (the runtime-only build may not).
  static bool available();

  TuningDb(TuningDb &&) noexcept;
  TuningDb &operator=(TuningDb &&) noexcept;
  ~TuningDb();

  const std::string &path() const { return path_; }

  /// Records the entries in one transaction (an entry for the same device,
  /// kernel, configuration and kind replaces the older one).
  Status record(const TuningDevice &device, const std::vector<TuningEntry> &entries);

  /// Every configuration recorded for `signature` on `device`, best first:
  /// measured on this GPU and software (fastest first), then modeled for
  /// its architecture and SM count.
  Expected<std::vector<TuningEntry>> ranked(const TuningDevice &device,
                                            const std::string &signature) const;

  /// Every entry, with its device, in a stable order.
  Expected<std::vector<std::pair<TuningDevice, TuningEntry>>> all() const;

private:
  struct Handle;
  TuningDb(std::string path, std::unique_ptr<Handle> handle);
  std::string path_;
  std::unique_ptr<Handle> handle_;
};

/// Writes every entry as JSON lines (one object per line, readable, for
/// moving results between machines); written whole or not at all.
Status exportTuning(const TuningDb &db, const std::string &file);

/// Records the entries of a file exportTuning wrote; the first bad line is
/// an error naming it and nothing is recorded. Returns the entries read.
Expected<size_t> importTuning(TuningDb &db, const std::string &file);

/// What applyTuning did.
struct TuningApplied {
  int measured = 0, modeled = 0, untuned = 0;
  std::vector<std::string> warnings; ///< entries ignored, and why
};

/// Makes each kernel's default configuration its best recorded one for
/// `device`; an entry whose configuration the kernel no longer has is
/// ignored with a warning, and a kernel without entries keeps its default.
Expected<TuningApplied> applyTuning(Plan &plan, const TuningDb &db, const TuningDevice &device);

/// applyTuning with the database at TuningDb::defaultPath(), when there is
/// one (none is created): what cannot be used is a warning (`warn`), never
/// an error, and the kernels keep their defaults. Returns the line to say,
/// "tuning database PATH: N of M kernels tuned (...)", or "" when no kernel
/// was.
std::string applyDefaultTuning(Plan &plan, const TuningDevice &device,
                               const std::function<void(const std::string &)> &warn);

} // namespace ssmc::rt

#endif // SSMC_RUNTIME_TUNE_TUNINGDB_H
