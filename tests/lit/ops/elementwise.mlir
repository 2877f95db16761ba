// Elementwise ops: gelu, silu, softplus, exp, neg, scale, add, mul.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// The unary ops print one type: operand and result are the same.
// CHECK-LABEL: func.func @unary_chain(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x128x50xf32>
// CHECK: %[[G:.*]] = ssmc.gelu %[[X]] : tensor<2x128x50xf32>
// CHECK: %[[S:.*]] = ssmc.silu %[[G]] : tensor<2x128x50xf32>
// CHECK: %[[P:.*]] = ssmc.softplus %[[S]] : tensor<2x128x50xf32>
// CHECK: %[[E:.*]] = ssmc.exp %[[P]] : tensor<2x128x50xf32>
// CHECK: %[[N:.*]] = ssmc.neg %[[E]] : tensor<2x128x50xf32>
// CHECK: %[[H:.*]] = ssmc.scale %[[N]] by 5.000000e-01 : tensor<2x128x50xf32>
// CHECK: return %[[H]]
// GENERIC-LABEL: sym_name = "unary_chain"
// GENERIC: "ssmc.gelu"(%{{.*}}) : (tensor<2x128x50xf32>) -> tensor<2x128x50xf32>
// GENERIC: "ssmc.silu"(%{{.*}}) : (tensor<2x128x50xf32>) -> tensor<2x128x50xf32>
// GENERIC: "ssmc.softplus"(%{{.*}}) : (tensor<2x128x50xf32>) -> tensor<2x128x50xf32>
// GENERIC: "ssmc.exp"(%{{.*}}) : (tensor<2x128x50xf32>) -> tensor<2x128x50xf32>
// GENERIC: "ssmc.neg"(%{{.*}}) : (tensor<2x128x50xf32>) -> tensor<2x128x50xf32>
// GENERIC: "ssmc.scale"(%{{.*}}) <{factor = 5.000000e-01 : f64}> : (tensor<2x128x50xf32>) -> tensor<2x128x50xf32>
func.func @unary_chain(%x: tensor<2x128x50xf32>) -> tensor<2x128x50xf32> {
  %g = ssmc.gelu %x : tensor<2x128x50xf32>
  %s = ssmc.silu %g : tensor<2x128x50xf32>
  %p = ssmc.softplus %s : tensor<2x128x50xf32>
  %e = ssmc.exp %p : tensor<2x128x50xf32>
  %n = ssmc.neg %e : tensor<2x128x50xf32>
  %h = ssmc.scale %n by 0.5 : tensor<2x128x50xf32>
  return %h : tensor<2x128x50xf32>
}

// Scalars, other float types, negative and exact factors.
// CHECK-LABEL: func.func @unary_types(
// CHECK: ssmc.gelu %{{.*}} : tensor<f32>
// CHECK: ssmc.silu %{{.*}} : tensor<4xbf16>
// CHECK: ssmc.exp %{{.*}} : tensor<4xf16>
// CHECK: ssmc.scale %{{.*}} by -2.000000e+00 : tensor<4xf16>
// CHECK: ssmc.scale %{{.*}} by 0.000000e+00 : tensor<f32>
func.func @unary_types(%s: tensor<f32>, %b: tensor<4xbf16>, %h: tensor<4xf16>) -> (tensor<f32>, tensor<4xbf16>, tensor<4xf16>, tensor<4xf16>, tensor<f32>) {
  %0 = ssmc.gelu %s : tensor<f32>
  %1 = ssmc.silu %b : tensor<4xbf16>
  %2 = ssmc.exp %h : tensor<4xf16>
  %3 = ssmc.scale %2 by -2.0 : tensor<4xf16>
  %4 = ssmc.scale %0 by 0.0 : tensor<f32>
  return %0, %1, %2, %3, %4 : tensor<f32>, tensor<4xbf16>, tensor<4xf16>, tensor<4xf16>, tensor<f32>
}

// Same shapes: the binary ops print both operand types and the result type.
// CHECK-LABEL: func.func @same_shape(
// CHECK-SAME: %[[A:[^:]*]]: tensor<2x7x7x128xf32>, %[[B:[^:]*]]: tensor<2x7x7x128xf32>
// CHECK: %[[M:.*]] = ssmc.mul %[[A]], %[[B]] : tensor<2x7x7x128xf32>, tensor<2x7x7x128xf32> -> tensor<2x7x7x128xf32>
// CHECK: ssmc.add %[[M]], %[[A]] : tensor<2x7x7x128xf32>, tensor<2x7x7x128xf32> -> tensor<2x7x7x128xf32>
// GENERIC-LABEL: sym_name = "same_shape"
// GENERIC: "ssmc.mul"(%{{[^,]*}}, %{{[^,]*}}) : (tensor<2x7x7x128xf32>, tensor<2x7x7x128xf32>) -> tensor<2x7x7x128xf32>
// GENERIC: "ssmc.add"(%{{[^,]*}}, %{{[^,]*}}) : (tensor<2x7x7x128xf32>, tensor<2x7x7x128xf32>) -> tensor<2x7x7x128xf32>
func.func @same_shape(%a: tensor<2x7x7x128xf32>, %b: tensor<2x7x7x128xf32>) -> tensor<2x7x7x128xf32> {
  %m = ssmc.mul %a, %b : tensor<2x7x7x128xf32>, tensor<2x7x7x128xf32> -> tensor<2x7x7x128xf32>
  %r = ssmc.add %m, %a : tensor<2x7x7x128xf32>, tensor<2x7x7x128xf32> -> tensor<2x7x7x128xf32>
  return %r : tensor<2x7x7x128xf32>
}

// A per-channel vector broadcasts over the leading dimensions, on either side.
// CHECK-LABEL: func.func @broadcast_trailing(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x7x7x48xf32>, %[[V:[^:]*]]: tensor<48xf32>
// CHECK: ssmc.add %[[X]], %[[V]] : tensor<2x7x7x48xf32>, tensor<48xf32> -> tensor<2x7x7x48xf32>
// CHECK: ssmc.mul %[[V]], %[[X]] : tensor<48xf32>, tensor<2x7x7x48xf32> -> tensor<2x7x7x48xf32>
func.func @broadcast_trailing(%x: tensor<2x7x7x48xf32>, %v: tensor<48xf32>) -> (tensor<2x7x7x48xf32>, tensor<2x7x7x48xf32>) {
  %a = ssmc.add %x, %v : tensor<2x7x7x48xf32>, tensor<48xf32> -> tensor<2x7x7x48xf32>
  %m = ssmc.mul %v, %x : tensor<48xf32>, tensor<2x7x7x48xf32> -> tensor<2x7x7x48xf32>
  return %a, %m : tensor<2x7x7x48xf32>, tensor<2x7x7x48xf32>
}

// Size-1 dimensions stretch on both sides at once; the result can be larger than either operand.
// CHECK-LABEL: func.func @broadcast_both(
// CHECK: ssmc.mul %{{.*}}, %{{.*}} : tensor<2x1x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
// CHECK: ssmc.add %{{.*}}, %{{.*}} : tensor<1x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
func.func @broadcast_both(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>, %c: tensor<1x3xf32>, %d: tensor<2x1xf32>) -> (tensor<2x3x4xf32>, tensor<2x3xf32>) {
  %m = ssmc.mul %a, %b : tensor<2x1x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  %s = ssmc.add %c, %d : tensor<1x3xf32>, tensor<2x1xf32> -> tensor<2x3xf32>
  return %m, %s : tensor<2x3x4xf32>, tensor<2x3xf32>
}

// Rank-0 tensors and [1] broadcast against anything.
// CHECK-LABEL: func.func @broadcast_scalar(
// CHECK: ssmc.mul %{{.*}}, %{{.*}} : tensor<f32>, tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK: ssmc.add %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<1xf32> -> tensor<2x3xf32>
// CHECK: ssmc.add %{{.*}}, %{{.*}} : tensor<f32>, tensor<f32> -> tensor<f32>
func.func @broadcast_scalar(%s: tensor<f32>, %x: tensor<2x3xf32>, %one: tensor<1xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>) {
  %m = ssmc.mul %s, %x : tensor<f32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %a = ssmc.add %x, %one : tensor<2x3xf32>, tensor<1xf32> -> tensor<2x3xf32>
  %ss = ssmc.add %s, %s : tensor<f32>, tensor<f32> -> tensor<f32>
  return %m, %a, %ss : tensor<2x3xf32>, tensor<2x3xf32>, tensor<f32>
}

// Other float types.
// CHECK-LABEL: func.func @binary_bf16(
// CHECK: ssmc.add %{{.*}}, %{{.*}} : tensor<4x8xbf16>, tensor<8xbf16> -> tensor<4x8xbf16>
func.func @binary_bf16(%a: tensor<4x8xbf16>, %b: tensor<8xbf16>) -> tensor<4x8xbf16> {
  %r = ssmc.add %a, %b : tensor<4x8xbf16>, tensor<8xbf16> -> tensor<4x8xbf16>
  return %r : tensor<4x8xbf16>
}
