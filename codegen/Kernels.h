//===- Kernels.h - the kernel emitters --------------------------*- C++ -*-===//
//
// One function per kernel shape, each writing the runtime's rt::PlanKernel from an
// initialised GroupEmitter.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_CODEGEN_KERNELS_H
#define SSMC_CODEGEN_KERNELS_H

#include "Emitter.h"

namespace ssmc::codegen {

/// One thread per element of each yielded value, grid-stride loops; handles
/// any group without a selective scan.
rt::Expected<rt::PlanKernel> emitGenericKernel(GroupEmitter &e, const CodegenOptions &options);

/// Groups holding selective scans: one thread per (batch, channel), the
/// state in registers, B and C staged in shared memory per chunk, the
/// epilogue evaluated by the thread that owns the (batch, channel).
rt::Expected<rt::PlanKernel> emitScanKernel(GroupEmitter &e, const CodegenOptions &options);

/// Whether the group is a GEMM the tensor-core template takes (one linear,
/// or independent linears of one shape, with row-wise prologues and
/// elementwise epilogues); the reason when not.
bool isGemmGroup(GroupEmitter &e, std::string *whyNot = nullptr);

/// The wmma GEMM; only for groups isGemmGroup accepts.
rt::Expected<rt::PlanKernel> emitGemmKernel(GroupEmitter &e, const CodegenOptions &options);

/// Whether the group is one channels-last depthwise conv whose results read
/// it at their own pixel (elementwise ops, channel concats and slices): the
/// depthwise template, a shared-memory tile with its halo per block.
bool isDepthwiseGroup(GroupEmitter &e);
rt::Expected<rt::PlanKernel> emitDepthwiseKernel(GroupEmitter &e, const CodegenOptions &options);

/// Whether the group is channels-last causal conv1ds (one input or several
/// of the same shape) whose results read them at their own position
/// (elementwise ops, channel splits, slices and concats): the conv1d
/// kernel, V channels of several time steps a thread.
bool isConv1dGroup(GroupEmitter &e);
rt::Expected<rt::PlanKernel> emitConv1dKernel(GroupEmitter &e, const CodegenOptions &options);

/// Same-shape-or-broadcast elementwise arithmetic (gelu, silu, add, mul, ...).
bool isElementwiseOp(mlir::Operation *op);

/// Whether the group is one norm whose results read it through axis maps
/// (one block per row of the norm).
bool isRowGroup(GroupEmitter &e);
rt::Expected<rt::PlanKernel> emitRowKernel(GroupEmitter &e, const CodegenOptions &options);

/// Grid-stride launch dims for `elements` threads' worth of work.
rt::PlanConfig gridStrideConfig(int64_t elements, int64_t block);

} // namespace ssmc::codegen

#endif // SSMC_CODEGEN_KERNELS_H
