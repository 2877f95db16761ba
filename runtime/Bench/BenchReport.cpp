//===- Bench/BenchReport.cpp - A benchmark as text, JSON, Markdown, SVG ---===//

#include "Bench/Bench.h"

#include "Support/AtomicFile.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace ssmc::rt {

namespace {

/// What a kernel measured at `Us` achieves, from its report row.
struct Achieved {
  double gbps = 0, tflops = 0, ofBound = 0, overModeled = 0;
};

Achieved achieved(const ModeledKernel &m, double us) {
  Achieved a;
  if (us <= 0)
    return a;
  a.gbps = m.minBytes / (us * 1e-6) / 1e9;
  a.tflops = m.flops / (us * 1e-6) / 1e12;
  a.ofBound = m.boundUs / us;
  a.overModeled = m.modeledUs > 0 ? us / m.modeledUs : 0;
  return a;
}

double imagesPerSecond(const BenchResult &r) {
  return r.graphMedianUs > 0 ? double(r.batch) / (r.graphMedianUs * 1e-6) : 0;
}

std::string xmlEscape(const std::string &s) {
  std::string out;
  for (char c : s)
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    default:
      out += c;
    }
  return out;
}

std::string header(const BenchResult &r) {
  return fmt::format("{} ({}, batch {}) on {} ({}, {} SMs), driver {}, NVRTC {}, ssmc {}", r.model,
                     r.dtype, r.batch, r.device.name, r.device.arch(), r.device.smCount,
                     r.device.driverVersion, r.nvrtc, r.commit);
}

} // namespace

std::string benchText(const BenchResult &r) {
  std::string out =
      fmt::format("{} ({}, {} kernels) on {} ({}): {} iterations after {} warm-up\n", r.model,
                  r.dtype, r.kernelCount, r.device.name, r.device.arch(), r.iters, r.warmup);
  out += fmt::format("  copy bandwidth: {:.0f} GB/s (device to device, {} MiB, read + written)\n",
                     r.copyGbps, r.copyBytes >> 20);
  out += fmt::format("  {:<15} median {:.4f} ms, min {:.4f} ms per forward\n",
                     "plain launches:", r.plainMedianUs / 1e3, r.plainMinUs / 1e3);
  out += fmt::format("  {:<15} median {:.4f} ms, min {:.4f} ms per forward; {:.0f} images/s "
                     "(batch {})\n",
                     "CUDA graph:", r.graphMedianUs / 1e3, r.graphMinUs / 1e3, imagesPerSecond(r),
                     r.batch);
  if (r.modeled) {
    const ModeledRun &m = *r.modeled;
    out += fmt::format("  modeled for {} ({}): {:.1f} us, speed of light {:.1f} us; the CUDA "
                       "graph's forward is {:.2f}x the modeled time, {:.2f}x the speed of light\n",
                       m.gpu, m.origin, m.modeledUs, m.speedOfLightUs,
                       m.modeledUs > 0 ? r.graphMedianUs / m.modeledUs : 0.0,
                       m.speedOfLightUs > 0 ? r.graphMedianUs / m.speedOfLightUs : 0.0);
  }
  if (r.kernels.empty())
    return out;
  double total = 0;
  for (const BenchKernelRow &k : r.kernels)
    total += k.medianUs;
  out += "  per kernel (median ms, share of their sum, configuration, registers, spill bytes";
  out += r.modeled ? "; achieved GB/s and TFLOP/s over the minimum work, fraction of the bound, "
                     "modeled us):\n"
                   : "):\n";
  for (const BenchKernelRow &k : r.kernels) {
    out += fmt::format("    {:<40} {:9.4f}  {:5.1f}%  config {}  {} regs  {}", k.name,
                       k.medianUs / 1e3, total > 0 ? 100 * k.medianUs / total : 0.0, k.config,
                       k.registers, k.spillBytes);
    if (k.modeled) {
      const Achieved a = achieved(*k.modeled, k.medianUs);
      out += fmt::format("  {:7.0f} GB/s  {:7.2f} TFLOP/s  {:5.1f}% of bound  modeled {:.2f} us",
                         a.gbps, a.tflops, 100 * a.ofBound, k.modeled->modeledUs);
    }
    out += "\n";
  }
  out += fmt::format("  sum of the kernels: {:.4f} ms\n", total / 1e3);
  return out;
}

std::string benchJson(const BenchResult &r) {
  using nlohmann::json;
  json j;
  j["model"] = r.model;
  j["dtype"] = r.dtype;
  j["batch"] = r.batch;
  j["gpu"] = r.device.name;
  j["arch"] = r.device.arch();
  j["sms"] = r.device.smCount;
  j["driver"] = r.device.driverVersion;
  j["nvrtc"] = r.nvrtc;
  j["commit"] = r.commit;
  j["iters"] = r.iters;
  j["warmup"] = r.warmup;
  j["copy_gbps"] = r.copyGbps;
  j["copy_bytes"] = r.copyBytes;
  json forward;
  forward["plain_median_us"] = r.plainMedianUs;
  forward["plain_min_us"] = r.plainMinUs;
  forward["graph_median_us"] = r.graphMedianUs;
  forward["graph_min_us"] = r.graphMinUs;
  forward["images_per_s"] = imagesPerSecond(r);
  if (r.modeled && r.graphMedianUs > 0) {
    forward["min_bytes"] = r.minBytes();
    forward["flops"] = r.flops();
    forward["achieved_gbps"] = r.minBytes() / (r.graphMedianUs * 1e-6) / 1e9;
    forward["achieved_tflops"] = r.flops() / (r.graphMedianUs * 1e-6) / 1e12;
  }
  j["forward"] = forward;
  if (r.modeled) {
    json m;
    m["gpu"] = r.modeled->gpu;
    m["report"] = r.modeled->origin;
    m["modeled_us"] = r.modeled->modeledUs;
    m["speed_of_light_us"] = r.modeled->speedOfLightUs;
    j["modeled"] = m;
  } else {
    j["modeled"] = nullptr;
  }
  json rows = json::array();
  for (const BenchKernelRow &k : r.kernels) {
    json row;
    row["kernel"] = k.name;
    row["config"] = k.config;
    row["tunables"] = k.tunables;
    row["registers"] = k.registers;
    row["spill_bytes"] = k.spillBytes;
    row["median_us"] = k.medianUs;
    row["min_us"] = k.minUs;
    if (k.modeled) {
      const Achieved a = achieved(*k.modeled, k.medianUs);
      row["kind"] = k.modeled->kind;
      row["min_bytes"] = k.modeled->minBytes;
      row["flops"] = k.modeled->flops;
      row["bound_us"] = k.modeled->boundUs;
      row["bound_by"] = k.modeled->boundBy;
      row["modeled_us"] = k.modeled->modeledUs;
      row["achieved_gbps"] = a.gbps;
      row["achieved_tflops"] = a.tflops;
      row["fraction_of_bound"] = a.ofBound;
      row["measured_over_modeled"] = a.overModeled;
    }
    rows.push_back(row);
  }
  j["rows"] = rows;
  return j.dump(1) + "\n";
}

std::string benchMarkdown(const BenchResult &r) {
  std::string out = fmt::format("### {}\n\n", header(r));
  out += fmt::format("Copy bandwidth {:.0f} GB/s (measured in the same run); {} iterations after "
                     "{} warm-up; medians.\n\n",
                     r.copyGbps, r.iters, r.warmup);
  out += "| forward | median ms | min ms | images/s |\n| --- | ---: | ---: | ---: |\n";
  out += fmt::format("| plain launches | {:.4f} | {:.4f} | {:.0f} |\n", r.plainMedianUs / 1e3,
                     r.plainMinUs / 1e3,
                     r.plainMedianUs > 0 ? double(r.batch) / (r.plainMedianUs * 1e-6) : 0.0);
  out += fmt::format("| CUDA graph | {:.4f} | {:.4f} | {:.0f} |\n", r.graphMedianUs / 1e3,
                     r.graphMinUs / 1e3, imagesPerSecond(r));
  if (r.modeled)
    out += fmt::format("| modeled ({}) | {:.4f} | | |\n| speed of light ({}) | {:.4f} | | |\n",
                       r.modeled->gpu, r.modeled->modeledUs / 1e3, r.modeled->gpu,
                       r.modeled->speedOfLightUs / 1e3);
  if (r.kernels.empty())
    return out;
  out += "\n| kernel | config | regs | measured us | modeled us | bound us | meas/model | "
         "of bound | GB/s | TFLOP/s |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | "
         "---: | ---: |\n";
  for (const BenchKernelRow &k : r.kernels) {
    if (!k.modeled) {
      out += fmt::format("| {} | {} ({}) | {} | {:.2f} | | | | | | |\n", k.name, k.config,
                         k.tunables, k.registers, k.medianUs);
      continue;
    }
    const Achieved a = achieved(*k.modeled, k.medianUs);
    out += fmt::format("| {} | {} ({}) | {} | {:.2f} | {:.2f} | {:.2f} | {:.2f} | {:.0f}% | {:.0f} "
                       "| {:.2f} |\n",
                       k.name, k.config, k.tunables, k.registers, k.medianUs, k.modeled->modeledUs,
                       k.modeled->boundUs, a.overModeled, 100 * a.ofBound, a.gbps, a.tflops);
  }
  return out;
}

std::string benchSvg(const BenchResult &r) {
  // One group of three bars per kernel (or one for the whole forward):
  // bound, modeled, measured, on one linear scale.
  struct Bar {
    std::string label;
    double boundUs, modeledUs, measuredUs;
  };
  std::vector<Bar> bars;
  for (const BenchKernelRow &k : r.kernels)
    bars.push_back({k.name, k.modeled ? k.modeled->boundUs : 0,
                    k.modeled ? k.modeled->modeledUs : 0, k.medianUs});
  if (bars.empty())
    bars.push_back({"whole forward (CUDA graph)", r.modeled ? r.modeled->speedOfLightUs : 0,
                    r.modeled ? r.modeled->modeledUs : 0, r.graphMedianUs});
  double maxUs = 1e-9;
  for (const Bar &b : bars)
    maxUs = std::max({maxUs, b.boundUs, b.modeledUs, b.measuredUs});
  const double left = 300, right = 90, top = 70, rowHeight = 30, width = 1000;
  const double height = top + rowHeight * double(bars.size()) + 40;
  const double scale = (width - left - right) / maxUs;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" "
      "viewBox=\"0 0 {0} {1}\" font-family=\"sans-serif\" font-size=\"11\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      "<text x=\"10\" y=\"20\" font-size=\"14\">{2}</text>\n"
      "<text x=\"10\" y=\"38\">microseconds per kernel: measured (median of {3}), modeled{4} and "
      "bound; copy bandwidth {5:.0f} GB/s</text>\n",
      width, height, xmlEscape(header(r)), r.iters,
      r.modeled ? fmt::format(" for {}", xmlEscape(r.modeled->gpu)) : " (no report)", r.copyGbps);
  const std::pair<const char *, const char *> legend[] = {
      {"#bbbbbb", "bound"}, {"#1f77b4", "modeled"}, {"#ff7f0e", "measured"}};
  for (size_t i = 0; i < 3; ++i)
    svg += fmt::format("<rect x=\"{0}\" y=\"46\" width=\"10\" height=\"10\" fill=\"{1}\"/>"
                       "<text x=\"{2}\" y=\"55\">{3}</text>\n",
                       left + 110 * double(i), legend[i].first, left + 110 * double(i) + 14,
                       legend[i].second);
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar &b = bars[i];
    const double y = top + rowHeight * double(i);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>\n", left - 6,
                       y + 17, xmlEscape(b.label));
    const std::pair<double, const char *> parts[] = {
        {b.boundUs, "#bbbbbb"}, {b.modeledUs, "#1f77b4"}, {b.measuredUs, "#ff7f0e"}};
    for (size_t j = 0; j < 3; ++j)
      if (parts[j].first > 0)
        svg += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"8\" "
                           "fill=\"{}\"/>\n",
                           left, y + 3 + 8 * double(j), std::max(0.5, parts[j].first * scale),
                           parts[j].second);
    svg += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{:.2f} us</text>\n",
                       left + b.measuredUs * scale + 4, y + 26, b.measuredUs);
  }
  svg += "</svg>\n";
  return svg;
}

Status writeBenchFiles(const BenchResult &r, const std::string &json, const std::string &markdown,
                       const std::string &svg) {
  const std::pair<const std::string *, std::string (*)(const BenchResult &)> files[] = {
      {&json, benchJson}, {&markdown, benchMarkdown}, {&svg, benchSvg}};
  for (const auto &[path, render] : files)
    if (!path->empty())
      if (Status s = writeFileAtomically(*path, render(r)); !s)
        return s;
  return Status::success();
}

} // namespace ssmc::rt
