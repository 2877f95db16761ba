//===- runtime/GpuExecutorTest.cpp - GpuModel on a real GPU (label gpu) ---===//
//
// The tiny artifact compiled, loaded and run on device 0, compared with the
// host computation; skipped, saying why, without a driver or GPU.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Driver.h"

#include <string>

namespace {
const ssmc::rt::Driver *testDriver(std::string &WhyNot) {
  auto D = ssmc::rt::Driver::load();
  if (!D.ok()) {
    WhyNot = D.message();
    return nullptr;
  }
  return *D;
}
} // namespace

#define EXEC_SUITE GpuExecutor
#include "ExecutorCases.inc"
