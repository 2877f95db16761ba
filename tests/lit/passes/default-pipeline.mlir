// The pipeline `ssmc compile` runs: unused pure ops go, duplicates merge,
// everything the outputs need stays, in order. The checks follow the data flow
// between ssmc ops only, so later stages (kernel groups) may wrap them.
// RUN: ssmc-opt %s -split-input-file --ssmc-default-pipeline | FileCheck %s

// An unused op and an unused weight go; a duplicate weight merges into the first.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: {ssmc.name = "input"}
// CHECK-NOT: ssmc.gelu
// CHECK-NOT: "unused"
// CHECK: %[[W:.*]] = ssmc.weight "w" : tensor<3xf32>
// CHECK-NOT: ssmc.weight
// CHECK: %[[A:.*]] = ssmc.add %{{.*}}, %[[W]]
// CHECK: ssmc.add %[[A]], %[[W]]
// CHECK-NOT: ssmc.gelu
// CHECK-NOT: ssmc.weight
// CHECK: return
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x3xf32> {ssmc.name = "output"}) {
  %unused = ssmc.gelu %x : tensor<2x3xf32>
  %u = ssmc.weight "unused" : tensor<7xf32>
  %w = ssmc.weight "w" : tensor<3xf32>
  %w2 = ssmc.weight "w" : tensor<3xf32>
  %a = ssmc.add %x, %w : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %b = ssmc.add %a, %w2 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %b : tensor<2x3xf32>
}

// -----

// A whole dead chain goes, with the weights only it used; the live chain stays.
// CHECK-LABEL: func.func @main(
// CHECK-NOT: "dead.weight"
// CHECK-NOT: ssmc.mul
// CHECK-NOT: ssmc.silu
// CHECK-NOT: ssmc.softplus
// CHECK-DAG: %[[W:.*]] = ssmc.weight "fc.weight" : tensor<4x8xf32>
// CHECK-DAG: %[[N:.*]] = ssmc.layer_norm
// CHECK: %[[L:.*]] = ssmc.linear %[[N]], %[[W]]
// CHECK: ssmc.gelu %[[L]]
// CHECK-NOT: "dead.weight"
// CHECK-NOT: ssmc.mul
// CHECK-NOT: ssmc.silu
// CHECK-NOT: ssmc.softplus
// CHECK: return
func.func @main(%x: tensor<2x8xf32> {ssmc.name = "x"}, %g: tensor<8xf32> {ssmc.name = "gamma"}, %bt: tensor<8xf32> {ssmc.name = "beta"}) -> (tensor<2x4xf32> {ssmc.name = "y"}) {
  %dw = ssmc.weight "dead.weight" : tensor<2x8xf32>
  %d1 = ssmc.mul %x, %dw : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %d2 = ssmc.silu %d1 : tensor<2x8xf32>
  %d3 = ssmc.softplus %d2 : tensor<2x8xf32>
  %n = ssmc.layer_norm %x, %g, %bt eps 1.0e-05 : (tensor<2x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8xf32>
  %w = ssmc.weight "fc.weight" : tensor<4x8xf32>
  %l = ssmc.linear %n, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
  %y = ssmc.gelu %l : tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// Identical computations merge; multi-result ops whose results are all unused go.
// CHECK-LABEL: func.func @main(
// CHECK-NOT: ssmc.split
// CHECK: %[[E:.*]] = ssmc.exp
// CHECK-NOT: ssmc.exp
// CHECK: ssmc.add %[[E]], %[[E]]
// CHECK-NOT: ssmc.split
// CHECK: return
func.func @main(%x: tensor<2x6xf32> {ssmc.name = "x"}) -> (tensor<2x6xf32> {ssmc.name = "y"}) {
  %p:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<2x3xf32>
  %e1 = ssmc.exp %x : tensor<2x6xf32>
  %e2 = ssmc.exp %x : tensor<2x6xf32>
  %s = ssmc.add %e1, %e2 : tensor<2x6xf32>, tensor<2x6xf32> -> tensor<2x6xf32>
  return %s : tensor<2x6xf32>
}

// -----

// A selective scan whose last_state is unused stays for its `out`;
// one whose results are both unused goes.
// CHECK-LABEL: func.func @main(
// CHECK: ssmc.selective_scan %{{.*}} : (
// CHECK-NOT: ssmc.selective_scan
// CHECK: return
func.func @main(%u: tensor<1x4x6xf32> {ssmc.name = "u"}, %A: tensor<4x2xf32> {ssmc.name = "A"}, %B: tensor<1x2x6xf32> {ssmc.name = "B"}) -> (tensor<1x4x6xf32> {ssmc.name = "out"}) {
  %o1, %h1 = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<4x2xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>)
  %o2, %h2 = ssmc.selective_scan %u, %u, %A, %B, %B reverse : (tensor<1x4x6xf32>, tensor<1x4x6xf32>, tensor<4x2xf32>, tensor<1x2x6xf32>, tensor<1x2x6xf32>) -> (tensor<1x4x6xf32>, tensor<1x4x2xf32>)
  return %o1 : tensor<1x4x6xf32>
}
