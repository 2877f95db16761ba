//===- Session.cpp - one model, built and lowered, for `ssmc` commands ----===//

#include "Session.h"
#include "GpuRun.h"
#include "ModuleFile.h"
#include "Passes.h"
#include "SsmcOps.h"

#include "Support/Arch.h"
#include "Support/AtomicFile.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace mlir;

namespace ssmc::cli {

namespace {
/// "[*, 3, *, *]": the dims a given input must match.
std::string pattern(const models::InputDecl &decl) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < decl.shape.size(); ++i) {
    bool free = std::find(decl.freeDims.begin(), decl.freeDims.end(), int64_t(i)) !=
                decl.freeDims.end();
    parts.push_back(free ? "*" : std::to_string(decl.shape[i]));
  }
  return fmt::format("[{}]", fmt::join(parts, ", "));
}

std::string printModule(ModuleOp module, bool generic) {
  std::string text;
  llvm::raw_string_ostream os(text);
  OpPrintingFlags flags;
  if (generic)
    flags.printGenericOpForm();
  module.print(os, flags);
  return text;
}

/// The elements of `shape`, or an error when they exceed kMaxTensorElements.
rt::Expected<int64_t> elementsOf(llvm::ArrayRef<int64_t> shape, const std::string &what) {
  int64_t n = 1;
  for (int64_t d : shape)
    if (d < 0 || __builtin_mul_overflow(n, d, &n) || n > kMaxTensorElements)
      return rt::Status::error(fmt::format(
          "{} of shape [{}] has more than 2^40 elements (~1.1e12, 4 TiB of f32), more than "
          "ssmc handles in one tensor: make the model or its input smaller",
          what, fmt::join(shape, ", ")));
  return n;
}

/// Counts the model's weights, inputs and largest value, refusing a tensor
/// too large to index (before anything is allocated for it).
rt::Status measureModel(BuiltModel &built) {
  ModelSizes sizes;
  for (const dsl::ParamInfo &p : built.params) {
    auto n = elementsOf(p.shape, fmt::format("weight '{}'", p.name));
    if (!n)
      return n.status();
    if (__builtin_add_overflow(sizes.weightElements, *n, &sizes.weightElements))
      return rt::Status::error("the model's weights together exceed 2^63 elements");
  }
  for (const models::InputDecl &d : built.inputs) {
    auto n = elementsOf(d.shape, fmt::format("input '{}'", d.name));
    if (!n)
      return n.status();
    sizes.inputElements += *n; // each at most 2^40
  }
  rt::Status status = rt::Status::success();
  auto count = [&](Type type, Operation *op) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.hasStaticShape())
      return true;
    auto n = elementsOf(tensor.getShape(), fmt::format("a value of {} ({})", built.model.name,
                                                       op->getName().getStringRef().str()));
    if (!n) {
      status = n.status();
      return false;
    }
    sizes.largestTensorElements = std::max(sizes.largestTensorElements, *n);
    return true;
  };
  (*built.module)->walk([&](Operation *op) {
    for (Type t : op->getResultTypes())
      if (!count(t, op))
        return WalkResult::interrupt();
    for (Region &r : op->getRegions())
      for (Block &b : r)
        for (BlockArgument a : b.getArguments())
          if (!count(a.getType(), op))
            return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (!status.ok())
    return status;
  built.sizes = sizes;
  return rt::Status::success();
}

} // namespace

rt::Status checkHostMemory(const BuiltModel &built, const std::string &what,
                           bool activationsOnHost) {
  const ModelSizes &z = built.sizes; // each term below 2^42 bytes: no overflow
  const double needed = 4.0 * (double(z.weightElements) + double(z.inputElements) +
                               (activationsOnHost ? 2.0 * double(z.largestTensorElements) : 0));
  const long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0)
    return rt::Status::success(); // unknown: let the allocation say
  const double have = double(pages) * double(pageSize);
  if (needed <= have)
    return rt::Status::success();
  constexpr double kGiB = 1024.0 * 1024 * 1024;
  return rt::Status::error(fmt::format(
      "{} needs at least {:.1f} GiB of host memory ({} weights, {} input values{}, as f32), "
      "but this machine has {:.1f} GiB: use a smaller configuration, batch or input",
      what, needed / kGiB, z.weightElements, z.inputElements,
      activationsOnHost
          ? fmt::format(", twice its largest activation of {} values", z.largestTensorElements)
          : std::string(),
      have / kGiB));
}

std::vector<std::string> stageNames() {
  std::vector<std::string> names{"frontend"};
  for (const PipelineStage &s : ssmcPipelineStages())
    names.push_back(s.name);
  return names;
}

rt::Expected<BuiltModel> buildModel(const Options &options,
                                    const std::map<std::string, shape::Shape> &givenShapes) {
  if (isModuleFile(options.model)) {
    auto built = loadModuleFile(options, givenShapes);
    if (built)
      if (rt::Status s = measureModel(*built); !s.ok())
        return s;
    return built;
  }
  auto resolved = models::resolve(options.model, options.sets);
  if (!resolved)
    return resolved.status();
  BuiltModel built;
  built.model = std::move(*resolved);
  const models::Family &family = *built.model.family;

  built.inputs = family.inputs(built.model.config, options.batch.value_or(1));
  // Which inputs have a batch dimension: those whose dim 0 follows the batch size.
  std::map<std::string, bool> batchDims;
  auto atTwo = family.inputs(built.model.config, 2), atOne = family.inputs(built.model.config, 1);
  for (size_t i = 0; i < atOne.size() && i < atTwo.size(); ++i)
    batchDims[atOne[i].name] = !atOne[i].shape.empty() && atOne[i].shape[0] != atTwo[i].shape[0];
  // A named shape must name an input; an unnamed one is the only input's,
  // or every input's when they must share a shape (vim_block's input and
  // residual).
  std::map<std::string, shape::Shape> shapes;
  std::vector<std::string> inputNames;
  for (const models::InputDecl &d : built.inputs)
    inputNames.push_back(d.name);
  for (const auto &[name, dims] : givenShapes) {
    if (!name.empty()) {
      if (std::find(inputNames.begin(), inputNames.end(), name) == inputNames.end())
        return rt::Status::error(fmt::format("--input-shape names '{}', which is not an input of "
                                             "{} (its inputs: {})",
                                             name, built.model.name, fmt::join(inputNames, ", ")));
      shapes[name] = dims;
      continue;
    }
    bool shared = true;
    for (const models::InputDecl &d : built.inputs)
      shared = shared && d.shape == built.inputs[0].shape && d.freeDims == built.inputs[0].freeDims;
    if (!shared)
      return rt::Status::error(fmt::format("{} has several inputs ({}) of different shapes: name "
                                           "the one --input-shape sets, e.g. --input-shape {}={}",
                                           built.model.name, fmt::join(inputNames, ", "),
                                           inputNames[0], fmt::join(dims, ",")));
    for (const std::string &n : inputNames)
      shapes.try_emplace(n, dims); // a named shape wins
  }
  for (models::InputDecl &decl : built.inputs) {
    auto it = shapes.find(decl.name);
    if (it == shapes.end())
      continue;
    const shape::Shape &given = it->second;
    bool fits = given.size() == decl.shape.size();
    for (size_t i = 0; fits && i < given.size(); ++i) {
      bool free = std::find(decl.freeDims.begin(), decl.freeDims.end(), int64_t(i)) !=
                  decl.freeDims.end();
      fits = free || given[i] == decl.shape[i];
    }
    if (!fits)
      return rt::Status::error(fmt::format("input '{}' is {}, but {} expects {} (the fixed "
                                           "dimensions follow its --set configuration)",
                                           decl.name, shape::str(given), built.model.name,
                                           pattern(decl)));
    if (options.batch && batchDims[decl.name] && given[0] != *options.batch)
      return rt::Status::error(fmt::format("input '{}' has batch {} but --batch is {}", decl.name,
                                           given[0], *options.batch));
    decl.shape = given;
  }

  built.context = std::make_unique<MLIRContext>();
  built.context->printOpOnDiagnostic(false);
  dsl::Graph graph(*built.context, built.model.name);
  graph.setCaptureActivations(options.saveActivations);
  std::map<std::string, dsl::Tensor> inputs;
  for (const models::InputDecl &d : built.inputs)
    inputs[d.name] = graph.input(d.name, d.shape);
  family.build(graph, built.model.config, inputs);
  built.module = graph.finish();
  if (!built.module)
    return rt::Status::error(fmt::format("cannot build {}: {}", built.model.name, graph.error()));
  built.params = graph.params();
  if (rt::Status s = measureModel(built); !s.ok())
    return s;
  if (options.dtype != "f32")
    (*built.module)->setAttr(ssmc::kDtypeAttr, StringAttr::get(built.context.get(), options.dtype));
  return built;
}

rt::Status lowerModel(BuiltModel &built, const Options &options) {
  // The target code generation will use (generateModel): the scan tiling
  // is checked against the same shared memory.
  PipelineOptions pipeline;
  pipeline.arch = options.arch.empty() ? defaultArch() : options.arch;
  // The SMs the plan is for (a time-split scan must fill them; a
  // convolution keeps its norm only with rows for them): --sms or --gpu's,
  // the GPU present's, else the architecture's usual GPU.
  pipeline.sms = options.sms ? options.sms : presentSmCount(pipeline.arch);
  if (!pipeline.sms)
    pipeline.sms = rt::typicalSmCount(pipeline.arch).value_or(0);
  // Recorded on the module (every --dump-ir stage shows it), for tools that
  // generate code from a dump (ssmc-translate --emit-cuda).
  (*built.module)->setAttr(ssmc::kArchAttr, StringAttr::get(built.context.get(), pipeline.arch));
  std::vector<PipelineStage> stages = ssmcPipelineStages(pipeline);
  if (!options.stopAfter.empty()) {
    auto names = stageNames();
    if (std::find(names.begin(), names.end(), options.stopAfter) == names.end())
      return rt::Status::error(fmt::format("--stop-after '{}' is not a stage: stages are {}",
                                           options.stopAfter, fmt::join(names, ", ")));
  }
  std::filesystem::path dumpDir(options.dumpIrDir);
  if (!options.dumpIrDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dumpDir, ec);
    if (ec)
      return rt::Status::error(fmt::format("cannot create --dump-ir directory '{}': {}",
                                           options.dumpIrDir, ec.message()));
  }
  auto emit = [&](size_t index, const std::string &name) -> rt::Status {
    if (options.dumpIrDir.empty() && !options.printIrAfterAll)
      return rt::Status::success();
    std::string text = printModule(*built.module, options.printOpGeneric);
    if (options.printIrAfterAll)
      llvm::errs() << "// -----// IR after " << name << " //----- //\n" << text << "\n";
    if (!options.dumpIrDir.empty())
      return rt::writeFileAtomically((dumpDir / fmt::format("{:02}-{}.mlir", index, name)).string(),
                                    text);
    return rt::Status::success();
  };
  if (rt::Status s = emit(0, "frontend"); !s.ok())
    return s;
  if (options.stopAfter == "frontend")
    return rt::Status::success();

  std::string diagnostics;
  ScopedDiagnosticHandler handler(built.context.get(), [&](Diagnostic &d) {
    if (diagnostics.empty())
      diagnostics = d.str();
    return success();
  });
  for (size_t i = 0; i < stages.size(); ++i) {
    PassManager pm(built.context.get());
    stages[i].add(pm);
    if (failed(pm.run(*built.module)))
      return rt::Status::error(fmt::format("stage {} failed on {}: {}", stages[i].name,
                                           built.model.name, diagnostics));
    if (rt::Status s = emit(i + 1, stages[i].name); !s.ok())
      return s;
    if (options.stopAfter == stages[i].name)
      break;
  }
  return rt::Status::success();
}

} // namespace ssmc::cli
