// ssmc.selective_scan: custom form, generic form, and back, with every
// combination of its optional operands and flags that the models use.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Only the five required operands. u, delta, z: [B, D, L]; A: [D, N]; B, C: [B, N, L].
// CHECK-LABEL: func.func @bare(
// CHECK-SAME: %[[U:[^:]*]]: tensor<2x8x10xf32>, %[[DT:[^:]*]]: tensor<2x8x10xf32>, %[[A:[^:]*]]: tensor<8x4xf32>, %[[B:[^:]*]]: tensor<2x4x10xf32>, %[[C:[^:]*]]: tensor<2x4x10xf32>
// CHECK: %[[O:.*]], %[[H:.*]] = ssmc.selective_scan %[[U]], %[[DT]], %[[A]], %[[B]], %[[C]] : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
// CHECK: return %[[H]], %[[O]]
// GENERIC-LABEL: sym_name = "bare"
// GENERIC: "ssmc.selective_scan"(%{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}, %{{[^,]*}}) <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 0>}>
func.func @bare(%u: tensor<2x8x10xf32>, %dt: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %C: tensor<2x4x10xf32>) -> (tensor<2x8x4xf32>, tensor<2x8x10xf32>) {
  %out, %h = ssmc.selective_scan %u, %dt, %A, %B, %C : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return %h, %out : tensor<2x8x4xf32>, tensor<2x8x10xf32>
}

// Mamba's usual call: D, z, delta_bias and the softplus on delta.
// CHECK-LABEL: func.func @mamba(
// CHECK-SAME: %[[U:[^:]*]]: tensor<2x8x10xf32>, %[[DT:[^:]*]]: tensor<2x8x10xf32>, %[[A:[^:]*]]: tensor<8x4xf32>, %[[B:[^:]*]]: tensor<2x4x10xf32>, %[[C:[^:]*]]: tensor<2x4x10xf32>, %[[D:[^:]*]]: tensor<8xf32>, %[[Z:[^:]*]]: tensor<2x8x10xf32>, %[[DB:[^:]*]]: tensor<8xf32>
// CHECK: ssmc.selective_scan %[[U]], %[[DT]], %[[A]], %[[B]], %[[C]] D %[[D]] z %[[Z]] delta_bias %[[DB]] delta_softplus : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<8xf32>, tensor<2x8x10xf32>, tensor<8xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
// GENERIC-LABEL: sym_name = "mamba"
// GENERIC: "ssmc.selective_scan"({{.*}}) <{delta_softplus, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1>}>
func.func @mamba(%u: tensor<2x8x10xf32>, %dt: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %C: tensor<2x4x10xf32>, %D: tensor<8xf32>, %z: tensor<2x8x10xf32>, %db: tensor<8xf32>) -> tensor<2x8x10xf32> {
  %out, %h = ssmc.selective_scan %u, %dt, %A, %B, %C D %D z %z delta_bias %db delta_softplus : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<8xf32>, tensor<2x8x10xf32>, tensor<8xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return %out : tensor<2x8x10xf32>
}

// Vim's backward direction: everything, plus reverse.
// CHECK-LABEL: func.func @all_and_reverse(
// CHECK: ssmc.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} D %{{.*}} z %{{.*}} delta_bias %{{.*}} delta_softplus reverse : (
// GENERIC-LABEL: sym_name = "all_and_reverse"
// GENERIC: "ssmc.selective_scan"({{.*}}) <{delta_softplus, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1>, reverse}>
func.func @all_and_reverse(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %D: tensor<8xf32>) -> tensor<2x8x10xf32> {
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B D %D z %u delta_bias %D delta_softplus reverse : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<8xf32>, tensor<2x8x10xf32>, tensor<8xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return %out : tensor<2x8x10xf32>
}

// Each optional operand alone: the segment sizes say which one is present.
// CHECK-LABEL: func.func @one_optional(
// CHECK-SAME: %[[U:[^:]*]]: tensor<1x4x6xf32>, %[[A:[^:]*]]: tensor<4x2xf32>, %[[B:[^:]*]]: tensor<1x2x6xf32>, %[[V:[^:]*]]: tensor<4xf32>
// CHECK: ssmc.selective_scan %[[U]], %[[U]], %[[A]], %[[B]], %[[B]] D %[[V]] : (
// CHECK: ssmc.selective_scan %[[U]], %[[U]], %[[A]], %[[B]], %[[B]] z %[[U]] : (
// CHECK: ssmc.selective_scan %[[U]], %[[U]], %[[A]], %[[B]], %[[B]] delta_bias %[[V]] : (
// GENERIC-LABEL: sym_name = "one_optional"
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 0, 0>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 1, 0>
// GENERIC: operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 1>
func.func @one_optional(%u: tensor<1x4x6xf32>, %A: tensor<4x2xf32>, %B: tensor<1x2x6xf32>, %v: tensor<4xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<1x4x6xf32>) {
  %o1, %h1 = ssmc.selective_scan %u, %u, %A, %B, %B D %v : (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<4x2xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>, tensor<4xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>)
  %o2, %h2 = ssmc.selective_scan %u, %u, %A, %B, %B z %u : (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<4x2xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>, tensor<1x4x6xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>)
  %o3, %h3 = ssmc.selective_scan %u, %u, %A, %B, %B delta_bias %v : (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<4x2xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>, tensor<4xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>)
  return %o1, %o2, %o3 : tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<1x4x6xf32>
}

// The flags alone, and D with z but no delta_bias.
// CHECK-LABEL: func.func @flags(
// CHECK: ssmc.selective_scan %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} delta_softplus : (
// CHECK: ssmc.selective_scan %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} reverse : (
// CHECK: ssmc.selective_scan %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}}, %{{[^ ]*}} D %{{[^ ]*}} z %{{[^ ]*}} reverse : (
// GENERIC-LABEL: sym_name = "flags"
// GENERIC: <{delta_softplus, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 0>}>
// GENERIC: <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 0>, reverse}>
// GENERIC: <{operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 0>, reverse}>
func.func @flags(%u: tensor<1x4x6xf32>, %A: tensor<4x2xf32>, %B: tensor<1x2x6xf32>, %v: tensor<4xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<1x4x6xf32>) {
  %o1, %h1 = ssmc.selective_scan %u, %u, %A, %B, %B delta_softplus : (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<4x2xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>)
  %o2, %h2 = ssmc.selective_scan %u, %u, %A, %B, %B reverse : (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<4x2xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>)
  %o3, %h3 = ssmc.selective_scan %u, %u, %A, %B, %B D %v z %u reverse : (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<4x2xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>, tensor<4xf32>, tensor<1x4x6xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>)
  return %o1, %o2, %o3 : tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<1x4x6xf32>
}

// Other float types; a length-1 sequence and a single state.
// CHECK-LABEL: func.func @small_bf16(
// CHECK: ssmc.selective_scan {{.*}} : (tensor<1x3x1xbf16>, tensor<1x3x1xbf16>, tensor<3x1xbf16>, tensor<1x1x1xbf16>, tensor<1x1x1xbf16>) -> (tensor<1x3x1xbf16>, tensor<1x3x1xbf16>)
func.func @small_bf16(%u: tensor<1x3x1xbf16>, %A: tensor<3x1xbf16>, %B: tensor<1x1x1xbf16>) -> tensor<1x3x1xbf16> {
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<1x3x1xbf16>, tensor<1x3x1xbf16>, tensor<3x1xbf16>, tensor<1x1x1xbf16>, tensor<1x1x1xbf16>) -> (tensor<1x3x1xbf16>, tensor<1x3x1xbf16>)
  return %out : tensor<1x3x1xbf16>
}

// Channels-last: u, delta, out [B, L, D]; B, C [B, L, N]; last_state [B, D, N].
// CHECK-LABEL: func.func @channels_last(
// CHECK: ssmc.selective_scan {{.*}} channels_last : (tensor<2x10x8xf32>, tensor<2x10x8xf32>, tensor<8x4xf32>, tensor<2x10x4xf32>, tensor<2x10x4xf32>) -> (tensor<2x10x8xf32>, tensor<2x8x4xf32>)
func.func @channels_last(%u: tensor<2x10x8xf32>, %A: tensor<8x4xf32>, %B: tensor<2x10x4xf32>) -> tensor<2x10x8xf32> {
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B channels_last : (tensor<2x10x8xf32>, tensor<2x10x8xf32>, tensor<8x4xf32>, tensor<2x10x4xf32>, tensor<2x10x4xf32>) -> (tensor<2x10x8xf32>, tensor<2x8x4xf32>)
  return %out : tensor<2x10x8xf32>
}
