//===- Driver.cpp - a seeded mutation driver for the fuzz targets ---------===//
//
// Each fuzz target is a libFuzzer entry point (LLVMFuzzerTestOneInput).
// Built with clang and SSMC_FUZZ_ENGINE=libfuzzer it links libFuzzer;
// otherwise (g++, the CI build) this driver runs it, with libFuzzer's
// command line for what ctest uses:
//
//   ssmc-fuzz-TARGET [-runs=N] [-max_total_time=S] [-seed=N] [-max_len=N]
//                    CORPUS_DIR_OR_FILE...
//
// Every corpus file runs once as is (a file alone: a regression input);
// then random corpus entries are mutated (bit flips, byte changes and
// insertions, erased or repeated ranges, "interesting" numbers, splices of
// two entries) and run until -runs or -max_total_time is reached. A signal
// (a crash, or a sanitizer's abort) first writes the input to
// ./crash-<target>, so that it can be replayed and kept as a regression.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cctype>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<uint8_t>;

// The input being run, for the signal handler (written with write(2) only).
const uint8_t *currentData = nullptr;
size_t currentSize = 0;
char crashPath[512] = "crash-input";

extern "C" void onCrash(int sig) {
  const int fd = ::open(crashPath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    if (currentData && currentSize)
      (void)!::write(fd, currentData, currentSize);
    ::close(fd);
  }
  const char msg[] = "fuzz: crashed; the input is in ";
  (void)!::write(2, msg, sizeof msg - 1);
  (void)!::write(2, crashPath, std::strlen(crashPath));
  (void)!::write(2, "\n", 1);
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

void run(const Bytes &input) {
  currentData = input.data();
  currentSize = input.size();
  LLVMFuzzerTestOneInput(input.data(), input.size());
}

Bytes readFile(const fs::path &p) {
  std::ifstream in(p, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

/// One to eight random edits of `b` (another corpus entry for splices).
void mutate(Bytes &b, const Bytes &other, std::mt19937_64 &rng, size_t maxLen) {
  auto pick = [&](size_t n) { return n ? size_t(rng() % n) : 0; };
  static const char *const numbers[] = {"0",
                                        "-1",
                                        "1e308",
                                        "4294967296",
                                        "9223372036854775807",
                                        "18446744073709551616",
                                        "-9223372036854775808",
                                        "NaN",
                                        "1e999",
                                        "99999999999999999999999"};
  for (int edits = 1 + int(rng() % 8); edits > 0; --edits) {
    switch (rng() % 8) {
    case 0: // flip a bit
      if (!b.empty())
        b[pick(b.size())] ^= uint8_t(1u << (rng() % 8));
      break;
    case 1: // set a byte
      if (!b.empty())
        b[pick(b.size())] = uint8_t(rng());
      break;
    case 2: // insert bytes
      b.insert(b.begin() + std::ptrdiff_t(pick(b.size() + 1)), 1 + pick(4), uint8_t(rng()));
      break;
    case 3: { // erase a range
      if (b.empty())
        break;
      const size_t at = pick(b.size()), n = 1 + pick(std::min<size_t>(16, b.size() - at));
      b.erase(b.begin() + std::ptrdiff_t(at),
              b.begin() + std::ptrdiff_t(std::min(b.size(), at + n)));
      break;
    }
    case 4: { // repeat a range
      if (b.empty())
        break;
      const size_t at = pick(b.size()), n = 1 + pick(std::min<size_t>(64, b.size() - at));
      Bytes piece(b.begin() + std::ptrdiff_t(at), b.begin() + std::ptrdiff_t(at + n));
      b.insert(b.begin() + std::ptrdiff_t(pick(b.size() + 1)), piece.begin(), piece.end());
      break;
    }
    case 5: { // an interesting number in place of a digit run
      const char *n = numbers[pick(std::size(numbers))];
      size_t at = pick(b.size() + 1), end = at;
      while (end < b.size() && (std::isdigit(b[end]) || b[end] == '-' || b[end] == '.'))
        ++end;
      b.erase(b.begin() + std::ptrdiff_t(at), b.begin() + std::ptrdiff_t(end));
      b.insert(b.begin() + std::ptrdiff_t(at), n, n + std::strlen(n));
      break;
    }
    case 6: // an interesting binary integer
      if (b.size() >= 8) {
        const uint64_t values[] = {
            0, ~uint64_t(0), uint64_t(1) << 63, uint64_t(1) << 31, 0xffffffffu, uint64_t(b.size())};
        const uint64_t v = values[pick(std::size(values))];
        std::memcpy(&b[pick(b.size() - 7)], &v, 8);
      }
      break;
    default: // splice with another entry
      if (!other.empty()) {
        const size_t at = pick(b.size() + 1), from = pick(other.size());
        b.resize(at);
        b.insert(b.end(), other.begin() + std::ptrdiff_t(from), other.end());
      }
      break;
    }
  }
  if (b.size() > maxLen)
    b.resize(maxLen);
}

long long flagValue(const std::string &arg, const char *name, long long fallback) {
  const std::string prefix = std::string("-") + name + "=";
  return arg.rfind(prefix, 0) == 0 ? std::atoll(arg.c_str() + prefix.size()) : fallback;
}

} // namespace

int main(int argc, char **argv) {
  long long runs = -1, seconds = 0, seed = 1, maxLen = 1 << 20;
  std::vector<fs::path> paths;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("-", 0) == 0) {
      runs = flagValue(a, "runs", runs);
      seconds = flagValue(a, "max_total_time", seconds);
      seed = flagValue(a, "seed", seed);
      maxLen = flagValue(a, "max_len", maxLen);
    } else {
      paths.emplace_back(a);
    }
  }
  const std::string target = fs::path(argv[0]).filename().string();
  std::snprintf(crashPath, sizeof crashPath, "crash-%s", target.c_str());
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL})
    std::signal(sig, onCrash);

  std::vector<Bytes> corpus;
  bool onlyFiles = !paths.empty();
  for (const fs::path &p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      onlyFiles = false;
      std::vector<fs::path> files;
      for (const auto &e : fs::directory_iterator(p, ec))
        if (e.is_regular_file())
          files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const fs::path &f : files)
        corpus.push_back(readFile(f));
    } else if (fs::is_regular_file(p, ec)) {
      corpus.push_back(readFile(p));
    } else {
      std::fprintf(stderr, "fuzz: %s: no such file or directory\n", p.c_str());
      return 2;
    }
  }
  if (corpus.empty())
    corpus.push_back({});
  const auto start = std::chrono::steady_clock::now();
  long long done = 0;
  for (const Bytes &b : corpus) {
    run(b);
    ++done;
  }
  if (onlyFiles && runs < 0 && seconds == 0) {
    std::fprintf(stderr, "fuzz: %s: %lld input(s) replayed, no crash\n", target.c_str(), done);
    return 0;
  }
  if (runs < 0 && seconds == 0)
    runs = 100000;
  std::mt19937_64 rng{static_cast<uint64_t>(seed)};
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  Bytes input;
  while ((runs < 0 || done < runs) && (seconds == 0 || elapsed() < double(seconds))) {
    input = corpus[rng() % corpus.size()];
    mutate(input, corpus[rng() % corpus.size()], rng, size_t(maxLen));
    run(input);
    ++done;
  }
  std::fprintf(stderr, "fuzz: %s: %lld inputs (%zu seeds, seed %lld) in %.1f s, no crash\n",
               target.c_str(), done, corpus.size(), seed, elapsed());
  return 0;
}
