//===- runtime/TinyArtifact.h - A hand-written two-kernel artifact -*- C++ -*-//
//
// The smallest artifact that exercises every binding of the plan:
//   g00_mul:  y = x * w     x a model input, w a weight, y -> arena offset 0
//   g01_add1: z = y + 1     y from the arena, z -> arena offset A, and a
//                           256-byte workspace (it keeps 64 floats of z)
// Outputs y and z, storage type f32, bf16 or f16. Each kernel has three
// configurations of its BLOCK tunable; the sources index with SSMC_BLOCK,
// not blockDim, so a configuration built without its define computes wrong
// values. The entry names (mul_<dtype>_<n>, add1_<dtype>_<n>) are those the
// fake driver (FakeCuda.cpp) implements on the host.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_TESTS_RUNTIME_TINYARTIFACT_H
#define SSMC_TESTS_RUNTIME_TINYARTIFACT_H

#include "Exec/Plan.h"
#include "Exec/Tensor.h"
#include "Support/Safetensors.h"

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <string>
#include <system_error>
#include <vector>

namespace ssmc::rt::test {

struct TinyArtifact {
  Plan plan;
  std::vector<float> x, w;             ///< float32, before storage rounding
  std::vector<float> expectY, expectZ; ///< what the device must produce
};

inline std::string tinyKernelSource(DType d, bool mul, int64_t n) {
  std::string ty = std::string(planDTypeName(d));
  std::string header, t, ld, st;
  if (d == DType::F32) {
    t = "float";
    ld = "v";
    st = "v";
  } else if (d == DType::BF16) {
    header = "#include <cuda_bf16.h>\n";
    t = "__nv_bfloat16";
    ld = "__bfloat162float(v)";
    st = "__float2bfloat16(v)";
  } else {
    header = "#include <cuda_fp16.h>\n";
    t = "__half";
    ld = "__half2float(v)";
    st = "__float2half(v)";
  }
  std::string src = fmt::format("// tiny test kernel: {}\n{}#ifndef SSMC_BLOCK\n#define SSMC_BLOCK "
                                "128\n#endif\ntypedef {} T;\n"
                                "__device__ inline float ld(T v) {{ return {}; }}\n"
                                "__device__ inline T st(float v) {{ return {}; }}\n",
                                mul ? "y = x * w" : "z = y + 1", header, t, ld, st);
  if (mul)
    src += fmt::format("extern \"C\" __global__ void __launch_bounds__(SSMC_BLOCK)\n"
                       "mul_{0}_{1}(const T *__restrict__ x, const T *__restrict__ w, "
                       "T *__restrict__ y) {{\n"
                       "  const int i = blockIdx.x * SSMC_BLOCK + threadIdx.x;\n"
                       "  if (i < {1}) y[i] = st(ld(x[i]) * ld(w[i]));\n}}\n",
                       ty, n);
  else
    src += fmt::format("extern \"C\" __global__ void __launch_bounds__(SSMC_BLOCK)\n"
                       "add1_{0}_{1}(const T *__restrict__ y, T *__restrict__ z, "
                       "float *__restrict__ ws) {{\n"
                       "  const int i = blockIdx.x * SSMC_BLOCK + threadIdx.x;\n"
                       "  if (i < {1}) {{\n    const float v = ld(y[i]) + 1.0f;\n"
                       "    z[i] = st(v);\n    if (i < 64) ws[i] = v;\n  }}\n}}\n",
                       ty, n);
  return src;
}

inline PlanConfig tinyConfig(int64_t block, int64_t n) {
  PlanConfig c;
  c.tunables["BLOCK"] = block;
  c.grid = {(n + block - 1) / block, 1, 1};
  c.block = {block, 1, 1};
  return c;
}

inline TinyArtifact makeTiny(DType d = DType::F32, int64_t n = 1000) {
  TinyArtifact t;
  const int64_t elem = int64_t(dtypeSize(d));
  const int64_t bytes = n * elem;
  const int64_t zOffset = (bytes + 255) / 256 * 256;
  Plan &p = t.plan;
  p.model = "tiny";
  p.dtype = d;
  p.arch = "sm_90";
  p.arenaBytes = zOffset + bytes;
  p.inputs = {{"x", {n}, d}};
  p.weights = {{"scale.weight", {n}, d}};
  PlanOutput y, z;
  static_cast<PlanTensor &>(y) = {"y", {n}, d};
  y.arenaOffset = 0;
  static_cast<PlanTensor &>(z) = {"z", {n}, d};
  z.arenaOffset = zOffset;
  p.outputs = {y, z};
  p.metadata = {{"written_by", "tests/runtime/TinyArtifact.h"}};

  std::string ty(planDTypeName(d));
  PlanKernel mul;
  mul.name = "g00_mul";
  mul.entry = fmt::format("mul_{}_{}", ty, n);
  mul.kind = "generic";
  mul.sourceFile = "kernels/g00_mul.cu";
  mul.source = tinyKernelSource(d, true, n);
  mul.ops = {"ssmc.elementwise mul"};
  mul.tunables = {"BLOCK"};
  mul.configs = {tinyConfig(128, n), tinyConfig(64, n), tinyConfig(512, n)};
  PlanParam x{PlanParam::Kind::Input, 0, "x", "", {n}, d, bytes, ValueRef::input("x")};
  PlanParam w{PlanParam::Kind::Weight, -1, "w", "scale.weight", {n}, d, bytes, {}};
  PlanParam yOut{PlanParam::Kind::Output, 0, "y", "", {n}, d, bytes, ValueRef::arena(0)};
  mul.params = {x, w, yOut};

  PlanKernel add = mul;
  add.name = "g01_add1";
  add.entry = fmt::format("add1_{}_{}", ty, n);
  add.sourceFile = "kernels/g01_add1.cu";
  add.source = tinyKernelSource(d, false, n);
  add.ops = {"ssmc.elementwise add"};
  add.defaultConfig = 1;
  PlanParam yIn{PlanParam::Kind::Input, 0, "y", "", {n}, d, bytes, ValueRef::arena(0)};
  PlanParam zOut{PlanParam::Kind::Output, 0, "z", "", {n}, d, bytes, ValueRef::arena(zOffset)};
  PlanParam ws{PlanParam::Kind::Workspace, -1, "ws", "", {256}, DType::F32, 256, {}};
  add.params = {yIn, zOut, ws};
  add.workspaceBytes = 256;
  p.kernels = {mul, add};

  for (int64_t i = 0; i < n; ++i) {
    t.x.push_back(0.37f * float(i % 97) - 11.0f + 1.0f / float(i + 3));
    t.w.push_back(1.5f - 0.013f * float(i % 211));
    float y = roundTrip(d, roundTrip(d, t.x.back()) * roundTrip(d, t.w.back()));
    t.expectY.push_back(y);
    t.expectZ.push_back(roundTrip(d, y + 1.0f));
  }
  return t;
}

/// Writes \p ArtifactDir/refs/ as `ssmc compile --kernel-refs` would:
/// weights, inputs and outputs, and per kernel its input (in0) and result
/// (out0). Each kernel run alone on these inputs gives its result exactly.
inline Status writeTinyRefs(const TinyArtifact &t, const std::string &artifactDir) {
  const std::string refs = artifactDir + "/refs/";
  std::error_code ec;
  std::filesystem::create_directories(refs, ec);
  if (ec)
    return Status::error("cannot create " + refs + ": " + ec.message());
  const int64_t n = int64_t(t.x.size());
  auto f32 = [n](const char *name, const std::vector<float> &v) {
    return TensorToWrite{name, DType::F32, {n}, v.data(), v.size() * 4};
  };
  const std::map<std::string, std::string> meta = {
      {"model", "tiny"}, {"seed", "0"}, {"producer", "TinyArtifact.h"}};
  for (auto [File, Tensors] :
       {std::pair<const char *, std::vector<TensorToWrite>>{"weights", {f32("scale.weight", t.w)}},
        {"inputs", {f32("x", t.x)}},
        {"outputs", {f32("y", t.expectY), f32("z", t.expectZ)}},
        {"g00_mul", {f32("in0", t.x), f32("out0", t.expectY)}},
        {"g01_add1", {f32("in0", t.expectY), f32("out0", t.expectZ)}}})
    if (Status s = writeSafetensors(refs + File + ".safetensors", Tensors, meta); !s)
      return s;
  return Status::success();
}

/// Writes the artifact to \p Dir/artifact and its files beside it:
/// weights.safetensors (float32), inputs.safetensors, expected.safetensors;
/// with \p Refs also artifact/refs/ (writeTinyRefs).
inline Status writeTinyFiles(const TinyArtifact &t, const std::string &dir, bool refs = false) {
  if (Status s = writePlan(dir + "/artifact", t.plan); !s)
    return s;
  if (refs)
    if (Status s = writeTinyRefs(t, dir + "/artifact"); !s)
      return s;
  const int64_t n = int64_t(t.x.size());
  auto f32 = [n](const char *name, const std::vector<float> &v) {
    return TensorToWrite{name, DType::F32, {n}, v.data(), v.size() * 4};
  };
  if (Status s = writeSafetensors(dir + "/weights.safetensors", {f32("scale.weight", t.w)}); !s)
    return s;
  if (Status s = writeSafetensors(dir + "/inputs.safetensors", {f32("x", t.x)}); !s)
    return s;
  return writeSafetensors(dir + "/expected.safetensors",
                          {f32("y", t.expectY), f32("z", t.expectZ)});
}

} // namespace ssmc::rt::test

#endif // SSMC_TESTS_RUNTIME_TINYARTIFACT_H
