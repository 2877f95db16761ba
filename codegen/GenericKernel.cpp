//===- GenericKernel.cpp - one thread per output element ------------------===//
//
// The emitter that handles every group without a scan: each yielded value
// is a grid-stride loop over its elements, each element its index function.
// Correct for any structure; heavy ops (linear, conv, norms) are loops
// inside the element, so the GEMM and future emitters take over where speed
// matters.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include <fmt/format.h>

#include <numeric>
#include <fmt/ranges.h>

using namespace mlir;

namespace ssmc::codegen {

rt::PlanConfig gridStrideConfig(int64_t elements, int64_t block) {
  rt::PlanConfig c;
  c.tunables["BLOCK"] = block;
  c.block = {block, 1, 1};
  c.grid = {std::max<int64_t>(1, (elements + block - 1) / block), 1, 1};
  return c;
}

rt::Expected<rt::PlanKernel> emitGenericKernel(GroupEmitter &e, const CodegenOptions &options) {
  KernelGroupOp group = e.group();
  auto yield = cast<YieldOp>(group.getBody().front().getTerminator());
  for (Operation &op : group.getBody().front().without_terminator())
    if (isa<SelectiveScanOp>(op))
      return e.unsupported(&op, "a selective scan needs the scan kernel");

  auto fns = e.groupStruct(llvm::DenseMap<Value, std::string>(), "");
  if (!fns)
    return fns.status();

  int64_t most = 1;
  for (Value v : yield.getValues())
    most = std::max(most, GroupEmitter::numElements(v));

  std::string src = e.header(
      "generic: one thread per element of each result, grid-stride loops",
      {"Each value is an index function of its inputs; views are index arithmetic."},
      {{"BLOCK", "threads per block (128, 256, 512; default 256)"}});
  src += '\n';
  src += e.prelude();
  src += "\n#ifndef SSMC_BLOCK\n#define SSMC_BLOCK 256\n#endif\n\n";
  std::string code = *fns + "\n";
  code += fmt::format("extern \"C\" __global__ void __launch_bounds__(SSMC_BLOCK) {}(\n    {}) {{\n",
                     e.entry(), e.kernelParams());
  code += "  " + e.groupInit() + "\n";
  code += "  const idx_t first = (idx_t)blockIdx.x * SSMC_BLOCK + (idx_t)threadIdx.x;\n";
  code += "  const idx_t stride = (idx_t)gridDim.x * SSMC_BLOCK;\n";
  // Every result reads no anchor: one loop per shape, in-place safe.
  std::vector<unsigned> all(yield.getValues().size());
  std::iota(all.begin(), all.end(), 0u);
  code += e.plainResultLoops(yield.getValues(), all, "g.", "  ");
  code += "}\n";
  src += e.shapeConstants(code) + "\n" + code;

  rt::PlanKernel plan = e.kernel("generic", std::move(src), {"BLOCK"});
  for (int64_t block : {256, 128, 512})
    plan.configs.push_back(gridStrideConfig(most, block));
  (void)options;
  return plan;
}

} // namespace ssmc::codegen
