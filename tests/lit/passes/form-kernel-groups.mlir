// RUN: ssmc-opt %s -split-input-file --ssmc-form-kernel-groups | FileCheck %s

// A Gated CNN block variant: conv_ratio 0.25, kernel 5, and an extra SiLU
// after the gating. Still three groups: LN + fc1 | split, GELU, the partial
// depthwise conv, concat, mul, SiLU | fc2 + residual. No view stands alone.
// CHECK-LABEL: func.func @gated_cnn_variant
// CHECK: ssmc.kernel_group "g00_layer_norm__linear"
// CHECK: ssmc.kernel_group "g01_depthwise_conv2d__gelu__mul__silu"
// CHECK: ssmc.split
// CHECK: ssmc.concat
// CHECK: ssmc.yield
// CHECK: ssmc.kernel_group "g02_linear__add"
// CHECK-NOT: ssmc.kernel_group
func.func @gated_cnn_variant(%x: tensor<1x6x6x16xf32> {ssmc.name = "input"}) -> (tensor<1x6x6x16xf32> {ssmc.name = "output"}) {
  %nw = ssmc.weight "norm.weight" : tensor<16xf32>
  %nb = ssmc.weight "norm.bias" : tensor<16xf32>
  %w1 = ssmc.weight "fc1.weight" : tensor<84x16xf32>
  %b1 = ssmc.weight "fc1.bias" : tensor<84xf32>
  %cw = ssmc.weight "conv.weight" : tensor<4x1x5x5xf32>
  %w2 = ssmc.weight "fc2.weight" : tensor<16x42xf32>
  %n = ssmc.layer_norm %x, %nw, %nb eps 1.0e-06 : (tensor<1x6x6x16xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x6x6x16xf32>
  %t = ssmc.linear %n, %w1, %b1 : (tensor<1x6x6x16xf32>, tensor<84x16xf32>, tensor<84xf32>) -> tensor<1x6x6x84xf32>
  %g, %i, %c = ssmc.split %t axis 3 : tensor<1x6x6x84xf32> -> tensor<1x6x6x42xf32>, tensor<1x6x6x38xf32>, tensor<1x6x6x4xf32>
  %cc = ssmc.depthwise_conv2d %c, %cw : (tensor<1x6x6x4xf32>, tensor<4x1x5x5xf32>) -> tensor<1x6x6x4xf32>
  %cat = ssmc.concat %i, %cc axis 3 : (tensor<1x6x6x38xf32>, tensor<1x6x6x4xf32>) -> tensor<1x6x6x42xf32>
  %ge = ssmc.gelu %g : tensor<1x6x6x42xf32>
  %m = ssmc.mul %ge, %cat : tensor<1x6x6x42xf32>, tensor<1x6x6x42xf32> -> tensor<1x6x6x42xf32>
  %s = ssmc.silu %m : tensor<1x6x6x42xf32>
  %y = ssmc.linear %s, %w2 : (tensor<1x6x6x42xf32>, tensor<16x42xf32>) -> tensor<1x6x6x16xf32>
  %r = ssmc.add %y, %x : tensor<1x6x6x16xf32>, tensor<1x6x6x16xf32> -> tensor<1x6x6x16xf32>
  return %r : tensor<1x6x6x16xf32>
}

// -----

// A block's residual add before a convolution (MambaOut's last block of a
// stage, then its downsampling) is the convolution's prologue, not fc2's
// epilogue: the residual comes from the fc1 group, of the same anchors as
// fc2's (Planner::joinsTwin says why that is kept).
// CHECK-LABEL: func.func @residual_before_a_conv
// CHECK: %[[F:.*]]:2 = ssmc.kernel_group "g00_add__layer_norm__linear"
// CHECK: %[[Y:.*]] = ssmc.kernel_group "g01_linear"(%[[F]]#1)
// CHECK: ssmc.kernel_group "g02_add__conv2d"(%[[Y]], %[[F]]#0)
// CHECK-NOT: ssmc.kernel_group
func.func @residual_before_a_conv(%x: tensor<1x4x4x8xf32> {ssmc.name = "input"}, %r: tensor<1x4x4x8xf32> {ssmc.name = "residual"}) -> (tensor<1x2x2x8xf32> {ssmc.name = "output"}) {
  %nw = ssmc.weight "norm.weight" : tensor<8xf32>
  %nb = ssmc.weight "norm.bias" : tensor<8xf32>
  %w1 = ssmc.weight "fc1.weight" : tensor<8x8xf32>
  %w2 = ssmc.weight "fc2.weight" : tensor<8x8xf32>
  %cw = ssmc.weight "conv.weight" : tensor<8x8x3x3xf32>
  %cb = ssmc.weight "conv.bias" : tensor<8xf32>
  %s = ssmc.add %x, %r : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x4x4x8xf32>
  %n = ssmc.layer_norm %s, %nw, %nb eps 1.0e-06 : (tensor<1x4x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32>
  %h = ssmc.linear %n, %w1 : (tensor<1x4x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x4x8xf32>
  %y = ssmc.linear %h, %w2 : (tensor<1x4x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x4x8xf32>
  %o = ssmc.add %y, %s : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32> -> tensor<1x4x4x8xf32>
  %c = ssmc.conv2d %o, %cw, %cb stride [2, 2] padding [1, 1] groups 1 channels_last : (tensor<1x4x4x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x2x2x8xf32>
  return %c : tensor<1x2x2x8xf32>
}

// -----

// Refused: a norm with two users stays out of the GEMM (both need it), and an
// elementwise op feeding a GEMM is not a GEMM prologue. The GELU, left in a
// group of its own that reads only the norm's group, becomes that group's
// epilogue: the norm's group writes both results.
// CHECK-LABEL: func.func @norm_two_users
// CHECK: %[[N:.*]]:2 = ssmc.kernel_group "g00_layer_norm__gelu"
// CHECK: ssmc.kernel_group "g01_linear"(%[[N]]#1)
// CHECK: ssmc.kernel_group "g02_linear"(%[[N]]#0)
// CHECK-NOT: ssmc.kernel_group
func.func @norm_two_users(%x: tensor<4x8xf32> {ssmc.name = "input"}) -> (tensor<4x8xf32> {ssmc.name = "a"}, tensor<4x8xf32> {ssmc.name = "b"}) {
  %nw = ssmc.weight "n.weight" : tensor<8xf32>
  %nb = ssmc.weight "n.bias" : tensor<8xf32>
  %w = ssmc.weight "w" : tensor<8x8xf32>
  %n = ssmc.layer_norm %x, %nw, %nb eps 1.0e-06 : (tensor<4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %a = ssmc.linear %n, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  %g = ssmc.gelu %n : tensor<4x8xf32>
  %b = ssmc.linear %g, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A view feeding two kernels is recomputed in each, never materialised.
// CHECK-LABEL: func.func @shared_view
// CHECK: ssmc.kernel_group "g00_causal_conv1d"(%[[X:.*]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: ssmc.permute
// CHECK-NEXT: ssmc.weight "c.weight"
// CHECK: ssmc.kernel_group "g01_causal_conv1d"(%[[X]])
// CHECK-NEXT: ^bb0
// CHECK-NEXT: ssmc.permute
// CHECK-NEXT: ssmc.weight "d.weight"
func.func @shared_view(%x: tensor<1x10x4xf32> {ssmc.name = "input"}) -> (tensor<1x4x10xf32> {ssmc.name = "a"}, tensor<1x4x10xf32> {ssmc.name = "b"}) {
  %w = ssmc.weight "c.weight" : tensor<4x1x3xf32>
  %v = ssmc.weight "d.weight" : tensor<4x1x3xf32>
  %p = ssmc.permute %x [0, 2, 1] : tensor<1x10x4xf32> -> tensor<1x4x10xf32>
  %a = ssmc.causal_conv1d %p, %w : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
  %b = ssmc.causal_conv1d %p, %v reverse : (tensor<1x4x10xf32>, tensor<4x1x3xf32>) -> tensor<1x4x10xf32>
  return %a, %b : tensor<1x4x10xf32>, tensor<1x4x10xf32>
}

// -----

// A model output that is a model input (Vim's residual before the first
// block) gets a kernel group that copies it, so every output is written by
// a kernel into the arena; an input returned twice is copied twice.
// CHECK-LABEL: func.func @output_is_input
// CHECK: %[[G:.*]] = ssmc.kernel_group "g00_silu"
// CHECK: %[[C1:.*]] = ssmc.kernel_group "g01_copy"(%arg0)
// CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<2x8xf32>):
// CHECK-NEXT: ssmc.yield %[[A]] : tensor<2x8xf32>
// CHECK: %[[C2:.*]] = ssmc.kernel_group "g02_copy"(%arg0)
// CHECK: return %[[G]], %[[C1]], %[[C2]]
func.func @output_is_input(%x: tensor<2x8xf32> {ssmc.name = "x"}) -> (tensor<2x8xf32> {ssmc.name = "y"}, tensor<2x8xf32> {ssmc.name = "residual"}, tensor<2x8xf32> {ssmc.name = "again"}) {
  %y = ssmc.silu %x : tensor<2x8xf32>
  return %y, %x, %x : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// A convolution keeps the norm of its output where a block can hold 64 of
// its whole rows (at most 384 channels): 384 channels fuse; 392 do not, and
// the norm is a kernel of its own, not folded back as an epilogue.
// CHECK-LABEL: func.func @conv_norm_widths
// CHECK: %[[A:.*]] = ssmc.kernel_group "g00_conv2d__layer_norm"
// CHECK: %[[B:.*]] = ssmc.kernel_group "g01_conv2d"(%[[A]])
// CHECK: ssmc.kernel_group "g02_layer_norm"(%[[B]])
// CHECK-NOT: ssmc.kernel_group
func.func @conv_norm_widths(%x: tensor<1x8x8x16xf32> {ssmc.name = "input"}) -> (tensor<1x2x2x392xf32> {ssmc.name = "output"}) {
  %w1 = ssmc.weight "c1.weight" : tensor<384x16x2x2xf32>
  %b1 = ssmc.weight "c1.bias" : tensor<384xf32>
  %n1w = ssmc.weight "n1.weight" : tensor<384xf32>
  %n1b = ssmc.weight "n1.bias" : tensor<384xf32>
  %w2 = ssmc.weight "c2.weight" : tensor<392x384x2x2xf32>
  %b2 = ssmc.weight "c2.bias" : tensor<392xf32>
  %n2w = ssmc.weight "n2.weight" : tensor<392xf32>
  %n2b = ssmc.weight "n2.bias" : tensor<392xf32>
  %c1 = ssmc.conv2d %x, %w1, %b1 stride [2, 2] padding [0, 0] groups 1 channels_last : (tensor<1x8x8x16xf32>, tensor<384x16x2x2xf32>, tensor<384xf32>) -> tensor<1x4x4x384xf32>
  %n1 = ssmc.layer_norm %c1, %n1w, %n1b eps 1.0e-06 : (tensor<1x4x4x384xf32>, tensor<384xf32>, tensor<384xf32>) -> tensor<1x4x4x384xf32>
  %c2 = ssmc.conv2d %n1, %w2, %b2 stride [2, 2] padding [0, 0] groups 1 channels_last : (tensor<1x4x4x384xf32>, tensor<392x384x2x2xf32>, tensor<392xf32>) -> tensor<1x2x2x392xf32>
  %n2 = ssmc.layer_norm %c2, %n2w, %n2b eps 1.0e-06 : (tensor<1x2x2x392xf32>, tensor<392xf32>, tensor<392xf32>) -> tensor<1x2x2x392xf32>
  return %n2 : tensor<1x2x2x392xf32>
}
