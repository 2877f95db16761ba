//===- Sass.h - facts about a kernel's machine code -------------*- C++ -*-===//
//
// Disassembles an NVRTC cubin with nvdisasm (not part of the CUDA toolkit on
// these machines: scripts/setup.sh installs PyPI's nvidia-cuda-nvdisasm into
// .tools/) and reads from the listing what says how fast the code can be:
// an instruction histogram by opcode base name, the width of global and
// shared loads and stores, integer-division sequences, and the innermost
// loops (a backward branch and its target) with their instructions per
// iteration. Static counts: an instruction once per place it appears.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_PERF_SASS_H
#define SSMC_PERF_SASS_H

#include "Support/Status.h"

#include <map>
#include <string>
#include <vector>

namespace ssmc::perf {

struct SassLoop {
  int instructions = 0;               ///< per iteration
  std::map<std::string, int> opcodes; ///< by base name
};

struct SassFacts {
  std::map<std::string, int> opcodes; ///< by base name: "LDG", "HMMA", "MUFU", ...
  /// Loads and stores by width in bits: "LDG.16", "LDG.128", "STS.32", ...
  std::map<std::string, int> accessWidths;
  int runtimeDivisions = 0; ///< integer divisions by a run-time value (I2F.RP sequences)
  int mulHigh = 0;          ///< IMAD.HI: mostly division or remainder by a constant
  std::vector<SassLoop> innermostLoops; ///< largest first
  int instructions = 0;
};

/// The nvdisasm to use: $SSMC_NVDISASM, nvdisasm on PATH, the CUDA
/// toolkit's, the one scripts/setup.sh installs; empty if none.
std::string findNvdisasm();

/// Reads an nvdisasm listing (`nvdisasm -c`) of the function `entry`.
SassFacts parseSass(const std::string &listing, const std::string &entry);

/// Disassembles `cubin` and parses the function `entry`.
rt::Expected<SassFacts> disassemble(const std::vector<char> &cubin, const std::string &entry);

} // namespace ssmc::perf

#endif // SSMC_PERF_SASS_H
