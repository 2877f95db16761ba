//===- Report.cpp - the performance report of a compiled model ------------===//

#include "Report.h"
#include "PlanTrace.h"
#include "ResultCache.h"

#include "Cuda/Sha256.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

namespace ssmc::perf {
namespace {

/// Kernels whose traces are identical: the same code and configuration,
/// parameters of the same sizes aliasing each other the same way.
std::string traceKey(const rt::PlanKernel &k, const KernelInput &in) {
  std::string key = in.codeKey.empty() ? k.entry + k.source : in.codeKey;
  key += fmt::format("|config {}", k.defaultConfig);
  std::vector<std::string> places;
  for (const rt::PlanParam &p : k.params) {
    std::string place = p.value.kind == rt::ValueRef::Kind::ModelInput
                            ? "input:" + p.value.modelInput
                        : p.value.kind == rt::ValueRef::Kind::Arena
                            ? fmt::format("arena:{}", p.value.arenaOffset)
                            : "other:" + p.name + p.weight;
    size_t alias = std::find(places.begin(), places.end(), place) - places.begin();
    places.push_back(place);
    key += fmt::format("|{}:{}:{}:{}", int(p.kind), p.bytes, alias,
                       p.value.kind == rt::ValueRef::Kind::Arena ? p.value.arenaOffset % 4096 : 0);
  }
  return key;
}

LaunchShape launchShape(const rt::PlanKernel &k, const KernelInput &in) {
  const rt::PlanConfig &c = k.configs[size_t(k.defaultConfig)];
  LaunchShape s;
  s.blocks = uint64_t(c.grid[0] * c.grid[1] * c.grid[2]);
  s.threads = int(c.block[0] * c.block[1] * c.block[2]);
  s.registers = in.registers;
  s.smemBytes = in.staticSmem + c.smemBytes;
  return s;
}

std::string human(double v, const char *unit, int digits = 3) {
  const char *prefixes[] = {"", "K", "M", "G", "T", "P"};
  int i = 0;
  while (std::fabs(v) >= 1000 && i < 5) {
    v /= 1000;
    ++i;
  }
  return fmt::format("{:.{}g} {}{}", v, digits, prefixes[i], unit);
}

/// "12.3 us", "4.56 ms", "1.23 s".
std::string duration(double seconds) {
  if (seconds < 1e-3)
    return fmt::format("{:.3g} us", seconds * 1e6);
  if (seconds < 1)
    return fmt::format("{:.3g} ms", seconds * 1e3);
  return fmt::format("{:.3g} s", seconds);
}

double dramBytes(const KernelTraffic &t) { return t.dramReadBytes + t.dramWriteBytes; }

nlohmann::ordered_json statsJson(const RequestStats &s) {
  nlohmann::ordered_json j;
  j["requests"] = s.requests;
  j["bytes_requested"] = s.bytesRequested;
  j["bytes_used"] = s.bytesUsed;
  if (s.sectors > 0) {
    j["sectors"] = s.sectors;
    j["sectors_per_request"] = s.requests > 0 ? s.sectors / s.requests : 0;
    j["lines"] = s.lines;
  }
  if (s.wavefronts > 0) {
    j["wavefronts"] = s.wavefronts;
    j["ideal_wavefronts"] = s.idealWavefronts;
  }
  nlohmann::ordered_json widths;
  const char *names[] = {"1", "2", "4", "8", "16"};
  for (size_t i = 0; i < s.byWidth.size(); ++i)
    if (s.byWidth[i] > 0)
      widths[names[i]] = s.byWidth[i];
  j["requests_by_width_bytes"] = widths;
  return j;
}

/// The global requests by operand: its name, requests, coalescing (the
/// operands a kernel never touches left out).
nlohmann::ordered_json operandsJson(const KernelReport &r, const KernelTraffic &t) {
  nlohmann::ordered_json out = nlohmann::ordered_json::array();
  for (size_t i = 0; i < t.byOperand.size() && i < r.operands.size(); ++i) {
    const RequestStats &s = t.byOperand[i];
    if (s.requests <= 0)
      continue;
    out.push_back({{"operand", r.operands[i].name},
                   {"kind", r.operands[i].kind},
                   {"shape", r.operands[i].shape},
                   {"requests", s.requests},
                   {"bytes_used", s.bytesUsed},
                   {"sectors", s.sectors},
                   {"coalescing", s.sectors > 0 ? s.bytesUsed / (32.0 * s.sectors) : 1.0}});
  }
  return out;
}

/// Shared-memory wavefronts per request over the conflict-free count.
double bankConflictFactor(const KernelTraffic &t) {
  const double ideal = t.sharedLoad.idealWavefronts + t.sharedStore.idealWavefronts;
  return ideal > 0 ? (t.sharedLoad.wavefronts + t.sharedStore.wavefronts) / ideal : 1.0;
}

/// "LDG.16 x12 LDS.128 x4 HMMA x8 ..." for the table.
std::string sassSummary(const SassFacts &f) {
  std::vector<std::string> parts;
  for (const auto &[w, n] : f.accessWidths)
    if (w.rfind("LDG", 0) == 0 || w.rfind("STG", 0) == 0)
      parts.push_back(fmt::format("{}x{}", w, n));
  for (const char *op : {"LDGSTS", "LDSM", "HMMA", "HGMMA", "MUFU"})
    if (auto it = f.opcodes.find(op); it != f.opcodes.end())
      parts.push_back(fmt::format("{}x{}", op, it->second));
  if (!f.innermostLoops.empty())
    parts.push_back(fmt::format("loop {} instr", f.innermostLoops.front().instructions));
  std::string s;
  for (const std::string &p : parts)
    s += (s.empty() ? "" : " ") + p;
  return s;
}
} // namespace

rt::Expected<Report> buildReport(const rt::Plan &plan, const std::vector<KernelInput> &inputs,
                                 const ReportOptions &options) {
  if (!options.gpu)
    return rt::Status::error("no GPU target given");
  if (inputs.size() != plan.kernels.size())
    return rt::Status::error("one KernelInput per plan kernel is needed");
  const GpuTarget &gpu = *options.gpu;
  const auto start = std::chrono::steady_clock::now();
  Report report;
  report.model = options.model.empty() ? plan.model : options.model;
  report.gpu = std::string(gpu.name);
  report.dtype = options.dtype;
  report.batch = options.batch;

  std::string noTrace;
  if (options.trace)
    noTrace = hostBuildUnavailable();
  else
    noTrace = "not asked for";
  if (!noTrace.empty())
    report.notes.push_back("counted traffic and modeled times: " + noTrace);
  std::string noSass = options.sass ? (findNvdisasm().empty() ? "nvdisasm not found "
                                                                "(scripts/setup.sh installs it; "
                                                                "or set SSMC_NVDISASM)"
                                                              : "")
                                    : "not asked for";
  if (!noSass.empty())
    report.notes.push_back("SASS facts: " + noSass);

  std::unique_ptr<PlanMemory> memory;
  if (noTrace.empty()) {
    auto m = PlanMemory::allocate(plan);
    if (!m)
      return m.status();
    memory = std::move(*m);
  }
  // Where each kernel's SASS comes from: the first kernel of its code (the
  // candidate of a tuning run is its code and configuration) and its cubin,
  // or an earlier kernel's. Keyed by the cubin, so a cached listing is found
  // whatever plan it came from.
  struct SassSource {
    const std::vector<char> *cubin = nullptr;
    std::string entry, key;
  };
  std::vector<SassSource> sassSources(plan.kernels.size());
  std::vector<size_t> sassFrom(plan.kernels.size(), SIZE_MAX); // the kernel whose source it is
  if (noSass.empty()) {
    std::map<std::string, size_t> firstOfCode;
    for (size_t i = 0; i < plan.kernels.size(); ++i) {
      const KernelInput &in = inputs[i];
      const std::string &code = in.codeKey.empty() ? plan.kernels[i].source : in.codeKey;
      if (auto it = firstOfCode.find(code); it != firstOfCode.end()) {
        sassFrom[i] = it->second;
        continue;
      }
      const std::vector<char> *cubin = &in.cubin;
      if (cubin->empty() && in.sameCodeAs >= 0)
        cubin = &inputs[size_t(in.sameCodeAs)].cubin;
      if (cubin->empty())
        continue;
      firstOfCode[code] = sassFrom[i] = i;
      SassSource &src = sassSources[i];
      src.cubin = cubin;
      src.entry =
          in.sameCodeAs >= 0 ? plan.kernels[size_t(in.sameCodeAs)].entry : plan.kernels[i].entry;
      src.key = resultKey(
          {"sass", rt::Sha256::hex(std::string_view(cubin->data(), cubin->size())), src.entry});
    }
  }

  // Before any trace, on every core: the host builds the traces load (the
  // disk cache keeps them), and nvdisasm for each cubin whose facts the
  // result cache lacks. Both start processes, so one pool overlaps them.
  std::map<std::string, SassFacts> sassOfKey;
  {
    std::vector<std::function<rt::Status()>> jobs;
    std::mutex resultMutex;
    if (noTrace.empty()) {
      std::map<std::string, bool> queued;
      for (const rt::PlanKernel &k : plan.kernels) {
        std::string src = hostKernelSource(k.source, k.entry, paramTypes(k), HostMode::Trace);
        const std::vector<std::string> defines = hostTraceDefines(k, k.defaultConfig);
        if (!queued.emplace(src + fmt::format("{}", fmt::join(defines, " ")), true).second)
          continue;
        jobs.push_back([src = std::move(src), defines]() -> rt::Status {
          auto lib = HostKernel::build(src, defines, HostMode::Trace);
          return lib ? rt::Status::success() : lib.status();
        });
      }
    }
    for (const SassSource &src : sassSources) {
      if (!src.cubin || sassOfKey.count(src.key))
        continue;
      if (auto cached = loadSass(src.key)) {
        sassOfKey[src.key] = std::move(*cached);
        continue;
      }
      sassOfKey[src.key] = SassFacts{}; // filled by its job
      jobs.push_back([&, src]() -> rt::Status {
        auto facts = disassemble(*src.cubin, src.entry);
        if (!facts)
          return facts.status();
        storeSass(src.key, *facts);
        std::lock_guard<std::mutex> lock(resultMutex);
        sassOfKey[src.key] = std::move(*facts);
        return rt::Status::success();
      });
    }
    std::atomic<size_t> next{0};
    std::optional<rt::Status> failed;
    auto worker = [&] {
      for (size_t i; (i = next++) < jobs.size();)
        if (rt::Status s = jobs[i](); !s.ok()) {
          std::lock_guard<std::mutex> lock(resultMutex);
          if (!failed)
            failed = s;
        }
    };
    std::vector<std::thread> pool;
    const size_t workers =
        std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), jobs.size());
    for (size_t t = 0; t < workers; ++t)
      pool.emplace_back(worker);
    for (std::thread &t : pool)
      t.join();
    if (failed)
      return *failed;
  }
  // 1. Per kernel: the bound, the launch, the SASS facts, and which trace
  // gives its traffic (one per distinct trace key).
  struct TraceJob {
    size_t kernel;
    SampleOptions sampling;
    std::string cacheKey;
    std::optional<rt::Expected<KernelTraffic>> traffic;
  };
  std::vector<TraceJob> jobs;
  std::vector<size_t> jobOf(plan.kernels.size(), SIZE_MAX);
  std::map<std::string, size_t> tracedAs; // trace key -> job
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    const rt::PlanKernel &k = plan.kernels[i];
    const KernelInput &in = inputs[i];
    KernelReport r;
    r.name = k.name;
    r.kind = k.kind;
    r.cost = in.cost;
    r.bound = speedOfLight(gpu, in.cost, options.math);
    r.launch = launchShape(k, in);
    for (const rt::PlanParam &p : k.params)
      r.operands.push_back({p.kind == rt::PlanParam::Kind::Weight ? p.weight : p.name,
                            std::string(rt::paramKindName(p.kind)), p.shape});
    report.speedOfLightUs += r.bound.seconds * 1e6;

    if (sassFrom[i] != SIZE_MAX)
      r.sass = sassOfKey.at(sassSources[sassFrom[i]].key);

    if (r.sass) {
      r.launch.loadsInFlight = loadsInFlight(*r.sass);
      r.launch.warpgroupMma = r.sass->opcodes.count("HGMMA") > 0;
      r.launch.instructionsPerMma = instructionsPerMma(*r.sass);
      if (r.sass->opcodes.count("LDGSTS"))
        r.launch.loadsInFlight =
            std::max(r.launch.loadsInFlight,
                     pipelinedCopies(k.configs[size_t(k.defaultConfig)], plan.dtype));
    }
    if (noTrace.empty()) {
      const std::string key = traceKey(k, in);
      if (auto it = tracedAs.find(key); it != tracedAs.end()) {
        jobOf[i] = it->second;
        r.sameAsEarlier = true;
      } else {
        SampleOptions sampling = options.sampling;
        sampling.waveBlocks =
            uint64_t(gpu.sms) * residentBlocks(gpu, r.launch.threads, r.launch.registers,
                                               r.launch.smemBytes);
        sampling.l2Bytes = uint64_t(gpu.l2Bytes);
        jobOf[i] = tracedAs[key] = jobs.size();
        const rt::PlanConfig &c = k.configs[size_t(k.defaultConfig)];
        const std::string cacheKey = resultKey(
            {"traffic", key,
             fmt::format("grid {} block {} smem {}", fmt::join(c.grid, ","),
                         fmt::join(c.block, ","), c.smemBytes),
             fmt::format("sampling {} {} {} {} {} {} {}", sampling.waveBlocks, sampling.l2Bytes,
                         sampling.fullRecords, sampling.statsRecords, sampling.windowRecords,
                         sampling.warmupRecords, sampling.windows)});
        jobs.push_back({i, sampling, cacheKey, std::nullopt});
      }
    }
    report.kernels.push_back(std::move(r));
  }

  // 2. The traces, side by side on up to 8 cores (each holds its own trace
  // buffers). A host library's trace state is its own globals, so traces
  // of one library (the same code and configuration) run one after the
  // other, on one worker.
  std::map<std::string, std::vector<size_t>> byLibrary;
  for (size_t j = 0; j < jobs.size(); ++j) {
    const rt::PlanKernel &k = plan.kernels[jobs[j].kernel];
    byLibrary[fmt::format("{}|{}|{}", k.entry, k.defaultConfig, k.source)].push_back(j);
  }
  std::vector<std::vector<size_t>> buckets;
  for (auto &[library, js] : byLibrary)
    buckets.push_back(std::move(js));
  {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::mutex progressMutex;
    size_t done = 0;
    auto worker = [&] {
      for (size_t b; !failed && (b = next++) < buckets.size();)
        for (size_t j : buckets[b]) {
          const rt::PlanKernel &k = plan.kernels[jobs[j].kernel];
          if (auto cached = loadTraffic(jobs[j].cacheKey)) {
            jobs[j].traffic = std::move(*cached);
          } else {
            jobs[j].traffic = tracePlanKernel(k, *memory, jobs[j].sampling);
            if (!*jobs[j].traffic)
              failed = true;
            else
              storeTraffic(jobs[j].cacheKey, **jobs[j].traffic);
          }
          std::lock_guard<std::mutex> lock(progressMutex);
          if (options.progress)
            options.progress(++done, jobs.size(), k.name);
        }
    };
    const unsigned workers = std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, 8);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < std::min<size_t>(workers, buckets.size()); ++t)
      pool.emplace_back(worker);
    for (std::thread &t : pool)
      t.join();
  }
  if (options.progress)
    options.progress(plan.kernels.size(), plan.kernels.size(), "");

  // 3. The modeled times, in plan order; the first failed trace is the error.
  for (const TraceJob &job : jobs)
    if (job.traffic && !*job.traffic)
      return job.traffic->status();
  report.kernelsTraced = jobs.size();
  bool allTraced = noTrace.empty();
  for (size_t i = 0; i < plan.kernels.size(); ++i) {
    KernelReport &r = report.kernels[i];
    if (jobOf[i] != SIZE_MAX && jobs[jobOf[i]].traffic) {
      r.traffic = **jobs[jobOf[i]].traffic;
      r.modeled = modelTime(gpu, inputs[i].cost, options.math, r.launch, *r.traffic);
    }
    allTraced = allTraced && r.modeled.has_value();
  }
  if (allTraced) {
    double sum = 0;
    for (const KernelReport &r : report.kernels)
      sum += r.modeled->seconds * 1e6;
    report.modeledUs = sum;
  }
  report.traceSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

std::string reportJson(const Report &report) {
  nlohmann::ordered_json j;
  j["model"] = report.model;
  j["gpu"] = report.gpu;
  j["batch"] = report.batch;
  j["dtype"] = report.dtype;
  j["speed_of_light_us"] = report.speedOfLightUs;
  j["modeled_us"] = report.modeledUs ? nlohmann::ordered_json(*report.modeledUs) : nullptr;
  j["ratio"] = report.modeledUs ? nlohmann::ordered_json(*report.modeledUs / report.speedOfLightUs)
                                : nullptr;
  j["kernels"] = nlohmann::ordered_json::array();
  for (const KernelReport &r : report.kernels) {
    nlohmann::ordered_json k;
    k["name"] = r.name;
    k["kind"] = r.kind;
    if (!r.signature.empty())
      k["signature"] = r.signature;
    k["flops"] = r.cost.flops;
    k["matmul_flops"] = r.cost.matmulFlops;
    k["transcendentals"] = r.cost.transcendentals;
    k["min_bytes"] = r.cost.minBytes;
    k["bound_us"] = r.bound.seconds * 1e6;
    k["bound_by"] = r.bound.by;
    k["modeled_us"] = r.modeled ? nlohmann::ordered_json(r.modeled->seconds * 1e6) : nullptr;
    k["ratio"] = r.modeled ? nlohmann::ordered_json(r.modeled->seconds / r.bound.seconds) : nullptr;
    k["dram_bytes"] = r.traffic ? nlohmann::ordered_json(dramBytes(*r.traffic)) : nullptr;
    k["coalescing"] = r.traffic ? nlohmann::ordered_json(coalescing(*r.traffic)) : nullptr;
    nlohmann::ordered_json sass = nlohmann::ordered_json::object();
    if (r.sass)
      for (const auto &[op, n] : r.sass->opcodes)
        sass[op] = n;
    k["sass"] = sass;
    if (r.modeled) {
      k["limiter"] = r.modeled->limiter;
      nlohmann::ordered_json terms;
      for (const auto &[name, s] : r.modeled->terms)
        terms[name] = s * 1e6;
      k["modeled_terms_us"] = terms;
      k["occupancy"] = {{"resident_blocks_per_sm", r.modeled->residentBlocks},
                        {"sms_used", r.modeled->smsUsed},
                        {"waves", r.modeled->waves}};
    }
    k["launch"] = {{"blocks", r.launch.blocks},
                   {"threads", r.launch.threads},
                   {"registers", r.launch.registers},
                   {"smem_bytes", r.launch.smemBytes},
                   {"loads_in_flight_per_warp", r.launch.loadsInFlight}};
    if (r.traffic) {
      const KernelTraffic &t = *r.traffic;
      k["traffic"] = {{"dram_read_bytes", t.dramReadBytes},
                      {"dram_write_bytes", t.dramWriteBytes},
                      {"distinct_bytes", t.distinctBytes},
                      {"global_loads", statsJson(t.globalLoad)},
                      {"global_stores", statsJson(t.globalStore)},
                      {"shared_loads", statsJson(t.sharedLoad)},
                      {"shared_stores", statsJson(t.sharedStore)},
                      {"by_operand", operandsJson(r, t)},
                      {"bank_conflict_factor", bankConflictFactor(t)},
                      {"mma_flops", t.mmaFlops},
                      {"sampled", t.sampled},
                      {"blocks_measured", t.blocksMeasured},
                      {"blocks_run", t.blocksRun},
                      {"accesses_recorded", t.recordsRun},
                      {"trace_seconds", r.sameAsEarlier || t.fromCache ? 0.0 : t.seconds},
                      {"from_result_cache", t.fromCache},
                      {"warmup_truncated", t.warmupTruncated},
                      {"fits_in_l2", t.fitsInL2},
                      {"same_as_earlier_kernel", r.sameAsEarlier}};
    }
    if (r.sass) {
      nlohmann::ordered_json loops = nlohmann::ordered_json::array();
      for (const SassLoop &l : r.sass->innermostLoops) {
        nlohmann::ordered_json ops;
        for (const auto &[op, n] : l.opcodes)
          ops[op] = n;
        loops.push_back({{"instructions", l.instructions}, {"opcodes", ops}});
      }
      k["sass_facts"] = {{"instructions", r.sass->instructions},
                         {"access_widths", r.sass->accessWidths},
                         {"runtime_divisions", r.sass->runtimeDivisions},
                         {"imad_hi", r.sass->mulHigh},
                         {"innermost_loops", loops}};
    }
    j["kernels"].push_back(k);
  }
  j["notes"] = report.notes;
  return j.dump(2) + "\n";
}

std::string reportText(const Report &report, const GpuTarget &gpu) {
  std::string out = fmt::format(
      "performance report: {} (batch {}, {}) on {} -- {} kernels; times are modeled, not "
      "measured\n",
      report.model, report.batch, report.dtype, gpu.description, report.kernels.size());
  out += fmt::format("  {:<34} {:>9} {:>6} {:>9} {:>6} {:>5} {:>5} {:>4} {:>9} {:>8} {:>6}  {}\n",
                     "kernel", "bound", "by", "DRAM", "x min", "coal", "bank", "occ", "modeled",
                     "limiter", "ratio", "SASS");
  for (const KernelReport &r : report.kernels) {
    const std::string name = r.name.size() > 34 ? r.name.substr(0, 31) + "..." : r.name;
    out += fmt::format("  {:<34} {:>9} {:>6}", name, duration(r.bound.seconds), r.bound.by);
    if (r.traffic && r.modeled) {
      const KernelTraffic &t = *r.traffic;
      out += fmt::format(" {:>9} {:>6.2f} {:>5.2f} {:>5.2f} {:>4} {:>9} {:>8} {:>6.2f}",
                         human(dramBytes(t), "B"),
                         r.cost.minBytes > 0 ? dramBytes(t) / r.cost.minBytes : 0.0, coalescing(t),
                         bankConflictFactor(t), r.modeled->residentBlocks,
                         duration(r.modeled->seconds), r.modeled->limiter,
                         r.modeled->seconds / r.bound.seconds);
    } else {
      out += fmt::format(" {:>9} {:>6} {:>5} {:>5} {:>4} {:>9} {:>8} {:>6}", "-", "-", "-", "-",
                         "-", "-", "-", "-");
    }
    out += "  " + (r.sass ? sassSummary(*r.sass) : std::string("-")) + "\n";
  }
  out += fmt::format("speed of light {} (sum of bounds)", duration(report.speedOfLightUs * 1e-6));
  if (report.modeledUs)
    out += fmt::format(", modeled {}, ratio {:.2f}", duration(*report.modeledUs * 1e-6),
                       *report.modeledUs / report.speedOfLightUs);
  out += "\n";
  if (report.modeledUs) {
    // Where the time over the bound goes, by kernel (the same fused ops in
    // every layer count together).
    std::map<std::string, std::pair<double, int>> gaps; // name without gNN_ -> (us, count)
    // The limiter named is the one behind most of the group's gap.
    std::map<std::string, std::map<std::string, double>> limiterGaps;
    for (const KernelReport &r : report.kernels) {
      const size_t cut = r.name.find('_');
      const std::string what = cut == std::string::npos ? r.name : r.name.substr(cut + 1);
      auto &[us, n] = gaps[what];
      const double kernelGap = 1e6 * (r.modeled->seconds - r.bound.seconds);
      us += kernelGap;
      ++n;
      limiterGaps[what][r.modeled->limiter] += kernelGap;
    }
    std::vector<std::pair<std::string, std::pair<double, int>>> worst(gaps.begin(), gaps.end());
    std::sort(worst.begin(), worst.end(),
              [](const auto &a, const auto &b) { return a.second.first > b.second.first; });
    const double gap = *report.modeledUs - report.speedOfLightUs;
    // Groups with under 0.5% of the gap are not worth a mention.
    std::erase_if(worst, [&](const auto &w) { return w.second.first <= 0.005 * gap; });
    if (worst.size() > 5)
      worst.resize(5);
    if (!worst.empty()) {
      out += "largest gaps (modeled - bound):";
      for (size_t i = 0; i < worst.size(); ++i) {
        const auto &[what, total] = worst[i];
        const auto &byLimiter = limiterGaps[what];
        const std::string limiter =
            std::max_element(byLimiter.begin(), byLimiter.end(), [](const auto &a, const auto &b) {
              return a.second < b.second;
            })->first;
        out += fmt::format(" {}{} {} ({:.0f}%, {}-bound){}", what,
                           total.second > 1 ? fmt::format(" x{}", total.second) : "",
                           duration(total.first * 1e-6), 100 * total.first / gap, limiter,
                           i + 1 < worst.size() ? ";" : "");
      }
      out += "\n";
    }
  }
  for (const std::string &n : report.notes)
    out += "note: " + n + "\n";
  return out;
}

std::string rooflineSvg(const Report &report, const GpuTarget &gpu) {
  const double width = 960, height = 640, left = 80, right = 30, top = 50, bottom = 60;
  const double xMin = -2, xMax = 4; // log10 FLOP per byte
  const double peak = gpu.tensor16TFlops * 1e12;
  const double yMax = std::ceil(std::log10(peak * 2)), yMin = yMax - 7;
  auto px = [&](double ai) {
    const double l = std::clamp(std::log10(std::max(ai, 1e-12)), xMin, xMax);
    return left + (l - xMin) / (xMax - xMin) * (width - left - right);
  };
  auto py = [&](double rate) {
    const double l = std::clamp(std::log10(std::max(rate, 1e-12)), yMin, yMax);
    return height - bottom - (l - yMin) / (yMax - yMin) * (height - top - bottom);
  };
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"12\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"{2}\" y=\"24\" font-size=\"15\">Roofline (modeled, not measured): {3} batch {4} "
      "{5} on {6}</text>\n",
      width, height, left, report.model, report.batch, report.dtype, gpu.description);
  // Grid and axes.
  for (double l = xMin; l <= xMax; l += 1)
    svg += fmt::format("<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#ddd\"/>"
                       "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">1e{4}</text>\n",
                       px(std::pow(10, l)), top, height - bottom, height - bottom + 18, int(l));
  for (double l = yMin; l <= yMax; l += 1)
    svg += fmt::format("<line x1=\"{0}\" y1=\"{1:.1f}\" x2=\"{2}\" y2=\"{1:.1f}\" stroke=\"#ddd\"/>"
                       "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5}</text>\n",
                       left, py(std::pow(10, l)), width - right, left - 6, py(std::pow(10, l)) + 4,
                       human(std::pow(10, l), "FLOP/s", 2));
  svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">arithmetic intensity "
                     "(FLOP per DRAM byte, counted)</text>\n",
                     (left + width - right) / 2, height - 20);
  // Roofs: memory at the copy rate, then each compute peak.
  const double copy = gpu.copyTBs * 1e12;
  for (auto [rate, label, dash] :
       {std::tuple{peak, "tensor bf16/f16 peak", ""}, std::tuple{gpu.fp32TFlops * 1e12, "FP32 peak", "6,4"}}) {
    const double knee = rate / copy;
    svg += fmt::format("<polyline fill=\"none\" stroke=\"#444\" stroke-width=\"2\" "
                       "stroke-dasharray=\"{}\" points=\"{:.1f},{:.1f} {:.1f},{:.1f} {:.1f},{:.1f}\"/>"
                       "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"end\">{} {}</text>\n",
                       dash, px(std::pow(10, xMin)), py(copy * std::pow(10, xMin)), px(knee),
                       py(rate), px(std::pow(10, xMax)), py(rate), width - right - 4, py(rate) - 6,
                       label, human(rate, "FLOP/s"));
  }
  // Points: hollow at the bound (minimum bytes), filled at the modeled time
  // (counted DRAM bytes), joined.
  for (const KernelReport &r : report.kernels) {
    if (r.cost.flops <= 0)
      continue;
    const std::string color = r.kind == "gemm"   ? "#1f77b4"
                              : r.kind == "scan" ? "#d62728"
                              : r.kind == "rows" ? "#2ca02c"
                                                 : "#ff7f0e";
    const double bx = px(r.cost.flops / std::max(r.cost.minBytes, 1.0));
    const double by = py(r.cost.flops / r.bound.seconds);
    svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4\" fill=\"none\" stroke=\"{}\"/>\n",
                       bx, by, color);
    if (!r.modeled || !r.traffic)
      continue;
    const double mx = px(r.cost.flops / std::max(dramBytes(*r.traffic), 1.0));
    const double my = py(r.cost.flops / r.modeled->seconds);
    svg += fmt::format("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" "
                       "stroke-opacity=\"0.4\"/>\n"
                       "<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"5\" fill=\"{}\"><title>{}: modeled {} "
                       "({}-bound), bound {} ({}), ratio {:.1f}</title></circle>\n",
                       bx, by, mx, my, color, mx, my, color, r.name,
                       duration(r.modeled->seconds), r.modeled->limiter,
                       duration(r.bound.seconds), r.bound.by,
                       r.modeled->seconds / r.bound.seconds);
  }
  // Legend.
  double ly = top + 10;
  for (auto [kind, color] : {std::pair{"gemm", "#1f77b4"}, std::pair{"scan", "#d62728"},
                             std::pair{"rows", "#2ca02c"}, std::pair{"generic", "#ff7f0e"}}) {
    svg += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"{}\"/><text x=\"{}\" y=\"{}\">{}"
                       "</text>\n",
                       left + 20, ly, color, left + 30, ly + 4, kind);
    ly += 18;
  }
  svg += fmt::format("<text x=\"{}\" y=\"{}\">filled: modeled (counted bytes); hollow: bound "
                     "(minimum bytes)</text>\n",
                     left + 20, ly + 4);
  svg += "</svg>\n";
  return svg;
}

} // namespace ssmc::perf
