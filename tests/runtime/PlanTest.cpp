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

#define EXPECT_HAS(Message, Part)                                                                  \
  EXPECT_NE(std::string(Message).find(Part), std::string::npos)                                    \
      << "expected to find: " << (Part) << "\nin: " << (Message)

/// Writes the tiny artifact, edits its plan.json with \p Edit, loads it and
/// returns the error (empty if it loaded).
std::string loadEdited(const std::function<void(Json &)> &edit, DType d = DType::F32) {
  TempDir dir;
  TinyArtifact t = makeTiny(d, 100);
  Status s = writePlan(dir / "artifact", t.plan);
  if (!s)
    return "writePlan failed: " + s.message();
  std::string planPath = dir / "artifact/plan.json";
  Json j = Json::parse(readText(planPath));
  edit(j);
  writeText(planPath, j.dump(1));
  auto p = loadArtifact(dir / "artifact");
  return p.ok() ? std::string() : p.message();
}

Json &kernel(Json &j, size_t k) { return j["kernels"][k]; }

} // namespace

//===----------------------------------------------------------------------===//
// Round trip
//===----------------------------------------------------------------------===//

TEST(Plan, WriteThenLoadGivesTheSamePlan) {
  for (DType d : {DType::F32, DType::BF16, DType::F16}) {
    TempDir dir;
    TinyArtifact t = makeTiny(d, 100);
    t.plan.nvrtcOptions = {"-DSSMC_EXTRA=1"};
    ASSERT_TRUE(writePlan(dir / "a", t.plan).ok());
    auto p = loadArtifact(dir / "a");
    ASSERT_TRUE(p.ok()) << p.message();
    EXPECT_EQ(planToJson(*p), planToJson(t.plan));
    EXPECT_EQ(p->dtype, d);
    EXPECT_EQ(p->nvrtcOptions, t.plan.nvrtcOptions);
    EXPECT_EQ(p->metadata, t.plan.metadata);
    ASSERT_EQ(p->kernels.size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
      const PlanKernel &a = p->kernels[k], &b = t.plan.kernels[k];
      EXPECT_EQ(a.source, b.source);
      EXPECT_EQ(a.entry, b.entry);
      EXPECT_EQ(a.defaultConfig, b.defaultConfig);
      ASSERT_EQ(a.configs.size(), b.configs.size());
      EXPECT_EQ(a.configs[1].tunables, b.configs[1].tunables);
      EXPECT_EQ(a.configs[1].grid, b.configs[1].grid);
      ASSERT_EQ(a.params.size(), b.params.size());
      for (size_t i = 0; i < a.params.size(); ++i) {
        EXPECT_EQ(a.params[i].kind, b.params[i].kind);
        EXPECT_EQ(a.params[i].weight, b.params[i].weight);
        EXPECT_EQ(a.params[i].bytes, b.params[i].bytes);
        EXPECT_EQ(a.params[i].value.kind, b.params[i].value.kind);
        EXPECT_EQ(a.params[i].value.modelInput, b.params[i].value.modelInput);
        EXPECT_EQ(a.params[i].value.arenaOffset, b.params[i].value.arenaOffset);
      }
      EXPECT_EQ(a.workspaceBytes, b.workspaceBytes);
    }
    EXPECT_EQ(p->outputs[1].arenaOffset, t.plan.outputs[1].arenaOffset);
    EXPECT_TRUE(fs::exists(dir / "a/kernels/g00_mul.cu"));
  }
}

TEST(Plan, TheJsonHasTheDocumentedShape) {
  TinyArtifact t = makeTiny(DType::BF16, 100);
  Json j = Json::parse(planToJson(t.plan));
  EXPECT_EQ(j["format"], "ssmc-plan");
  EXPECT_EQ(j["version"], 4);
  EXPECT_EQ(j["dtype"], "bf16");
  EXPECT_EQ(j["arena_bytes"], 456);
  EXPECT_EQ(j["outputs"][1]["arena_offset"], 256);
  const Json &k = j["kernels"][0];
  EXPECT_EQ(k["source_file"], "kernels/g00_mul.cu");
  EXPECT_EQ(k["configs"][1]["tunables"]["BLOCK"], 64);
  EXPECT_EQ(k["params"][0]["value"]["model_input"], "x");
  EXPECT_EQ(k["params"][1]["weight"], "scale.weight");
  EXPECT_FALSE(k["params"][1].contains("value"));
  EXPECT_EQ(k["params"][2]["value"]["arena_offset"], 0);
  EXPECT_EQ(j["kernels"][1]["params"][2]["kind"], "workspace");
  EXPECT_FALSE(k.contains("source")); // sources live in kernels/*.cu
}

TEST(Plan, RewritingReplacesTheOldArtifactAndLeavesNoTemporaries) {
  TempDir dir;
  TinyArtifact t = makeTiny(DType::F32, 100);
  ASSERT_TRUE(writePlan(dir / "a", t.plan).ok());
  t.plan.model = "tiny-again";
  t.plan.kernels[0].source += "// changed\n";
  ASSERT_TRUE(writePlan(dir / "a", t.plan).ok());
  auto p = loadArtifact(dir / "a");
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->model, "tiny-again");
  EXPECT_EQ(p->kernels[0].source, t.plan.kernels[0].source);
  for (auto &e : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(e.path().string().find(".tmp."), std::string::npos) << e.path();
}

// A plan is validated once, where it is read (the compiler's are valid by
// construction and tested so): a bad record written by hand is refused by
// loadArtifact, naming the file and the key.
TEST(Plan, AnInvalidPlanIsRefusedWhereItIsRead) {
  TempDir dir;
  TinyArtifact t = makeTiny(DType::F32, 100);
  t.plan.kernels[1].defaultConfig = 7;
  ASSERT_TRUE(writePlan(dir / "a", t.plan).ok());
  auto p = loadArtifact(dir / "a");
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(), "plan.json");
  EXPECT_HAS(p.message(), "default_config 7 is out of range");
}

TEST(Plan, WriteNeedsTheSourceOrAnExistingFile) {
  TempDir dir;
  TinyArtifact t = makeTiny(DType::F32, 100);
  t.plan.kernels[0].source.clear();
  Status s = writePlan(dir / "a", t.plan);
  ASSERT_FALSE(s.ok());
  EXPECT_HAS(s.message(), "kernel 'g00_mul' has no source");
}

TEST(Plan, ConfigDefinesNameEveryTunable) {
  PlanConfig c = tinyConfig(64, 100);
  c.tunables["TILE_M"] = 32;
  EXPECT_EQ(configDefines(c), (std::vector<std::string>{"-DSSMC_BLOCK=64", "-DSSMC_TILE_M=32"}));
}

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

TEST(PlanLoad, MissingDirectory) {
  TempDir dir;
  auto p = loadArtifact(dir / "nowhere");
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(), "artifact directory '" + (dir / "nowhere") + "' does not exist");
  EXPECT_HAS(p.message(), "ssmc compile MODEL -o");
}

TEST(PlanLoad, MissingPlanJson) {
  TempDir dir;
  auto p = loadArtifact(dir.path());
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(), "plan.json is missing");
  EXPECT_HAS(p.message(), "not an ssmc artifact");
}

TEST(PlanLoad, UnreadablePlanJson) {
  TempDir dir;
  fs::create_directories(dir / "plan.json"); // a directory: never readable
  auto p = loadArtifact(dir.path());
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(), "cannot read " + (dir / "plan.json"));
}

TEST(PlanLoad, NotJson) {
  TempDir dir;
  writeText(dir / "plan.json", "{\"format\": \"ssmc-plan\", ");
  auto p = loadArtifact(dir.path());
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(), "plan.json is not valid JSON");
  EXPECT_HAS(p.message(), "recompile it");
}

TEST(PlanLoad, NumbersNoTypeHoldsAreAnErrorNotAnAbort) {
  // An integer beyond a double's range once escaped as nlohmann's
  // out_of_range and aborted ssmc-rt.
  TempDir dir;
  ASSERT_TRUE(writePlan(dir / "a", makeTiny(DType::F32, 100).plan).ok());
  std::string text = readText(dir / "a/plan.json");
  const std::string key = "\"arena_bytes\": ";
  const size_t at = text.find(key);
  ASSERT_NE(at, std::string::npos);
  text.insert(at + key.size(), std::string(400, '9'));
  writeText(dir / "a/plan.json", text);
  auto p = loadArtifact(dir / "a");
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(), "plan.json cannot be read");
  EXPECT_HAS(p.message(), "recompile it");
}

TEST(PlanLoad, AKeyGivenTwiceIsRefused) {
  TempDir dir;
  ASSERT_TRUE(writePlan(dir / "a", makeTiny(DType::F32, 100).plan).ok());
  std::string text = readText(dir / "a/plan.json");
  text.insert(text.find('{') + 1, "\"arena_bytes\": 4,");
  writeText(dir / "a/plan.json", text);
  auto p = loadArtifact(dir / "a");
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(), "key 'arena_bytes' appears twice in one object");
}

TEST(PlanLoad, AnOffsetNearTheLimitIsSaidWithoutOverflow) {
  auto e = loadEdited([](Json &j) {
    kernel(j, 1)["params"][1]["value"]["arena_offset"] = std::numeric_limits<int64_t>::max() - 3;
  });
  EXPECT_HAS(e, "arena bytes [9223372036854775804, 9223372036854775804 + 400) lie outside");
}

TEST(PlanLoad, AKernelFileThatIsALinkIsRefused) {
  TempDir dir;
  ASSERT_TRUE(writePlan(dir / "a", makeTiny(DType::F32, 100).plan).ok());
  writeText(dir / "secret.txt", "not a kernel");
  fs::remove(dir / "a/kernels/g00_mul.cu");
  fs::create_symlink(dir / "secret.txt", dir / "a/kernels/g00_mul.cu");
  auto p = loadArtifact(dir / "a");
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(),
             "kernel 'g00_mul' is " + (dir / "a/kernels/g00_mul.cu") + ", a symbolic link");
}

TEST(PlanLoad, TopLevelNotAnObject) {
  auto e = loadEdited([](Json &j) { j = Json::array({1, 2}); });
  EXPECT_HAS(e, "the top level must be a JSON object");
}

TEST(PlanLoad, WrongFormat) {
  auto e = loadEdited([](Json &j) { j["format"] = "onnx"; });
  EXPECT_HAS(e, "not an ssmc plan (key 'format' must be \"ssmc-plan\")");
}

TEST(PlanLoad, WrongVersion) {
  auto e = loadEdited([](Json &j) { j["version"] = 5; });
  EXPECT_HAS(e, "plan version 5 is not supported (this ssmc reads versions 1 to 4)");
  // Versions 1 to 3 (before weights' stored_as, row_pitch, inserted_zeros)
  // still read.
  EXPECT_TRUE(loadEdited([](Json &j) { j["version"] = 1; }).empty());
  EXPECT_TRUE(loadEdited([](Json &j) { j["version"] = 2; }).empty());
  EXPECT_TRUE(loadEdited([](Json &j) { j["version"] = 3; }).empty());
  EXPECT_HAS(e, "recompile the artifact");
}

TEST(PlanLoad, MissingKernelSource) {
  TempDir dir;
  ASSERT_TRUE(writePlan(dir / "a", makeTiny(DType::F32, 100).plan).ok());
  fs::remove(dir / "a/kernels/g01_add1.cu");
  auto p = loadArtifact(dir / "a");
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(),
             "kernel 'g01_add1' needs " + (dir / "a/kernels/g01_add1.cu") + ", which is missing");
  EXPECT_HAS(p.message(), "the artifact is incomplete");
}

TEST(PlanLoad, EmptyKernelSource) {
  TempDir dir;
  ASSERT_TRUE(writePlan(dir / "a", makeTiny(DType::F32, 100).plan).ok());
  writeText(dir / "a/kernels/g00_mul.cu", "");
  auto p = loadArtifact(dir / "a");
  ASSERT_FALSE(p.ok());
  EXPECT_HAS(p.message(), "g00_mul.cu (kernel 'g00_mul') is empty");
}

//===----------------------------------------------------------------------===//
// Keys and types
//===----------------------------------------------------------------------===//

TEST(PlanLoad, MissingTopLevelKey) {
  auto e = loadEdited([](Json &j) { j.erase("arena_bytes"); });
  EXPECT_HAS(e, "plan.json: key 'arena_bytes' is missing");
}

TEST(PlanLoad, MissingKeyNamesTheKernel) {
  auto e = loadEdited([](Json &j) { kernel(j, 1).erase("entry"); });
  EXPECT_HAS(e, "kernels[1] ('g01_add1'): key 'entry' is missing");
}

TEST(PlanLoad, MissingKeyNamesTheParameter) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["params"][1].erase("weight"); });
  EXPECT_HAS(e, "kernels[0] ('g00_mul').params[1]: key 'weight' is missing");
}

TEST(PlanLoad, WrongTypeNamesKeyAndTypes) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["params"][0]["shape"] = "1000"; });
  EXPECT_HAS(e, "kernels[0] ('g00_mul').params[0]: key 'shape' must be an "
                "array of integers, not a string");
  e = loadEdited([](Json &j) { j["arena_bytes"] = 1.5; });
  EXPECT_HAS(e, "key 'arena_bytes' must be an integer, not a fractional "
                "number");
  e = loadEdited([](Json &j) { kernel(j, 1)["configs"][2]["grid"] = {1, 1}; });
  EXPECT_HAS(e, "kernels[1] ('g01_add1').configs[2]: key 'grid' must have 3 "
                "entries");
  e = loadEdited([](Json &j) { kernel(j, 0)["configs"][0]["tunables"]["BLOCK"] = "x"; });
  EXPECT_HAS(e, "tunable 'BLOCK' must be an integer");
  e = loadEdited([](Json &j) { j["kernels"] = Json::object(); });
  EXPECT_HAS(e, "key 'kernels' must be an array, not an object");
}

TEST(PlanLoad, UnknownDtype) {
  auto e = loadEdited([](Json &j) { j["weights"][0]["dtype"] = "f64"; });
  EXPECT_HAS(e, "weights[0]: unknown dtype 'f64' (key 'dtype'): a plan "
                "stores f32, bf16 or f16");
  e = loadEdited([](Json &j) { j["dtype"] = "int8"; });
  EXPECT_HAS(e, "unknown dtype 'int8'");
}

TEST(PlanLoad, UnknownParameterKind) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["params"][0]["kind"] = "scalar"; });
  EXPECT_HAS(e, "unknown parameter kind 'scalar'");
}

TEST(PlanLoad, ValueNeedsExactlyOneBinding) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["params"][0].erase("value"); });
  EXPECT_HAS(e, "kernels[0] ('g00_mul').params[0]: key 'value' is missing");
  e = loadEdited([](Json &j) { kernel(j, 0)["params"][0]["value"]["arena_offset"] = 0; });
  EXPECT_HAS(e, "exactly one of 'model_input'");
}

//===----------------------------------------------------------------------===//
// Consistency
//===----------------------------------------------------------------------===//

TEST(PlanLoad, ArenaTooSmallForAKernelsOutput) {
  auto e = loadEdited([](Json &j) { j["arena_bytes"] = 600; });
  EXPECT_HAS(e, "outputs[1] ('z'): arena bytes [512, 912) lie outside the "
                "arena (arena_bytes 600)");
}

TEST(PlanLoad, ParamOffsetOutsideTheArena) {
  auto e = loadEdited([](Json &j) { kernel(j, 1)["params"][1]["value"]["arena_offset"] = 4096; });
  EXPECT_HAS(e, "kernels[1] ('g01_add1').params[1] ('z'): arena bytes [4096, "
                "4496) lie outside the arena");
  e = loadEdited([](Json &j) { kernel(j, 0)["params"][2]["value"]["arena_offset"] = -4; });
  EXPECT_HAS(e, "lie outside the arena");
}

TEST(PlanLoad, MisalignedOffset) {
  auto e = loadEdited([](Json &j) { kernel(j, 1)["params"][1]["value"]["arena_offset"] = 2; });
  EXPECT_HAS(e, "arena offset 2 is not a multiple of the element size 4");
}

TEST(PlanLoad, BytesDisagreeWithShape) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["params"][0]["bytes"] = 399; });
  EXPECT_HAS(e, "kernels[0] ('g00_mul').params[0] ('x'): bytes is 399 but "
                "shape [100] of f32 takes 400 bytes");
}

TEST(PlanLoad, BytesDisagreeWithDtype) {
  auto e = loadEdited([](Json &j) { kernel(j, 1)["params"][1]["dtype"] = "bf16"; });
  EXPECT_HAS(e, "bytes is 400 but shape [100] of bf16 takes 200 bytes");
}

TEST(PlanLoad, NegativeOrHugeShape) {
  auto e = loadEdited([](Json &j) { j["inputs"][0]["shape"] = {-1}; });
  EXPECT_HAS(e, "inputs[0] ('x'): shape [-1] has a negative dimension");
  e = loadEdited([](Json &j) { j["weights"][0]["shape"] = {int64_t(1) << 40, int64_t(1) << 40}; });
  EXPECT_HAS(e, "is too large");
}

TEST(PlanLoad, DefaultConfigOutOfRange) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["default_config"] = 3; });
  EXPECT_HAS(e, "kernels[0] ('g00_mul'): default_config 3 is out of range: "
                "there are 3 configurations (0 to 2)");
  e = loadEdited([](Json &j) { kernel(j, 0)["default_config"] = -1; });
  EXPECT_HAS(e, "default_config -1 is out of range");
}

TEST(PlanLoad, NoConfigurations) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["configs"] = Json::array(); });
  EXPECT_HAS(e, "kernels[0] ('g00_mul'): has no configurations");
}

TEST(PlanLoad, ZeroGridOrBlock) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["configs"][1]["grid"] = {0, 1, 1}; });
  EXPECT_HAS(e, "kernels[0] ('g00_mul').configs[1]: grid.x is 0: it must be 1 "
                "to");
  e = loadEdited([](Json &j) { kernel(j, 0)["configs"][1]["block"] = {64, 0, 1}; });
  EXPECT_HAS(e, "block.y is 0: it must be 1 to 1024");
}

TEST(PlanLoad, TooManyThreadsPerBlock) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["configs"][2]["block"] = {64, 32, 1}; });
  EXPECT_HAS(e, "kernels[0] ('g00_mul').configs[2]: block [64, 32, 1] has "
                "2048 threads: at most 1024 are allowed");
  e = loadEdited([](Json &j) { kernel(j, 0)["configs"][2]["block"] = {2048, 1, 1}; });
  EXPECT_HAS(e, "block.x is 2048: it must be 1 to 1024");
}

TEST(PlanLoad, TooMuchSharedMemory) {
  auto e = loadEdited([](Json &j) { kernel(j, 1)["configs"][0]["smem_bytes"] = 300000; });
  EXPECT_HAS(e, "kernels[1] ('g01_add1').configs[0]: smem_bytes 300000 is "
                "outside 0 to 232448 (227 KiB");
  EXPECT_TRUE(
      loadEdited([](Json &J) { kernel(J, 1)["configs"][0]["smem_bytes"] = 227 * 1024; }).empty());
}

TEST(PlanLoad, TunablesOfAConfigMustBeTheKernels) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["configs"][1]["tunables"] = {{"TILE", 4}}; });
  EXPECT_HAS(e, "configs[1]: sets tunables TILE but the kernel's tunables are "
                "BLOCK");
}

TEST(PlanLoad, DuplicateKernelNames) {
  auto e = loadEdited([](Json &j) { kernel(j, 1)["name"] = "g00_mul"; });
  EXPECT_HAS(e, "kernels[1] ('g00_mul'): a second kernel is named 'g00_mul': "
                "kernel names must be unique");
}

TEST(PlanLoad, DuplicateTensorNames) {
  auto e = loadEdited([](Json &j) { j["outputs"][1]["name"] = "y"; });
  EXPECT_HAS(e, "'y' appears twice in 'outputs'");
}

TEST(PlanLoad, KernelNamesAndFilesStayInsideTheArtifact) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["name"] = "../evil"; });
  EXPECT_HAS(e, "kernel names must be non-empty and use only letters");
  e = loadEdited([](Json &j) { kernel(j, 0)["source_file"] = "../../etc/passwd"; });
  EXPECT_HAS(e, "source_file '../../etc/passwd' must be a path inside the "
                "artifact");
}

TEST(PlanLoad, EntryMustBeASymbol) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["entry"] = "mul f32"; });
  EXPECT_HAS(e, "entry 'mul f32' is not a C symbol");
}

TEST(PlanLoad, BadArch) {
  auto e = loadEdited([](Json &j) { j["arch"] = "hopper"; });
  EXPECT_HAS(e, "arch 'hopper' is not a CUDA target such as sm_80 or sm_90");
  EXPECT_TRUE(loadEdited([](Json &J) { J["arch"] = "sm_90a"; }).empty());
}

TEST(PlanLoad, WeightParamMustMatchTheWeightsList) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["params"][1]["weight"] = "nope"; });
  EXPECT_HAS(e, "weight 'nope' is not in the plan's 'weights'");
  e = loadEdited([](Json &j) { j["weights"][0]["shape"] = {10, 10}; });
  EXPECT_HAS(e, "weight 'scale.weight' is [100] f32 here but [10, 10] f32 in "
                "'weights'");
}

TEST(PlanLoad, ModelInputBindingMustExistAndMatch) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["params"][0]["value"]["model_input"] = "image"; });
  EXPECT_HAS(e, "binds model input 'image', which is not in the plan's "
                "'inputs'");
  e = loadEdited([](Json &j) { j["inputs"][0]["shape"] = {4, 25}; });
  EXPECT_HAS(e, "is [100] f32 but model input 'x' is [4, 25] f32");
}

TEST(PlanLoad, OutputParamMustBeInTheArena) {
  auto e = loadEdited([](Json &j) { kernel(j, 0)["params"][2]["value"] = {{"model_input", "x"}}; });
  EXPECT_HAS(e, "an output parameter must be bound to {\"arena_offset\": N}");
}

TEST(PlanLoad, ReadBeforeWrite) {
  auto e = loadEdited([](Json &j) { std::swap(kernel(j, 0), kernel(j, 1)); });
  EXPECT_HAS(e, "kernels[0] ('g01_add1').params[0] ('y'): reads arena bytes "
                "[0, 400), which no earlier kernel writes");
}

TEST(PlanLoad, ModelOutputWrittenByNoKernel) {
  auto e = loadEdited([](Json &j) { j["outputs"][1]["arena_offset"] = 400; });
  EXPECT_HAS(e, "outputs[1] ('z'): arena bytes [400, 800) are written by no "
                "kernel");
}

TEST(PlanLoad, WorkspaceMustFit) {
  auto e = loadEdited([](Json &j) { kernel(j, 1)["workspace_bytes"] = 128; });
  EXPECT_HAS(e, "workspace of 256 bytes exceeds the kernel's workspace_bytes "
                "128");
  e = loadEdited([](Json &j) { kernel(j, 1)["params"][2]["shape"] = {64}; });
  EXPECT_HAS(e, "a workspace's shape must be [bytes] = [256], not [64]");
}

/// Makes the tiny plan's second kernel (the one with a 256-byte workspace)
/// a split-K GEMM's: every configuration gets SPLIT_K, BM 16 and BN 16, one
/// output tile (grid.x = grid.y = 1) and grid.z = z.
void splitK(Json &j, int64_t shares, int64_t z) {
  Json &k = kernel(j, 1);
  for (const char *t : {"SPLIT_K", "BM", "BN"})
    k["tunables"].push_back(t);
  for (Json &c : k["configs"]) {
    c["tunables"]["SPLIT_K"] = shares;
    c["tunables"]["BM"] = 16;
    c["tunables"]["BN"] = 16;
    c["grid"] = {1, 1, z};
  }
}

TEST(PlanLoad, SplitKSharesMustFitTheWorkspace) {
  // One tile in 2 shares: 4096 bytes of counters, then 2 fp32 tiles of 16 x 16.
  auto e = loadEdited([](Json &j) { splitK(j, 2, 2); });
  EXPECT_HAS(e, "SPLIT_K 2 needs 6144 workspace bytes (4096 of counters, then 1 tiles x 2 "
                "shares of 16 x 16 fp32) but the kernel's workspace parameter has 256");
  e = loadEdited([](Json &j) { splitK(j, 2, 3); });
  EXPECT_HAS(e, "grid.z 3 is not a multiple of SPLIT_K 2");
  e = loadEdited([](Json &j) {
    splitK(j, 2, 2);
    for (Json &c : kernel(j, 1)["configs"])
      c["grid"][0] = 2000;
  });
  EXPECT_HAS(e, "SPLIT_K 2 over 2000 output tiles: the workspace has 1024 counters");
  EXPECT_EQ(loadEdited([](Json &j) {
              splitK(j, 2, 2);
              kernel(j, 1)["workspace_bytes"] = 6144;
              kernel(j, 1)["params"][2]["bytes"] = 6144;
              kernel(j, 1)["params"][2]["shape"] = {6144};
            }),
            "");
}

TEST(PlanLoad, UnknownKeysAreIgnored) {
  EXPECT_TRUE(loadEdited([](Json &J) {
                J["flops"] = 12345;
                kernel(J, 0)["bytes_moved"] = 10;
              }).empty());
}

TEST(PlanLoad, MetadataMustBeStrings) {
  auto e = loadEdited([](Json &j) { j["metadata"]["seed"] = 3; });
  EXPECT_HAS(e, "metadata 'seed' must be a string");
}

//===----------------------------------------------------------------------===//
// Storage-type conversion (Exec/Tensor.h)
//===----------------------------------------------------------------------===//

TEST(Convert, Bf16RoundsToNearestEven) {
  EXPECT_EQ(f32ToBf16(1.0f), 0x3F80);
  EXPECT_EQ(f32ToBf16(-2.5f), 0xC020);
  EXPECT_EQ(f32ToBf16(1.0f + 0x1p-8f), 0x3F80);     // tie -> even
  EXPECT_EQ(f32ToBf16(1.0f + 3 * 0x1p-8f), 0x3F82); // tie -> even (up)
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
  EXPECT_EQ(f32ToF16(0x1p-24f), 0x0001);        // smallest subnormal
  EXPECT_EQ(f32ToF16(0x1p-25f), 0x0000);        // tie -> even (zero)
  EXPECT_EQ(f32ToF16(0x1.8p-24f), 0x0002);      // tie -> even (two)
  EXPECT_EQ(f32ToF16(0x1p-14f), 0x0400);        // smallest normal
  EXPECT_EQ(f32ToF16(1.0f + 0x1p-11f), 0x3C00); // tie -> even
  EXPECT_EQ(f32ToF16(-0.0f), 0x8000);
  EXPECT_EQ(f32ToF16(std::nanf("")) & 0x7E00, 0x7E00);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) // NaNs
      continue;
    EXPECT_EQ(f32ToF16(f16ToF32(uint16_t(h))), h) << std::hex << h;
  }
}

TEST(Convert, EncodeDecodeRoundTrip) {
  std::vector<float> v = {0.0f, 1.5f, -3.25f, 1e-3f, 1000.0f};
  for (DType d : {DType::F32, DType::BF16, DType::F16}) {
    std::vector<std::byte> bytes;
    encodeAs(d, v.data(), v.size(), bytes);
    EXPECT_EQ(bytes.size(), v.size() * dtypeSize(d));
    std::vector<float> back = decodeFrom(d, bytes.data(), v.size());
    for (size_t i = 0; i < v.size(); ++i)
      EXPECT_EQ(back[i], roundTrip(d, v[i])) << planDTypeName(d) << " " << i;
  }
}

TEST(PlanLoad, StoredAsMustPermuteTheWeightsAxes) {
  // The tiny plan's weight is 1-D: [0] is its only permutation.
  EXPECT_TRUE(loadEdited([](Json &j) { j["weights"][0]["stored_as"] = {0}; }).empty());
  auto e = loadEdited([](Json &j) { j["weights"][0]["stored_as"] = {1}; });
  EXPECT_HAS(e, "stored_as [1] is not a permutation of the 1 axes of shape");
  e = loadEdited([](Json &j) { j["weights"][0]["stored_as"] = {0, 1}; });
  EXPECT_HAS(e, "stored_as [0, 1] is not a permutation of the 1 axes of shape");
}

TEST(PlanLoad, RowPitchMustPadTheWeightsRows) {
  // The tiny plan's weight is [100]: one row.
  EXPECT_TRUE(loadEdited([](Json &j) { j["weights"][0]["row_pitch"] = 104; }).empty());
  auto e = loadEdited([](Json &j) { j["weights"][0]["row_pitch"] = 96; });
  EXPECT_HAS(e, "row_pitch 96 does not pad the rows of shape [100]");
  e = loadEdited([](Json &j) {
    j["weights"][0]["row_pitch"] = 104;
    j["weights"][0]["stored_as"] = {0};
  });
  EXPECT_HAS(e, "row_pitch 104 does not pad the rows of shape [100] (nor goes with stored_as)");
}

TEST(Plan, RowPitchRoundTripsAndSizesTheWeight) {
  TempDir dir;
  TinyArtifact t = makeTiny(DType::BF16, 100);
  t.plan.weights[0].rowPitch = 104;
  ASSERT_TRUE(writePlan(dir / "a", t.plan).ok());
  auto p = loadArtifact(dir / "a");
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->weights[0].rowPitch, 104);
  EXPECT_EQ(p->weights[0].storedShape(), (std::vector<int64_t>{104}));
  EXPECT_EQ(p->weights[0].bytes(), 208);
  EXPECT_EQ(p->weights[0].numElements(), 100);
}

TEST(Plan, ToDeviceLayoutPadsRowsWithZeros) {
  PlanTensor w{"w", {2, 3}, DType::BF16};
  w.rowPitch = 4;
  EXPECT_EQ(toDeviceLayout({1, 2, 3, 4, 5, 6}, w), (std::vector<float>{1, 2, 3, 0, 4, 5, 6, 0}));
  w.rowPitch = 0;
  EXPECT_EQ(toDeviceLayout({1, 2, 3, 4, 5, 6}, w), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  PlanTensor t{"t", {2, 3}, DType::BF16, {1, 0}}; // permuted, not padded
  EXPECT_EQ(toDeviceLayout({0, 1, 2, 3, 4, 5}, t), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(PlanLoad, InsertedZerosMustFitTheWeight) {
  // The tiny plan's weight is [100]; the kernels see it as it is.
  auto e = loadEdited([](Json &j) { j["weights"][0]["inserted_zeros"] = {0, 101, 4}; });
  EXPECT_HAS(e, "inserted_zeros [0, 101, 4] is not [axis, at, count, ...] with ascending places "
                "inside shape [100] and counts above 0");
  e = loadEdited([](Json &j) { j["weights"][0]["inserted_zeros"] = {1, 0, 4}; });
  EXPECT_HAS(e, "inserted_zeros [1, 0, 4] is not");
  e = loadEdited([](Json &j) { j["weights"][0]["inserted_zeros"] = {0, 5, 0}; });
  EXPECT_HAS(e, "inserted_zeros [0, 5, 0] is not");
  e = loadEdited([](Json &j) { j["weights"][0]["inserted_zeros"] = {0, 50, 2, 40, 2}; });
  EXPECT_HAS(e, "inserted_zeros [0, 50, 2, 40, 2] is not");
  // Valid, but the kernel's parameter is still [100]: it must be the padded shape.
  e = loadEdited([](Json &j) { j["weights"][0]["inserted_zeros"] = {0, 50, 4}; });
  EXPECT_HAS(e, "weight 'scale.weight' is [100] f32 here but [104] f32 in 'weights'");
}

TEST(Plan, InsertedZerosRoundTripAndSizeTheWeight) {
  TempDir dir;
  TinyArtifact t = makeTiny(DType::BF16, 104); // the kernels see 104 values
  t.plan.weights[0].shape = {100};             // the checkpoint holds 100
  t.plan.weights[0].insertedZeros = {0, 50, 4};
  ASSERT_TRUE(writePlan(dir / "a", t.plan).ok());
  auto p = loadArtifact(dir / "a");
  ASSERT_TRUE(p.ok()) << p.message();
  EXPECT_EQ(p->weights[0].insertedZeros, (std::vector<int64_t>{0, 50, 4}));
  EXPECT_EQ(p->weights[0].shape, (std::vector<int64_t>{100}));
  EXPECT_EQ(p->weights[0].valueShape(), (std::vector<int64_t>{104}));
  EXPECT_EQ(p->weights[0].bytes(), 208);
  EXPECT_EQ(p->weights[0].numElements(), 100);
}

TEST(Plan, ToDeviceLayoutInsertsZeroSlices) {
  // [2, 3]: a zero row before row 1 and two at the end; then zero columns.
  PlanTensor rows{"w", {2, 3}, DType::BF16};
  rows.insertedZeros = {0, 1, 1, 2, 2};
  EXPECT_EQ(toDeviceLayout({1, 2, 3, 4, 5, 6}, rows),
            (std::vector<float>{1, 2, 3, 0, 0, 0, 4, 5, 6, 0, 0, 0, 0, 0, 0}));
  PlanTensor cols{"w", {2, 3}, DType::BF16};
  cols.insertedZeros = {1, 0, 1, 2, 1};
  EXPECT_EQ(toDeviceLayout({1, 2, 3, 4, 5, 6}, cols),
            (std::vector<float>{0, 1, 2, 0, 3, 0, 4, 5, 0, 6}));
  // Then row_pitch pads the padded rows: [2, 5] to 8.
  cols.rowPitch = 8;
  EXPECT_EQ(toDeviceLayout({1, 2, 3, 4, 5, 6}, cols),
            (std::vector<float>{0, 1, 2, 0, 3, 0, 0, 0, 0, 4, 5, 0, 6, 0, 0, 0}));
  EXPECT_EQ(cols.storedShape(), (std::vector<int64_t>{2, 8}));
}

TEST(Plan, ToStoredOrderPermutesTheAxes) {
  // [2, 3] stored as [3, 2]: the transpose.
  EXPECT_EQ(toStoredOrder({0, 1, 2, 3, 4, 5}, {2, 3}, {1, 0}),
            (std::vector<float>{0, 3, 1, 4, 2, 5}));
  EXPECT_EQ(toStoredOrder({0, 1, 2}, {3}, {}), (std::vector<float>{0, 1, 2}));
  // A conv weight [O=1, C=2, KH=1, KW=2] stored [O, KH, KW, C]: taps outer.
  EXPECT_EQ(toStoredOrder({10, 11, 20, 21}, {1, 2, 1, 2}, {0, 2, 3, 1}),
            (std::vector<float>{10, 20, 11, 21}));
}
