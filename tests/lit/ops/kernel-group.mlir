// ssmc.kernel_group and ssmc.yield: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// A group reads activations through its region arguments, holds its weights
// and yields what it writes.
// CHECK-LABEL: func.func @linear_add(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x8xf32>, %[[R:[^:]*]]: tensor<2x4xf32>
// CHECK: %[[G:.*]] = ssmc.kernel_group "g00_linear__add"(%[[X]], %[[R]]) : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> {
// CHECK: ^bb0(%[[A:[^:]*]]: tensor<2x8xf32>, %[[B:[^:]*]]: tensor<2x4xf32>):
// CHECK: %[[W:.*]] = ssmc.weight "fc.weight" : tensor<4x8xf32>
// CHECK: %[[L:.*]] = ssmc.linear %[[A]], %[[W]]
// CHECK: %[[S:.*]] = ssmc.add %[[L]], %[[B]]
// CHECK: ssmc.yield %[[S]] : tensor<2x4xf32>
// CHECK: return %[[G]]
// GENERIC-LABEL: sym_name = "linear_add"
// GENERIC: "ssmc.kernel_group"(%{{[^,]*}}, %{{[^,]*}}) <{name = "g00_linear__add"}> ({
// GENERIC: "ssmc.yield"(%{{.*}}) : (tensor<2x4xf32>) -> ()
// GENERIC: }) : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
func.func @linear_add(%x: tensor<2x8xf32>, %r: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %g = ssmc.kernel_group "g00_linear__add"(%x, %r) : (tensor<2x8xf32>, tensor<2x4xf32>) -> tensor<2x4xf32> {
  ^bb0(%a: tensor<2x8xf32>, %b: tensor<2x4xf32>):
    %w = ssmc.weight "fc.weight" : tensor<4x8xf32>
    %l = ssmc.linear %a, %w : (tensor<2x8xf32>, tensor<4x8xf32>) -> tensor<2x4xf32>
    %s = ssmc.add %l, %b : tensor<2x4xf32>, tensor<2x4xf32> -> tensor<2x4xf32>
    ssmc.yield %s : tensor<2x4xf32>
  }
  return %g : tensor<2x4xf32>
}

// Several results; groups feed each other.
// CHECK-LABEL: func.func @two_results(
// CHECK: %[[P:.*]]:2 = ssmc.kernel_group "g00_split"(%{{.*}}) : (tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
// CHECK: ssmc.yield %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<2x3xf32>
// CHECK: ssmc.kernel_group "g01_mul"(%[[P]]#0, %[[P]]#1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
func.func @two_results(%x: tensor<2x6xf32>) -> tensor<2x3xf32> {
  %p:2 = ssmc.kernel_group "g00_split"(%x) : (tensor<2x6xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  ^bb0(%a: tensor<2x6xf32>):
    %l, %r = ssmc.split %a axis 1 : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<2x3xf32>
    ssmc.yield %l, %r : tensor<2x3xf32>, tensor<2x3xf32>
  }
  %m = ssmc.kernel_group "g01_mul"(%p#0, %p#1) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>):
    %y = ssmc.mul %a, %b : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
    ssmc.yield %y : tensor<2x3xf32>
  }
  return %m : tensor<2x3xf32>
}

// A group without inputs (weights only); an empty yield may be left out.
// CHECK-LABEL: func.func @no_inputs(
// CHECK: ssmc.kernel_group "g00_weight"() : () -> tensor<3xf32> {
// CHECK: ssmc.kernel_group "g01_empty"() : () -> () {
// CHECK-NEXT: }
func.func @no_inputs() -> tensor<3xf32> {
  %w = ssmc.kernel_group "g00_weight"() : () -> tensor<3xf32> {
    %v = ssmc.weight "v" : tensor<3xf32>
    ssmc.yield %v : tensor<3xf32>
  }
  ssmc.kernel_group "g01_empty"() : () -> () {
  }
  return %w : tensor<3xf32>
}
