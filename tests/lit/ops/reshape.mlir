// ssmc.reshape: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Patch embedding: flatten the spatial grid into tokens.
// CHECK-LABEL: func.func @flatten(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x14x14x192xf32>
// CHECK: %[[Y:.*]] = ssmc.reshape %[[X]] : tensor<1x14x14x192xf32> -> tensor<1x196x192xf32>
// CHECK: return %[[Y]]
// GENERIC-LABEL: sym_name = "flatten"
// GENERIC: "ssmc.reshape"(%{{.*}}) : (tensor<1x14x14x192xf32>) -> tensor<1x196x192xf32>
func.func @flatten(%x: tensor<1x14x14x192xf32>) -> tensor<1x196x192xf32> {
  %y = ssmc.reshape %x : tensor<1x14x14x192xf32> -> tensor<1x196x192xf32>
  return %y : tensor<1x196x192xf32>
}

// Splitting a dimension, to and from rank 0, and the identity.
// CHECK-LABEL: func.func @others(
// CHECK: ssmc.reshape %{{.*}} : tensor<6xf16> -> tensor<2x3xf16>
// CHECK: ssmc.reshape %{{.*}} : tensor<1x1xf16> -> tensor<f16>
// CHECK: ssmc.reshape %{{.*}} : tensor<f16> -> tensor<1x1x1xf16>
// CHECK: ssmc.reshape %{{.*}} : tensor<6xf16> -> tensor<6xf16>
func.func @others(%v: tensor<6xf16>, %o: tensor<1x1xf16>) -> (tensor<2x3xf16>, tensor<1x1x1xf16>, tensor<6xf16>) {
  %a = ssmc.reshape %v : tensor<6xf16> -> tensor<2x3xf16>
  %s = ssmc.reshape %o : tensor<1x1xf16> -> tensor<f16>
  %b = ssmc.reshape %s : tensor<f16> -> tensor<1x1x1xf16>
  %c = ssmc.reshape %v : tensor<6xf16> -> tensor<6xf16>
  return %a, %b, %c : tensor<2x3xf16>, tensor<1x1x1xf16>, tensor<6xf16>
}
