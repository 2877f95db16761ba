//===- Binding.h - weights and inputs for `ssmc run` ----------------------===//

#ifndef SSMC_TOOLS_BINDING_H
#define SSMC_TOOLS_BINDING_H

#include "Graph.h"
#include "Interpreter/Interpreter.h"
#include "Registry.h"

#include <map>

namespace ssmc::cli {

/// Tensors of a safetensors file by name, converted to fp32 (F32 ones stay
/// in the memory-mapped file). A tensor that cannot be converted (an integer
/// dtype) is an error, or with `unreadable` given, left out and its reason
/// recorded there: an error only if the model needs it, as unused tensors
/// are otherwise ignored.
rt::Expected<interp::TensorMap>
readTensors(const std::string &path, std::map<std::string, std::string> *unreadable = nullptr);

/// The error for model input `name` when `unreadable` has it, else success.
rt::Status checkReadable(const std::map<std::string, std::string> &unreadable,
                         const std::string &name);

struct BoundWeights {
  interp::TensorMap weights;
  std::string unused; ///< tensors allowed unused, listed ("" when none)
};

/// The model's parameters from a checkpoint (official or timm names; an
/// outer `model.` or `module.` prefix is unwrapped), each checked against
/// its declared shape; as PyTorch's strict loading, a tensor the model does
/// not use is an error unless `allowUnused`. All problems are listed in one
/// error, with the names as the file has them where it has them.
rt::Expected<BoundWeights> bindWeights(const std::string &path, const models::Family &family,
                                       const std::vector<dsl::ParamInfo> &params,
                                       bool allowUnused = false);

/// Random parameters drawn from `seed`, each by its declared initialiser.
interp::TensorMap randomWeights(const std::vector<dsl::ParamInfo> &params, uint64_t seed);

/// N(0, 1) inputs drawn from `seed`.
interp::TensorMap randomInputs(const std::vector<models::InputDecl> &inputs, uint64_t seed);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_BINDING_H
