// RUN: ssmc-opt %s --ssmc-plan-memory --split-input-file | FileCheck %s
// RUN: ssmc-opt %s --ssmc-plan-memory --split-input-file | ssmc-opt --split-input-file | FileCheck %s

// A chain: %0 dies in %1's group, so %2 can reuse %0's bytes; %1 and %2
// overlap (the add reads both) and must not share.  1x64xf32 = 256 bytes,
// 1x128xf32 = 512.
// CHECK-LABEL: func.func @chain
// CHECK-SAME: ssmc.arena_bytes = 1024
// CHECK: "g0"(%arg0) {ssmc.arena_offsets = array<i64: 512>}
// CHECK: "g1"(%0) {ssmc.arena_offsets = array<i64: 0>}
// CHECK: "g2"(%1) {ssmc.arena_offsets = array<i64: 512>}
func.func @chain(%x: tensor<1x64xf32>, %w: tensor<128x64xf32>) -> tensor<1x128xf32> {
  %0 = ssmc.kernel_group "g0"(%x) : (tensor<1x64xf32>) -> tensor<1x64xf32> {
  ^bb0(%a: tensor<1x64xf32>):
    %r = ssmc.silu %a : tensor<1x64xf32>
    ssmc.yield %r : tensor<1x64xf32>
  }
  %1 = ssmc.kernel_group "g1"(%0) : (tensor<1x64xf32>) -> tensor<1x128xf32> {
  ^bb0(%a: tensor<1x64xf32>):
    %wt = ssmc.weight "w" : tensor<128x64xf32>
    %r = ssmc.linear %a, %wt : (tensor<1x64xf32>, tensor<128x64xf32>) -> tensor<1x128xf32>
    ssmc.yield %r : tensor<1x128xf32>
  }
  %2 = ssmc.kernel_group "g2"(%1) : (tensor<1x128xf32>) -> tensor<1x128xf32> {
  ^bb0(%a: tensor<1x128xf32>):
    %wt = ssmc.weight "w2" : tensor<128x128xf32>
    %r = ssmc.linear %a, %wt : (tensor<1x128xf32>, tensor<128x128xf32>) -> tensor<1x128xf32>
    ssmc.yield %r : tensor<1x128xf32>
  }
  %3 = ssmc.kernel_group "g3"(%1, %2) : (tensor<1x128xf32>, tensor<1x128xf32>) -> tensor<1x128xf32> {
  ^bb0(%a: tensor<1x128xf32>, %b: tensor<1x128xf32>):
    %r = ssmc.mul %a, %b : tensor<1x128xf32>, tensor<1x128xf32> -> tensor<1x128xf32>
    ssmc.yield %r : tensor<1x128xf32>
  }
  return %3 : tensor<1x128xf32>
}

// -----

// In place: g1's result overwrites %0, which dies in g1 and reaches the
// result only through elementwise ops of its shape (the residual epilogue of
// a GEMM), and g4's overwrites %2. Not in place: g2 also reads %1 through a
// linear (other positions), and g3's operand %2 is still used by g4.
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: ssmc.arena_bytes = 512
// CHECK: "g0"(%arg0) {ssmc.arena_offsets = array<i64: 0>}
// CHECK: "g1"(%0, %arg1) {ssmc.arena_offsets = array<i64: 0>}
// CHECK: "g2"(%1) {ssmc.arena_offsets = array<i64: 256>}
// CHECK: "g3"(%2) {ssmc.arena_offsets = array<i64: 0>}
// CHECK: "g4"(%2, %3) {ssmc.arena_offsets = array<i64: 256>}
func.func @in_place(%x: tensor<1x64xf32>, %y: tensor<1x64xf32>) -> (tensor<1x64xf32>, tensor<1x64xf32>) {
  %0 = ssmc.kernel_group "g0"(%x) : (tensor<1x64xf32>) -> tensor<1x64xf32> {
  ^bb0(%a: tensor<1x64xf32>):
    %r = ssmc.gelu %a : tensor<1x64xf32>
    ssmc.yield %r : tensor<1x64xf32>
  }
  %1 = ssmc.kernel_group "g1"(%0, %y) : (tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32> {
  ^bb0(%a: tensor<1x64xf32>, %b: tensor<1x64xf32>):
    %wt = ssmc.weight "w" : tensor<64x64xf32>
    %l = ssmc.linear %b, %wt : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %r = ssmc.add %l, %a : tensor<1x64xf32>, tensor<1x64xf32> -> tensor<1x64xf32>
    ssmc.yield %r : tensor<1x64xf32>
  }
  %2 = ssmc.kernel_group "g2"(%1) : (tensor<1x64xf32>) -> tensor<1x64xf32> {
  ^bb0(%a: tensor<1x64xf32>):
    %wt = ssmc.weight "w" : tensor<64x64xf32>
    %l = ssmc.linear %a, %wt : (tensor<1x64xf32>, tensor<64x64xf32>) -> tensor<1x64xf32>
    %r = ssmc.add %l, %a : tensor<1x64xf32>, tensor<1x64xf32> -> tensor<1x64xf32>
    ssmc.yield %r : tensor<1x64xf32>
  }
  %3 = ssmc.kernel_group "g3"(%2) : (tensor<1x64xf32>) -> tensor<1x64xf32> {
  ^bb0(%a: tensor<1x64xf32>):
    %r = ssmc.silu %a : tensor<1x64xf32>
    ssmc.yield %r : tensor<1x64xf32>
  }
  %4 = ssmc.kernel_group "g4"(%2, %3) : (tensor<1x64xf32>, tensor<1x64xf32>) -> tensor<1x64xf32> {
  ^bb0(%a: tensor<1x64xf32>, %b: tensor<1x64xf32>):
    %r = ssmc.mul %a, %b : tensor<1x64xf32>, tensor<1x64xf32> -> tensor<1x64xf32>
    ssmc.yield %r : tensor<1x64xf32>
  }
  return %4, %3 : tensor<1x64xf32>, tensor<1x64xf32>
}

// -----

// Storage in bf16 halves every buffer (still 256-byte aligned).
// CHECK-LABEL: func.func @bf16
// CHECK-SAME: ssmc.arena_bytes = 256
module attributes {ssmc.dtype = "bf16"} {
  func.func @bf16(%x: tensor<1x128xf32>) -> tensor<1x128xf32> {
    %0 = ssmc.kernel_group "g0"(%x) : (tensor<1x128xf32>) -> tensor<1x128xf32> {
    ^bb0(%a: tensor<1x128xf32>):
      %r = ssmc.silu %a : tensor<1x128xf32>
      ssmc.yield %r : tensor<1x128xf32>
    }
    return %0 : tensor<1x128xf32>
  }
}
