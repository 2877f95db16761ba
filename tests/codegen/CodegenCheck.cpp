//===- CodegenCheck.cpp - every generated kernel compiles -----------------===//
//
// For every registered model variant and a few family configurations at odd
// shapes: lower through the whole pipeline, generate every kernel in f32,
// bf16 and f16, and compile each distinct source (kernels equal up to their
// name and comments are compiled once) through NVRTC for sm_80 and sm_90,
// warnings as errors. Prints the counts and times; exits 1 on any failure
// with the kernel's name and NVRTC's log.
//
//   ssmc-codegen-check                       everything
//   ssmc-codegen-check --case vim_tiny       one case (repeatable)
//   ssmc-codegen-check --dump DIR            also write each distinct .cu
//   ssmc-codegen-check --list                the cases
//
//===----------------------------------------------------------------------===//

#include "Codegen.h"
#include "Passes.h"
#include "Registry.h"
#include "SsmcOps.h"

#include "Cuda/Nvrtc.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

using namespace ssmc;

namespace {

struct Case {
  std::string name; // label
  std::string model;
  std::vector<std::pair<std::string, std::string>> sets;
};

std::vector<Case> allCases() {
  std::vector<Case> cases;
  for (const models::Variant &v : models::variants())
    cases.push_back({v.name, v.name, {}});
  cases.push_back({"gated_cnn_block dim=48", "gated_cnn_block", {{"dim", "48"}}});
  cases.push_back({"gated_cnn_block conv_ratio=0.25 kernel_size=5",
                   "gated_cnn_block",
                   {{"dim", "40"}, {"conv_ratio", "0.25"}, {"kernel_size", "5"}}});
  cases.push_back({"mamba_block", "mamba_block", {}});
  cases.push_back({"mamba_block d_model=40 d_state=8", "mamba_block",
                   {{"d_model", "40"}, {"d_state", "8"}}});
  cases.push_back({"vim_mixer", "vim_mixer", {}});
  cases.push_back({"vim_block", "vim_block", {}});
  cases.push_back({"vim_block d_model=24 has_residual=false", "vim_block",
                   {{"d_model", "24"}, {"has_residual", "false"}}});
  cases.push_back({"selective_scan", "selective_scan", {}});
  cases.push_back({"selective_scan all flags", "selective_scan",
                   {{"has_D", "true"},
                    {"has_z", "true"},
                    {"has_delta_bias", "true"},
                    {"delta_softplus", "true"},
                    {"return_last_state", "true"}}});
  cases.push_back({"selective_scan odd", "selective_scan",
                   {{"dim", "37"},
                    {"seqlen", "101"},
                    {"dstate", "5"},
                    {"has_z", "true"},
                    {"return_last_state", "false"}}});
  return cases;
}

/// Builds and lowers one case; the module carries `dtype`.
rt::Expected<mlir::OwningOpRef<mlir::ModuleOp>> lower(mlir::MLIRContext &ctx, const Case &c,
                                                      const std::string &dtype) {
  auto resolved = models::resolve(c.model, c.sets);
  if (!resolved)
    return resolved.status();
  dsl::Graph graph(ctx, resolved->name);
  std::map<std::string, dsl::Tensor> inputs;
  for (const models::InputDecl &d : resolved->family->inputs(resolved->config, 1))
    inputs[d.name] = graph.input(d.name, d.shape);
  resolved->family->build(graph, resolved->config, inputs);
  mlir::OwningOpRef<mlir::ModuleOp> module = graph.finish();
  if (!module)
    return rt::Status::error(fmt::format("cannot build {}: {}", c.name, graph.error()));
  if (dtype != "f32")
    (*module)->setAttr("ssmc.dtype", mlir::StringAttr::get(&ctx, dtype));
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic &d) {
    if (diagnostics.empty())
      diagnostics = d.str();
    return mlir::success();
  });
  mlir::PassManager pm(&ctx);
  buildSsmcPipeline(pm);
  if (mlir::failed(pm.run(*module)))
    return rt::Status::error(fmt::format("pipeline failed on {}: {}", c.name, diagnostics));
  return module;
}

/// Structures the emitters refuse: the error names the group and the op.
struct ErrorCase {
  const char *what;
  const char *mlir;
  std::vector<const char *> expect; // substrings of the message
};

const char *kScanHead = R"(
module {
  func.func @main(%u: tensor<1x8x32xf32> {ssmc.name = "u"}, %d: tensor<1x8x32xf32> {ssmc.name = "delta"},
                  %a: tensor<8x4xf32> {ssmc.name = "A"}, %b: tensor<1x4x32xf32> {ssmc.name = "B"},
                  %c: tensor<1x4x32xf32> {ssmc.name = "C"}) -> (RESULT {ssmc.name = "out"}) {
    %0 = ssmc.kernel_group "g00_bad"(%u, %d, %a, %b, %c) : (tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<8x4xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32>) -> RESULT {
    ^bb0(%u0: tensor<1x8x32xf32>, %d0: tensor<1x8x32xf32>, %a0: tensor<8x4xf32>, %b0: tensor<1x4x32xf32>, %c0: tensor<1x4x32xf32>):
      %out, %h = ssmc.selective_scan %u0, %d0, %a0, %b0, %c0 : (tensor<1x8x32xf32>, tensor<1x8x32xf32>, tensor<8x4xf32>, tensor<1x4x32xf32>, tensor<1x4x32xf32>) -> (tensor<1x8x32xf32>, tensor<1x8x4xf32>)
)";

std::vector<ErrorCase> errorCases() {
  return {
      {"a reduction after a scan",
       R"(      %m = ssmc.reduce_mean %out dims [2] : tensor<1x8x32xf32> -> tensor<1x8xf32>
      ssmc.yield %m : tensor<1x8xf32>
    }
    return %0 : tensor<1x8xf32>
  }
})",
       {"kernel group 'g00_bad'", "'ssmc.reduce_mean'", "elementwise ops, permute, flip"}},
      {"last_state used inside the group",
       R"(      %s = ssmc.scale %h by 2.0 : tensor<1x8x4xf32>
      ssmc.yield %s : tensor<1x8x4xf32>
    }
    return %0 : tensor<1x8x4xf32>
  }
})",
       {"kernel group 'g00_bad'", "'ssmc.scale'", "last_state only as a group result"}},
      {"a scan output read at another channel",
       R"(      %f = ssmc.flip %out axis 1 : tensor<1x8x32xf32>
      %s = ssmc.add %out, %f : tensor<1x8x32xf32>, tensor<1x8x32xf32> -> tensor<1x8x32xf32>
      ssmc.yield %s : tensor<1x8x32xf32>
    }
    return %0 : tensor<1x8x32xf32>
  }
})",
       {"kernel group 'g00_bad'", "two different positions"}},
  };
}

/// Runs the error cases; false if one does not fail as it should.
bool checkErrors() {
  bool ok = true;
  for (const ErrorCase &c : errorCases()) {
    std::string text = std::string(kScanHead) + c.mlir;
    std::string result = std::string(c.mlir).find("tensor<1x8xf32>") != std::string::npos
                             ? "tensor<1x8xf32>"
                         : std::string(c.mlir).find("tensor<1x8x4xf32>") != std::string::npos
                             ? "tensor<1x8x4xf32>"
                             : "tensor<1x8x32xf32>";
    for (size_t at = text.find("RESULT"); at != std::string::npos; at = text.find("RESULT", at))
      text.replace(at, 6, result);
    mlir::MLIRContext ctx;
    ctx.loadDialect<SsmcDialect, mlir::func::FuncDialect>();
    auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
    if (!module) {
      fmt::print(stderr, "FAIL error case '{}': does not parse\n", c.what);
      ok = false;
      continue;
    }
    auto plans = codegen::generateKernels(getEntryFunction(*module), {});
    if (plans) {
      fmt::print(stderr, "FAIL error case '{}': generated a kernel\n", c.what);
      ok = false;
      continue;
    }
    for (const char *want : c.expect)
      if (plans.message().find(want) == std::string::npos) {
        fmt::print(stderr, "FAIL error case '{}': the message lacks \"{}\": {}\n", c.what, want,
                   plans.message());
        ok = false;
      }
  }
  // Ops outside kernel groups: the pipeline was cut short.
  {
    mlir::MLIRContext ctx;
    ctx.loadDialect<SsmcDialect, mlir::func::FuncDialect>();
    auto module = mlir::parseSourceString<mlir::ModuleOp>(R"(
module {
  func.func @main(%x: tensor<4xf32> {ssmc.name = "input"}) -> (tensor<4xf32> {ssmc.name = "output"}) {
    %y = ssmc.gelu %x : tensor<4xf32>
    return %y : tensor<4xf32>
  }
})",
                                                          &ctx);
    auto plans = module ? codegen::generateKernels(getEntryFunction(*module), {})
                        : rt::Expected<std::vector<rt::PlanKernel>>(
                              rt::Status::error("does not parse"));
    if (plans || plans.message().find("'ssmc.gelu' is not in one") == std::string::npos) {
      fmt::print(stderr, "FAIL error case 'ungrouped op': {}\n",
                 plans ? "generated kernels" : plans.message());
      ok = false;
    }
  }
  fmt::print("{} unsupported structures refused with the group and op named\n",
             errorCases().size() + 1);
  return ok;
}

double since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

} // namespace

int main(int argc, char **argv) {
  std::vector<std::string> only;
  std::string dumpDir;
  std::vector<std::string> archs = {"sm_80", "sm_90"};
  // "f32-ffma": f32 with exact FFMA GEMMs instead of TF32 tensor cores.
  std::vector<std::string> dtypes = {"f32", "f32-ffma", "bf16", "f16"};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--case" && i + 1 < argc)
      only.push_back(argv[++i]);
    else if (a == "--dump" && i + 1 < argc)
      dumpDir = argv[++i];
    else if (a == "--arch" && i + 1 < argc)
      archs = {argv[++i]};
    else if (a == "--dtype" && i + 1 < argc)
      dtypes = {argv[++i]};
    else if (a == "--list") {
      for (const Case &c : allCases())
        fmt::print("{}\n", c.name);
      return 0;
    } else {
      fmt::print(stderr, "usage: ssmc-codegen-check [--case NAME]... [--arch sm_XX] [--dtype "
                         "T] [--dump DIR] [--list]\n");
      return 2;
    }
  }
  if (!rt::nvrtcAvailable()) {
    fmt::print("SKIPPED: NVRTC is not available (built without the CUDA toolkit)\n");
    return 77;
  }

  const auto start = std::chrono::steady_clock::now();
  bool failed = !checkErrors();
  std::map<std::string, rt::KernelSource> unique; // key -> first source
  std::map<std::string, std::string> firstOf;     // key -> "case / dtype"
  size_t generated = 0;
  for (const Case &c : allCases()) {
    if (!only.empty() && std::find(only.begin(), only.end(), c.name) == only.end())
      continue;
    const auto caseStart = std::chrono::steady_clock::now();
    size_t before = unique.size(), kernels = 0;
    for (const std::string &variant : dtypes) {
      const std::string dtype = variant.substr(0, variant.find('-'));
      mlir::MLIRContext ctx;
      ctx.printOpOnDiagnostic(false);
      auto module = lower(ctx, c, dtype);
      if (!module) {
        fmt::print(stderr, "FAIL {} ({}): {}\n", c.name, dtype, module.message());
        failed = true;
        continue;
      }
      codegen::CodegenOptions options;
      options.dtype = dtype;
      options.exactF32Gemm = variant == "f32-ffma";
      auto plans = codegen::generateKernels(getEntryFunction(**module), options);
      if (!plans) {
        fmt::print(stderr, "FAIL {} ({}): {}\n", c.name, dtype, plans.message());
        failed = true;
        continue;
      }
      for (const rt::PlanKernel &p : *plans) {
        ++kernels;
        std::string key = rt::canonicalSource({p.name, p.entry, p.source});
        if (unique.emplace(key, p.source).second)
          firstOf[key] = fmt::format("{} / {}", c.name, variant);
      }
    }
    generated += kernels;
    fmt::print("{:<48} {:4} kernels, {:4} new distinct, generated in {:.2f} s\n", c.name, kernels,
               unique.size() - before, since(caseStart));
  }
  const double genSeconds = since(start);

  std::vector<rt::KernelSource> sources;
  std::vector<std::string> origin;
  for (auto &[key, src] : unique) {
    sources.push_back(src);
    origin.push_back(firstOf[key]);
  }
  if (!dumpDir.empty()) {
    std::filesystem::create_directories(dumpDir);
    for (const rt::KernelSource &s : sources)
      std::ofstream(std::filesystem::path(dumpDir) / (s.name + ".cu")) << s.source;
  }

  unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  for (const std::string &arch : archs) {
    const auto t = std::chrono::steady_clock::now();
    rt::NvrtcOptions opts;
    opts.arch = arch;
    auto results = rt::compileKernels(sources, opts, nullptr, threads, /*WarningsAsErrors=*/true);
    size_t ok = 0;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i]) {
        ++ok;
        continue;
      }
      failed = true;
      fmt::print(stderr, "FAIL {} [{}] ({}): {}\n", sources[i].name, arch, origin[i],
                 results[i].message());
    }
    fmt::print("NVRTC {}: {}/{} distinct kernels compiled in {:.1f} s ({} threads)\n", arch, ok,
               sources.size(), since(t), threads);
  }
  fmt::print("{} kernels generated ({} distinct) in {:.1f} s; total {:.1f} s\n", generated,
             sources.size(), genSeconds, since(start));
  if (failed) {
    fmt::print("FAILED\n");
    return 1;
  }
  fmt::print("PASSED\n");
  return 0;
}
