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
#include <fmt/ranges.h>

using namespace mlir;

namespace ssmc::codegen {

LaunchConfig gridStrideConfig(int64_t elements, int64_t block) {
  LaunchConfig c;
  c.tunables["BLOCK"] = block;
  c.block = {block, 1, 1};
  c.grid = {std::max<int64_t>(1, (elements + block - 1) / block), 1, 1};
  return c;
}

rt::Expected<KernelPlan> emitGenericKernel(GroupEmitter &e, const CodegenOptions &options) {
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
  src += "\n" + e.prelude() + "\n#ifndef SSMC_BLOCK\n#define SSMC_BLOCK 256\n#endif\n\n";
  std::string code = *fns + "\n";
  code += fmt::format("extern \"C\" __global__ void __launch_bounds__(SSMC_BLOCK) {}(\n    {}) {{\n",
                     e.entry(), e.kernelParams());
  code += "  " + e.groupInit() + "\n";
  code += "  const idx_t first = (idx_t)blockIdx.x * SSMC_BLOCK + (idx_t)threadIdx.x;\n";
  code += "  const idx_t stride = (idx_t)gridDim.x * SSMC_BLOCK;\n";
  // Results of one shape share a loop: all are computed before any is
  // stored, so a result written in place over an input (memory planning)
  // never clobbers an element another result still reads.
  std::vector<std::vector<unsigned>> loops;
  for (auto [i, v] : llvm::enumerate(yield.getValues())) {
    auto same = llvm::find_if(loops, [&](const std::vector<unsigned> &l) {
      return GroupEmitter::shape(yield.getValues()[l.front()]) == GroupEmitter::shape(v);
    });
    if (same != loops.end())
      same->push_back(i);
    else
      loops.push_back({unsigned(i)});
  }
  for (const std::vector<unsigned> &loop : loops) {
    Value v = yield.getValues()[loop.front()];
    const size_t rank = GroupEmitter::shape(v).size();
    code += fmt::format("  // result{} #{}: {} elements\n", loop.size() > 1 ? "s" : "",
                        fmt::join(loop, ", #"), GroupEmitter::numElements(v));
    code += fmt::format("  for (idx_t e = first; e < {}; e += stride) {{\n",
                        GroupEmitter::numElements(v));
    code += e.delinearize(v, "e", "i", "    ");
    if (loop.size() == 1) {
      code += fmt::format("    {}[e] = st(g.{});\n  }}\n", e.outputParam(loop[0]),
                          e.call(v, GroupEmitter::indexNames("i", rank)));
      continue;
    }
    for (unsigned r : loop)
      code += fmt::format("    const float r{} = g.{};\n", r,
                          e.call(yield.getValues()[r], GroupEmitter::indexNames("i", rank)));
    for (unsigned r : loop)
      code += fmt::format("    {}[e] = st(r{});\n", e.outputParam(r), r);
    code += "  }\n";
  }
  code += "}\n";
  src += e.shapeConstants(code) + "\n" + code;

  KernelPlan plan;
  plan.kind = "generic";
  plan.source = {e.groupName(), e.entry(), src};
  plan.params = e.params();
  plan.tunables = {"BLOCK"};
  plan.ops = e.fusedOps();
  for (int64_t block : {256, 128, 512})
    plan.configs.push_back(gridStrideConfig(most, block));
  (void)options;
  return plan;
}

} // namespace ssmc::codegen
