// RUN: ssmc-opt %s -split-input-file --ssmc-form-kernel-groups --ssmc-merge-sibling-groups | FileCheck %s

// Two independent convs reading the same input run as one kernel, and the
// elementwise sum of their outputs follows as its epilogue.
// CHECK-LABEL: func.func @twins
// CHECK: %[[G:.*]] = ssmc.kernel_group "g00_causal_conv1d__add"
// CHECK-NOT: ssmc.kernel_group
// CHECK: return %[[G]]
func.func @twins(%x: tensor<1x4x10xf32> {ssmc.name = "input"}) -> (tensor<1x4x10xf32> {ssmc.name = "output"}) {
  %w = ssmc.weight "c.weight" : tensor<4x1x3xf32>
  %v = ssmc.weight "d.weight" : tensor<4x1x3xf32>
  %a = ssmc.causal_conv1d %x, %w : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
  %b = ssmc.causal_conv1d %x, %v reverse : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
  %s = ssmc.add %a, %b : tensor<1x4x10xf32>, tensor<1x4x10xf32> -> tensor<1x4x10xf32>
  return %s : tensor<1x4x10xf32>
}

// -----

// Refused: the second conv reads the first one's output, so they cannot be one kernel.
// CHECK-LABEL: func.func @dependent
// CHECK: ssmc.kernel_group "g00_causal_conv1d"
// CHECK: ssmc.kernel_group "g01_causal_conv1d"
func.func @dependent(%x: tensor<1x4x10xf32> {ssmc.name = "input"}) -> (tensor<1x4x10xf32> {ssmc.name = "output"}) {
  %w = ssmc.weight "c.weight" : tensor<4x1x3xf32>
  %a = ssmc.causal_conv1d %x, %w : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
  %b = ssmc.causal_conv1d %a, %w : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
  return %b : tensor<1x4x10xf32>
}
