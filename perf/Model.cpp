//===- Model.cpp - a kernel's speed of light and modeled time -------------===//

#include "Model.h"

#include "Support/Arch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ssmc::perf {
namespace {
double tensorPeak(const GpuTarget &gpu, const MathMode &mode) {
  if (mode.matmul == "tf32")
    return gpu.tf32TFlops * 1e12;
  if (mode.matmul == "ffma")
    return gpu.fp32TFlops * 1e12;
  return gpu.tensor16TFlops * 1e12;
}

std::string largest(const std::map<std::string, double> &terms) {
  auto it = std::max_element(terms.begin(), terms.end(),
                             [](const auto &a, const auto &b) { return a.second < b.second; });
  return it == terms.end() ? "" : it->first;
}
} // namespace

double loadsInFlight(const SassFacts &sass) {
  auto loads = [](const std::map<std::string, int> &ops) {
    int n = 0;
    for (const char *op : {"LDG", "LDGSTS"})
      if (auto it = ops.find(op); it != ops.end())
        n += it->second;
    return n;
  };
  int most = 0;
  for (const SassLoop &loop : sass.innermostLoops)
    most = std::max(most, loads(loop.opcodes));
  if (sass.innermostLoops.empty())
    most = loads(sass.opcodes);
  return std::clamp(double(most), 1.0, 16.0);
}

double instructionsPerMma(const SassFacts &sass) {
  const SassLoop *mmaLoop = nullptr;
  int most = 0;
  for (const SassLoop &loop : sass.innermostLoops)
    if (auto it = loop.opcodes.find("HMMA");
        it != loop.opcodes.end() && it->second > most && !loop.opcodes.count("BSSY")) {
      most = it->second;
      mmaLoop = &loop;
    }
  return mmaLoop ? double(mmaLoop->instructions) / most : 0.0;
}

double pipelinedCopies(const rt::PlanConfig &c, rt::DType dtype) {
  auto tunable = [&](const char *name) -> double {
    auto it = c.tunables.find(name);
    return it == c.tunables.end() ? 0 : double(it->second);
  };
  const double bm = tunable("BM"), bn = tunable("BN"), bk = tunable("BK");
  const double stages = tunable("STAGES");
  const double threads = double(c.block[0] * c.block[1] * c.block[2]);
  if (bm <= 0 || bn <= 0 || bk <= 0 || stages < 2 || threads <= 0)
    return 0;
  const double elem = dtype == rt::DType::F32 ? 4 : 2;
  const double rows = tunable("PANEL") > 0 ? bn : bm + bn; // a panel's A is staged once
  return std::min(16.0, rows * bk * elem / 16 / threads * (stages - 1));
}

Bound speedOfLight(const GpuTarget &gpu, const KernelCost &cost, const MathMode &mode) {
  Bound b;
  b.terms["memory"] = cost.minBytes / (gpu.copyTBs * 1e12);
  b.terms[mode.matmul == "ffma" ? "fp32" : "tensor"] = cost.matmulFlops / tensorPeak(gpu, mode);
  b.terms["fp32"] += (cost.flops - cost.matmulFlops) / (gpu.fp32TFlops * 1e12);
  b.terms["mufu"] = cost.transcendentals / gpu.mufuPerSecond();
  b.by = largest(b.terms);
  b.seconds = gpu.launchUs * 1e-6 + b.terms[b.by];
  return b;
}

double coalescing(const KernelTraffic &t) {
  const double sectors = t.globalLoad.sectors + t.globalStore.sectors;
  if (sectors <= 0)
    return 1.0;
  return (t.globalLoad.bytesUsed + t.globalStore.bytesUsed) / (32.0 * sectors);
}

Modeled modelTime(const GpuTarget &gpu, const KernelCost &cost, const MathMode &mode,
                  const LaunchShape &launch, const KernelTraffic &t) {
  Modeled m;
  m.residentBlocks = residentBlocks(gpu, launch.threads, launch.registers, launch.smemBytes);
  const uint64_t blocks = std::max<uint64_t>(launch.blocks, 1);
  m.smsUsed = int(std::min<uint64_t>(uint64_t(gpu.sms), blocks));
  const double share = double(m.smsUsed) / gpu.sms; // of the per-SM resources
  const double clock = gpu.clockGHz * 1e9;
  m.waves = double(blocks) / (double(gpu.sms) * m.residentBlocks);

  m.terms["dram"] = (t.dramReadBytes + t.dramWriteBytes) / (gpu.copyTBs * 1e12);
  m.terms["l2"] = 32.0 * (t.globalLoad.sectors + t.globalStore.sectors) / (gpu.l2TBs * 1e12 * share);
  m.terms["lsu"] = (t.globalLoad.lines + t.globalStore.lines + t.sharedLoad.wavefronts +
                    t.sharedStore.wavefronts) /
                   (m.smsUsed * clock);
  // Little's law: each resident warp keeps a few load requests in flight.
  const double warpsPerBlock = std::ceil(launch.threads / 32.0);
  const double blocksPerSM =
      std::min<double>(m.residentBlocks, std::ceil(double(blocks) / m.smsUsed));
  const double bytesPerRequest =
      t.globalLoad.requests > 0 ? 32.0 * t.globalLoad.sectors / t.globalLoad.requests : 0;
  const double inFlight =
      m.smsUsed * blocksPerSM * warpsPerBlock * launch.loadsInFlight * bytesPerRequest;
  m.terms["latency"] = inFlight > 0 ? t.dramReadBytes * gpu.dramLatencyNs * 1e-9 / inFlight : 0;
  // Matrix FLOPs the kernel issued as MMAs; FFMA GEMMs count with the rest.
  double mmaRate = tensorPeak(gpu, mode);
  if (gpu.arch == "sm_90" && mode.matmul != "ffma" && !launch.warpgroupMma)
    mmaRate *= 2.0 / 3.0; // mma.sync, not wgmma
  m.terms["tensor"] = t.mmaFlops / (mmaRate * share);
  // Issue: an SM's four schedulers issue one instruction a clock each, and
  // the K loop issues instructionsPerMma for every HMMA (m16n8k16, 4096
  // FLOPs, 16-bit operands) the trace counted.
  if (launch.instructionsPerMma > 0 && mode.matmul == "tensor16" && !launch.warpgroupMma)
    m.terms["issue"] = t.mmaFlops / 4096.0 * launch.instructionsPerMma / (4.0 * m.smsUsed * clock);
  const double otherFlops =
      std::max(0.0, cost.flops - cost.matmulFlops) + (t.mmaFlops > 0 ? 0 : cost.matmulFlops);
  m.terms["fp32"] = otherFlops / (gpu.fp32TFlops * 1e12 * share);
  m.terms["mufu"] = cost.transcendentals / (gpu.mufuPerSecond() * share);

  // The last wave's quantization: the SMs' own pipes wait for its blocks;
  // memory is shared, so a half-empty wave still gets the whole bandwidth.
  const double tail = rt::lastWaveFactor(double(blocks), gpu.sms, m.residentBlocks);
  for (const char *perSM : {"lsu", "tensor", "fp32", "mufu", "issue"})
    if (auto it = m.terms.find(perSM); it != m.terms.end())
      it->second *= tail;
  m.limiter = largest(m.terms);
  m.seconds = gpu.launchUs * 1e-6 + m.terms[m.limiter];
  return m;
}

Modeled estimateFromLaunch(const GpuTarget &gpu, const KernelCost &cost, const MathMode &mode,
                           const LaunchShape &launch) {
  Modeled m;
  m.residentBlocks = residentBlocks(gpu, launch.threads, launch.registers, launch.smemBytes);
  const uint64_t blocks = std::max<uint64_t>(launch.blocks, 1);
  m.smsUsed = int(std::min<uint64_t>(uint64_t(gpu.sms), blocks));
  const double share = double(m.smsUsed) / gpu.sms;
  m.waves = double(blocks) / (double(gpu.sms) * m.residentBlocks);
  const double tail = rt::lastWaveFactor(double(blocks), gpu.sms, m.residentBlocks);

  m.terms["dram"] = cost.minBytes / (gpu.copyTBs * 1e12);
  const double warps = m.smsUsed *
                       std::min<double>(m.residentBlocks, std::ceil(double(blocks) / m.smsUsed)) *
                       std::ceil(launch.threads / 32.0);
  const double inFlight = warps * launch.loadsInFlight * 32 * 16;
  m.terms["latency"] = cost.minBytes * gpu.dramLatencyNs * 1e-9 / inFlight;
  double mmaRate = tensorPeak(gpu, mode);
  if (gpu.arch == "sm_90" && mode.matmul != "ffma")
    mmaRate *= 2.0 / 3.0; // mma.sync, not wgmma
  m.terms["tensor"] = tail * cost.matmulFlops / (mmaRate * share);
  m.terms["fp32"] =
      tail * std::max(0.0, cost.flops - cost.matmulFlops) / (gpu.fp32TFlops * 1e12 * share);
  m.terms["mufu"] = tail * cost.transcendentals / (gpu.mufuPerSecond() * share);
  m.limiter = largest(m.terms);
  m.seconds = gpu.launchUs * 1e-6 + m.terms[m.limiter];
  return m;
}

TileTraffic tileTraffic(const rt::PlanKernel &kernel, const rt::PlanConfig &config,
                        const KernelCost &cost, rt::DType dtype) {
  TileTraffic t;
  double read = 0, written = 0;
  for (const rt::PlanParam &p : kernel.params)
    if (p.kind != rt::PlanParam::Kind::Workspace)
      (p.kind == rt::PlanParam::Kind::Output ? written : read) += double(p.bytes);
  if (read + written > 0)
    t.readFraction = read / (read + written);
  auto tunable = [&](const char *name) -> double {
    auto it = config.tunables.find(name);
    return it == config.tunables.end() ? 0 : double(it->second);
  };
  const double elem = dtype == rt::DType::F32 ? 4 : 2;
  const double bm = tunable("BM"), bn = tunable("BN"), bk = tunable("BK");
  const double warpsM = tunable("WARPS_M"), warpsN = tunable("WARPS_N");
  if (bm > 0 && bn > 0 && warpsM > 0 && warpsN > 0 && cost.matmulFlops > 0) {
    const double macs = cost.matmulFlops / 2;
    const double operands = macs * elem * (1 / bn + 1 / bm);
    const double warpOperands = macs * elem * (warpsN / bn + warpsM / bm);
    t.known = true;
    t.l2Bytes = operands + cost.minBytes;
    t.sharedWavefronts = (operands + warpOperands) / 128;
    const double stages = std::max(1.0, tunable("STAGES") - 1);
    t.bytesInFlight = stages * (bm + bn) * std::max(16.0, bk) * elem;
    // mma.sync m16n8k16: f32 accumulators (warp tile / 32 lanes), A
    // fragments of 4 registers per 16 rows, B of 2 per 8 columns, and
    // about 40 for addresses and loop state.
    const double wm = bm / warpsM, wn = bn / warpsN;
    t.registers = int(wm * wn / 32 + wm / 16 * 4 + wn / 8 * 2 + 40);
    return t;
  }
  const double th = tunable("DW_TH"), tw = tunable("DW_TW"), cb = tunable("DW_CB");
  if (th > 0 && tw > 0 && cb > 0) {
    // The conv weight [C, 1, kh, kw] gives the halo; the result [B, H, W, *]
    // the pixels.
    const rt::PlanParam *weight = nullptr, *result = nullptr;
    for (const rt::PlanParam &p : kernel.params) {
      if (p.kind == rt::PlanParam::Kind::Weight && p.shape.size() == 4 && p.shape[1] == 1)
        weight = &p;
      if (p.kind == rt::PlanParam::Kind::Output && p.shape.size() == 4 && !result)
        result = &p;
    }
    if (!weight || !result)
      return t;
    const double kh = double(weight->shape[2]), kw = double(weight->shape[3]);
    const double halo = (th + kh - 1) * (tw + kw - 1) / (th * tw);
    const double convIn =
        double(result->shape[0] * result->shape[1] * result->shape[2] * weight->shape[0]) * elem;
    t.known = true;
    t.l2Bytes = cost.minBytes + convIn * (halo - 1);
    t.sharedWavefronts = convIn * halo / 128;
    t.bytesInFlight = (th + kh - 1) * (tw + kw - 1) * cb * elem;
  }
  return t;
}

Modeled estimateFromTiles(const GpuTarget &gpu, const KernelCost &cost, const MathMode &mode,
                          const LaunchShape &launch, const TileTraffic &tiles) {
  LaunchShape withRegisters = launch;
  if (tiles.registers > 0)
    withRegisters.registers = std::min(tiles.registers, 255);
  Modeled m = estimateFromLaunch(gpu, cost, mode, withRegisters);
  m.terms["latency"] *= tiles.readFraction;
  if (!tiles.known) {
    m.limiter = largest(m.terms);
    m.seconds = gpu.launchUs * 1e-6 + m.terms[m.limiter];
    return m;
  }
  if (tiles.registers > 255) {
    m.limiter = "spills";
    m.seconds = std::numeric_limits<double>::infinity();
    return m;
  }
  const uint64_t blocks = std::max<uint64_t>(launch.blocks, 1);
  const double share = double(m.smsUsed) / gpu.sms;
  const double tail = rt::lastWaveFactor(double(blocks), gpu.sms, m.residentBlocks);
  m.terms["l2"] = tiles.l2Bytes / (gpu.l2TBs * 1e12 * share);
  m.terms["lsu"] =
      tail * (tiles.l2Bytes / 128 + tiles.sharedWavefronts) / (m.smsUsed * gpu.clockGHz * 1e9);
  const double blocksPerSM =
      std::min<double>(m.residentBlocks, std::ceil(double(blocks) / m.smsUsed));
  const double inFlight = m.smsUsed * blocksPerSM * tiles.bytesInFlight;
  if (inFlight > 0)
    m.terms["latency"] = tiles.readFraction * cost.minBytes * gpu.dramLatencyNs * 1e-9 / inFlight;
  m.limiter = largest(m.terms);
  m.seconds = gpu.launchUs * 1e-6 + m.terms[m.limiter];
  return m;
}

} // namespace ssmc::perf
