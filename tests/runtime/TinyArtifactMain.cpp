//===- runtime/TinyArtifactMain.cpp - Writes the tiny test artifact -------===//
//
//   ssmc-tiny-artifact DIR [f32|bf16|f16] [N]
//
// Writes DIR/artifact (two kernels: y = x * w, z = y + 1) with its kernel
// references (DIR/artifact/refs/), and beside it weights.safetensors,
// inputs.safetensors and expected.safetensors, so that `ssmc-rt check` and
// `ssmc-rt check-kernels` can be tried on a GPU without the compiler
// (scripts/gpu-check does).
//
//===----------------------------------------------------------------------===//

#include "TinyArtifact.h"

#include <cstdio>
#include <cstdlib>
#include <string>

int main(int Argc, char **Argv) {
  using namespace ssmc::rt;
  if (Argc < 2 || Argc > 4) {
    std::fprintf(stderr, "usage: ssmc-tiny-artifact DIR [f32|bf16|f16] [N]\n");
    return 2;
  }
  auto d = parsePlanDType(Argc > 2 ? Argv[2] : "f32");
  long n = Argc > 3 ? std::atol(Argv[3]) : 4096;
  if (!d || n < 1) {
    std::fprintf(stderr, "ssmc-tiny-artifact: the dtype is f32, bf16 or f16 "
                         "and N a positive count\n");
    return 2;
  }
  auto t = test::makeTiny(*d, n);
  if (Status s = test::writeTinyFiles(t, Argv[1], /*Refs=*/true); !s) {
    std::fprintf(stderr, "ssmc-tiny-artifact: %s\n", s.message().c_str());
    return 1;
  }
  return 0;
}
