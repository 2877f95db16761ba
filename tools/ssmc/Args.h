//===- Args.h - command-line parsing for `ssmc` ---------------------------===//

#ifndef SSMC_TOOLS_ARGS_H
#define SSMC_TOOLS_ARGS_H

#include "Support/Status.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ssmc::cli {

/// Everything `compile` and `run` take; each command rejects what it does not use.
struct Options {
  std::string command;
  std::string model;
  std::vector<std::pair<std::string, std::string>> sets;
  std::string dtype = "f32";
  std::optional<int64_t> batch;
  /// --input-shape; an unnamed shape has the name "".
  std::vector<std::pair<std::string, std::vector<int64_t>>> inputShapes;
  std::string outputDir;                                                 // compile -o
  std::string dumpIrDir;
  bool printIrAfterAll = false;
  bool printOpGeneric = false;
  std::string arch;
  std::string f32Gemm = "tf32"; // compile: f32 GEMMs on TF32 tensor cores or exact "ffma"
  std::string summary; // "", "text" or "json"
  std::string perfReport; // compile: "", "text" or "json"
  std::string gpu;        // compile --perf-report: the modeled GPU (default h100)
  int64_t sms = 0;        // the target's SMs (--sms, --gpu); 0: the GPU present's or arch's
  std::string db;         // tune: the tuning database (default TuningDb::defaultPath())
  bool show = false;      // tune --show
  std::string exportFile, importFile; // tune --export / --import
  bool modelOnly = false;             // tune: the performance model's times, no GPU
  bool fullTrace = false;             // tune --model-only: --perf-report's sampling
  bool traceAll = false;              // tune --model-only: every kernel, not the screened
  int64_t top = 4;                    // tune: candidate configurations per distinct kernel
  double budgetSeconds = 0;           // tune: stop after this long (0: no limit)
  bool retune = false;                // tune: time kernels the database already has again
  std::string roofline;   // compile --perf-report: write the SVG chart here
  // bench: timing, the files to write, whether to model it beside
  bool perKernel = false;
  int64_t iters = 100, warmup = 10;
  std::string benchJson, benchMarkdown, benchSvg;
  bool noPerfReport = false;
  std::string weights, inputs, output, image;
  std::optional<int64_t> imageSize; // run --image-size: the crop's side (default: the model's)
  std::string saveInputs;           // run --save-inputs: the inputs as bound, reusable with --inputs
  std::string device = "cpu";
  uint64_t seed = 0;
  bool saveActivations = false;
  bool kernelRefs = false; // compile: reference data per kernel into DIR/refs
  bool quiet = false;
  bool allowUnusedWeights = false; // run: tensors of --weights the model does not use
  bool help = false;               // --help, -h, `ssmc help`: print usage, exit 0
  std::string stopAfter;
  std::optional<double> tolerance; // check: max relative difference allowed
  std::vector<std::string> plugins; // --plugin LIB.so, repeatable (and $SSMC_PLUGINS)
  std::vector<std::string> given; // flags the user gave, for "not used by" checks
};

/// Parses argv after the program name. Errors name the flag and the fix.
rt::Expected<Options> parseArgs(int argc, char **argv);

/// The usage of `command` ("" or "help": every command).
std::string usage(const std::string &command = "");

} // namespace ssmc::cli

#endif // SSMC_TOOLS_ARGS_H
