// --ssmc-verify-model accepts runnable models and changes nothing.
// RUN: ssmc-opt %s -split-input-file --ssmc-verify-model | FileCheck %s
// RUN: ssmc-opt %s -split-input-file > %t.before.mlir
// RUN: ssmc-opt %s -split-input-file --ssmc-verify-model > %t.after.mlir
// RUN: diff %t.before.mlir %t.after.mlir

// Named input and output, a weight: passes through as it was.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x4xf32> {ssmc.name = "output"})
// CHECK: %[[W:.*]] = ssmc.weight "w" : tensor<4x3xf32>
// CHECK: %[[Y:.*]] = ssmc.linear %[[X]], %[[W]] : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
// CHECK: return %[[Y]]
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x4xf32> {ssmc.name = "output"}) {
  %w = ssmc.weight "w" : tensor<4x3xf32>
  %y = ssmc.linear %x, %w : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}

// -----

// The only function is the entry point, whatever its name.
// CHECK-LABEL: func.func @block(
// CHECK-SAME: {ssmc.name = "x"}
func.func @block(%x: tensor<4xf32> {ssmc.name = "x"}) -> (tensor<4xf32> {ssmc.name = "y"}) {
  %y = ssmc.gelu %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// With several functions @main is the entry point; the others need no names.
// CHECK-LABEL: func.func @helper(
// CHECK-LABEL: func.func @main(
func.func @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @main(%x: tensor<4xf32> {ssmc.name = "x"}) -> (tensor<4xf32> {ssmc.name = "y"}) {
  %y = ssmc.neg %x : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Several inputs and outputs; the same weight read twice with one type.
// Input and output names live in separate namespaces.
// CHECK-LABEL: func.func @main(
// CHECK-SAME: {ssmc.name = "a"}, %{{.*}}: tensor<4xf32> {ssmc.name = "b"}) -> (tensor<4xf32> {ssmc.name = "a"}, tensor<4xf32> {ssmc.name = "sum"})
// CHECK-COUNT-2: ssmc.weight "scale" : tensor<4xf32>
func.func @main(%a: tensor<4xf32> {ssmc.name = "a"}, %b: tensor<4xf32> {ssmc.name = "b"}) -> (tensor<4xf32> {ssmc.name = "a"}, tensor<4xf32> {ssmc.name = "sum"}) {
  %s1 = ssmc.weight "scale" : tensor<4xf32>
  %s2 = ssmc.weight "scale" : tensor<4xf32>
  %x = ssmc.mul %a, %s1 : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %y = ssmc.mul %b, %s2 : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %sum = ssmc.add %x, %y : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %x, %sum : tensor<4xf32>, tensor<4xf32>
}

// -----

// A model without inputs (its output computed from weights only) is fine.
// CHECK-LABEL: func.func @main()
// CHECK-SAME: -> (tensor<2xf32> {ssmc.name = "out"})
func.func @main() -> (tensor<2xf32> {ssmc.name = "out"}) {
  %w = ssmc.weight "w" : tensor<2xf32>
  return %w : tensor<2xf32>
}
