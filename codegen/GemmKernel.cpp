//===- GemmKernel.cpp - tensor-core GEMM groups ---------------------------===//

#include "Kernels.h"

namespace ssmc::codegen {

bool isGemmGroup(GroupEmitter &e, std::string *whyNot) {
  if (whyNot)
    *whyNot = "the tensor-core GEMM emitter is not written yet";
  return false;
}

rt::Expected<KernelPlan> emitGemmKernel(GroupEmitter &e, const CodegenOptions &options) {
  return rt::Status::error("kernel group '" + e.groupName() +
                           "': the tensor-core GEMM emitter is not written yet");
}

} // namespace ssmc::codegen
