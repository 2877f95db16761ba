//===- FuzzUtil.h - what the fuzz targets share -----------------*- C++ -*-===//

#ifndef SSMC_TESTS_FUZZ_FUZZUTIL_H
#define SSMC_TESTS_FUZZ_FUZZUTIL_H

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

namespace ssmc::fuzz {

/// A private directory for the process's files, made once.
inline const std::filesystem::path &scratchDir() {
  static const std::filesystem::path dir = [] {
    std::string pattern = (std::filesystem::temp_directory_path() / "ssmc-fuzz-XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
      std::abort();
    return std::filesystem::path(pattern);
  }();
  return dir;
}

/// Writes the input to `name` in the scratch directory; returns the path.
inline std::string writeInput(const uint8_t *data, size_t size, const std::string &name) {
  const std::filesystem::path p = scratchDir() / name;
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char *>(data), std::streamsize(size));
  return p.string();
}

} // namespace ssmc::fuzz

#endif // SSMC_TESTS_FUZZ_FUZZUTIL_H
