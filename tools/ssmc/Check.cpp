//===- Check.cpp - `ssmc check`: the generated kernels on the CPU ---------===//
//
// The kernels ssmc generates for a model, built by the host C++ compiler
// with perf/HostShim.h (CUDA qualifiers erased, a block's threads as OS
// threads) and run on the CPU, against the reference executor on the same
// weights and inputs, rounded to the storage type first:
//   1. each kernel alone on the reference's inputs to its group, against the
//      group's results (which kernel is wrong, if one is);
//   2. the whole plan in launch order on one arena, as the GPU runtime runs
//      it (in-place results, workspace), against the model's
//      outputs.
// No GPU is needed; the host builds are cached next to the NVRTC cache.
//
//===----------------------------------------------------------------------===//

#include "Check.h"

#include "Artifact.h"
#include "Binding.h"
#include "Codegen.h"
#include "Session.h"
#include "SsmcOps.h"

#include "Exec/Tensor.h"
#include "HostKernel.h"
#include "Interpreter/Interpreter.h"
#include "PlanTrace.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>
#include <unistd.h>

namespace ssmc::cli {
namespace {

using RunFn = void (*)(void **, const unsigned *, unsigned, size_t, int);

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Difference {
  double relative = 0; ///< max |got - want| / max |want|
  double scale = 0;    ///< max |want|
  size_t at = 0;       ///< the element of the largest difference
};

/// Non-finite values count as an infinite difference unless they are equal.
Difference compare(const std::vector<float> &got, const float *want, size_t n) {
  Difference d;
  double worst = 0;
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(want[i]))
      d.scale = std::max(d.scale, double(std::fabs(want[i])));
  for (size_t i = 0; i < n; ++i) {
    const bool same = got[i] == want[i] || (std::isnan(got[i]) && std::isnan(want[i]));
    const double diff = same ? 0
                        : std::isfinite(got[i]) && std::isfinite(want[i])
                            ? std::fabs(double(got[i]) - want[i])
                            : INFINITY;
    if (diff > worst) {
      worst = diff;
      d.at = i;
    }
  }
  d.relative = worst / std::max(d.scale, 1e-30);
  return d;
}

/// The reference executor's view of one kernel group: its inputs and results.
struct GroupReference {
  std::vector<std::vector<float>> inputs, results;
};

struct HostLibrary {
  std::unique_ptr<perf::HostKernel> kernel;
  RunFn run = nullptr;
  std::string error;
};

/// The defines of the configuration a kernel launches with: none for the
/// first, which the source's own defaults are (the default may be another
/// when the first spills registers).
std::vector<std::string> launchDefines(const rt::PlanKernel &k) {
  return k.defaultConfig == 0 ? std::vector<std::string>{}
                              : rt::configDefines(k.configs[size_t(k.defaultConfig)]);
}

/// Builds each distinct kernel of the plan for the CPU, `jobs` at a time.
rt::Status buildKernels(const rt::Plan &plan, std::vector<HostLibrary *> &ofKernel,
                        std::map<std::string, HostLibrary> &libraries, bool quiet,
                        size_t &fromCache) {
  std::vector<std::pair<const rt::PlanKernel *, HostLibrary *>> todo;
  for (const rt::PlanKernel &k : plan.kernels) {
    auto [it, inserted] = libraries.try_emplace(rt::canonicalSource({k.name, k.entry, k.source}) +
                                                fmt::format("|config {}", k.defaultConfig));
    if (inserted)
      todo.push_back({&k, &it->second});
    ofKernel.push_back(&it->second);
  }
  std::atomic<size_t> next{0}, done{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < todo.size();) {
      const rt::PlanKernel &k = *todo[i].first;
      HostLibrary &lib = *todo[i].second;
      auto built = perf::HostKernel::build(
          perf::hostKernelSource(k.source, k.entry, perf::paramTypes(k), perf::HostMode::Run),
          launchDefines(k), perf::HostMode::Run);
      if (!built) {
        lib.error = built.message();
      } else {
        lib.kernel = std::move(*built);
        lib.run = reinterpret_cast<RunFn>(lib.kernel->symbol("ssmc_host_run"));
        if (!lib.run)
          lib.error = "the host build has no ssmc_host_run";
        // Shared memory starts as NaN, as undefined as a GPU leaves it: a
        // kernel that reads what it did not write fails the check.
        if (auto options =
                reinterpret_cast<perf::HostOptionsFn>(lib.kernel->symbol("ssmc_host_options")))
          options(int(perf::HostBlockOrder::InOrder), 0, 1);
      }
      if (!quiet && isatty(2))
        std::fprintf(stderr, "\r  building kernels for the CPU: %zu/%zu ", ++done, todo.size());
    }
  };
  const unsigned jobs = std::max(1u, std::min(std::thread::hardware_concurrency(), 8u));
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs && j < todo.size(); ++j)
    threads.emplace_back(worker);
  worker();
  for (std::thread &t : threads)
    t.join();
  if (!quiet && isatty(2))
    std::fprintf(stderr, "\r%60s\r", "");
  for (const auto &[k, lib] : todo) {
    if (!lib->error.empty())
      return rt::Status::error(
          fmt::format("kernel {} does not build for the CPU: {}", k->name, lib->error));
    fromCache += lib->kernel->fromCache();
  }
  return rt::Status::success();
}

void launch(const rt::PlanKernel &k, RunFn run, std::vector<void *> &args) {
  const rt::PlanConfig &cfg = k.configs[k.defaultConfig];
  const unsigned grid[3] = {unsigned(cfg.grid[0]), unsigned(cfg.grid[1]), unsigned(cfg.grid[2])};
  run(args.data(), grid, unsigned(cfg.block[0]), size_t(cfg.smemBytes),
      k.source.find("__syncthreads") != std::string::npos ? 1 : 0);
}

/// Where parameter `p` of a kernel points in `memory`.
unsigned char *addressOf(const rt::PlanParam &p, const perf::PlanMemory &memory) {
  return p.value.kind == rt::ValueRef::Kind::ModelInput ? memory.input(p.value.modelInput)
                                                         : memory.arena() + p.value.arenaOffset;
}

std::vector<float> readBack(rt::DType dtype, const unsigned char *p, size_t n) {
  return rt::decodeFrom(dtype, reinterpret_cast<const std::byte *>(p), n);
}

void store(rt::DType dtype, const float *values, size_t n, unsigned char *p) {
  std::vector<std::byte> bytes;
  rt::encodeAs(dtype, values, n, bytes);
  std::memcpy(p, bytes.data(), bytes.size());
}

} // namespace

int checkModel(const Options &o, const std::function<int(const std::string &, int)> &fail) {
  const auto start = std::chrono::steady_clock::now();
  if (!o.stopAfter.empty())
    return fail("`ssmc check` checks the generated kernels, which need the whole pipeline: drop "
                "--stop-after",
                2);
  const auto dtype = rt::parsePlanDType(o.dtype);
  interp::TensorMap given;
  std::map<std::string, std::string> unreadable; // tensors of --inputs not convertible
  if (!o.inputs.empty()) {
    auto t = readTensors(o.inputs, &unreadable);
    if (!t)
      return fail(t.message(), 1);
    given = std::move(*t);
  }
  std::map<std::string, shape::Shape> shapes(o.inputShapes.begin(), o.inputShapes.end());
  for (const auto &[name, t] : given)
    shapes[name] = t.shape;
  auto built = buildModel(o, shapes);
  if (!built)
    return fail(built.message(), 1);
  for (const models::InputDecl &d : built->inputs)
    if (rt::Status s = checkReadable(unreadable, d.name); !s.ok())
      return fail(s.message(), 1);
  for (const models::InputDecl &d : built->inputs)
    if (!o.inputs.empty() && !given.count(d.name))
      return fail(fmt::format("inputs '{}' has no tensor '{}'", o.inputs, d.name), 1);
  if (rt::Status s = lowerModel(*built, o); !s.ok())
    return fail(s.message(), 1);
  if (rt::Status s = checkHostMemory(*built, fmt::format("checking {}", built->model.name), true);
      !s.ok())
    return fail(s.message(), 1);
  mlir::ModuleOp module = *built->module;
  if (std::string why = perf::hostBuildUnavailable(); !why.empty())
    return fail(fmt::format("cannot build kernels for the CPU: {}", why), 1);

  // The plan needs the generated kernels only: no NVRTC compilation.
  auto generated = generateModel(module, o);
  if (!generated)
    return fail(generated.message(), 1);
  const rt::Plan &plan = generated->plan;

  // Weights and inputs, rounded to the storage type: kernels and reference
  // then start from the same values.
  interp::TensorMap weights;
  if (!o.weights.empty()) {
    auto w = bindWeights(o.weights, *built->model.family, built->params, o.allowUnusedWeights);
    if (!w)
      return fail(w.message(), 1);
    weights = std::move(w->weights);
  } else {
    weights = randomWeights(built->params, o.seed);
  }
  interp::TensorMap inputs = randomInputs(built->inputs, o.seed);
  for (auto &[name, t] : given)
    inputs[name] = t;
  // Copies: a borrowed tensor (a memory-mapped weight) is never written.
  for (interp::TensorMap *map : {&weights, &inputs})
    for (auto &[name, t] : *map) {
      interp::HostTensor copy = interp::HostTensor::allocate(t.shape);
      for (int64_t i = 0; i < t.numElements(); ++i)
        copy.data[i] = rt::roundTrip(*dtype, t.data[i]);
      t = copy;
    }

  // The reference, keeping what each kernel group saw and made.
  mlir::func::FuncOp entry = getEntryFunction(module);
  std::map<mlir::Operation *, size_t> kernelOf;
  for (auto g : entry.getBody().front().getOps<KernelGroupOp>())
    kernelOf.emplace(g.getOperation(), kernelOf.size());
  std::vector<GroupReference> groups(kernelOf.size());
  interp::RunOptions runOptions;
  runOptions.onKernelGroup = [&](mlir::Operation *group, const std::vector<interp::HostTensor> &in,
                                 const std::vector<interp::HostTensor> &out) {
    GroupReference &r = groups[kernelOf.at(group)];
    for (const interp::HostTensor &t : in)
      r.inputs.emplace_back(t.data, t.data + t.numElements());
    for (const interp::HostTensor &t : out)
      r.results.emplace_back(t.data, t.data + t.numElements());
  };
  auto expected = interp::run(module, inputs, weights, runOptions);
  if (!expected)
    return fail(fmt::format("the reference executor failed: {}", expected.message()), 1);

  std::vector<HostLibrary *> libraryOf;
  std::map<std::string, HostLibrary> libraries;
  size_t fromCache = 0;
  const auto buildStart = std::chrono::steady_clock::now();
  if (rt::Status s = buildKernels(plan, libraryOf, libraries, o.quiet, fromCache); !s.ok())
    return fail(s.message(), 1);
  const double buildSeconds = secondsSince(buildStart);

  auto memory = perf::PlanMemory::allocate(plan);
  if (!memory)
    return fail(memory.message(), 1);
  perf::PlanMemory &mem = **memory;
  // Weights as the device holds them: in their stored_as order, rows padded
  // to their row_pitch, as the runtime uploads them.
  for (const rt::PlanTensor &t : plan.weights) {
    const interp::HostTensor &w = weights.at(t.name);
    std::vector<float> stored =
        rt::toDeviceLayout(std::vector<float>(w.data, w.data + t.numElements()), t);
    store(*dtype, stored.data(), stored.size(), mem.weight(t.name));
  }
  auto storeInputs = [&] {
    for (const rt::PlanTensor &t : plan.inputs)
      store(t.dtype, inputs.at(t.name).data, size_t(t.numElements()), mem.input(t.name));
  };

  const bool f32 = *dtype == rt::DType::F32;
  const double kernelTolerance =
      o.tolerance ? *o.tolerance : f32 ? 2e-5 : *dtype == rt::DType::BF16 ? 1.6e-2 : 2e-3;
  const double modelTolerance =
      o.tolerance ? *o.tolerance : f32 ? 1e-4 : *dtype == rt::DType::BF16 ? 6e-2 : 1e-2;
  const auto runStart = std::chrono::steady_clock::now();
  bool passed = true;
  std::vector<void *> args;
  std::vector<std::pair<const void *, const void *>> ranges;

  // 1. Each kernel of a group alone on the reference's inputs.
  fmt::print("ssmc check {} ({}): {} kernels, {} distinct, built for the CPU in {:.1f} s ({} from "
             "the cache)\n",
             built->model.name, o.dtype, plan.kernels.size(), libraries.size(), buildSeconds,
             fromCache);
  for (size_t k = 0; k < groups.size(); ++k) {
    const rt::PlanKernel &pk = plan.kernels[k];
    storeInputs();
    for (const rt::PlanParam &p : pk.params)
      if (p.kind == rt::PlanParam::Kind::Input && p.value.kind == rt::ValueRef::Kind::Arena)
        store(p.dtype, groups[k].inputs.at(p.index).data(), groups[k].inputs.at(p.index).size(),
              addressOf(p, mem));
    if (rt::Status s = mem.bind(pk, args, ranges); !s.ok())
      return fail(s.message(), 1);
    launch(pk, libraryOf[k]->run, args);
    Difference worst;
    std::string where;
    for (const rt::PlanParam &p : pk.params) {
      if (p.kind != rt::PlanParam::Kind::Output)
        continue;
      const std::vector<float> &want = groups[k].results.at(p.index);
      const std::vector<float> got = readBack(p.dtype, addressOf(p, mem), want.size());
      Difference d = compare(got, want.data(), want.size());
      if (d.relative >= worst.relative) {
        worst = d;
        where = fmt::format("result {} element {} is {} where the reference has {}", p.index, d.at,
                            got[d.at], want[d.at]);
      }
    }
    const bool ok = worst.relative <= kernelTolerance;
    passed &= ok;
    if (!ok || !o.quiet)
      fmt::print("  {:<44} {:>9.2g}{}\n", pk.name, worst.relative,
                 ok ? "" : fmt::format("  FAIL: {}", where));
  }

  // 2. The whole plan in launch order.
  storeInputs();
  std::memset(mem.arena(), 0xff, size_t(plan.arenaBytes)); // NaN until written
  for (size_t k = 0; k < plan.kernels.size(); ++k) {
    if (rt::Status s = mem.bind(plan.kernels[k], args, ranges); !s.ok())
      return fail(s.message(), 1);
    launch(plan.kernels[k], libraryOf[k]->run, args);
  }
  for (const rt::PlanOutput &out : plan.outputs) {
    const interp::HostTensor &want = expected->at(out.name);
    const std::vector<float> got =
        readBack(out.dtype, mem.arena() + out.arenaOffset, size_t(out.numElements()));
    Difference d = compare(got, want.data, got.size());
    const bool ok = d.relative <= modelTolerance;
    passed &= ok;
    fmt::print("  output '{}' [{}], all kernels in order: {:.2g}{}\n", out.name,
               fmt::join(out.shape, ", "), d.relative,
               ok ? "" : fmt::format("  FAIL: element {} is {} where the reference has {}", d.at,
                                     got[d.at], want.data[d.at]));
  }
  fmt::print("{}: figures are max |kernel - reference| / max |reference| (tolerance {:.1g} per "
             "kernel, {:.1g} per output); CPU runs {:.1f} s, total {:.1f} s\n",
             passed ? "PASSED" : "FAILED", kernelTolerance, modelTolerance,
             secondsSince(runStart), secondsSince(start));
  return passed ? 0 : 1;
}

} // namespace ssmc::cli
