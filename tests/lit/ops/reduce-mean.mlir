// ssmc.reduce_mean: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// MambaOut's global average pool over H and W of NHWC.
// CHECK-LABEL: func.func @pool(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x7x7x288xf32>
// CHECK: %[[M:.*]] = ssmc.reduce_mean %[[X]] dims [1, 2] : tensor<1x7x7x288xf32> -> tensor<1x288xf32>
// CHECK: return %[[M]]
// GENERIC-LABEL: sym_name = "pool"
// GENERIC: "ssmc.reduce_mean"(%{{.*}}) <{dims = array<i64: 1, 2>}> : (tensor<1x7x7x288xf32>) -> tensor<1x288xf32>
func.func @pool(%x: tensor<1x7x7x288xf32>) -> tensor<1x288xf32> {
  %m = ssmc.reduce_mean %x dims [1, 2] : tensor<1x7x7x288xf32> -> tensor<1x288xf32>
  return %m : tensor<1x288xf32>
}

// keepdim leaves the reduced axes with size 1.
// CHECK-LABEL: func.func @keepdim(
// CHECK: ssmc.reduce_mean %{{.*}} dims [1, 2] keepdim : tensor<1x7x7x288xf32> -> tensor<1x1x1x288xf32>
// CHECK: ssmc.reduce_mean %{{.*}} dims [3] keepdim : tensor<1x7x7x288xf32> -> tensor<1x7x7x1xf32>
// GENERIC-LABEL: sym_name = "keepdim"
// GENERIC: "ssmc.reduce_mean"(%{{.*}}) <{dims = array<i64: 1, 2>, keepdim}>
func.func @keepdim(%x: tensor<1x7x7x288xf32>) -> (tensor<1x1x1x288xf32>, tensor<1x7x7x1xf32>) {
  %a = ssmc.reduce_mean %x dims [1, 2] keepdim : tensor<1x7x7x288xf32> -> tensor<1x1x1x288xf32>
  %b = ssmc.reduce_mean %x dims [3] keepdim : tensor<1x7x7x288xf32> -> tensor<1x7x7x1xf32>
  return %a, %b : tensor<1x1x1x288xf32>, tensor<1x7x7x1xf32>
}

// All axes give a rank-0 result; no axes give the input's shape.
// CHECK-LABEL: func.func @all_or_none(
// CHECK: ssmc.reduce_mean %{{.*}} dims [0, 1] : tensor<2x3xbf16> -> tensor<bf16>
// CHECK: ssmc.reduce_mean %{{.*}} dims [] : tensor<2x3xbf16> -> tensor<2x3xbf16>
// GENERIC-LABEL: sym_name = "all_or_none"
// GENERIC: "ssmc.reduce_mean"(%{{.*}}) <{dims = array<i64: 0, 1>}>
// GENERIC: "ssmc.reduce_mean"(%{{.*}}) <{dims = array<i64>}>
func.func @all_or_none(%x: tensor<2x3xbf16>) -> (tensor<bf16>, tensor<2x3xbf16>) {
  %a = ssmc.reduce_mean %x dims [0, 1] : tensor<2x3xbf16> -> tensor<bf16>
  %b = ssmc.reduce_mean %x dims [] : tensor<2x3xbf16> -> tensor<2x3xbf16>
  return %a, %b : tensor<bf16>, tensor<2x3xbf16>
}
