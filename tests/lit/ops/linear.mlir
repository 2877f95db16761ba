// ssmc.linear: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Over the last dimension of a 4-D input, with bias.
// CHECK-LABEL: func.func @with_bias(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x7x7x48xf32>, %[[W:[^:]*]]: tensor<256x48xf32>, %[[B:[^:]*]]: tensor<256xf32>
// CHECK: %[[Y:.*]] = ssmc.linear %[[X]], %[[W]], %[[B]] : (tensor<2x7x7x48xf32>, tensor<256x48xf32>, tensor<256xf32>) -> tensor<2x7x7x256xf32>
// CHECK: return %[[Y]]
// GENERIC-LABEL: sym_name = "with_bias"
// GENERIC: "ssmc.linear"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x7x7x48xf32>, tensor<256x48xf32>, tensor<256xf32>) -> tensor<2x7x7x256xf32>
func.func @with_bias(%x: tensor<2x7x7x48xf32>, %w: tensor<256x48xf32>, %b: tensor<256xf32>) -> tensor<2x7x7x256xf32> {
  %y = ssmc.linear %x, %w, %b : (tensor<2x7x7x48xf32>, tensor<256x48xf32>, tensor<256xf32>) -> tensor<2x7x7x256xf32>
  return %y : tensor<2x7x7x256xf32>
}

// The bias is optional.
// CHECK-LABEL: func.func @without_bias(
// CHECK-SAME: %[[X:[^:]*]]: tensor<3x16xf32>, %[[W:[^:]*]]: tensor<8x16xf32>
// CHECK: ssmc.linear %[[X]], %[[W]] : (tensor<3x16xf32>, tensor<8x16xf32>) -> tensor<3x8xf32>
// GENERIC-LABEL: sym_name = "without_bias"
// GENERIC: "ssmc.linear"(%{{[^,]*}}, %{{[^,]*}}) : (tensor<3x16xf32>, tensor<8x16xf32>) -> tensor<3x8xf32>
func.func @without_bias(%x: tensor<3x16xf32>, %w: tensor<8x16xf32>) -> tensor<3x8xf32> {
  %y = ssmc.linear %x, %w : (tensor<3x16xf32>, tensor<8x16xf32>) -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}

// A 1-D input is a single feature vector; other float types work alike.
// CHECK-LABEL: func.func @vector_bf16(
// CHECK: ssmc.linear %{{.*}}, %{{.*}}, %{{.*}} : (tensor<16xbf16>, tensor<4x16xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
func.func @vector_bf16(%x: tensor<16xbf16>, %w: tensor<4x16xbf16>, %b: tensor<4xbf16>) -> tensor<4xbf16> {
  %y = ssmc.linear %x, %w, %b : (tensor<16xbf16>, tensor<4x16xbf16>, tensor<4xbf16>) -> tensor<4xbf16>
  return %y : tensor<4xbf16>
}

// Weights from ssmc.weight, as the frontend emits them.
// CHECK-LABEL: func.func @from_weights(
// CHECK: %[[W:.*]] = ssmc.weight "fc1.weight" : tensor<256x48xf32>
// CHECK: %[[B:.*]] = ssmc.weight "fc1.bias" : tensor<256xf32>
// CHECK: ssmc.linear %{{.*}}, %[[W]], %[[B]]
func.func @from_weights(%x: tensor<1x48xf32>) -> tensor<1x256xf32> {
  %w = ssmc.weight "fc1.weight" : tensor<256x48xf32>
  %b = ssmc.weight "fc1.bias" : tensor<256xf32>
  %y = ssmc.linear %x, %w, %b : (tensor<1x48xf32>, tensor<256x48xf32>, tensor<256xf32>) -> tensor<1x256xf32>
  return %y : tensor<1x256xf32>
}
