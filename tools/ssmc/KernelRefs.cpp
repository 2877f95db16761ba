//===- KernelRefs.cpp - per-kernel reference data for an artifact ---------===//

#include "KernelRefs.h"
#include "Binding.h"
#include "SsmcOps.h"

#include "Exec/Tensor.h"
#include "Interpreter/Interpreter.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <map>
#include <optional>

namespace fs = std::filesystem;

namespace ssmc::cli {
namespace {

std::vector<rt::TensorToWrite> asTensors(const interp::TensorMap &map) {
  std::vector<rt::TensorToWrite> out;
  for (const auto &[name, t] : map)
    out.push_back({name, rt::DType::F32, t.shape, t.data,
                   static_cast<size_t>(t.numElements()) * sizeof(float)});
  return out;
}

uint64_t bytesOf(const std::vector<rt::TensorToWrite> &tensors) {
  uint64_t n = 0;
  for (const rt::TensorToWrite &t : tensors)
    n += t.numBytes;
  return n;
}

} // namespace

rt::Expected<KernelRefsSummary> writeKernelRefs(const fs::path &dir, mlir::ModuleOp module,
                                                const BuiltModel &built,
                                                const CompiledModel &compiled, uint64_t seed) {
  const rt::Plan &plan = compiled.plan;
  mlir::func::FuncOp entry = getEntryFunction(module);
  if (!entry)
    return rt::Status::error("the module has no entry function");
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    return rt::Status::error(fmt::format("cannot create '{}': {}", dir.string(), ec.message()));

  // The kernel of each group: the plan's kernels are the groups, in order.
  std::map<mlir::Operation *, size_t> kernelOf;
  for (auto g : entry.getBody().front().getOps<KernelGroupOp>())
    kernelOf.emplace(g.getOperation(), kernelOf.size());
  if (kernelOf.size() != plan.kernels.size())
    return rt::Status::error(fmt::format("the module has {} kernel groups but the plan has {} kernels",
                                         kernelOf.size(), plan.kernels.size()));

  // Weights and inputs as `ssmc run --seed` draws them, rounded to the
  // storage type: the GPU then holds exactly what the reference computed
  // with.
  interp::TensorMap weights = randomWeights(built.params, seed);
  interp::TensorMap inputs = randomInputs(built.inputs, seed);
  auto storageOf = [&](const std::string &input) {
    for (const rt::PlanTensor &t : plan.inputs)
      if (t.name == input)
        return t.dtype; // f32 for an input kept in fp32
    return plan.dtype;
  };
  for (auto &[name, t] : weights)
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.data[i] = rt::roundTrip(plan.dtype, t.data[i]);
  for (auto &[name, t] : inputs)
    for (int64_t i = 0; i < t.numElements(); ++i)
      t.data[i] = rt::roundTrip(storageOf(name), t.data[i]);

  nlohmann::ordered_json config(built.model.config.values());
  const std::map<std::string, std::string> meta{
      {"model", plan.model},
      {"config", config.dump()},
      {"dtype", compiled.dtype()},
      {"seed", std::to_string(seed)},
      {"producer", "ssmc compile --kernel-refs"}};
  KernelRefsSummary summary;
  auto write = [&](const std::string &file, const std::vector<rt::TensorToWrite> &tensors,
                   const std::map<std::string, std::string> &extra = {}) {
    std::map<std::string, std::string> m = meta;
    m.insert(extra.begin(), extra.end());
    summary.bytes += bytesOf(tensors);
    return rt::writeSafetensors((dir / file).string(), tensors, m);
  };
  if (rt::Status s = write("weights.safetensors", asTensors(weights)); !s.ok())
    return s;
  if (rt::Status s = write("inputs.safetensors", asTensors(inputs)); !s.ok())
    return s;

  // Each group's file is written during its callback: its tensors may live
  // in the executor's arena, reused by the groups that follow.
  std::optional<rt::Status> failed;
  interp::RunOptions options;
  options.onKernelGroup = [&](mlir::Operation *group, const std::vector<interp::HostTensor> &ins,
                              const std::vector<interp::HostTensor> &outs) {
    if (failed)
      return;
    auto it = kernelOf.find(group);
    if (it == kernelOf.end()) {
      failed = rt::Status::error("the reference executor ran a kernel group the plan lacks");
      return;
    }
    const std::string &name = plan.kernels[it->second].name;
    std::vector<rt::TensorToWrite> tensors;
    for (size_t i = 0; i < ins.size(); ++i)
      tensors.push_back({fmt::format("in{}", i), rt::DType::F32, ins[i].shape, ins[i].data,
                         static_cast<size_t>(ins[i].numElements()) * sizeof(float)});
    for (size_t i = 0; i < outs.size(); ++i)
      tensors.push_back({fmt::format("out{}", i), rt::DType::F32, outs[i].shape, outs[i].data,
                         static_cast<size_t>(outs[i].numElements()) * sizeof(float)});
    if (rt::Status s = write(name + ".safetensors", tensors,
                             {{"kernel", name}, {"kernel_index", std::to_string(it->second)}});
        !s.ok())
      failed = s;
    else
      ++summary.kernels;
  };
  auto outputs = interp::run(module, inputs, weights, options);
  if (!outputs)
    return rt::Status::error("the reference executor failed while writing kernel references: " +
                             outputs.message());
  if (failed)
    return *failed;
  if (summary.kernels != kernelOf.size())
    return rt::Status::error(fmt::format("the reference executor ran {} of the {} kernel groups",
                                         summary.kernels, kernelOf.size()));
  if (rt::Status s = write("outputs.safetensors", asTensors(*outputs)); !s.ok())
    return s;

  return summary;
}

} // namespace ssmc::cli
