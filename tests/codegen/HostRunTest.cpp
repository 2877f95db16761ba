//===- HostRunTest.cpp - generated kernels against the reference executor -===//
//
// Without a GPU, the generated CUDA is still executed: each kernel is built
// by the host C++ compiler with perf/HostShim.h (CUDA qualifiers erased, a
// block's threads as fibers meeting at a barrier) and run on random
// inputs, and every result is compared with the reference executor running
// the same kernel group alone on the same inputs (rounded to the storage
// type first). Small configurations of every family, all three storage
// types, the default configuration and the last one listed (other tile
// sizes), and a scan's other split and a GEMM's shared panel. Shared memory is filled with NaN before each block (a kernel that
// reads what it never wrote fails); --block-order reverse|shuffle runs the
// blocks of each launch in another order, mixed alternates the two from
// launch to launch (a result that changes is a race between blocks on a
// GPU). The eight slowest runs (and whole-model compiles) are listed at
// the end. Exit 0 when all match, 1 otherwise, 77 when no host compiler.
//
//   ssmc-codegen-host-run [--case NAME]... [--dtype T] [--keep DIR] [--list]
//                         [--block-order in|reverse|shuffle|mixed] [--no-poison]
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"
#include "Cuda/Nvrtc.h"
#include "Exec/Plan.h"
#include "HostKernel.h"
#include "Interpreter/Interpreter.h"
#include "Passes.h"
#include "PlanTrace.h"
#include "Registry.h"
#include "SsmcOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <thread>

#ifndef SSMC_HOST_CXX
#define SSMC_HOST_CXX "c++"
#endif
#ifndef SSMC_CUDA_INCLUDE
#define SSMC_CUDA_INCLUDE "/usr/local/cuda/include"
#endif
#ifndef SSMC_BINARY
#define SSMC_BINARY "ssmc"
#endif

using namespace ssmc;
using namespace mlir;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;
  std::string model;
  std::vector<std::pair<std::string, std::string>> sets;
  std::map<std::string, shape::Shape> shapes; // inputs to resize
  bool f32Only = false;                       // one storage type is enough
  int64_t sms = 0; // the SMs the tiles are chosen for (0: sm_90's); few make big tiles lead
  std::string arch = "sm_90"; // sm_90a: the GEMMs' wgmma configurations run too
};

std::vector<Case> splitScanCases();

std::vector<Case> allCases() {
  std::vector<Case> cases = {
      {"gated_cnn_block dim=48", "gated_cnn_block", {{"dim", "48"}}, {{"input", {1, 6, 5, 48}}}},
      // sm_90a: the wgmma configuration of LayerNorm + fc1 (a panel of 128
      // rows in K blocks of 64, two warpgroups); "mambaout rows" has those
      // of GEMMs without a panel.
      {"gated_cnn_block wgmma",
       "gated_cnn_block",
       {{"dim", "48"}},
       {{"input", {8, 16, 16, 48}}},
       false,
       0,
       "sm_90a"},
      // One 7 x 7 image: fc2's 6 blocks of 32 x 32 slice K (WARPS_K) 2 and 4
      // ways (K = 256), their warps adding their sums in the C tile, and
      // split it (SPLIT_K) between 2 blocks a tile.
      {"gated_cnn_block sliced K", "gated_cnn_block", {{"dim", "96"}}, {{"input", {1, 7, 7, 96}}}},
      {"gated_cnn_block conv_ratio=0.25 kernel_size=5",
       "gated_cnn_block",
       {{"dim", "40"}, {"conv_ratio", "0.25"}, {"kernel_size", "5"}},
       {{"input", {2, 5, 7, 40}}}},
      // Three 40 x 40 images (20 x 20 outputs each): the stem's image staged
      // by rows (kGemmAImage) for blocks that start mid-row and span two
      // images.
      {"mambaout small",
       "mambaout",
       {{"depths", "1,1,2,1"}, {"dims", "16,24,32,40"}, {"num_classes", "10"}},
       {{"input", {3, 3, 40, 40}}}},
      // Channels that are not whole 16-byte pieces (the element paths of the
      // implicit GEMMs), an image whose pixels do not fill the depthwise and
      // GEMM tiles, an odd conv_ratio.
      {"mambaout odd",
       "mambaout",
       {{"depths", "1,1,1,1"},
        {"dims", "12,20,28,36"},
        {"num_classes", "7"},
        {"conv_ratio", "0.7"}},
       {{"input", {1, 3, 30, 30}}}},
      // K whole steps of 64 (BK 64: fc1's K = 64, 128, the third
      // downsample's 9 x 64 taps); hidden widths 85, 170, 256, 341, which
      // ssmc-align-hidden pads to 96, 176 and 352 in bf16/f16 (88, 176, 344
      // in f32) by zeros inserted into fc1's and fc2's weights. "mambaout
      // odd" keeps hidden widths that are not whole pieces (conv parts that
      // are not either): fc2's A as shifted rows, its weight's rows padded.
      {"mambaout wide",
       "mambaout",
       {{"depths", "1,1,1,1"}, {"dims", "32,64,96,128"}, {"num_classes", "10"}},
       {{"input", {1, 3, 32, 32}}}},
      // Tiles chosen for 4 SMs, so that the big ones lead: whole-row
      // tiles of 256 rows for the stem's first conv (2048 rows of 36) and
      // of 128 rows for its second (512 rows of 72), a
      // 128 x 96 tile of 64 x 48 warp tiles for stage 1's fc2 (512 rows of
      // 72); widths not whole 16s. For sm_90a: the GEMMs' wgmma
      // configurations (one and two warpgroups) run as well.
      {"mambaout rows",
       "mambaout",
       {{"depths", "1,1,1,1"}, {"dims", "72,88,104,120"}, {"num_classes", "5"}},
       {{"input", {2, 3, 64, 64}}},
       false,
       4,
       "sm_90a"},
      // The stem's second conv over 24 channels (48-byte pixels) in 16-bit
      // storage: A read along the input's rows (kGemmASpan), a tap row of 72
      // columns a K step of 80; tiles for 4 SMs, so one block's 256 rows
      // span both images' 9 x 9 outputs and 94 rows past M. "mambaout
      // small" reads its convs so too (BK 32, 48, 80, tiles that start
      // mid-row), one of them through the residual add before it.
      {"mambaout stem 24",
       "mambaout",
       {{"depths", "1,1,1,1"}, {"dims", "48,56,64,72"}, {"num_classes", "5"}},
       {{"input", {2, 3, 36, 36}}},
       false,
       4},
      // A last stage of 392 channels: its downsample's LayerNorm is a row
      // kernel of its own (FormKernelGroups: more than 384 channels).
      {"mambaout split norm",
       "mambaout",
       {{"depths", "1,1,1,1"}, {"dims", "16,24,32,392"}, {"num_classes", "5"}},
       {{"input", {2, 3, 64, 64}}}},
      {"mamba_block", "mamba_block", {{"d_model", "32"}}, {{"input", {2, 33, 32}}}},
      {"vim_block",
       "vim_block",
       {{"d_model", "32"}},
       {{"input", {1, 21, 32}}, {"residual", {1, 21, 32}}}},
      // Batches that fill 132 SMs without a time split, so that x_proj's
      // rows are copied (cp.async) and unpacked: dt_rank 8, rows of 40
      // values, every piece of 4 aligned in 16-bit storage; dt_rank 2, rows
      // of 34 (unpacked one value at a time).
      {"vim_block d_model=128 batch=17",
       "vim_block",
       {{"d_model", "128"}},
       {{"input", {17, 13, 128}}, {"residual", {17, 13, 128}}}},
      {"vim_block batch=66",
       "vim_block",
       {{"d_model", "32"}},
       {{"input", {66, 9, 32}}, {"residual", {66, 9, 32}}}},
      {"vim_block has_residual=false",
       "vim_block",
       {{"d_model", "24"}, {"has_residual", "false"}},
       {{"input", {2, 9, 24}}}},
      {"vision_mamba small",
       "vision_mamba",
       {{"img_size", "32"},
        {"patch_size", "8"},
        {"stride", "8"},
        {"depth", "2"},
        {"embed_dim", "32"},
        {"num_classes", "10"}},
       {}},
      {"selective_scan", "selective_scan", {{"dim", "40"}, {"seqlen", "70"}, {"dstate", "4"}}, {}},
      {"selective_scan all flags",
       "selective_scan",
       {{"dim", "33"},
        {"seqlen", "130"},
        {"dstate", "16"},
        {"has_D", "true"},
        {"has_z", "true"},
        {"has_delta_bias", "true"},
        {"delta_softplus", "true"},
        {"return_last_state", "true"}},
       {}},
      // A length of whole 16-byte pieces: u, delta and z reach the sequence
      // tiles 16 bytes a load (the other lengths, a value a thread).
      {"selective_scan seqlen=136",
       "selective_scan",
       {{"dim", "33"},
        {"seqlen", "136"},
        {"dstate", "16"},
        {"has_D", "true"},
        {"has_z", "true"},
        {"has_delta_bias", "true"},
        {"delta_softplus", "true"}},
       {}},
  };
  for (Case &c : splitScanCases())
    cases.push_back(std::move(c));
  return cases;
}

/// The time-parallel scan at lengths around its part and chunk sizes (the
/// default tiling splits these: one batch element, few channels), f32:
/// the split result must equal the sequential scan within fp32 rounding.
std::vector<Case> splitScanCases() {
  std::vector<Case> cases;
  for (const char *seqlen : {"1", "63", "64", "65", "2049", "16384"})
    cases.push_back({fmt::format("selective_scan split seqlen={}", seqlen),
                     "selective_scan",
                     {{"batch", "1"},
                      {"dim", "5"},
                      {"seqlen", seqlen},
                      {"dstate", "4"},
                      {"has_D", "true"},
                      {"has_z", "true"},
                      {"delta_softplus", "true"},
                      {"return_last_state", "true"}},
                     {},
                     true});
  return cases;
}

rt::Expected<OwningOpRef<ModuleOp>> lower(MLIRContext &ctx, const Case &c, const std::string &dtype) {
  auto resolved = models::resolve(c.model, c.sets);
  if (!resolved)
    return resolved.status();
  dsl::Graph graph(ctx, resolved->name);
  std::map<std::string, dsl::Tensor> inputs;
  for (models::InputDecl d : resolved->family->inputs(resolved->config, 1)) {
    if (auto it = c.shapes.find(d.name); it != c.shapes.end())
      d.shape = it->second;
    inputs[d.name] = graph.input(d.name, d.shape);
  }
  resolved->family->build(graph, resolved->config, inputs);
  OwningOpRef<ModuleOp> module = graph.finish();
  if (!module)
    return rt::Status::error(fmt::format("cannot build {}: {}", c.name, graph.error()));
  if (dtype != "f32")
    (*module)->setAttr("ssmc.dtype", StringAttr::get(&ctx, dtype));
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&ctx, [&](Diagnostic &d) {
    if (diagnostics.empty())
      diagnostics = d.str();
    return success();
  });
  PassManager pm(&ctx);
  buildSsmcPipeline(pm);
  if (failed(pm.run(*module)))
    return rt::Status::error(fmt::format("pipeline failed on {}: {}", c.name, diagnostics));
  return module;
}

/// The group alone as a module: inputs in0.., results out0...
OwningOpRef<ModuleOp> isolate(KernelGroupOp group) {
  MLIRContext *ctx = group.getContext();
  Location loc = group.getLoc();
  OwningOpRef<ModuleOp> m = ModuleOp::create(loc);
  ModuleOp parent = group->getParentOfType<ModuleOp>();
  for (NamedAttribute a : parent->getAttrs())
    if (a.getName().getValue().starts_with("ssmc."))
      (*m)->setAttr(a.getName(), a.getValue());
  OpBuilder b(ctx);
  b.setInsertionPointToStart(m->getBody());
  auto type = b.getFunctionType(group.getInputs().getTypes(), group.getResultTypes());
  auto f = b.create<func::FuncOp>(loc, "main", type);
  for (unsigned i = 0; i < group.getInputs().size(); ++i)
    f.setArgAttr(i, kNameAttr, b.getStringAttr(fmt::format("in{}", i)));
  for (unsigned i = 0; i < group.getNumResults(); ++i)
    f.setResultAttr(i, kNameAttr, b.getStringAttr(fmt::format("out{}", i)));
  Block *entry = f.addEntryBlock();
  b.setInsertionPointToStart(entry);
  IRMapping map;
  for (auto [in, arg] : llvm::zip(group.getInputs(), entry->getArguments()))
    map.map(in, arg);
  Operation *clone = b.clone(*group, map);
  clone->removeAttr("ssmc.arena_offsets");
  b.create<func::ReturnOp>(loc, clone->getResults());
  return m;
}

float roundTo(const std::string &dtype, float v) {
  if (dtype == "bf16")
    return __bfloat162float(__float2bfloat16(v));
  if (dtype == "f16")
    return __half2float(__float2half(v));
  return v;
}

std::vector<unsigned char> toStorage(const std::string &dtype, const std::vector<float> &v) {
  size_t bytes = dtype == "f32" ? 4 : 2;
  std::vector<unsigned char> out(v.size() * bytes + 16);
  for (size_t i = 0; i < v.size(); ++i) {
    if (dtype == "f32") {
      std::memcpy(&out[i * 4], &v[i], 4);
    } else if (dtype == "bf16") {
      __nv_bfloat16 h = __float2bfloat16(v[i]);
      std::memcpy(&out[i * 2], &h, 2);
    } else {
      __half h = __float2half(v[i]);
      std::memcpy(&out[i * 2], &h, 2);
    }
  }
  return out;
}

std::vector<float> fromStorage(const std::string &dtype, const unsigned char *p, size_t n) {
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (dtype == "f32") {
      std::memcpy(&out[i], p + i * 4, 4);
    } else if (dtype == "bf16") {
      __nv_bfloat16 h;
      std::memcpy(&h, p + i * 2, 2);
      out[i] = __bfloat162float(h);
    } else {
      __half h;
      std::memcpy(&h, p + i * 2, 2);
      out[i] = __half2float(h);
    }
  }
  return out;
}

/// A tensor's storage: the case's dtype, or "f32" for one kept in fp32.
std::string storageName(rt::DType d, const std::string &dtype) {
  return d == rt::DType::F32 ? "f32" : dtype;
}

/// One kernel run to check: the plan, its inputs and weights (already
/// rounded to the storage type), the reference results.
struct Check {
  std::string label;
  std::string dtype;
  rt::PlanKernel plan;
  std::vector<std::vector<float>> inputs;     // by group input #
  std::map<std::string, std::vector<float>> weights;
  std::vector<std::vector<float>> expected;   // by result #
  std::map<unsigned, unsigned> inPlace;       // result # -> input # sharing its buffer
};

struct Library {
  std::string key;
  std::string source;
  std::vector<std::string> defines;
  fs::path so;
  std::string error;
  void *handle = nullptr;
  rt::KernelSource wgmma; // a wgmma configuration's CUDA source, also compiled by NVRTC
};

std::string hostSource(const rt::PlanKernel &p) {
  return perf::hostKernelSource(p.source, p.entry, perf::paramTypes(p), perf::HostMode::Run);
}

using RunFn = void (*)(void **, const unsigned *, unsigned, size_t, int);

/// How every launch runs (--block-order, --no-poison). "mixed" alternates
/// reversed and shuffled (a new seed each time) from launch to launch.
std::string blockOrder = "in";
bool poisonShared = true;
unsigned launches = 0;

/// Sets the next launch's block order and shared-memory poison in the
/// library (its ssmc_host_options).
void configureLaunch(void *handle) {
  auto options = reinterpret_cast<perf::HostOptionsFn>(dlsym(handle, "ssmc_host_options"));
  if (!options)
    return;
  ++launches;
  perf::HostBlockOrder order =
      blockOrder == "reverse"   ? perf::HostBlockOrder::Reversed
      : blockOrder == "shuffle" ? perf::HostBlockOrder::Shuffled
      : blockOrder == "mixed"
          ? (launches % 2 ? perf::HostBlockOrder::Reversed : perf::HostBlockOrder::Shuffled)
          : perf::HostBlockOrder::InOrder;
  options(int(order), 1234 + launches, poisonShared ? 1 : 0);
}

/// The library's runner (loaded on first use), or null with the reason.
RunFn runnerOf(Library &lib, std::string &why) {
  if (!lib.error.empty()) {
    why = "host compile:\n" + lib.error.substr(0, 3000);
    return nullptr;
  }
  if (!lib.handle)
    lib.handle = dlopen(lib.so.c_str(), RTLD_NOW | RTLD_LOCAL);
  RunFn run = lib.handle ? reinterpret_cast<RunFn>(dlsym(lib.handle, "ssmc_host_run")) : nullptr;
  if (!run)
    why = std::string("dlopen: ") + dlerror();
  return run;
}

/// Largest |got - want| over max |want|, with the element; non-finite
/// values count unless equal.
std::pair<double, size_t> relativeError(const std::vector<float> &got,
                                        const std::vector<float> &want, double &scale) {
  scale = 1e-6;
  for (float w : want)
    scale = std::max(scale, double(std::fabs(w)));
  double worst = 0;
  size_t at = 0;
  for (size_t e = 0; e < want.size(); ++e) {
    double err = std::isfinite(got[e]) ? std::fabs(double(got[e]) - want[e]) / scale
                 : got[e] == want[e]   ? 0.0
                                       : INFINITY;
    if (!(err <= worst)) {
      worst = err;
      at = e;
    }
  }
  return {worst, at};
}

/// A whole model compiled by `ssmc compile -o` and run kernel after kernel
/// through its plan (arena offsets, in-place results, workspace).
struct ModelRun {
  std::string label, dtype;
  rt::Plan plan;
  std::map<std::string, std::vector<float>> inputs, weights, expected;
};

/// The runs that took longest (seconds, label), printed at the end: where
/// the suite's time goes.
std::vector<std::pair<double, std::string>> runTimes;

/// Records the time from its construction to its end under `label`.
struct TimedRun {
  std::string label;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  ~TimedRun() {
    runTimes.emplace_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), label);
  }
};

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> only;
  // "f32-ffma": f32 with exact FFMA GEMMs instead of TF32 tensor cores.
  std::vector<std::string> dtypes = {"f32", "f32-ffma", "bf16", "f16"};
  std::string keep;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--case" && i + 1 < argc)
      only.push_back(argv[++i]);
    else if (a == "--dtype" && i + 1 < argc)
      dtypes = {argv[++i]};
    else if (a == "--keep" && i + 1 < argc)
      keep = argv[++i];
    else if (a == "--no-poison")
      poisonShared = false;
    else if (a == "--block-order" && i + 1 < argc &&
             std::set<std::string>{"in", "reverse", "shuffle", "mixed"}.count(argv[i + 1]))
      blockOrder = argv[++i];
    else if (a == "--list") {
      for (const Case &c : allCases())
        fmt::print("{}\n", c.name);
      return 0;
    } else {
      fmt::print(stderr, "usage: ssmc-codegen-host-run [--case NAME]... [--dtype T] [--keep DIR] "
                         "[--block-order in|reverse|shuffle|mixed] [--no-poison]\n");
      return 2;
    }
  }
  // SSMC_HOST_SANITIZE=address|thread: the kernels under a sanitizer
  // (scripts/host-sanitize.sh preloads its runtime).
  auto sanitizer = perf::hostSanitizer();
  if (!sanitizer) {
    fmt::print(stderr, "FAIL: {}\n", sanitizer.message());
    return 1;
  }
  const std::string flags =
      "-std=c++20 -O1 -w -fPIC -pthread -fno-gnu-unique" + perf::hostSanitizerFlags(*sanitizer);
  if (!sanitizer->empty())
    fmt::print("kernels built with -fsanitize={}\n", *sanitizer);
  const auto start = std::chrono::steady_clock::now();
  if (std::system(fmt::format("{} --version > /dev/null 2>&1", SSMC_HOST_CXX).c_str()) != 0) {
    fmt::print("SKIPPED: no host C++ compiler '{}'\n", SSMC_HOST_CXX);
    return 77;
  }

  // 1. Lower, generate, and run the reference executor per group.
  std::vector<Check> checks;
  bool failedAny = false;
  std::mt19937 rng(1234);
  for (const Case &c : allCases()) {
    if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end())
      continue;
    for (const std::string &variant : dtypes) {
      if (c.f32Only && variant != "f32")
        continue;
      const std::string dtype = variant.substr(0, variant.find('-'));
      MLIRContext ctx;
      ctx.printOpOnDiagnostic(false);
      auto module = lower(ctx, c, dtype);
      if (!module) {
        fmt::print(stderr, "FAIL {} ({}): {}\n", c.name, dtype, module.message());
        failedAny = true;
        continue;
      }
      func::FuncOp entry = getEntryFunction(**module);
      codegen::CodegenOptions options;
      options.dtype = dtype;
      options.exactF32Gemm = variant == "f32-ffma";
      options.sms = c.sms;
      options.arch = c.arch;
      auto plans = codegen::generateKernels(entry, options);
      if (!plans) {
        fmt::print(stderr, "FAIL {} ({}): {}\n", c.name, dtype, plans.message());
        failedAny = true;
        continue;
      }
      size_t k = 0;
      for (auto group : entry.getBody().front().getOps<KernelGroupOp>()) {
        Check check;
        check.label = fmt::format("{} / {} / {}", c.name, variant, group.getName().str());
        check.dtype = dtype;
        check.plan = (*plans)[k++];
        std::uniform_real_distribution<float> uni(-1.f, 1.f);
        interp::TensorMap inputs, weights;
        for (auto [i, v] : llvm::enumerate(group.getInputs())) {
          auto t = cast<RankedTensorType>(v.getType());
          interp::HostTensor h = interp::HostTensor::allocate(
              shape::Shape(t.getShape().begin(), t.getShape().end()));
          std::vector<float> vals(h.numElements());
          // A scan's A must be negative (a decaying state), as -exp(A_log) is.
          auto arg = dyn_cast<BlockArgument>(v);
          auto argName = arg ? entry.getArgAttrOfType<StringAttr>(arg.getArgNumber(), kNameAttr)
                             : StringAttr();
          const bool decay = argName && argName.getValue() == "A";
          // A raw delta stays positive (as softplus makes it), so the state
          // decays and results fit f16.
          const bool step = argName && argName.getValue() == "delta";
          for (float &x : vals)
            x = roundTo(dtype, decay  ? -0.1f - 0.9f * std::fabs(uni(rng))
                               : step ? 0.5f * std::fabs(uni(rng))
                                      : uni(rng));
          std::copy(vals.begin(), vals.end(), h.data);
          inputs[fmt::format("in{}", i)] = h;
          check.inputs.push_back(vals);
        }
        group.walk([&](WeightOp w) {
          std::string name = w.getName().str();
          if (weights.count(name))
            return;
          const shape::Shape checkpoint = w.checkpointShape();
          interp::HostTensor h = interp::HostTensor::allocate(checkpoint);
          std::vector<float> vals(h.numElements());
          for (float &x : vals)
            x = roundTo(dtype, 0.5f * uni(rng));
          std::copy(vals.begin(), vals.end(), h.data);
          weights[name] = h;
          // The kernel reads the weight as the device holds it (inserted_zeros, stored_as,
          // row_pitch).
          rt::PlanTensor device;
          device.shape = checkpoint;
          if (auto o = w.getStoredAs())
            device.storedAs.assign(o->begin(), o->end());
          if (auto z = w.getInsertedZeros())
            device.insertedZeros.assign(z->begin(), z->end());
          device.rowPitch = int64_t(w.getRowPitch().value_or(0));
          check.weights[name] = rt::toDeviceLayout(vals, device);
        });
        // Results memory planning put over an input: run them in place.
        if (auto offsets = group->getAttrOfType<DenseI64ArrayAttr>("ssmc.arena_offsets"))
          for (auto [i, in] : llvm::enumerate(group.getInputs()))
            if (auto res = dyn_cast<OpResult>(in))
              if (auto def = res.getOwner()->getAttrOfType<DenseI64ArrayAttr>(
                      "ssmc.arena_offsets"))
                for (auto [r, o] : llvm::enumerate(offsets.asArrayRef()))
                  if (o == def[res.getResultNumber()])
                    check.inPlace[r] = i;
        OwningOpRef<ModuleOp> alone = isolate(group);
        auto outputs = interp::run(*alone, inputs, weights);
        if (!outputs) {
          fmt::print(stderr, "FAIL {}: reference executor: {}\n", check.label, outputs.message());
          failedAny = true;
          continue;
        }
        for (unsigned i = 0; i < group.getNumResults(); ++i) {
          const interp::HostTensor &o = outputs->at(fmt::format("out{}", i));
          check.expected.emplace_back(o.data, o.data + o.numElements());
        }
        checks.push_back(std::move(check));
      }
    }
  }
  fmt::print("{} kernel runs prepared in {:.1f} s\n", checks.size(), since(start));
  fs::path dir = keep.empty() ? fs::temp_directory_path() / fmt::format("ssmc-host-run-{}", getpid())
                              : fs::path(keep);
  fs::create_directories(dir);

  // 1b. Whole models: `ssmc compile -o`, then the reference executor on the
  // artifact's model.mlir with the same (rounded) inputs and weights.
  std::vector<ModelRun> models;
  const auto modelStart = std::chrono::steady_clock::now();
  for (const Case &c : allCases()) {
    if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end())
      continue;
    for (const std::string &variant : dtypes) {
      if (c.f32Only && variant != "f32")
        continue;
      const std::string dtype = variant.substr(0, variant.find('-'));
      const std::string label = fmt::format("{} / {} / whole model", c.name, variant);
      TimedRun timed{label + ": ssmc compile -o and the reference executor"};
      fs::path art = dir / fmt::format("artifact{:02}", models.size());
      std::string cmd = fmt::format("{} compile {} --dtype {} --arch {} -q -o {}", SSMC_BINARY,
                                    c.model, dtype, c.arch, art.string());
      for (auto &[k, v] : c.sets)
        cmd += fmt::format(" --set {}={}", k, v);
      for (auto &[name, shape] : c.shapes)
        cmd += fmt::format(" --input-shape {}={}", name, fmt::join(shape, ","));
      if (variant == "f32-ffma")
        cmd += " --f32-gemm ffma";
      if (std::system((cmd + " > " + art.string() + ".log 2>&1").c_str()) != 0) {
        std::ifstream log(art.string() + ".log");
        fmt::print(stderr, "FAIL {}: {} failed:\n{}\n", label, cmd,
                   std::string(std::istreambuf_iterator<char>(log), {}));
        failedAny = true;
        continue;
      }
      auto plan = rt::loadArtifact(art.string());
      if (!plan) {
        fmt::print(stderr, "FAIL {}: {}\n", label, plan.message());
        failedAny = true;
        continue;
      }
      MLIRContext ctx;
      ctx.loadDialect<SsmcDialect, func::FuncDialect>();
      OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>((art / "model.mlir").string(), &ctx);
      if (!module) {
        fmt::print(stderr, "FAIL {}: cannot parse model.mlir\n", label);
        failedAny = true;
        continue;
      }
      ModelRun run{label, dtype, std::move(*plan), {}, {}, {}};
      std::uniform_real_distribution<float> uni(-1.f, 1.f);
      interp::TensorMap inputs, weights;
      auto draw = [&](const rt::PlanTensor &t, float scale, bool decay) {
        interp::HostTensor h = interp::HostTensor::allocate(t.shape);
        std::vector<float> vals(h.numElements());
        const bool step = t.name == "delta";
        for (float &x : vals)
          x = roundTo(dtype, decay  ? -0.1f - 0.9f * std::fabs(uni(rng))
                             : step ? 0.5f * std::fabs(uni(rng))
                                    : scale * uni(rng));
        std::copy(vals.begin(), vals.end(), h.data);
        return std::make_pair(h, vals);
      };
      for (const rt::PlanTensor &t : run.plan.inputs)
        std::tie(inputs[t.name], run.inputs[t.name]) = draw(t, 1.0f, t.name == "A");
      for (const rt::PlanTensor &t : run.plan.weights)
        std::tie(weights[t.name], run.weights[t.name]) = draw(t, 0.5f, false);
      auto outputs = interp::run(*module, inputs, weights);
      if (!outputs) {
        fmt::print(stderr, "FAIL {}: reference executor: {}\n", label, outputs.message());
        failedAny = true;
        continue;
      }
      for (auto &[name, t] : *outputs)
        run.expected[name] = std::vector<float>(t.data, t.data + t.numElements());
      models.push_back(std::move(run));
    }
  }
  fmt::print("{} whole models compiled by ssmc and run by the reference executor in {:.1f} s\n",
             models.size(), since(modelStart));

  // 2. Build each distinct (kernel, configuration) once with the host compiler.
  // The shim precompiled once: each kernel then builds in a fraction of the time.
  const std::string shim = (dir / "HostShim.h").string();
  std::ofstream(shim) << perf::hostShimText();
  if (std::system(fmt::format("{} {} -I{} -x c++-header {} -o {}.gch", SSMC_HOST_CXX, flags,
                              SSMC_CUDA_INCLUDE, shim, shim)
                      .c_str()) != 0)
    fmt::print("note: precompiling the shim failed; building without\n");
  // The launcher once, linked into every kernel's library.
  const std::string runner = (dir / "HostRunner.o").string();
  {
    const std::string runnerCpp = (dir / "HostRunner.cpp").string();
    std::ofstream(runnerCpp) << perf::hostRunnerSource();
    if (std::system(fmt::format("{} {} -I{} -include {} -c {} -o {}", SSMC_HOST_CXX, flags,
                                SSMC_CUDA_INCLUDE, shim, runnerCpp, runner)
                        .c_str()) != 0) {
      fmt::print(stderr, "FAIL: the host compiler failed on the kernels' launcher\n");
      return 1;
    }
  }
  std::map<std::string, Library> libraries;
  std::vector<std::vector<std::pair<std::string, const rt::PlanConfig *>>> runsOf(
      checks.size());
  for (size_t i = 0; i < checks.size(); ++i) {
    const rt::PlanKernel &p = checks[i].plan;
    std::vector<const rt::PlanConfig *> configs = {&p.configs.front()};
    if (p.configs.size() > 1)
      configs.push_back(&p.configs.back());
    // Scans also with their smallest block (a partial warp of channels).
    const rt::PlanConfig *smallest = &p.configs.front();
    for (const rt::PlanConfig &c : p.configs)
      if (c.block[0] < smallest->block[0])
        smallest = &c;
    if (p.kind == "scan" && smallest != configs.front() && smallest != configs.back())
      configs.push_back(smallest);
    // Scans both sequential and time-parallel: the first configuration
    // whose split differs from the default's.
    if (p.kind == "scan") {
      const auto splits = [](const rt::PlanConfig *c) { return c->tunables.at("SCAN_SPLITS"); };
      for (const rt::PlanConfig &c : p.configs)
        if (splits(&c) != splits(configs.front())) {
          if (std::find(configs.begin(), configs.end(), &c) == configs.end())
            configs.push_back(&c);
          break;
        }
    }
    // GEMMs also with a panel shared by several blocks (PANEL > 1): each
    // block walks every PANEL-th N tile, and only the first writes the
    // rows' extra results.
    if (p.kind == "gemm")
      for (const rt::PlanConfig &c : p.configs)
        if (auto it = c.tunables.find("PANEL"); it != c.tunables.end() && it->second > 1) {
          if (std::find(configs.begin(), configs.end(), &c) == configs.end())
            configs.push_back(&c);
          break;
        }
    // GEMMs also with sliced K (WARPS_K > 1) and split K (SPLIT_K > 1): the
    // first configuration of each number of slices (whose warps add their
    // sums in turn) and of shares (whose blocks add theirs through the
    // workspace's counters and tiles).
    if (p.kind == "gemm")
      for (const char *tunable : {"WARPS_K", "SPLIT_K"}) {
        std::vector<int64_t> counts;
        for (const rt::PlanConfig &c : p.configs)
          if (auto it = c.tunables.find(tunable);
              it != c.tunables.end() && it->second > 1 && !llvm::is_contained(counts, it->second)) {
            counts.push_back(it->second);
            if (!llvm::is_contained(configs, &c))
              configs.push_back(&c);
          }
      }
    // GEMMs also with wgmma (sm_90a): every such configuration.
    for (const rt::PlanConfig &c : p.configs)
      if (auto it = c.tunables.find("WGMMA");
          it != c.tunables.end() && it->second == 1 && !llvm::is_contained(configs, &c))
        configs.push_back(&c);
    for (size_t c = 0; c < configs.size(); ++c) {
      std::vector<std::string> defines = configs[c] == &p.configs.front()
                                             ? std::vector<std::string>{}
                                                : rt::configDefines(*configs[c]);
      std::string key = rt::canonicalSource({p.name, p.entry, p.source}) + fmt::format("{}", fmt::join(defines, " "));
      auto [it, inserted] = libraries.try_emplace(key);
      if (inserted) {
        it->second.key = key;
        it->second.source = hostSource(p);
        it->second.defines = defines;
        it->second.so = dir / fmt::format("k{:04}_{}.so", libraries.size(), p.entry);
        if (auto w = configs[c]->tunables.find("WGMMA");
            w != configs[c]->tunables.end() && w->second == 1)
          it->second.wgmma = {p.name, p.entry, p.source};
      }
      runsOf[i].push_back({key, configs[c]});
    }
  }
  // A plan's default configuration need not be the first (whose values are
  // the source's own defaults): ssmc compile moves it off one that spills.
  auto modelDefines = [](const rt::PlanKernel &k) {
    return k.defaultConfig == 0 ? std::vector<std::string>{}
                                : rt::configDefines(k.configs[size_t(k.defaultConfig)]);
  };
  auto modelKernelKey = [&](const rt::PlanKernel &k) {
    return rt::canonicalSource({k.name, k.entry, k.source}) +
           fmt::format("{}", fmt::join(modelDefines(k), " "));
  };
  for (const ModelRun &m : models)
    for (const rt::PlanKernel &k : m.plan.kernels) {
      auto [it, inserted] = libraries.try_emplace(modelKernelKey(k));
      if (!inserted)
        continue;
      it->second.key = it->first;
      it->second.defines = modelDefines(k);
      it->second.source =
          perf::hostKernelSource(k.source, k.entry, perf::paramTypes(k), perf::HostMode::Run);
      it->second.so = dir / fmt::format("k{:04}_{}.so", libraries.size(), k.entry);
    }
  const auto buildStart = std::chrono::steady_clock::now();
  std::vector<Library *> todo;
  for (auto &[k, lib] : libraries)
    todo.push_back(&lib);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < todo.size();) {
      Library &lib = *todo[i];
      fs::path cpp = lib.so;
      cpp.replace_extension(".cpp");
      std::ofstream(cpp) << lib.source;
      std::string cmd =
          fmt::format("{} {} -shared -I{} -include {} {} {} {} -o {} > {}.log 2>&1", SSMC_HOST_CXX,
                      flags, SSMC_CUDA_INCLUDE, shim, fmt::join(lib.defines, " "), cpp.string(),
                      runner, lib.so.string(), lib.so.string());
      if (std::system(cmd.c_str()) != 0) {
        std::ifstream log(lib.so.string() + ".log");
        lib.error = std::string(std::istreambuf_iterator<char>(log), {});
      }
    }
  };
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back(worker);
  for (std::thread &t : pool)
    t.join();
  fmt::print("{} distinct kernel configurations built by the host compiler in {:.1f} s\n",
             libraries.size(), since(buildStart));
  // The wgmma configurations through NVRTC for sm_90a as well (warnings as
  // errors, no spills): the host shim ran their index arithmetic, NVRTC
  // checks the instructions and operands (only a GPU checks their layouts).
  std::vector<rt::KernelSource> wgmmaSources;
  std::vector<rt::NvrtcOptions> wgmmaOptions;
  for (auto &[k, lib] : libraries)
    if (!lib.wgmma.source.empty()) {
      wgmmaSources.push_back(lib.wgmma);
      wgmmaOptions.push_back({"sm_90a", lib.defines, ""});
    }
  if (!wgmmaSources.empty() && rt::nvrtcAvailable()) {
    auto compiled = rt::compileKernels(wgmmaSources, wgmmaOptions, nullptr, 0, true);
    size_t ok = 0;
    for (size_t i = 0; i < compiled.size(); ++i) {
      if (!compiled[i])
        fmt::print(stderr, "FAIL NVRTC sm_90a {} [{}]: {}\n", wgmmaSources[i].name,
                   fmt::join(wgmmaOptions[i].extra, " "), compiled[i].message());
      else if (compiled[i]->resources.spillBytes > 0)
        fmt::print(stderr, "FAIL NVRTC sm_90a {} [{}]: {} bytes of registers spilled\n",
                   wgmmaSources[i].name, fmt::join(wgmmaOptions[i].extra, " "),
                   compiled[i]->resources.spillBytes);
      else {
        ++ok;
        fmt::print("  wgmma: {} [{}]: {} registers\n", wgmmaSources[i].name,
                   fmt::join(wgmmaOptions[i].extra, " "), compiled[i]->resources.registers);
      }
    }
    fmt::print("NVRTC sm_90a: {}/{} wgmma configurations compiled without spills\n", ok,
               compiled.size());
    failedAny = failedAny || ok != compiled.size();
  }

  // 3. Run and compare.
  const auto runStart = std::chrono::steady_clock::now();
  size_t passed = 0, runs = 0, inPlaceRuns = 0;
  double worstF32 = 0, worstHalf = 0;
  for (size_t i = 0; i < checks.size(); ++i) {
    const Check &c = checks[i];
    for (auto &[key, config] : runsOf[i]) {
      ++runs;
      Library &lib = libraries[key];
      std::string what = fmt::format("{} [{}]", c.label,
                                     fmt::join(rt::configDefines(*config), " "));
      TimedRun timed{what};
      if (!lib.error.empty()) {
        fmt::print(stderr, "FAIL {}: host compile:\n{}\n", what, lib.error.substr(0, 3000));
        failedAny = true;
        continue;
      }
      if (!lib.handle)
        lib.handle = dlopen(lib.so.c_str(), RTLD_NOW | RTLD_LOCAL);
      auto run = lib.handle ? reinterpret_cast<void (*)(void **, const unsigned *, unsigned, size_t,
                                                        int)>(
                                  dlsym(lib.handle, "ssmc_host_run"))
                            : nullptr;
      if (!run) {
        fmt::print(stderr, "FAIL {}: dlopen: {}\n", what, dlerror());
        failedAny = true;
        continue;
      }
      std::vector<std::vector<unsigned char>> buffers;
      std::vector<void *> args;
      for (const rt::PlanParam &q : c.plan.params) {
        switch (q.kind) {
        case rt::PlanParam::Kind::Input:
          buffers.push_back(toStorage(storageName(q.dtype, c.dtype), c.inputs[q.index]));
          break;
        case rt::PlanParam::Kind::Weight:
          buffers.push_back(toStorage(c.dtype, c.weights.at(q.weight)));
          break;
        case rt::PlanParam::Kind::Output:
          // NaN-filled: an element never written shows up.
          buffers.push_back(toStorage(storageName(q.dtype, c.dtype),
                                      std::vector<float>(q.bytes / rt::dtypeSize(q.dtype), NAN)));
          break;
        case rt::PlanParam::Kind::Workspace: // NaN scratch, zero counters
          buffers.push_back(std::vector<unsigned char>(q.bytes + 16, 0xff));
          std::fill_n(buffers.back().begin(),
                      std::min<size_t>(buffers.back().size(), rt::kWorkspaceCounterBytes), 0);
          break;
        }
      }
      for (auto &b : buffers)
        args.push_back(b.data());
      std::map<size_t, size_t> bufferOfParam; // where each output is read back
      for (size_t p = 0; p < c.plan.params.size(); ++p) {
        bufferOfParam[p] = p;
        const rt::PlanParam &q = c.plan.params[p];
        auto alias = c.inPlace.find(q.index);
        if (q.kind != rt::PlanParam::Kind::Output || alias == c.inPlace.end())
          continue;
        for (size_t p2 = 0; p2 < c.plan.params.size(); ++p2)
          if (c.plan.params[p2].kind == rt::PlanParam::Kind::Input &&
              c.plan.params[p2].index == int64_t(alias->second)) {
            args[p] = args[p2];
            bufferOfParam[p] = p2;
            ++inPlaceRuns;
          }
      }
      const bool sync = c.plan.source.find("__syncthreads") != std::string::npos;
      const unsigned grid[3] = {unsigned(config->grid[0]), unsigned(config->grid[1]),
                                unsigned(config->grid[2])};
      configureLaunch(lib.handle);
      run(args.data(), grid, unsigned(config->block[0]), size_t(config->smemBytes), sync ? 1 : 0);
      bool ok = true;
      for (size_t p = 0; p < c.plan.params.size(); ++p) {
        const rt::PlanParam &q = c.plan.params[p];
        if (q.kind != rt::PlanParam::Kind::Output)
          continue;
        const std::vector<float> &want = c.expected[q.index];
        std::vector<float> got = fromStorage(storageName(q.dtype, c.dtype),
                                             buffers[bufferOfParam[p]].data(), want.size());
        double scale = 1e-6, worst = 0;
        size_t worstAt = 0;
        for (float w : want)
          scale = std::max(scale, double(std::fabs(w)));
        for (size_t e = 0; e < want.size(); ++e) {
          double err = std::isfinite(got[e]) ? std::fabs(double(got[e]) - want[e]) / scale
                       : got[e] == want[e]       ? 0.0
                                                 : INFINITY;
          if (!(err <= worst)) {
            worst = err;
            worstAt = e;
          }
        }
        const double tol = c.dtype == "f32" ? 2e-5 : c.dtype == "bf16" ? 1.6e-2 : 2e-3;
        (c.dtype == "f32" ? worstF32 : worstHalf) =
            std::max(c.dtype == "f32" ? worstF32 : worstHalf, worst);
        if (!(worst <= tol)) {
          ok = false;
          fmt::print(stderr,
                     "FAIL {}: result #{} differs: element {} is {} but the reference executor "
                     "gives {} (error {:.3g} of max |ref| {:.3g}, tolerance {:.1g})\n",
                     what, q.index, worstAt, got[worstAt], want[worstAt], worst, scale, tol);
        }
      }
      if (ok)
        ++passed;
      else
        failedAny = true;
    }
  }
  // 4. Whole models through their plans.
  size_t modelsPassed = 0;
  std::map<std::string, double> worstModel;
  for (ModelRun &m : models) {
    TimedRun timed{m.label};
    const size_t bytes = m.dtype == "f32" ? 4 : 2;
    std::vector<unsigned char> arena(m.plan.arenaBytes + 64, 0xff); // NaN until written
    int64_t wsBytes = 0;
    for (const rt::PlanKernel &k : m.plan.kernels)
      wsBytes = std::max(wsBytes, k.workspaceBytes);
    // NaN scratch until written; the counters zero (rt::kWorkspaceCounterBytes).
    std::vector<unsigned char> ws(wsBytes + 16, 0xff);
    std::fill_n(ws.begin(), std::min<size_t>(ws.size(), rt::kWorkspaceCounterBytes), 0);
    std::map<std::string, std::vector<unsigned char>> inputs, weights;
    for (const rt::PlanTensor &t : m.plan.inputs)
      inputs[t.name] = toStorage(storageName(t.dtype, m.dtype), m.inputs.at(t.name));
    for (const rt::PlanTensor &t : m.plan.weights) // as the device holds them
      weights[t.name] = toStorage(m.dtype, rt::toDeviceLayout(m.weights.at(t.name), t));
    bool ok = true;
    for (const rt::PlanKernel &k : m.plan.kernels) {
      std::string why;
      RunFn run = runnerOf(libraries[modelKernelKey(k)], why);
      if (!run) {
        fmt::print(stderr, "FAIL {}: kernel {}: {}\n", m.label, k.name, why);
        ok = false;
        break;
      }
      std::vector<void *> args;
      for (const rt::PlanParam &q : k.params) {
        switch (q.kind) {
        case rt::PlanParam::Kind::Input:
        case rt::PlanParam::Kind::Output:
          args.push_back(q.value.kind == rt::ValueRef::Kind::ModelInput
                             ? static_cast<void *>(inputs.at(q.value.modelInput).data())
                             : static_cast<void *>(arena.data() + q.value.arenaOffset));
          break;
        case rt::PlanParam::Kind::Weight:
          args.push_back(weights.at(q.weight).data());
          break;
        case rt::PlanParam::Kind::Workspace:
          args.push_back(ws.data());
          break;
        }
      }
      const rt::PlanConfig &cfg = k.configs[k.defaultConfig];
      const unsigned grid[3] = {unsigned(cfg.grid[0]), unsigned(cfg.grid[1]),
                                unsigned(cfg.grid[2])};
      configureLaunch(libraries[modelKernelKey(k)].handle);
      run(args.data(), grid, unsigned(cfg.block[0]), size_t(cfg.smemBytes),
          k.source.find("__syncthreads") != std::string::npos ? 1 : 0);
    }
    // Kernels round every intermediate result to the storage type, the
    // reference keeps fp32 throughout: half types drift more over a model.
    const double tol = m.dtype == "f32" ? 1e-4 : m.dtype == "bf16" ? 6e-2 : 1e-2;
    for (const rt::PlanOutput &o : m.plan.outputs) {
      if (!ok)
        break;
      std::vector<float> got = fromStorage(storageName(o.dtype, m.dtype),
                                           arena.data() + o.arenaOffset, size_t(o.numElements()));
      double scale = 0;
      auto [worst, at] = relativeError(got, m.expected.at(o.name), scale);
      worstModel[m.dtype] = std::max(worstModel[m.dtype], worst);
      if (!(worst <= tol)) {
        ok = false;
        fmt::print(stderr,
                   "FAIL {}: output '{}' element {} is {} but the reference executor gives {} "
                   "(error {:.3g} of max |ref| {:.3g}, tolerance {:.1g})\n",
                   m.label, o.name, at, got[at], m.expected.at(o.name)[at], worst, scale, tol);
      }
    }
    (void)bytes;
    modelsPassed += ok;
    failedAny |= !ok;
  }
  fmt::print("{}/{} whole models match the reference executor through their plans (worst "
             "relative error f32 {:.2g}, bf16 {:.2g}, f16 {:.2g})\n",
             modelsPassed, models.size(), worstModel["f32"], worstModel["bf16"],
             worstModel["f16"]);

  fmt::print("{}/{} kernel runs match the reference executor ({} results written in place; ran "
             "in {:.1f} s; worst relative error f32 {:.2g}, bf16/f16 {:.2g}); total {:.1f} s\n",
             passed, runs, inPlaceRuns, since(runStart), worstF32, worstHalf, since(start));
  std::sort(runTimes.rbegin(), runTimes.rend());
  fmt::print("slowest runs:\n");
  for (size_t i = 0; i < runTimes.size() && i < 8; ++i)
    fmt::print("  {:6.1f} s  {}\n", runTimes[i].first, runTimes[i].second);
  if (keep.empty())
    fs::remove_all(dir);
  fmt::print("{}\n", failedAny ? "FAILED" : "PASSED");
  return failedAny ? 1 : 0;
}
