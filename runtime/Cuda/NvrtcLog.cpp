//===- Cuda/NvrtcLog.cpp - Reading NVRTC's and ptxas's log ----------------===//
//
// ptxas -v reports, per function (entry or non-inlined device function):
//
//   ptxas info    : Compiling entry function 'k' for 'sm_90'
//   ptxas info    : Function properties for k
//   ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes
//   spill loads ptxas info    : Used 8 registers, used 1 barriers, 256 bytes
//   smem
//
// The "Used" line omits smem when there is none. Lines apply to the function
// named last by "Compiling entry function" or "Function properties for".
//
//===----------------------------------------------------------------------===//

#include "Cuda/Nvrtc.h"

#include <algorithm>
#include <cstdint>
#include <regex>

using namespace ssmc::rt;

namespace {

/// Calls \p F on each line of \p Text, without the line break.
template <class Fn> void forEachLine(std::string_view Text, Fn F) {
  while (!Text.empty()) {
    size_t End = Text.find('\n');
    std::string_view Line = Text.substr(0, End);
    if (!Line.empty() && Line.back() == '\r')
      Line.remove_suffix(1);
    F(Line);
    if (End == std::string_view::npos)
      break;
    Text.remove_prefix(End + 1);
  }
}

/// A regex group of digits as a number (saturating: never throws).
int64_t number(const std::csub_match &Digits) {
  int64_t V = 0;
  for (const char *P = Digits.first; P != Digits.second; ++P)
    V = V > (INT64_MAX - 9) / 10 ? INT64_MAX : V * 10 + (*P - '0');
  return V;
}

bool search(std::string_view Line, const std::regex &Re, std::cmatch &M) {
  return std::regex_search(Line.data(), Line.data() + Line.size(), M, Re);
}

const std::regex &entryRe() {
  static const std::regex Re(R"(Compiling entry function '([^']+)')");
  return Re;
}

} // namespace

KernelResources ssmc::rt::parsePtxasInfo(std::string_view Log,
                                         std::string_view Entry) {
  static const std::regex PropsRe(R"(Function properties for (\S+))");
  static const std::regex SpillRe(
      R"((\d+) bytes spill stores, (\d+) bytes spill loads)");
  static const std::regex UsedRe(R"(Used (\d+) registers)");
  static const std::regex SmemRe(R"((\d+) bytes smem)");

  KernelResources R;
  std::string Current;
  forEachLine(Log, [&](std::string_view Line) {
    std::cmatch M;
    if (search(Line, entryRe(), M) || search(Line, PropsRe, M)) {
      Current = M[1].str();
      return;
    }
    if (Current != Entry)
      return;
    if (search(Line, SpillRe, M))
      R.spillBytes =
          std::min(number(M[1]), INT64_MAX - number(M[2])) + number(M[2]);
    if (search(Line, UsedRe, M)) {
      R.registers = int(std::min<int64_t>(number(M[1]), INT32_MAX));
      if (search(Line, SmemRe, M))
        R.smemBytes = number(M[1]);
    }
  });
  return R;
}

std::vector<std::string> ssmc::rt::ptxasEntryFunctions(std::string_view Log) {
  std::vector<std::string> Entries;
  forEachLine(Log, [&](std::string_view Line) {
    std::cmatch M;
    if (search(Line, entryRe(), M))
      Entries.push_back(M[1].str());
  });
  return Entries;
}

bool ssmc::rt::logHasWarnings(std::string_view Log) {
  // "k.cu(5): warning #1105-D: ...", "nvrtc: warning: ...",
  // "ptxas warning : ..."; not a kernel or file merely named "warning".
  static const std::regex WarningRe(R"(\bwarning( #[0-9]+-D)?\s*:)");
  bool Found = false;
  forEachLine(Log, [&](std::string_view Line) {
    std::cmatch M;
    Found = Found || search(Line, WarningRe, M);
  });
  return Found;
}
