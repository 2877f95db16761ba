// RUN: ssmc-opt %s --ssmc-merge-sibling-groups | FileCheck %s

// Sibling merging only merges twins: a lone elementwise group reading one
// group that no merge made (the SiLU after the third conv) stays a kernel of
// its own (folding such groups is ssmc-form-kernel-groups' job), while the
// join of the merged twins (the add, and the GELU after it) becomes their
// epilogue: the twins are one kernel now.
// CHECK-LABEL: func.func @only_twins
// CHECK: %[[T:.*]]:2 = ssmc.kernel_group "g00_causal_conv1d__add__gelu"(%arg0)
// CHECK: %[[C:.*]] = ssmc.kernel_group "g01_causal_conv1d"(%[[T]]#0)
// CHECK: %[[S:.*]] = ssmc.kernel_group "g02_silu"(%[[C]])
// CHECK-NOT: ssmc.kernel_group
// CHECK: return %[[T]]#1, %[[S]]
func.func @only_twins(%x: tensor<1x4x10xf32> {ssmc.name = "input"}) -> (tensor<1x4x10xf32> {ssmc.name = "g"}, tensor<1x4x10xf32> {ssmc.name = "s"}) {
  %a = ssmc.kernel_group "g00_causal_conv1d"(%x) : (tensor<1x4x10xf32>) -> tensor<1x4x10xf32> {
  ^bb0(%x0: tensor<1x4x10xf32>):
    %w = ssmc.weight "c.weight" : tensor<4x1x3xf32>
    %r = ssmc.causal_conv1d %x0, %w : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
    ssmc.yield %r : tensor<1x4x10xf32>
  }
  %b = ssmc.kernel_group "g01_causal_conv1d"(%x) : (tensor<1x4x10xf32>) -> tensor<1x4x10xf32> {
  ^bb0(%x0: tensor<1x4x10xf32>):
    %w = ssmc.weight "d.weight" : tensor<4x1x3xf32>
    %r = ssmc.causal_conv1d %x0, %w reverse : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
    ssmc.yield %r : tensor<1x4x10xf32>
  }
  %s = ssmc.kernel_group "g02_add"(%a, %b) : (tensor<1x4x10xf32>, tensor<1x4x10xf32>) -> tensor<1x4x10xf32> {
  ^bb0(%a0: tensor<1x4x10xf32>, %b0: tensor<1x4x10xf32>):
    %r = ssmc.add %a0, %b0 : tensor<1x4x10xf32>, tensor<1x4x10xf32> -> tensor<1x4x10xf32>
    ssmc.yield %r : tensor<1x4x10xf32>
  }
  %g = ssmc.kernel_group "g03_gelu"(%s) : (tensor<1x4x10xf32>) -> tensor<1x4x10xf32> {
  ^bb0(%s0: tensor<1x4x10xf32>):
    %r = ssmc.gelu %s0 : tensor<1x4x10xf32>
    ssmc.yield %r : tensor<1x4x10xf32>
  }
  %c = ssmc.kernel_group "g04_causal_conv1d"(%s) : (tensor<1x4x10xf32>) -> tensor<1x4x10xf32> {
  ^bb0(%s0: tensor<1x4x10xf32>):
    %w = ssmc.weight "e.weight" : tensor<4x1x3xf32>
    %r = ssmc.causal_conv1d %s0, %w : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
    ssmc.yield %r : tensor<1x4x10xf32>
  }
  %o = ssmc.kernel_group "g05_silu"(%c) : (tensor<1x4x10xf32>) -> tensor<1x4x10xf32> {
  ^bb0(%c0: tensor<1x4x10xf32>):
    %r = ssmc.silu %c0 : tensor<1x4x10xf32>
    ssmc.yield %r : tensor<1x4x10xf32>
  }
  return %g, %o : tensor<1x4x10xf32>, tensor<1x4x10xf32>
}
