//===- runtime/GpuExecutorTest.cpp - GpuModel on a real GPU (label gpu) ---===//
//
// The tiny artifact compiled, loaded and run on device 0, compared with the
// host computation; skipped, saying why, without a driver or GPU.
//
//===----------------------------------------------------------------------===//

#include "Cuda/Driver.h"

#include <string>

namespace {
const ssmc::rt::Driver *testDriver(std::string &whyNot) {
  auto d = ssmc::rt::Driver::load();
  if (!d.ok()) {
    whyNot = d.message();
    return nullptr;
  }
  return *d;
}
} // namespace

#define EXEC_SUITE GpuExecutor
#include "ExecutorCases.inc"
