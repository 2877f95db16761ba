// ssmc.split: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// The Gated CNN block's split into gate, identity and conv channels.
// CHECK-LABEL: func.func @three_parts(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x7x7x256xf32>
// CHECK: %[[P:.*]]:3 = ssmc.split %[[X]] axis 3 : tensor<1x7x7x256xf32> -> tensor<1x7x7x128xf32>, tensor<1x7x7x80xf32>, tensor<1x7x7x48xf32>
// CHECK: return %[[P]]#2, %[[P]]#0, %[[P]]#1
// GENERIC-LABEL: sym_name = "three_parts"
// GENERIC: "ssmc.split"(%{{.*}}) <{axis = 3 : i64}> : (tensor<1x7x7x256xf32>) -> (tensor<1x7x7x128xf32>, tensor<1x7x7x80xf32>, tensor<1x7x7x48xf32>)
func.func @three_parts(%x: tensor<1x7x7x256xf32>) -> (tensor<1x7x7x48xf32>, tensor<1x7x7x128xf32>, tensor<1x7x7x80xf32>) {
  %g, %i, %c = ssmc.split %x axis 3 : tensor<1x7x7x256xf32> -> tensor<1x7x7x128xf32>, tensor<1x7x7x80xf32>, tensor<1x7x7x48xf32>
  return %c, %g, %i : tensor<1x7x7x48xf32>, tensor<1x7x7x128xf32>, tensor<1x7x7x80xf32>
}

// Mamba's in_proj output split in halves along the channels of [B, D, L].
// CHECK-LABEL: func.func @halves(
// CHECK: %[[P:.*]]:2 = ssmc.split %{{.*}} axis 1 : tensor<2x256x50xf32> -> tensor<2x128x50xf32>, tensor<2x128x50xf32>
// CHECK: ssmc.mul %[[P]]#0, %[[P]]#1
func.func @halves(%x: tensor<2x256x50xf32>) -> tensor<2x128x50xf32> {
  %a, %b = ssmc.split %x axis 1 : tensor<2x256x50xf32> -> tensor<2x128x50xf32>, tensor<2x128x50xf32>
  %m = ssmc.mul %a, %b : tensor<2x128x50xf32>, tensor<2x128x50xf32> -> tensor<2x128x50xf32>
  return %m : tensor<2x128x50xf32>
}

// One part is the whole input; axis 0 works like any other.
// CHECK-LABEL: func.func @one_part_axis0(
// CHECK: ssmc.split %{{.*}} axis 0 : tensor<4x3xf16> -> tensor<4x3xf16>
// CHECK: ssmc.split %{{.*}} axis 0 : tensor<4x3xf16> -> tensor<1x3xf16>, tensor<3x3xf16>
func.func @one_part_axis0(%x: tensor<4x3xf16>) -> (tensor<4x3xf16>, tensor<1x3xf16>) {
  %w = ssmc.split %x axis 0 : tensor<4x3xf16> -> tensor<4x3xf16>
  %a, %b = ssmc.split %x axis 0 : tensor<4x3xf16> -> tensor<1x3xf16>, tensor<3x3xf16>
  return %w, %a : tensor<4x3xf16>, tensor<1x3xf16>
}
