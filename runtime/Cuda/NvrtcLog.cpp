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
template <class Fn> void forEachLine(std::string_view text, Fn f) {
  while (!text.empty()) {
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    f(line);
    if (end == std::string_view::npos)
      break;
    text.remove_prefix(end + 1);
  }
}

/// A regex group of digits as a number (saturating: never throws).
int64_t number(const std::csub_match &digits) {
  int64_t v = 0;
  for (const char *p = digits.first; p != digits.second; ++p)
    v = v > (INT64_MAX - 9) / 10 ? INT64_MAX : v * 10 + (*p - '0');
  return v;
}

bool search(std::string_view line, const std::regex &re, std::cmatch &m) {
  return std::regex_search(line.data(), line.data() + line.size(), m, re);
}

const std::regex &entryRe() {
  static const std::regex re(R"(Compiling entry function '([^']+)')");
  return re;
}

} // namespace

KernelResources ssmc::rt::parsePtxasInfo(std::string_view log, std::string_view entry) {
  static const std::regex propsRe(R"(Function properties for (\S+))");
  static const std::regex spillRe(R"((\d+) bytes spill stores, (\d+) bytes spill loads)");
  static const std::regex usedRe(R"(Used (\d+) registers)");
  static const std::regex smemRe(R"((\d+) bytes smem)");

  KernelResources r;
  std::string current;
  forEachLine(log, [&](std::string_view line) {
    std::cmatch m;
    if (search(line, entryRe(), m) || search(line, propsRe, m)) {
      current = m[1].str();
      return;
    }
    if (current != entry)
      return;
    if (search(line, spillRe, m))
      r.spillBytes = std::min(number(m[1]), INT64_MAX - number(m[2])) + number(m[2]);
    if (search(line, usedRe, m)) {
      r.registers = int(std::min<int64_t>(number(m[1]), INT32_MAX));
      if (search(line, smemRe, m))
        r.smemBytes = number(m[1]);
    }
  });
  return r;
}

std::vector<std::string> ssmc::rt::ptxasEntryFunctions(std::string_view log) {
  std::vector<std::string> entries;
  forEachLine(log, [&](std::string_view line) {
    std::cmatch m;
    if (search(line, entryRe(), m))
      entries.push_back(m[1].str());
  });
  return entries;
}

bool ssmc::rt::logHasWarnings(std::string_view log) {
  // "k.cu(5): warning #1105-D: ...", "nvrtc: warning: ...",
  // "ptxas warning : ..."; not a kernel or file merely named "warning".
  static const std::regex warningRe(R"(\bwarning( #[0-9]+-D)?\s*:)");
  bool found = false;
  forEachLine(log, [&](std::string_view line) {
    std::cmatch m;
    found = found || search(line, warningRe, m);
  });
  return found;
}
