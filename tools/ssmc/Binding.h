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

/// The model's parameters from a checkpoint (official or timm names; an
/// outer `model.` prefix is unwrapped), each checked against its declared
/// shape; all missing or mis-shaped ones are listed in one error.
rt::Expected<interp::TensorMap> bindWeights(const std::string &path, const models::Family &family,
                                            const std::vector<dsl::ParamInfo> &params);

/// Random parameters drawn from `seed`, each by its declared initialiser.
interp::TensorMap randomWeights(const std::vector<dsl::ParamInfo> &params, uint64_t seed);

/// N(0, 1) inputs drawn from `seed`.
interp::TensorMap randomInputs(const std::vector<models::InputDecl> &inputs, uint64_t seed);

/// A binary PPM (P6) image, resized to `height`×`width` (bilinear) and
/// normalised with the ImageNet mean and std, as a [1, 3, H, W] tensor.
rt::Expected<interp::HostTensor> readImage(const std::string &path, int64_t height, int64_t width);

} // namespace ssmc::cli

#endif // SSMC_TOOLS_BINDING_H
