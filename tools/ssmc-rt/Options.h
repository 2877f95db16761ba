//===- Options.h - ssmc-rt's command line ---------------------------------===//

#ifndef SSMC_TOOLS_SSMCRT_OPTIONS_H
#define SSMC_TOOLS_SSMCRT_OPTIONS_H

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ssmc::rtcli {

inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;

struct UsageError {
  std::string message;
};

struct Options {
  std::string command;
  std::string artifact;
  std::string weights, inputs, output, expected, cacheDir;
  bool graph = false, noCache = false, sync = false, quiet = false, allowArch = false,
       perKernel = false, random = false, noTuning = false;
  int device = 0;
  int iters = 100, warmup = 10; ///< tune: 10 and 3 unless given
  bool itersGiven = false, warmupGiven = false;
  int top = 4;              ///< tune: candidates per distinct kernel
  double budgetSeconds = 0; ///< tune: stop after this long (0: no limit)
  std::string db;           ///< tune: the tuning database (default: TuningDb::defaultPath())
  bool retune = false;      ///< tune: time kernels the database already has again
  std::optional<double> rtol, atol;
  std::map<std::string, int64_t> configs;
  std::vector<std::string> only; ///< check-kernels: these kernels only
  /// bench: the files to write (empty: none) and the performance report to
  /// read ("": ARTIFACT/perf-report.json when it is there).
  std::string json, markdown, svg, perfReport;
  bool noPerfReport = false;
};

inline constexpr const char *kKernelRefsHint =
    "compile it with `ssmc compile MODEL -o DIR --kernel-refs`";

/// The usage text (`ssmc-rt --help`).
const char *usageText();

/// argv to Options; throws UsageError naming the flag and the fix.
Options parseArgs(int argc, char **argv);

} // namespace ssmc::rtcli

#endif // SSMC_TOOLS_SSMCRT_OPTIONS_H
