//===- ssmc-rt.cpp - Run, check and benchmark artifacts on a GPU ----------===//
//
// The runtime's own driver: it needs nothing but the CUDA toolkit, so a GPU
// machine without LLVM/MLIR can load an artifact, JIT its kernels and run it.
//
//   ssmc-rt info
//   ssmc-rt validate ARTIFACT
//   ssmc-rt run   ARTIFACT --weights W --inputs I --output O [--graph]
//   ssmc-rt bench ARTIFACT --weights W --inputs I [--iters N] [--warmup N]
//   ssmc-rt check ARTIFACT --weights W --inputs I --expected E [--rtol R]
//                 [--atol A]
//   ssmc-rt check-kernels ARTIFACT [--rtol R] [--atol A] [--only KERNEL]
//   ssmc-rt tune  ARTIFACT [--top K] [--budget S] [--db PATH] [--retune]
//
// check-kernels runs each kernel alone on the inputs the CPU reference
// executor gave it and compares its results with the reference's: the files
// `ssmc compile --kernel-refs` writes into ARTIFACT/refs/. check and bench
// take their files from there too when none are given.
//
// Exit status: 0 success, 1 an error (or a mismatch for check), 2 a usage
// error. One message on stderr per error; --output files are written
// atomically, so a failed run leaves none.
//
//===----------------------------------------------------------------------===//

#include "Commands.h"

#include <cstdio>

using namespace ssmc::rtcli;

int main(int Argc, char **Argv) {
  Options o;
  try {
    o = parseArgs(Argc, Argv);
  } catch (const UsageError &e) {
    std::fprintf(stderr,
                 "ssmc-rt: %s\n(ssmc-rt --help lists the commands "
                 "and options)\n",
                 e.message.c_str());
    return kExitUsage;
  }
  if (o.command == "info")
    return cmdInfo();
  if (o.command == "validate")
    return cmdValidate(o);
  if (o.command == "run")
    return cmdRun(o);
  if (o.command == "bench")
    return cmdBench(o);
  if (o.command == "check-kernels")
    return cmdCheckKernels(o);
  if (o.command == "tune")
    return cmdTune(o);
  return cmdCheck(o);
}
