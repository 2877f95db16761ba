// RUN: ssmc-opt %s -split-input-file --ssmc-verify-model | FileCheck %s

// A runnable model passes through unchanged.
// CHECK-LABEL: func.func @main
// CHECK-SAME: {ssmc.name = "input"}
// CHECK: %[[W:.*]] = ssmc.weight "w" : tensor<4x3xf32>
// CHECK: ssmc.linear %{{.*}}, %[[W]]
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x4xf32> {ssmc.name = "output"}) {
  %w = ssmc.weight "w" : tensor<4x3xf32>
  %y = ssmc.linear %x, %w : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x4xf32>
  return %y : tensor<2x4xf32>
}
