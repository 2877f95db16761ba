// ssmc.permute: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// NCHW to NHWC after the stem: result dim i is input dim perm[i].
// CHECK-LABEL: func.func @to_channels_last(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x48x56x56xf32>
// CHECK: %[[Y:.*]] = ssmc.permute %[[X]] [0, 2, 3, 1] : tensor<1x48x56x56xf32> -> tensor<1x56x56x48xf32>
// CHECK: return %[[Y]]
// GENERIC-LABEL: sym_name = "to_channels_last"
// GENERIC: "ssmc.permute"(%{{.*}}) <{perm = array<i64: 0, 2, 3, 1>}> : (tensor<1x48x56x56xf32>) -> tensor<1x56x56x48xf32>
func.func @to_channels_last(%x: tensor<1x48x56x56xf32>) -> tensor<1x56x56x48xf32> {
  %y = ssmc.permute %x [0, 2, 3, 1] : tensor<1x48x56x56xf32> -> tensor<1x56x56x48xf32>
  return %y : tensor<1x56x56x48xf32>
}

// [B, L, D] <-> [B, D, L] for Mamba, and a cyclic permutation (not its own inverse).
// CHECK-LABEL: func.func @others(
// CHECK: ssmc.permute %{{.*}} [0, 2, 1] : tensor<2x50x64xf32> -> tensor<2x64x50xf32>
// CHECK: ssmc.permute %{{.*}} [2, 0, 1] : tensor<2x50x64xf32> -> tensor<64x2x50xf32>
func.func @others(%x: tensor<2x50x64xf32>) -> (tensor<2x64x50xf32>, tensor<64x2x50xf32>) {
  %a = ssmc.permute %x [0, 2, 1] : tensor<2x50x64xf32> -> tensor<2x64x50xf32>
  %b = ssmc.permute %x [2, 0, 1] : tensor<2x50x64xf32> -> tensor<64x2x50xf32>
  return %a, %b : tensor<2x64x50xf32>, tensor<64x2x50xf32>
}

// The identity, and the empty permutation of a rank-0 tensor.
// CHECK-LABEL: func.func @trivial(
// CHECK: ssmc.permute %{{.*}} [0, 1] : tensor<2x3xbf16> -> tensor<2x3xbf16>
// CHECK: ssmc.permute %{{.*}} [] : tensor<bf16> -> tensor<bf16>
func.func @trivial(%x: tensor<2x3xbf16>, %s: tensor<bf16>) -> (tensor<2x3xbf16>, tensor<bf16>) {
  %a = ssmc.permute %x [0, 1] : tensor<2x3xbf16> -> tensor<2x3xbf16>
  %b = ssmc.permute %s [] : tensor<bf16> -> tensor<bf16>
  return %a, %b : tensor<2x3xbf16>, tensor<bf16>
}
