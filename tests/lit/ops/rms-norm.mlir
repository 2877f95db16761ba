// ssmc.rms_norm: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Mamba's RMSNorm over d_model = 64.
// CHECK-LABEL: func.func @tokens(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x17x64xf32>, %[[W:[^:]*]]: tensor<64xf32>
// CHECK: %[[Y:.*]] = ssmc.rms_norm %[[X]], %[[W]] eps 1.000000e-05 : (tensor<2x17x64xf32>, tensor<64xf32>) -> tensor<2x17x64xf32>
// CHECK: return %[[Y]]
// GENERIC-LABEL: sym_name = "tokens"
// GENERIC: "ssmc.rms_norm"(%{{[^,]*}}, %{{[^,]*}}) <{eps = 1.000000e-05 : f64}> : (tensor<2x17x64xf32>, tensor<64xf32>) -> tensor<2x17x64xf32>
func.func @tokens(%x: tensor<2x17x64xf32>, %w: tensor<64xf32>) -> tensor<2x17x64xf32> {
  %y = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<2x17x64xf32>, tensor<64xf32>) -> tensor<2x17x64xf32>
  return %y : tensor<2x17x64xf32>
}

// A single vector in bfloat16, tiny eps (printed as the nearest double).
// CHECK-LABEL: func.func @vector_bf16(
// CHECK: ssmc.rms_norm %{{.*}}, %{{.*}} eps 9.9999999999999998E-13 : (tensor<8xbf16>, tensor<8xbf16>) -> tensor<8xbf16>
func.func @vector_bf16(%x: tensor<8xbf16>, %w: tensor<8xbf16>) -> tensor<8xbf16> {
  %y = ssmc.rms_norm %x, %w eps 1.0e-12 : (tensor<8xbf16>, tensor<8xbf16>) -> tensor<8xbf16>
  return %y : tensor<8xbf16>
}
