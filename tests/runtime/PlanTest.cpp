//===- runtime/PlanTest.cpp - plan.json: round trip and every rejection ---===//
//
// The artifact loader must name the problem (file, kernel, key) and the fix
// for each way an artifact can be damaged or inconsistent.
//
//===----------------------------------------------------------------------===//

#include "Exec/Plan.h"
#include "Exec/Tensor.h"
#include "TestUtil.h"
#include "TinyArtifact.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <functional>
#include <limits>

using namespace ssmc::rt;
using namespace ssmc::rt::test;
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

#define EXPECT_HAS(Message, Part)                                              \
  EXPECT_NE(std::string(Message).find(Part), std::string::npos)                \
      << "expected to find: " << (Part) << "\nin: " << (Message)

/// Writes the tiny artifact, edits its plan.json with \p Edit, loads it and
/// returns the error (empty if it loaded).
std::string loadEdited(const std::function<void(Json &)> &Edit,
                       DType D = DType::F32) {
  TempDir Dir;
  TinyArtifact T = makeTiny(D, 100);
  Status S = writePlan(Dir / "artifact", T.plan);
  if (!S)
    return "writePlan failed: " + S.message();
  std::string PlanPath = Dir / "artifact/plan.json";
  Json J = Json::parse(readText(PlanPath));
  Edit(J);
  writeText(PlanPath, J.dump(1));
  auto P = loadArtifact(Dir / "artifact");
  return P.ok() ? std::string() : P.message();
}

Json &kernel(Json &J, size_t K) { return J["kernels"][K]; }

} // namespace

//===----------------------------------------------------------------------===//
// Round trip
//===----------------------------------------------------------------------===//

TEST(Plan, WriteThenLoadGivesTheSamePlan) {
  for (DType D : {DType::F32, DType::BF16, DType::F16}) {
    TempDir Dir;
    TinyArtifact T = makeTiny(D, 100);
    T.plan.nvrtcOptions = {"-DSSMC_EXTRA=1"};
    ASSERT_TRUE(writePlan(Dir / "a", T.plan).ok());
    auto P = loadArtifact(Dir / "a");
    ASSERT_TRUE(P.ok()) << P.message();
    EXPECT_EQ(planToJson(*P), planToJson(T.plan));
    EXPECT_EQ(P->dtype, D);
    EXPECT_EQ(P->nvrtcOptions, T.plan.nvrtcOptions);
    EXPECT_EQ(P->metadata, T.plan.metadata);
    ASSERT_EQ(P->kernels.size(), 2u);
    for (size_t K = 0; K < 2; ++K) {
      const PlanKernel &A = P->kernels[K], &B = T.plan.kernels[K];
      EXPECT_EQ(A.source, B.source);
      EXPECT_EQ(A.entry, B.entry);
      EXPECT_EQ(A.defaultConfig, B.defaultConfig);
      ASSERT_EQ(A.configs.size(), B.configs.size());
      EXPECT_EQ(A.configs[1].tunables, B.configs[1].tunables);
      EXPECT_EQ(A.configs[1].grid, B.configs[1].grid);
      ASSERT_EQ(A.params.size(), B.params.size());
      for (size_t I = 0; I < A.params.size(); ++I) {
        EXPECT_EQ(A.params[I].kind, B.params[I].kind);
        EXPECT_EQ(A.params[I].weight, B.params[I].weight);
        EXPECT_EQ(A.params[I].bytes, B.params[I].bytes);
        EXPECT_EQ(A.params[I].value.kind, B.params[I].value.kind);
        EXPECT_EQ(A.params[I].value.modelInput, B.params[I].value.modelInput);
        EXPECT_EQ(A.params[I].value.arenaOffset, B.params[I].value.arenaOffset);
      }
      EXPECT_EQ(A.workspaceBytes, B.workspaceBytes);
    }
    EXPECT_EQ(P->outputs[1].arenaOffset, T.plan.outputs[1].arenaOffset);
    EXPECT_TRUE(fs::exists(Dir / "a/kernels/g00_mul.cu"));
  }
}

TEST(Plan, TheJsonHasTheDocumentedShape) {
  TinyArtifact T = makeTiny(DType::BF16, 100);
  Json J = Json::parse(planToJson(T.plan));
  EXPECT_EQ(J["format"], "ssmc-plan");
  EXPECT_EQ(J["version"], 1);
  EXPECT_EQ(J["dtype"], "bf16");
  EXPECT_EQ(J["arena_bytes"], 456);
  EXPECT_EQ(J["outputs"][1]["arena_offset"], 256);
  const Json &K = J["kernels"][0];
  EXPECT_EQ(K["source_file"], "kernels/g00_mul.cu");
  EXPECT_EQ(K["configs"][1]["tunables"]["BLOCK"], 64);
  EXPECT_EQ(K["params"][0]["value"]["model_input"], "x");
  EXPECT_EQ(K["params"][1]["weight"], "scale.weight");
  EXPECT_FALSE(K["params"][1].contains("value"));
  EXPECT_EQ(K["params"][2]["value"]["arena_offset"], 0);
  EXPECT_EQ(J["kernels"][1]["params"][2]["kind"], "workspace");
  EXPECT_FALSE(K.contains("source")); // sources live in kernels/*.cu
}

TEST(Plan, RewritingReplacesTheOldArtifactAndLeavesNoTemporaries) {
  TempDir Dir;
  TinyArtifact T = makeTiny(DType::F32, 100);
  ASSERT_TRUE(writePlan(Dir / "a", T.plan).ok());
  T.plan.model = "tiny-again";
  T.plan.kernels[0].source += "// changed\n";
  ASSERT_TRUE(writePlan(Dir / "a", T.plan).ok());
  auto P = loadArtifact(Dir / "a");
  ASSERT_TRUE(P.ok()) << P.message();
  EXPECT_EQ(P->model, "tiny-again");
  EXPECT_EQ(P->kernels[0].source, T.plan.kernels[0].source);
  for (auto &E : fs::recursive_directory_iterator(Dir.path()))
    EXPECT_EQ(E.path().string().find(".tmp."), std::string::npos)
        << E.path();
}

// A plan is validated once, where it is read (the compiler's are valid by
// construction and tested so): a bad record written by hand is refused by
// loadArtifact, naming the file and the key.
TEST(Plan, AnInvalidPlanIsRefusedWhereItIsRead) {
  TempDir Dir;
  TinyArtifact T = makeTiny(DType::F32, 100);
  T.plan.kernels[1].defaultConfig = 7;
  ASSERT_TRUE(writePlan(Dir / "a", T.plan).ok());
  auto P = loadArtifact(Dir / "a");
  ASSERT_FALSE(P.ok());
  EXPECT_HAS(P.message(), "plan.json");
  EXPECT_HAS(P.message(), "default_config 7 is out of range");
}

TEST(Plan, WriteNeedsTheSourceOrAnExistingFile) {
  TempDir Dir;
  TinyArtifact T = makeTiny(DType::F32, 100);
  T.plan.kernels[0].source.clear();
  Status S = writePlan(Dir / "a", T.plan);
  ASSERT_FALSE(S.ok());
  EXPECT_HAS(S.message(), "kernel 'g00_mul' has no source");
}

TEST(Plan, ConfigDefinesNameEveryTunable) {
  PlanConfig C = tinyConfig(64, 100);
  C.tunables["TILE_M"] = 32;
  EXPECT_EQ(configDefines(C),
            (std::vector<std::string>{"-DSSMC_BLOCK=64", "-DSSMC_TILE_M=32"}));
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

TEST(PlanLoad, MissingDirectory) {
  TempDir Dir;
  auto P = loadArtifact(Dir / "nowhere");
  ASSERT_FALSE(P.ok());
  EXPECT_HAS(P.message(), "artifact directory '" + (Dir / "nowhere") +
                              "' does not exist");
  EXPECT_HAS(P.message(), "ssmc compile MODEL -o");
}

TEST(PlanLoad, MissingPlanJson) {
  TempDir Dir;
  auto P = loadArtifact(Dir.path());
  ASSERT_FALSE(P.ok());
  EXPECT_HAS(P.message(), "plan.json is missing");
  EXPECT_HAS(P.message(), "not an ssmc artifact");
}

TEST(PlanLoad, UnreadablePlanJson) {
  TempDir Dir;
  fs::create_directories(Dir / "plan.json"); // a directory: never readable
  auto P = loadArtifact(Dir.path());
  ASSERT_FALSE(P.ok());
  EXPECT_HAS(P.message(), "cannot read " + (Dir / "plan.json"));
}

TEST(PlanLoad, NotJson) {
  TempDir Dir;
  writeText(Dir / "plan.json", "{\"format\": \"ssmc-plan\", ");
  auto P = loadArtifact(Dir.path());
  ASSERT_FALSE(P.ok());
  EXPECT_HAS(P.message(), "plan.json is not valid JSON");
  EXPECT_HAS(P.message(), "recompile it");
}

TEST(PlanLoad, TopLevelNotAnObject) {
  auto E = loadEdited([](Json &J) { J = Json::array({1, 2}); });
  EXPECT_HAS(E, "the top level must be a JSON object");
}

TEST(PlanLoad, WrongFormat) {
  auto E = loadEdited([](Json &J) { J["format"] = "onnx"; });
  EXPECT_HAS(E, "not an ssmc plan (key 'format' must be \"ssmc-plan\")");
}

TEST(PlanLoad, WrongVersion) {
  auto E = loadEdited([](Json &J) { J["version"] = 2; });
  EXPECT_HAS(E, "plan version 2 is not supported (this ssmc reads version 1)");
  EXPECT_HAS(E, "recompile the artifact");
}

TEST(PlanLoad, MissingKernelSource) {
  TempDir Dir;
  ASSERT_TRUE(writePlan(Dir / "a", makeTiny(DType::F32, 100).plan).ok());
  fs::remove(Dir / "a/kernels/g01_add1.cu");
  auto P = loadArtifact(Dir / "a");
  ASSERT_FALSE(P.ok());
  EXPECT_HAS(P.message(), "kernel 'g01_add1' needs " +
                              (Dir / "a/kernels/g01_add1.cu") +
                              ", which is missing");
  EXPECT_HAS(P.message(), "the artifact is incomplete");
}

TEST(PlanLoad, EmptyKernelSource) {
  TempDir Dir;
  ASSERT_TRUE(writePlan(Dir / "a", makeTiny(DType::F32, 100).plan).ok());
  writeText(Dir / "a/kernels/g00_mul.cu", "");
  auto P = loadArtifact(Dir / "a");
  ASSERT_FALSE(P.ok());
  EXPECT_HAS(P.message(), "g00_mul.cu (kernel 'g00_mul') is empty");
}

//===----------------------------------------------------------------------===//
// Keys and types
//===----------------------------------------------------------------------===//

TEST(PlanLoad, MissingTopLevelKey) {
  auto E = loadEdited([](Json &J) { J.erase("arena_bytes"); });
  EXPECT_HAS(E, "plan.json: key 'arena_bytes' is missing");
}

TEST(PlanLoad, MissingKeyNamesTheKernel) {
  auto E = loadEdited([](Json &J) { kernel(J, 1).erase("entry"); });
  EXPECT_HAS(E, "kernels[1] ('g01_add1'): key 'entry' is missing");
}

TEST(PlanLoad, MissingKeyNamesTheParameter) {
  auto E = loadEdited(
      [](Json &J) { kernel(J, 0)["params"][1].erase("weight"); });
  EXPECT_HAS(E, "kernels[0] ('g00_mul').params[1]: key 'weight' is missing");
}

TEST(PlanLoad, WrongTypeNamesKeyAndTypes) {
  auto E = loadEdited(
      [](Json &J) { kernel(J, 0)["params"][0]["shape"] = "1000"; });
  EXPECT_HAS(E, "kernels[0] ('g00_mul').params[0]: key 'shape' must be an "
                "array of integers, not a string");
  E = loadEdited([](Json &J) { J["arena_bytes"] = 1.5; });
  EXPECT_HAS(E, "key 'arena_bytes' must be an integer, not a fractional "
                "number");
  E = loadEdited([](Json &J) { kernel(J, 1)["configs"][2]["grid"] = {1, 1}; });
  EXPECT_HAS(E, "kernels[1] ('g01_add1').configs[2]: key 'grid' must have 3 "
                "entries");
  E = loadEdited([](Json &J) { kernel(J, 0)["configs"][0]["tunables"]["BLOCK"] = "x"; });
  EXPECT_HAS(E, "tunable 'BLOCK' must be an integer");
  E = loadEdited([](Json &J) { J["kernels"] = Json::object(); });
  EXPECT_HAS(E, "key 'kernels' must be an array, not an object");
}

TEST(PlanLoad, UnknownDtype) {
  auto E = loadEdited([](Json &J) { J["weights"][0]["dtype"] = "f64"; });
  EXPECT_HAS(E, "weights[0]: unknown dtype 'f64' (key 'dtype'): a plan "
                "stores f32, bf16 or f16");
  E = loadEdited([](Json &J) { J["dtype"] = "int8"; });
  EXPECT_HAS(E, "unknown dtype 'int8'");
}

TEST(PlanLoad, UnknownParameterKind) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["params"][0]["kind"] = "scalar"; });
  EXPECT_HAS(E, "unknown parameter kind 'scalar'");
}

TEST(PlanLoad, ValueNeedsExactlyOneBinding) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["params"][0].erase("value"); });
  EXPECT_HAS(E, "kernels[0] ('g00_mul').params[0]: key 'value' is missing");
  E = loadEdited([](Json &J) {
    kernel(J, 0)["params"][0]["value"]["arena_offset"] = 0;
  });
  EXPECT_HAS(E, "exactly one of 'model_input'");
}

//===----------------------------------------------------------------------===//
// Consistency
//===----------------------------------------------------------------------===//

TEST(PlanLoad, ArenaTooSmallForAKernelsOutput) {
  auto E = loadEdited([](Json &J) { J["arena_bytes"] = 600; });
  EXPECT_HAS(E, "outputs[1] ('z'): arena bytes [512, 912) lie outside the "
                "arena (arena_bytes 600)");
}

TEST(PlanLoad, ParamOffsetOutsideTheArena) {
  auto E = loadEdited([](Json &J) {
    kernel(J, 1)["params"][1]["value"]["arena_offset"] = 4096;
  });
  EXPECT_HAS(E, "kernels[1] ('g01_add1').params[1] ('z'): arena bytes [4096, "
                "4496) lie outside the arena");
  E = loadEdited([](Json &J) {
    kernel(J, 0)["params"][2]["value"]["arena_offset"] = -4;
  });
  EXPECT_HAS(E, "lie outside the arena");
}

TEST(PlanLoad, MisalignedOffset) {
  auto E = loadEdited([](Json &J) {
    kernel(J, 1)["params"][1]["value"]["arena_offset"] = 2;
  });
  EXPECT_HAS(E, "arena offset 2 is not a multiple of the element size 4");
}

TEST(PlanLoad, BytesDisagreeWithShape) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["params"][0]["bytes"] = 399; });
  EXPECT_HAS(E, "kernels[0] ('g00_mul').params[0] ('x'): bytes is 399 but "
                "shape [100] of f32 takes 400 bytes");
}

TEST(PlanLoad, BytesDisagreeWithDtype) {
  auto E = loadEdited([](Json &J) { kernel(J, 1)["params"][1]["dtype"] = "bf16"; });
  EXPECT_HAS(E, "bytes is 400 but shape [100] of bf16 takes 200 bytes");
}

TEST(PlanLoad, NegativeOrHugeShape) {
  auto E = loadEdited([](Json &J) { J["inputs"][0]["shape"] = {-1}; });
  EXPECT_HAS(E, "inputs[0] ('x'): shape [-1] has a negative dimension");
  E = loadEdited([](Json &J) {
    J["weights"][0]["shape"] = {int64_t(1) << 40, int64_t(1) << 40};
  });
  EXPECT_HAS(E, "is too large");
}

TEST(PlanLoad, DefaultConfigOutOfRange) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["default_config"] = 3; });
  EXPECT_HAS(E, "kernels[0] ('g00_mul'): default_config 3 is out of range: "
                "there are 3 configurations (0 to 2)");
  E = loadEdited([](Json &J) { kernel(J, 0)["default_config"] = -1; });
  EXPECT_HAS(E, "default_config -1 is out of range");
}

TEST(PlanLoad, NoConfigurations) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["configs"] = Json::array(); });
  EXPECT_HAS(E, "kernels[0] ('g00_mul'): has no configurations");
}

TEST(PlanLoad, ZeroGridOrBlock) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["configs"][1]["grid"] = {0, 1, 1}; });
  EXPECT_HAS(E, "kernels[0] ('g00_mul').configs[1]: grid.x is 0: it must be 1 "
                "to");
  E = loadEdited([](Json &J) { kernel(J, 0)["configs"][1]["block"] = {64, 0, 1}; });
  EXPECT_HAS(E, "block.y is 0: it must be 1 to 1024");
}

TEST(PlanLoad, TooManyThreadsPerBlock) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["configs"][2]["block"] = {64, 32, 1}; });
  EXPECT_HAS(E, "kernels[0] ('g00_mul').configs[2]: block [64, 32, 1] has "
                "2048 threads: at most 1024 are allowed");
  E = loadEdited([](Json &J) { kernel(J, 0)["configs"][2]["block"] = {2048, 1, 1}; });
  EXPECT_HAS(E, "block.x is 2048: it must be 1 to 1024");
}

TEST(PlanLoad, TooMuchSharedMemory) {
  auto E = loadEdited([](Json &J) { kernel(J, 1)["configs"][0]["smem_bytes"] = 300000; });
  EXPECT_HAS(E, "kernels[1] ('g01_add1').configs[0]: smem_bytes 300000 is "
                "outside 0 to 232448 (227 KiB");
  EXPECT_TRUE(loadEdited([](Json &J) {
                kernel(J, 1)["configs"][0]["smem_bytes"] = 227 * 1024;
              }).empty());
}

TEST(PlanLoad, TunablesOfAConfigMustBeTheKernels) {
  auto E = loadEdited([](Json &J) {
    kernel(J, 0)["configs"][1]["tunables"] = {{"TILE", 4}};
  });
  EXPECT_HAS(E, "configs[1]: sets tunables TILE but the kernel's tunables are "
                "BLOCK");
}

TEST(PlanLoad, DuplicateKernelNames) {
  auto E = loadEdited([](Json &J) { kernel(J, 1)["name"] = "g00_mul"; });
  EXPECT_HAS(E, "kernels[1] ('g00_mul'): a second kernel is named 'g00_mul': "
                "kernel names must be unique");
}

TEST(PlanLoad, DuplicateTensorNames) {
  auto E = loadEdited([](Json &J) { J["outputs"][1]["name"] = "y"; });
  EXPECT_HAS(E, "'y' appears twice in 'outputs'");
}

TEST(PlanLoad, KernelNamesAndFilesStayInsideTheArtifact) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["name"] = "../evil"; });
  EXPECT_HAS(E, "kernel names must be non-empty and use only letters");
  E = loadEdited([](Json &J) { kernel(J, 0)["source_file"] = "../../etc/passwd"; });
  EXPECT_HAS(E, "source_file '../../etc/passwd' must be a path inside the "
                "artifact");
}

TEST(PlanLoad, EntryMustBeASymbol) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["entry"] = "mul f32"; });
  EXPECT_HAS(E, "entry 'mul f32' is not a C symbol");
}

TEST(PlanLoad, BadArch) {
  auto E = loadEdited([](Json &J) { J["arch"] = "hopper"; });
  EXPECT_HAS(E, "arch 'hopper' is not a CUDA target such as sm_80 or sm_90");
  EXPECT_TRUE(loadEdited([](Json &J) { J["arch"] = "sm_90a"; }).empty());
}

TEST(PlanLoad, WeightParamMustMatchTheWeightsList) {
  auto E = loadEdited([](Json &J) { kernel(J, 0)["params"][1]["weight"] = "nope"; });
  EXPECT_HAS(E, "weight 'nope' is not in the plan's 'weights'");
  E = loadEdited([](Json &J) {
    J["weights"][0]["shape"] = {10, 10};
  });
  EXPECT_HAS(E, "weight 'scale.weight' is [100] f32 here but [10, 10] f32 in "
                "'weights'");
}

TEST(PlanLoad, ModelInputBindingMustExistAndMatch) {
  auto E = loadEdited([](Json &J) {
    kernel(J, 0)["params"][0]["value"]["model_input"] = "image";
  });
  EXPECT_HAS(E, "binds model input 'image', which is not in the plan's "
                "'inputs'");
  E = loadEdited([](Json &J) { J["inputs"][0]["shape"] = {4, 25}; });
  EXPECT_HAS(E, "is [100] f32 but model input 'x' is [4, 25] f32");
}

TEST(PlanLoad, OutputParamMustBeInTheArena) {
  auto E = loadEdited([](Json &J) {
    kernel(J, 0)["params"][2]["value"] = {{"model_input", "x"}};
  });
  EXPECT_HAS(E, "an output parameter must be bound to {\"arena_offset\": N}");
}

TEST(PlanLoad, ReadBeforeWrite) {
  auto E = loadEdited([](Json &J) { std::swap(kernel(J, 0), kernel(J, 1)); });
  EXPECT_HAS(E, "kernels[0] ('g01_add1').params[0] ('y'): reads arena bytes "
                "[0, 400), which no earlier kernel writes");
}

TEST(PlanLoad, ModelOutputWrittenByNoKernel) {
  auto E = loadEdited([](Json &J) { J["outputs"][1]["arena_offset"] = 400; });
  EXPECT_HAS(E, "outputs[1] ('z'): arena bytes [400, 800) are written by no "
                "kernel");
}

TEST(PlanLoad, WorkspaceMustFit) {
  auto E = loadEdited([](Json &J) { kernel(J, 1)["workspace_bytes"] = 128; });
  EXPECT_HAS(E, "workspace of 256 bytes exceeds the kernel's workspace_bytes "
                "128");
  E = loadEdited([](Json &J) { kernel(J, 1)["params"][2]["shape"] = {64}; });
  EXPECT_HAS(E, "a workspace's shape must be [bytes] = [256], not [64]");
}

TEST(PlanLoad, UnknownKeysAreIgnored) {
  EXPECT_TRUE(loadEdited([](Json &J) {
                J["flops"] = 12345;
                kernel(J, 0)["bytes_moved"] = 10;
              }).empty());
}

TEST(PlanLoad, MetadataMustBeStrings) {
  auto E = loadEdited([](Json &J) { J["metadata"]["seed"] = 3; });
  EXPECT_HAS(E, "metadata 'seed' must be a string");
}

//===----------------------------------------------------------------------===//
// Storage-type conversion (Exec/Tensor.h)
//===----------------------------------------------------------------------===//

TEST(Convert, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32ToBf16(1.0f), 0x3F80);
  EXPECT_EQ(f32ToBf16(-2.5f), 0xC020);
  EXPECT_EQ(f32ToBf16(1.0f + 0x1p-8f), 0x3F80);        // tie -> even
  EXPECT_EQ(f32ToBf16(1.0f + 3 * 0x1p-8f), 0x3F82);    // tie -> even (up)
  EXPECT_EQ(f32ToBf16(1.0f + 0x1p-8f + 0x1p-12f), 0x3F81);
  EXPECT_EQ(f32ToBf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(f32ToBf16(3.4e38f), 0x7F80); // rounds up to infinity
  EXPECT_TRUE(std::isnan(bf16ToF32(f32ToBf16(std::nanf("")))));
  // A NaN whose payload lies only in the dropped bits stays a NaN.
  EXPECT_TRUE(std::isnan(bf16ToF32(f32ToBf16(bitsFloat(0x7F800001u)))));
  EXPECT_EQ(bf16ToF32(0x4049), 3.140625f);
}

TEST(Convert, F16RoundsSaturatesAndKeepsSubnormals) {
  EXPECT_EQ(f32ToF16(1.0f), 0x3C00);
  EXPECT_EQ(f32ToF16(-2.0f), 0xC000);
  EXPECT_EQ(f32ToF16(65504.0f), 0x7BFF);
  EXPECT_EQ(f32ToF16(65519.0f), 0x7BFF);
  EXPECT_EQ(f32ToF16(65520.0f), 0x7C00); // rounds to infinity
  EXPECT_EQ(f32ToF16(-1e9f), 0xFC00);
  EXPECT_EQ(f32ToF16(0x1p-24f), 0x0001); // smallest subnormal
  EXPECT_EQ(f32ToF16(0x1p-25f), 0x0000); // tie -> even (zero)
  EXPECT_EQ(f32ToF16(0x1.8p-24f), 0x0002); // tie -> even (two)
  EXPECT_EQ(f32ToF16(0x1p-14f), 0x0400); // smallest normal
  EXPECT_EQ(f32ToF16(1.0f + 0x1p-11f), 0x3C00); // tie -> even
  EXPECT_EQ(f32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF16(std::nanf("")) & 0x7E00, 0x7E00);
  for (uint32_t H = 0; H < 0x10000; ++H) {
    if ((H & 0x7C00) == 0x7C00 && (H & 0x3FF)) // NaNs
      continue;
    EXPECT_EQ(f32ToF16(f16ToF32(uint16_t(H))), H) << std::hex << H;
  }
}

TEST(Convert, EncodeDecodeRoundTrip) {
  std::vector<float> V = {0.0f, 1.5f, -3.25f, 1e-3f, 1000.0f};
  for (DType D : {DType::F32, DType::BF16, DType::F16}) {
    std::vector<std::byte> Bytes;
    encodeAs(D, V.data(), V.size(), Bytes);
    EXPECT_EQ(Bytes.size(), V.size() * dtypeSize(D));
    std::vector<float> Back = decodeFrom(D, Bytes.data(), V.size());
    for (size_t I = 0; I < V.size(); ++I)
      EXPECT_EQ(Back[I], roundTrip(D, V[I])) << planDTypeName(D) << " " << I;
  }
}
