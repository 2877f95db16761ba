//===- Binding.h - weights and inputs for `ssmc run` ----------------------===//

#ifndef SSMC_TOOLS_BINDING_H
#define SSMC_TOOLS_BINDING_H

#include "Graph.h"
#include "Interpreter/Interpreter.h"
#include "Registry.h"

#include <map>

namespace ssmc::cli {

/// Tensors of a safetensors file by name, converted to fp32 (F32 ones stay
/// in the memory-mapped file).
rt::Expected<interp::TensorMap> readTensors(const std::string &path);

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
