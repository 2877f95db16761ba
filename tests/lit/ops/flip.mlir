// ssmc.flip: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Vim's backward scan flips the sequence axis of [B, D, L]; the type prints once.
// CHECK-LABEL: func.func @sequence(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x128x50xf32>
// CHECK: %[[F:.*]] = ssmc.flip %[[X]] axis 2 : tensor<2x128x50xf32>
// CHECK: %[[B:.*]] = ssmc.flip %[[F]] axis 2 : tensor<2x128x50xf32>
// CHECK: return %[[B]]
// GENERIC-LABEL: sym_name = "sequence"
// GENERIC: "ssmc.flip"(%{{.*}}) <{axis = 2 : i64}> : (tensor<2x128x50xf32>) -> tensor<2x128x50xf32>
func.func @sequence(%x: tensor<2x128x50xf32>) -> tensor<2x128x50xf32> {
  %f = ssmc.flip %x axis 2 : tensor<2x128x50xf32>
  %b = ssmc.flip %f axis 2 : tensor<2x128x50xf32>
  return %b : tensor<2x128x50xf32>
}

// Any axis, any float type.
// CHECK-LABEL: func.func @axes(
// CHECK: ssmc.flip %{{.*}} axis 0 : tensor<3x4xf16>
// CHECK: ssmc.flip %{{.*}} axis 1 : tensor<3x4xf16>
func.func @axes(%x: tensor<3x4xf16>) -> (tensor<3x4xf16>, tensor<3x4xf16>) {
  %a = ssmc.flip %x axis 0 : tensor<3x4xf16>
  %b = ssmc.flip %x axis 1 : tensor<3x4xf16>
  return %a, %b : tensor<3x4xf16>, tensor<3x4xf16>
}
