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
  std::vector<float> x, w;           ///< float32, before storage rounding
  std::vector<float> expectY, expectZ; ///< what the device must produce
};

inline std::string tinyKernelSource(DType D, bool Mul, int64_t N) {
  std::string Ty = std::string(planDTypeName(D));
  std::string Header, T, Ld, St;
  if (D == DType::F32) {
    T = "float";
    Ld = "v";
    St = "v";
  } else if (D == DType::BF16) {
    Header = "#include <cuda_bf16.h>\n";
    T = "__nv_bfloat16";
    Ld = "__bfloat162float(v)";
    St = "__float2bfloat16(v)";
  } else {
    Header = "#include <cuda_fp16.h>\n";
    T = "__half";
    Ld = "__half2float(v)";
    St = "__float2half(v)";
  }
  std::string Src = fmt::format(
      "// tiny test kernel: {}\n{}#ifndef SSMC_BLOCK\n#define SSMC_BLOCK "
      "128\n#endif\ntypedef {} T;\n"
      "__device__ inline float ld(T v) {{ return {}; }}\n"
      "__device__ inline T st(float v) {{ return {}; }}\n",
      Mul ? "y = x * w" : "z = y + 1", Header, T, Ld, St);
  if (Mul)
    Src += fmt::format(
        "extern \"C\" __global__ void __launch_bounds__(SSMC_BLOCK)\n"
        "mul_{0}_{1}(const T *__restrict__ x, const T *__restrict__ w, "
        "T *__restrict__ y) {{\n"
        "  const int i = blockIdx.x * SSMC_BLOCK + threadIdx.x;\n"
        "  if (i < {1}) y[i] = st(ld(x[i]) * ld(w[i]));\n}}\n",
        Ty, N);
  else
    Src += fmt::format(
        "extern \"C\" __global__ void __launch_bounds__(SSMC_BLOCK)\n"
        "add1_{0}_{1}(const T *__restrict__ y, T *__restrict__ z, "
        "float *__restrict__ ws) {{\n"
        "  const int i = blockIdx.x * SSMC_BLOCK + threadIdx.x;\n"
        "  if (i < {1}) {{\n    const float v = ld(y[i]) + 1.0f;\n"
        "    z[i] = st(v);\n    if (i < 64) ws[i] = v;\n  }}\n}}\n",
        Ty, N);
  return Src;
}

inline PlanConfig tinyConfig(int64_t Block, int64_t N) {
  PlanConfig C;
  C.tunables["BLOCK"] = Block;
  C.grid = {(N + Block - 1) / Block, 1, 1};
  C.block = {Block, 1, 1};
  return C;
}

inline TinyArtifact makeTiny(DType D = DType::F32, int64_t N = 1000) {
  TinyArtifact T;
  const int64_t Elem = int64_t(dtypeSize(D));
  const int64_t Bytes = N * Elem;
  const int64_t ZOffset = (Bytes + 255) / 256 * 256;
  Plan &P = T.plan;
  P.model = "tiny";
  P.dtype = D;
  P.arch = "sm_90";
  P.arenaBytes = ZOffset + Bytes;
  P.inputs = {{"x", {N}, D}};
  P.weights = {{"scale.weight", {N}, D}};
  PlanOutput Y, Z;
  static_cast<PlanTensor &>(Y) = {"y", {N}, D};
  Y.arenaOffset = 0;
  static_cast<PlanTensor &>(Z) = {"z", {N}, D};
  Z.arenaOffset = ZOffset;
  P.outputs = {Y, Z};
  P.metadata = {{"written_by", "tests/runtime/TinyArtifact.h"}};

  std::string Ty(planDTypeName(D));
  PlanKernel Mul;
  Mul.name = "g00_mul";
  Mul.entry = fmt::format("mul_{}_{}", Ty, N);
  Mul.kind = "generic";
  Mul.sourceFile = "kernels/g00_mul.cu";
  Mul.source = tinyKernelSource(D, true, N);
  Mul.ops = {"ssmc.elementwise mul"};
  Mul.tunables = {"BLOCK"};
  Mul.configs = {tinyConfig(128, N), tinyConfig(64, N), tinyConfig(512, N)};
  PlanParam X{PlanParam::Kind::Input, 0, "x", "", {N}, D, Bytes,
              ValueRef::input("x")};
  PlanParam W{PlanParam::Kind::Weight, -1, "w", "scale.weight", {N}, D, Bytes,
              {}};
  PlanParam YOut{PlanParam::Kind::Output, 0, "y", "", {N}, D, Bytes,
                 ValueRef::arena(0)};
  Mul.params = {X, W, YOut};

  PlanKernel Add = Mul;
  Add.name = "g01_add1";
  Add.entry = fmt::format("add1_{}_{}", Ty, N);
  Add.sourceFile = "kernels/g01_add1.cu";
  Add.source = tinyKernelSource(D, false, N);
  Add.ops = {"ssmc.elementwise add"};
  Add.defaultConfig = 1;
  PlanParam YIn{PlanParam::Kind::Input, 0, "y", "", {N}, D, Bytes,
                ValueRef::arena(0)};
  PlanParam ZOut{PlanParam::Kind::Output, 0, "z", "", {N}, D, Bytes,
                 ValueRef::arena(ZOffset)};
  PlanParam Ws{PlanParam::Kind::Workspace, -1, "ws", "", {256}, DType::F32,
               256, {}};
  Add.params = {YIn, ZOut, Ws};
  Add.workspaceBytes = 256;
  P.kernels = {Mul, Add};

  for (int64_t I = 0; I < N; ++I) {
    T.x.push_back(0.37f * float(I % 97) - 11.0f + 1.0f / float(I + 3));
    T.w.push_back(1.5f - 0.013f * float(I % 211));
    float Y = roundTrip(D, roundTrip(D, T.x.back()) * roundTrip(D, T.w.back()));
    T.expectY.push_back(Y);
    T.expectZ.push_back(roundTrip(D, Y + 1.0f));
  }
  return T;
}

/// Writes \p ArtifactDir/refs/ as `ssmc compile --kernel-refs` would:
/// weights, inputs and outputs, and per kernel its input (in0) and result
/// (out0). Each kernel run alone on these inputs gives its result exactly.
inline Status writeTinyRefs(const TinyArtifact &T,
                            const std::string &ArtifactDir) {
  const std::string Refs = ArtifactDir + "/refs/";
  std::error_code EC;
  std::filesystem::create_directories(Refs, EC);
  if (EC)
    return Status::error("cannot create " + Refs + ": " + EC.message());
  const int64_t N = int64_t(T.x.size());
  auto F32 = [N](const char *Name, const std::vector<float> &V) {
    return TensorToWrite{Name, DType::F32, {N}, V.data(), V.size() * 4};
  };
  const std::map<std::string, std::string> Meta = {
      {"model", "tiny"}, {"seed", "0"}, {"producer", "TinyArtifact.h"}};
  for (auto [File, Tensors] :
       {std::pair<const char *, std::vector<TensorToWrite>>{
            "weights", {F32("scale.weight", T.w)}},
        {"inputs", {F32("x", T.x)}},
        {"outputs", {F32("y", T.expectY), F32("z", T.expectZ)}},
        {"g00_mul", {F32("in0", T.x), F32("out0", T.expectY)}},
        {"g01_add1", {F32("in0", T.expectY), F32("out0", T.expectZ)}}})
    if (Status S = writeSafetensors(Refs + File + ".safetensors", Tensors, Meta);
        !S)
      return S;
  return Status::success();
}

/// Writes the artifact to \p Dir/artifact and its files beside it:
/// weights.safetensors (float32), inputs.safetensors, expected.safetensors;
/// with \p Refs also artifact/refs/ (writeTinyRefs).
inline Status writeTinyFiles(const TinyArtifact &T, const std::string &Dir,
                             bool Refs = false) {
  if (Status S = writePlan(Dir + "/artifact", T.plan); !S)
    return S;
  if (Refs)
    if (Status S = writeTinyRefs(T, Dir + "/artifact"); !S)
      return S;
  const int64_t N = int64_t(T.x.size());
  auto F32 = [N](const char *Name, const std::vector<float> &V) {
    return TensorToWrite{Name, DType::F32, {N}, V.data(), V.size() * 4};
  };
  if (Status S =
          writeSafetensors(Dir + "/weights.safetensors", {F32("scale.weight", T.w)});
      !S)
    return S;
  if (Status S = writeSafetensors(Dir + "/inputs.safetensors", {F32("x", T.x)});
      !S)
    return S;
  return writeSafetensors(Dir + "/expected.safetensors",
                          {F32("y", T.expectY), F32("z", T.expectZ)});
}

} // namespace ssmc::rt::test

#endif // SSMC_TESTS_RUNTIME_TINYARTIFACT_H
