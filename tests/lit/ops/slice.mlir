// ssmc.slice: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Vim's middle class token.
// CHECK-LABEL: func.func @class_token(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x197x192xf32>
// CHECK: %[[T:.*]] = ssmc.slice %[[X]] axis 1 start 98 : tensor<1x197x192xf32> -> tensor<1x1x192xf32>
// CHECK: return %[[T]]
// GENERIC-LABEL: sym_name = "class_token"
// GENERIC: "ssmc.slice"(%{{.*}}) <{axis = 1 : i64, start = 98 : i64}> : (tensor<1x197x192xf32>) -> tensor<1x1x192xf32>
func.func @class_token(%x: tensor<1x197x192xf32>) -> tensor<1x1x192xf32> {
  %t = ssmc.slice %x axis 1 start 98 : tensor<1x197x192xf32> -> tensor<1x1x192xf32>
  return %t : tensor<1x1x192xf32>
}

// The first rows, the last rows, and everything.
// CHECK-LABEL: func.func @ranges(
// CHECK: ssmc.slice %{{.*}} axis 0 start 0 : tensor<6x4xf32> -> tensor<2x4xf32>
// CHECK: ssmc.slice %{{.*}} axis 0 start 2 : tensor<6x4xf32> -> tensor<4x4xf32>
// CHECK: ssmc.slice %{{.*}} axis 1 start 0 : tensor<6x4xf32> -> tensor<6x4xf32>
func.func @ranges(%x: tensor<6x4xf32>) -> (tensor<2x4xf32>, tensor<4x4xf32>, tensor<6x4xf32>) {
  %a = ssmc.slice %x axis 0 start 0 : tensor<6x4xf32> -> tensor<2x4xf32>
  %b = ssmc.slice %x axis 0 start 2 : tensor<6x4xf32> -> tensor<4x4xf32>
  %c = ssmc.slice %x axis 1 start 0 : tensor<6x4xf32> -> tensor<6x4xf32>
  return %a, %b, %c : tensor<2x4xf32>, tensor<4x4xf32>, tensor<6x4xf32>
}
