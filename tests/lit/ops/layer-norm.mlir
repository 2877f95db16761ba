// ssmc.layer_norm: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Channels-last LayerNorm over C = 48; eps prints as the nearest double.
// CHECK-LABEL: func.func @channels_last(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x56x56x48xf32>, %[[W:[^:]*]]: tensor<48xf32>, %[[B:[^:]*]]: tensor<48xf32>
// CHECK: %[[Y:.*]] = ssmc.layer_norm %[[X]], %[[W]], %[[B]] eps 9.9999999999999995E-7 : (tensor<1x56x56x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<1x56x56x48xf32>
// CHECK: return %[[Y]]
// GENERIC-LABEL: sym_name = "channels_last"
// GENERIC: "ssmc.layer_norm"(%{{.*}}, %{{.*}}, %{{.*}}) <{eps = 9.9999999999999995E-7 : f64}>
func.func @channels_last(%x: tensor<1x56x56x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) -> tensor<1x56x56x48xf32> {
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<1x56x56x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<1x56x56x48xf32>
  return %y : tensor<1x56x56x48xf32>
}

// Token-major [B, L, C] input, eps 1e-5, weights from ssmc.weight.
// CHECK-LABEL: func.func @tokens(
// CHECK: %[[W:.*]] = ssmc.weight "norm.weight" : tensor<64xf32>
// CHECK: %[[B:.*]] = ssmc.weight "norm.bias" : tensor<64xf32>
// CHECK: ssmc.layer_norm %{{.*}}, %[[W]], %[[B]] eps 1.000000e-05 : (tensor<2x17x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x17x64xf32>
func.func @tokens(%x: tensor<2x17x64xf32>) -> tensor<2x17x64xf32> {
  %w = ssmc.weight "norm.weight" : tensor<64xf32>
  %b = ssmc.weight "norm.bias" : tensor<64xf32>
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-05 : (tensor<2x17x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x17x64xf32>
  return %y : tensor<2x17x64xf32>
}

// A single vector in half precision.
// CHECK-LABEL: func.func @vector_f16(
// CHECK: ssmc.layer_norm %{{.*}}, %{{.*}}, %{{.*}} eps 1.000000e-01 : (tensor<8xf16>, tensor<8xf16>, tensor<8xf16>) -> tensor<8xf16>
func.func @vector_f16(%x: tensor<8xf16>, %w: tensor<8xf16>, %b: tensor<8xf16>) -> tensor<8xf16> {
  %y = ssmc.layer_norm %x, %w, %b eps 0.1 : (tensor<8xf16>, tensor<8xf16>, tensor<8xf16>) -> tensor<8xf16>
  return %y : tensor<8xf16>
}
