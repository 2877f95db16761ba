// The pipeline `ssmc compile` runs: unused ops go, duplicate weights merge.
// RUN: ssmc-opt %s --ssmc-default-pipeline | FileCheck %s

// CHECK-LABEL: func.func @main
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x3xf32> {ssmc.name = "output"}) {
  // CHECK: %[[W:.*]] = ssmc.weight "w" : tensor<3xf32>
  // CHECK-NOT: ssmc.weight "w"
  // CHECK-NOT: ssmc.gelu
  %w = ssmc.weight "w" : tensor<3xf32>
  %w2 = ssmc.weight "w" : tensor<3xf32>
  %unused = ssmc.gelu %x : tensor<2x3xf32>
  // CHECK: %[[A:.*]] = ssmc.add %{{.*}}, %[[W]]
  // CHECK: ssmc.add %[[A]], %[[W]]
  %a = ssmc.add %x, %w : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %b = ssmc.add %a, %w2 : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return %b : tensor<2x3xf32>
}
