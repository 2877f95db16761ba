//===- ResultCache.cpp - traces and SASS facts kept on disk ---------------===//

#include "ResultCache.h"

#include "Cuda/KernelCache.h"
#include "Cuda/Sha256.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#ifndef SSMC_PERF_SOURCE_DIGEST
#define SSMC_PERF_SOURCE_DIGEST "unknown"
#endif

namespace fs = std::filesystem;
using nlohmann::json;

namespace ssmc::perf {
namespace {

// Bump when the files' format changes.
constexpr const char *kFormat = "ssmc-result-v1";

std::string directory() {
  std::string root = rt::KernelCache::defaultDirectory();
  if (root.empty())
    root = (fs::temp_directory_path() / "ssmc-kernels").string();
  return (fs::path(root) / "results").string();
}

json statsJson(const RequestStats &s) {
  return json::array({s.requests, s.sectors, s.lines, s.bytesRequested, s.bytesUsed, s.wavefronts,
                      s.idealWavefronts, s.byWidth});
}

RequestStats statsFrom(const json &j) {
  RequestStats s;
  s.requests = j.at(0).get<double>();
  s.sectors = j.at(1).get<double>();
  s.lines = j.at(2).get<double>();
  s.bytesRequested = j.at(3).get<double>();
  s.bytesUsed = j.at(4).get<double>();
  s.wavefronts = j.at(5).get<double>();
  s.idealWavefronts = j.at(6).get<double>();
  s.byWidth = j.at(7).get<std::array<double, 5>>();
  return s;
}

std::optional<json> load(const std::string &kind, const std::string &key) {
  if (!resultCacheEnabled())
    return std::nullopt;
  std::ifstream in(fs::path(directory()) / (key + "." + kind + ".json"));
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kFormat ||
      j.value("key", "") != key)
    return std::nullopt;
  return j;
}

void store(const std::string &kind, const std::string &key, json j) {
  if (!resultCacheEnabled())
    return;
  static std::atomic<unsigned> serial{0};
  j["format"] = kFormat;
  j["key"] = key;
  const fs::path dir = directory();
  std::error_code ec;
  fs::create_directories(dir, ec);
  const fs::path path = dir / (key + "." + kind + ".json");
  const fs::path tmp = dir / fmt::format("{}.{}.{}.tmp", key, getpid(), serial++);
  {
    std::ofstream out(tmp);
    out << j.dump();
    if (!out.flush()) {
      fs::remove(tmp, ec);
      return; // a cache that cannot be written costs only the speed-up
    }
  }
  fs::rename(tmp, path, ec);
  if (ec)
    fs::remove(tmp, ec);
}

} // namespace

bool resultCacheEnabled() {
  static const bool enabled = [] {
    const char *env = std::getenv("SSMC_RESULT_CACHE");
    if (env && std::string(env) == "0")
      return false;
    std::error_code ec;
    fs::create_directories(directory(), ec);
    return !ec && fs::is_directory(directory(), ec);
  }();
  return enabled;
}

std::string resultKey(const std::vector<std::string> &fields) {
  rt::Sha256 h;
  h.updateField(kFormat);
  h.updateField(SSMC_PERF_SOURCE_DIGEST);
  for (const std::string &f : fields)
    h.updateField(f);
  return h.hexDigest();
}

std::optional<KernelTraffic> loadTraffic(const std::string &key) {
  auto j = load("traffic", key);
  if (!j)
    return std::nullopt;
  try {
    KernelTraffic t;
    const json &s = j->at("stats");
    t.globalLoad = statsFrom(s.at(0));
    t.globalStore = statsFrom(s.at(1));
    t.sharedLoad = statsFrom(s.at(2));
    t.sharedStore = statsFrom(s.at(3));
    for (const json &o : j->at("by_operand"))
      t.byOperand.push_back(statsFrom(o));
    t.mmaFlops = j->at("mma_flops").get<double>();
    t.dramReadBytes = j->at("dram_read_bytes").get<double>();
    t.dramWriteBytes = j->at("dram_write_bytes").get<double>();
    t.distinctBytes = j->at("distinct_bytes").get<double>();
    t.blocks = j->at("blocks").get<uint64_t>();
    t.waveBlocks = j->at("wave_blocks").get<uint64_t>();
    t.blocksRun = j->at("blocks_run").get<uint64_t>();
    t.blocksMeasured = j->at("blocks_measured").get<uint64_t>();
    t.recordsRun = j->at("records_run").get<uint64_t>();
    t.sampled = j->at("sampled").get<bool>();
    t.warmupTruncated = j->at("warmup_truncated").get<bool>();
    t.fitsInL2 = j->at("fits_in_l2").get<bool>();
    t.sites = j->at("sites").get<size_t>();
    t.seconds = j->at("seconds").get<double>();
    t.fromCache = true;
    return t;
  } catch (const json::exception &) {
    return std::nullopt; // a file of another shape: traced again, and replaced
  }
}

void storeTraffic(const std::string &key, const KernelTraffic &t) {
  json j;
  j["stats"] = json::array({statsJson(t.globalLoad), statsJson(t.globalStore),
                            statsJson(t.sharedLoad), statsJson(t.sharedStore)});
  j["by_operand"] = json::array();
  for (const RequestStats &s : t.byOperand)
    j["by_operand"].push_back(statsJson(s));
  j["mma_flops"] = t.mmaFlops;
  j["dram_read_bytes"] = t.dramReadBytes;
  j["dram_write_bytes"] = t.dramWriteBytes;
  j["distinct_bytes"] = t.distinctBytes;
  j["blocks"] = t.blocks;
  j["wave_blocks"] = t.waveBlocks;
  j["blocks_run"] = t.blocksRun;
  j["blocks_measured"] = t.blocksMeasured;
  j["records_run"] = t.recordsRun;
  j["sampled"] = t.sampled;
  j["warmup_truncated"] = t.warmupTruncated;
  j["fits_in_l2"] = t.fitsInL2;
  j["sites"] = t.sites;
  j["seconds"] = t.seconds;
  store("traffic", key, std::move(j));
}

std::optional<SassFacts> loadSass(const std::string &key) {
  auto j = load("sass", key);
  if (!j)
    return std::nullopt;
  try {
    SassFacts f;
    f.opcodes = j->at("opcodes").get<std::map<std::string, int>>();
    f.accessWidths = j->at("access_widths").get<std::map<std::string, int>>();
    f.runtimeDivisions = j->at("runtime_divisions").get<int>();
    f.mulHigh = j->at("imad_hi").get<int>();
    f.instructions = j->at("instructions").get<int>();
    for (const json &l : j->at("innermost_loops"))
      f.innermostLoops.push_back(
          {l.at("instructions").get<int>(), l.at("opcodes").get<std::map<std::string, int>>()});
    return f;
  } catch (const json::exception &) {
    return std::nullopt;
  }
}

void storeSass(const std::string &key, const SassFacts &f) {
  json j;
  j["opcodes"] = f.opcodes;
  j["access_widths"] = f.accessWidths;
  j["runtime_divisions"] = f.runtimeDivisions;
  j["imad_hi"] = f.mulHigh;
  j["instructions"] = f.instructions;
  j["innermost_loops"] = json::array();
  for (const SassLoop &l : f.innermostLoops)
    j["innermost_loops"].push_back({{"instructions", l.instructions}, {"opcodes", l.opcodes}});
  store("sass", key, std::move(j));
}

} // namespace ssmc::perf
