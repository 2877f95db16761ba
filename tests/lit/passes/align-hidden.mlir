// RUN: ssmc-opt %s --ssmc-align-hidden --split-input-file | FileCheck %s
// RUN: ssmc-opt %s --ssmc-align-hidden --split-input-file | ssmc-opt --split-input-file | FileCheck %s

// A Gated CNN block of dim 40 in bf16: hidden 106, identity 66, conv 40 (80
// bytes: whole 16-byte pieces, not whole 32-byte sectors). Six zero channels
// make 112: fc1's rows before 66 and before 172 (the conv part), fc2's
// columns at 66; the split becomes 112 / 72 / 40.
// CHECK-LABEL: func.func @gated_bf16
// CHECK-DAG: ssmc.weight "fc1.weight" {inserted_zeros = array<i64: 0, 66, 6, 172, 6>} : tensor<224x40xf32>
// CHECK-DAG: ssmc.weight "fc1.bias" {inserted_zeros = array<i64: 0, 66, 6, 172, 6>} : tensor<224xf32>
// CHECK-DAG: ssmc.weight "fc2.weight" {inserted_zeros = array<i64: 1, 66, 6>} : tensor<40x112xf32>
// CHECK-DAG: ssmc.weight "conv.weight" : tensor<40x1x7x7xf32>
// CHECK: ssmc.linear {{.*}} -> tensor<1x6x5x224xf32>
// CHECK: ssmc.split {{.*}} -> tensor<1x6x5x112xf32>, tensor<1x6x5x72xf32>, tensor<1x6x5x40xf32>
// CHECK: ssmc.depthwise_conv2d {{.*}} -> tensor<1x6x5x40xf32>
// CHECK: ssmc.concat {{.*}} -> tensor<1x6x5x112xf32>
// CHECK: ssmc.gelu {{.*}} : tensor<1x6x5x112xf32>
// CHECK: ssmc.mul {{.*}} -> tensor<1x6x5x112xf32>
// CHECK: ssmc.linear {{.*}} : (tensor<1x6x5x112xf32>, tensor<40x112xf32>, tensor<40xf32>) -> tensor<1x6x5x40xf32>
module attributes {ssmc.dtype = "bf16"} {
func.func @gated_bf16(%x: tensor<1x6x5x40xf32>) -> tensor<1x6x5x40xf32> {
  %b2 = ssmc.weight "fc2.bias" : tensor<40xf32>
  %w2 = ssmc.weight "fc2.weight" : tensor<40x106xf32>
  %cb = ssmc.weight "conv.bias" : tensor<40xf32>
  %cw = ssmc.weight "conv.weight" : tensor<40x1x7x7xf32>
  %b1 = ssmc.weight "fc1.bias" : tensor<212xf32>
  %w1 = ssmc.weight "fc1.weight" : tensor<212x40xf32>
  %h = ssmc.linear %x, %w1, %b1 : (tensor<1x6x5x40xf32>, tensor<212x40xf32>, tensor<212xf32>) -> tensor<1x6x5x212xf32>
  %s:3 = ssmc.split %h axis 3 : tensor<1x6x5x212xf32> -> tensor<1x6x5x106xf32>, tensor<1x6x5x66xf32>, tensor<1x6x5x40xf32>
  %c = ssmc.depthwise_conv2d %s#2, %cw, %cb : (tensor<1x6x5x40xf32>, tensor<40x1x7x7xf32>, tensor<40xf32>) -> tensor<1x6x5x40xf32>
  %cat = ssmc.concat %s#1, %c axis 3 : (tensor<1x6x5x66xf32>, tensor<1x6x5x40xf32>) -> tensor<1x6x5x106xf32>
  %g = ssmc.gelu %s#0 : tensor<1x6x5x106xf32>
  %m = ssmc.mul %g, %cat : tensor<1x6x5x106xf32>, tensor<1x6x5x106xf32> -> tensor<1x6x5x106xf32>
  %y = ssmc.linear %m, %w2, %b2 : (tensor<1x6x5x106xf32>, tensor<40x106xf32>, tensor<40xf32>) -> tensor<1x6x5x40xf32>
  return %y : tensor<1x6x5x40xf32>
}
}

// -----

// The same block in f32 (no ssmc.dtype), without fc1's bias, the mul's
// operands the other way round: the conv part is 5 whole sectors, so the
// hidden width becomes 14 (112).
// CHECK-LABEL: func.func @gated_f32
// CHECK-DAG: ssmc.weight "fc1.weight" {inserted_zeros = array<i64: 0, 66, 6, 172, 6>} : tensor<224x40xf32>
// CHECK-DAG: ssmc.weight "fc2.weight" {inserted_zeros = array<i64: 1, 66, 6>} : tensor<40x112xf32>
// CHECK: ssmc.split {{.*}} -> tensor<1x6x5x112xf32>, tensor<1x6x5x72xf32>, tensor<1x6x5x40xf32>
func.func @gated_f32(%x: tensor<1x6x5x40xf32>) -> tensor<1x6x5x40xf32> {
  %w2 = ssmc.weight "fc2.weight" : tensor<40x106xf32>
  %cw = ssmc.weight "conv.weight" : tensor<40x1x7x7xf32>
  %w1 = ssmc.weight "fc1.weight" : tensor<212x40xf32>
  %h = ssmc.linear %x, %w1 : (tensor<1x6x5x40xf32>, tensor<212x40xf32>) -> tensor<1x6x5x212xf32>
  %s:3 = ssmc.split %h axis 3 : tensor<1x6x5x212xf32> -> tensor<1x6x5x106xf32>, tensor<1x6x5x66xf32>, tensor<1x6x5x40xf32>
  %c = ssmc.depthwise_conv2d %s#2, %cw : (tensor<1x6x5x40xf32>, tensor<40x1x7x7xf32>) -> tensor<1x6x5x40xf32>
  %cat = ssmc.concat %s#1, %c axis 3 : (tensor<1x6x5x66xf32>, tensor<1x6x5x40xf32>) -> tensor<1x6x5x106xf32>
  %g = ssmc.gelu %s#0 : tensor<1x6x5x106xf32>
  %m = ssmc.mul %cat, %g : tensor<1x6x5x106xf32>, tensor<1x6x5x106xf32> -> tensor<1x6x5x106xf32>
  %y = ssmc.linear %m, %w2 : (tensor<1x6x5x106xf32>, tensor<40x106xf32>) -> tensor<1x6x5x40xf32>
  return %y : tensor<1x6x5x40xf32>
}

// -----

// Dim 32 in bf16 (mambaout's first stage at dims 32, ...): hidden 85, conv
// 32 (whole sectors): eleven zero channels make 96, six sectors.
// CHECK-LABEL: func.func @gated_sectors
// CHECK-DAG: ssmc.weight "fc1.weight" {inserted_zeros = array<i64: 0, 53, 11, 138, 11>} : tensor<192x32xf32>
// CHECK-DAG: ssmc.weight "fc2.weight" {inserted_zeros = array<i64: 1, 53, 11>} : tensor<32x96xf32>
// CHECK: ssmc.split {{.*}} -> tensor<1x4x4x96xf32>, tensor<1x4x4x64xf32>, tensor<1x4x4x32xf32>
module attributes {ssmc.dtype = "bf16"} {
func.func @gated_sectors(%x: tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32> {
  %w2 = ssmc.weight "fc2.weight" : tensor<32x85xf32>
  %cw = ssmc.weight "conv.weight" : tensor<32x1x7x7xf32>
  %w1 = ssmc.weight "fc1.weight" : tensor<170x32xf32>
  %h = ssmc.linear %x, %w1 : (tensor<1x4x4x32xf32>, tensor<170x32xf32>) -> tensor<1x4x4x170xf32>
  %s:3 = ssmc.split %h axis 3 : tensor<1x4x4x170xf32> -> tensor<1x4x4x85xf32>, tensor<1x4x4x53xf32>, tensor<1x4x4x32xf32>
  %c = ssmc.depthwise_conv2d %s#2, %cw : (tensor<1x4x4x32xf32>, tensor<32x1x7x7xf32>) -> tensor<1x4x4x32xf32>
  %cat = ssmc.concat %s#1, %c axis 3 : (tensor<1x4x4x53xf32>, tensor<1x4x4x32xf32>) -> tensor<1x4x4x85xf32>
  %g = ssmc.gelu %s#0 : tensor<1x4x4x85xf32>
  %m = ssmc.mul %g, %cat : tensor<1x4x4x85xf32>, tensor<1x4x4x85xf32> -> tensor<1x4x4x85xf32>
  %y = ssmc.linear %m, %w2 : (tensor<1x4x4x85xf32>, tensor<32x85xf32>) -> tensor<1x4x4x32xf32>
  return %y : tensor<1x4x4x32xf32>
}
}

// -----

// Left alone: a conv part that is not whole pieces itself (hidden 106, conv
// 10), and a gate that something else reads too.
// CHECK-LABEL: func.func @refused
// CHECK-NOT: inserted_zeros
// CHECK: ssmc.split {{.*}} -> tensor<1x6x5x106xf32>, tensor<1x6x5x96xf32>, tensor<1x6x5x10xf32>
// CHECK: ssmc.split {{.*}} -> tensor<1x6x5x106xf32>, tensor<1x6x5x66xf32>, tensor<1x6x5x40xf32>
module attributes {ssmc.dtype = "bf16"} {
func.func @refused(%x: tensor<1x6x5x40xf32>) -> (tensor<1x6x5x40xf32>, tensor<1x6x5x40xf32>, tensor<1x6x5x106xf32>) {
  %w2 = ssmc.weight "a.fc2.weight" : tensor<40x106xf32>
  %cw = ssmc.weight "a.conv.weight" : tensor<10x1x7x7xf32>
  %w1 = ssmc.weight "a.fc1.weight" : tensor<212x40xf32>
  %h = ssmc.linear %x, %w1 : (tensor<1x6x5x40xf32>, tensor<212x40xf32>) -> tensor<1x6x5x212xf32>
  %s:3 = ssmc.split %h axis 3 : tensor<1x6x5x212xf32> -> tensor<1x6x5x106xf32>, tensor<1x6x5x96xf32>, tensor<1x6x5x10xf32>
  %c = ssmc.depthwise_conv2d %s#2, %cw : (tensor<1x6x5x10xf32>, tensor<10x1x7x7xf32>) -> tensor<1x6x5x10xf32>
  %cat = ssmc.concat %s#1, %c axis 3 : (tensor<1x6x5x96xf32>, tensor<1x6x5x10xf32>) -> tensor<1x6x5x106xf32>
  %g = ssmc.gelu %s#0 : tensor<1x6x5x106xf32>
  %m = ssmc.mul %g, %cat : tensor<1x6x5x106xf32>, tensor<1x6x5x106xf32> -> tensor<1x6x5x106xf32>
  %y = ssmc.linear %m, %w2 : (tensor<1x6x5x106xf32>, tensor<40x106xf32>) -> tensor<1x6x5x40xf32>
  %v2 = ssmc.weight "b.fc2.weight" : tensor<40x106xf32>
  %dw = ssmc.weight "b.conv.weight" : tensor<40x1x7x7xf32>
  %v1 = ssmc.weight "b.fc1.weight" : tensor<212x40xf32>
  %h2 = ssmc.linear %x, %v1 : (tensor<1x6x5x40xf32>, tensor<212x40xf32>) -> tensor<1x6x5x212xf32>
  %t:3 = ssmc.split %h2 axis 3 : tensor<1x6x5x212xf32> -> tensor<1x6x5x106xf32>, tensor<1x6x5x66xf32>, tensor<1x6x5x40xf32>
  %c2 = ssmc.depthwise_conv2d %t#2, %dw : (tensor<1x6x5x40xf32>, tensor<40x1x7x7xf32>) -> tensor<1x6x5x40xf32>
  %cat2 = ssmc.concat %t#1, %c2 axis 3 : (tensor<1x6x5x66xf32>, tensor<1x6x5x40xf32>) -> tensor<1x6x5x106xf32>
  %g2 = ssmc.gelu %t#0 : tensor<1x6x5x106xf32>
  %m2 = ssmc.mul %g2, %cat2 : tensor<1x6x5x106xf32>, tensor<1x6x5x106xf32> -> tensor<1x6x5x106xf32>
  %y2 = ssmc.linear %m2, %v2 : (tensor<1x6x5x106xf32>, tensor<40x106xf32>) -> tensor<1x6x5x40xf32>
  %e = ssmc.add %g2, %m2 : tensor<1x6x5x106xf32>, tensor<1x6x5x106xf32> -> tensor<1x6x5x106xf32>
  return %y, %y2, %e : tensor<1x6x5x40xf32>, tensor<1x6x5x40xf32>, tensor<1x6x5x106xf32>
}
}
