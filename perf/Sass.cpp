//===- Sass.cpp - facts about a kernel's machine code ---------------------===//

#include "Sass.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#ifndef SSMC_NVDISASM_DEFAULT
#define SSMC_NVDISASM_DEFAULT ""
#endif

namespace fs = std::filesystem;

namespace ssmc::perf {
namespace {
bool executable(const std::string &path) {
  return !path.empty() && access(path.c_str(), X_OK) == 0 && !fs::is_directory(path);
}

struct Instruction {
  std::string opcode; // with modifiers: "LDG.E.U16"
  std::string base;   // "LDG"
  std::string target; // a branch's label
};

int accessBits(const std::string &opcode) {
  auto has = [&](const char *m) { return opcode.find(m) != std::string::npos; };
  if (has(".128"))
    return 128;
  if (has(".64"))
    return 64;
  if (has(".U16") || has(".S16"))
    return 16;
  if (has(".U8") || has(".S8"))
    return 8;
  return 32;
}
} // namespace

std::string findNvdisasm() {
  if (const char *env = std::getenv("SSMC_NVDISASM"); env && *env)
    return executable(env) ? env : "";
  if (const char *path = std::getenv("PATH")) {
    std::stringstream dirs(path);
    for (std::string dir; std::getline(dirs, dir, ':');)
      if (executable(dir + "/nvdisasm"))
        return dir + "/nvdisasm";
  }
  for (const std::string &candidate :
       {std::string("/usr/local/cuda/bin/nvdisasm"), std::string(SSMC_NVDISASM_DEFAULT)})
    if (executable(candidate))
      return candidate;
  return "";
}

SassFacts parseSass(const std::string &listing, const std::string &entry) {
  SassFacts facts;
  std::vector<Instruction> code;
  std::map<std::string, size_t> labels; // label -> index of the next instruction
  std::istringstream in(listing);
  bool inEntry = false;
  for (std::string line; std::getline(in, line);) {
    // A function's section starts with "//----- .text.<name> ---" or ".text.<name>:".
    if (line.rfind("//", 0) == 0 && line.find(".text.") != std::string::npos) {
      const size_t at = line.find(".text.") + 6;
      const std::string name = line.substr(at, line.find_first_of(" \t", at) - at);
      inEntry = name == entry;
      continue;
    }
    if (!inEntry)
      continue;
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos)
      continue;
    if (line[first] == '.' && line.back() == ':') {
      labels[line.substr(first, line.size() - 1 - first)] = code.size();
      continue;
    }
    const size_t close = line.find("*/");
    if (line.compare(first, 2, "/*") != 0 || close == std::string::npos)
      continue;
    std::istringstream words(line.substr(close + 2));
    std::string word;
    words >> word;
    if (!word.empty() && word[0] == '@') // a predicate
      words >> word;
    if (word.empty() || word == ";")
      continue;
    if (word.back() == ';')
      word.pop_back();
    Instruction ins{word, word.substr(0, word.find('.')), ""};
    if (ins.base == "BRA") {
      const size_t lo = line.find("(.L"), hi = line.find(')', lo);
      if (lo != std::string::npos && hi != std::string::npos)
        ins.target = line.substr(lo + 1, hi - lo - 1);
    }
    code.push_back(ins);
  }
  // Trailing NOPs and the final self-branch are padding, not code.
  while (!code.empty() && code.back().base == "NOP")
    code.pop_back();
  facts.instructions = int(code.size());
  for (const Instruction &ins : code) {
    ++facts.opcodes[ins.base];
    if (ins.base == "LDG" || ins.base == "STG" || ins.base == "LDS" || ins.base == "STS")
      ++facts.accessWidths[fmt::format("{}.{}", ins.base, accessBits(ins.opcode))];
    if (ins.opcode.rfind("I2F", 0) == 0 && ins.opcode.find(".RP") != std::string::npos)
      ++facts.runtimeDivisions;
    if (ins.opcode.rfind("IMAD.HI", 0) == 0)
      ++facts.mulHigh;
  }
  // Loops: a branch back to a label at or before it; innermost when no
  // other loop lies inside.
  std::vector<std::pair<size_t, size_t>> loops;
  for (size_t i = 0; i < code.size(); ++i)
    if (auto it = labels.find(code[i].target); !code[i].target.empty() && it != labels.end() &&
                                               it->second < i)
      loops.emplace_back(it->second, i);
  for (auto [from, to] : loops) {
    const bool containsAnother = std::any_of(loops.begin(), loops.end(), [&](auto other) {
      return other != std::make_pair(from, to) && other.first >= from && other.second <= to;
    });
    if (containsAnother)
      continue;
    SassLoop loop;
    loop.instructions = int(to - from + 1);
    for (size_t i = from; i <= to; ++i)
      ++loop.opcodes[code[i].base];
    facts.innermostLoops.push_back(std::move(loop));
  }
  std::sort(facts.innermostLoops.begin(), facts.innermostLoops.end(),
            [](const SassLoop &a, const SassLoop &b) { return a.instructions > b.instructions; });
  return facts;
}

rt::Expected<SassFacts> disassemble(const std::vector<char> &cubin, const std::string &entry) {
  const std::string tool = findNvdisasm();
  if (tool.empty())
    return rt::Status::error("nvdisasm not found (scripts/setup.sh installs it from PyPI; or set "
                             "SSMC_NVDISASM)");
  char path[] = "/tmp/ssmc-sass-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0)
    return rt::Status::error("cannot create a temporary file for nvdisasm");
  const bool written = write(fd, cubin.data(), cubin.size()) == ssize_t(cubin.size());
  close(fd);
  std::string listing;
  int status = -1;
  if (written) {
    if (FILE *p = popen(fmt::format("'{}' -c '{}' 2>&1", tool, path).c_str(), "r")) {
      char buf[65536];
      for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;)
        listing.append(buf, n);
      status = pclose(p);
    }
  }
  unlink(path);
  if (status != 0)
    return rt::Status::error(fmt::format("nvdisasm failed on kernel {}: {}", entry,
                                         listing.substr(0, 500)));
  SassFacts facts = parseSass(listing, entry);
  if (facts.instructions == 0)
    return rt::Status::error(fmt::format("nvdisasm's listing has no function '{}'", entry));
  return facts;
}

} // namespace ssmc::perf
