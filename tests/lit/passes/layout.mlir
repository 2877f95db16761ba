// RUN: ssmc-opt %s --ssmc-layout --split-input-file | FileCheck %s
// RUN: ssmc-opt %s --ssmc-layout --split-input-file | ssmc-opt --split-input-file | FileCheck %s

// MambaOut's stem: conv (NCHW image) -> NHWC -> GELU -> NCHW -> SiLU (NCHW)
// -> conv -> NHWC.
// Both convs become channels-last; only the view of the NCHW image is left.
// CHECK-LABEL: func.func @stem
// CHECK: %[[IMG:.*]] = ssmc.permute %arg0 [0, 2, 3, 1] : tensor<1x3x16x16xf32> -> tensor<1x16x16x3xf32>
// CHECK: %[[C1:.*]] = ssmc.conv2d %[[IMG]], %arg1 stride [2, 2] padding [1, 1] groups 1 channels_last : {{.*}} -> tensor<1x8x8x4xf32>
// CHECK: %[[G:.*]] = ssmc.gelu %[[C1]]
// CHECK: %[[S:.*]] = ssmc.silu %[[G]] : tensor<1x8x8x4xf32>
// CHECK: %[[C2:.*]] = ssmc.conv2d %[[S]], %arg2 stride [2, 2] padding [1, 1] groups 1 channels_last : {{.*}} -> tensor<1x4x4x8xf32>
// CHECK-NEXT: return %[[C2]]
func.func @stem(%x: tensor<1x3x16x16xf32>, %w1: tensor<4x3x3x3xf32>, %w2: tensor<8x4x3x3xf32>) -> tensor<1x4x4x8xf32> {
  %c1 = ssmc.conv2d %x, %w1 stride [2, 2] padding [1, 1] groups 1 : (tensor<1x3x16x16xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  %p1 = ssmc.permute %c1 [0, 2, 3, 1] : tensor<1x4x8x8xf32> -> tensor<1x8x8x4xf32>
  %g = ssmc.gelu %p1 : tensor<1x8x8x4xf32>
  %p2 = ssmc.permute %g [0, 3, 1, 2] : tensor<1x8x8x4xf32> -> tensor<1x4x8x8xf32>
  %s = ssmc.silu %p2 : tensor<1x4x8x8xf32>
  %c2 = ssmc.conv2d %s, %w2 stride [2, 2] padding [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x4x4xf32>
  %p3 = ssmc.permute %c2 [0, 2, 3, 1] : tensor<1x8x4x4xf32> -> tensor<1x4x4x8xf32>
  return %p3 : tensor<1x4x4x8xf32>
}

// -----

// An NCHW conv among NCHW ops does not pay and stays; a permute chain that is
// not the identity composes into one permute; a permute meeting a broadcast
// operand stays above the add.
// CHECK-LABEL: func.func @refused
// CHECK: ssmc.conv2d %arg0, %arg1 stride [1, 1] padding [0, 0] groups 2 : (tensor<1x4x5x5xf32>
// CHECK-NOT: channels_last
// CHECK: ssmc.permute %arg2 [2, 1, 0] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
// CHECK: %[[P:.*]] = ssmc.permute %arg2 [0, 2, 1]
// CHECK: ssmc.add %[[P]], %arg3
func.func @refused(%x: tensor<1x4x5x5xf32>, %w: tensor<6x2x1x1xf32>, %y: tensor<2x3x4xf32>, %bias: tensor<3xf32>) -> (tensor<1x6x5x5xf32>, tensor<4x3x2xf32>, tensor<2x4x3xf32>) {
  %c = ssmc.conv2d %x, %w stride [1, 1] padding [0, 0] groups 2 : (tensor<1x4x5x5xf32>, tensor<6x2x1x1xf32>) -> tensor<1x6x5x5xf32>
  %a = ssmc.permute %y [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %b = ssmc.permute %a [1, 0, 2] : tensor<3x4x2xf32> -> tensor<4x3x2xf32>
  %p = ssmc.permute %y [0, 2, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  %s = ssmc.add %p, %bias : tensor<2x4x3xf32>, tensor<3xf32> -> tensor<2x4x3xf32>
  return %c, %b, %s : tensor<1x6x5x5xf32>, tensor<4x3x2xf32>, tensor<2x4x3xf32>
}

// -----

// A channels-last conv's own weight is stored [O, KH, KW, C]; a weight two
// ops read (tied) keeps PyTorch's layout, as does a grouped conv's.
// CHECK-LABEL: func.func @conv_weights_stored_channels_last
// CHECK: ssmc.weight "own" {stored_as = array<i64: 0, 2, 3, 1>} : tensor<8x4x3x3xf32>
// CHECK: ssmc.weight "tied" : tensor<8x8x1x1xf32>
// CHECK: ssmc.weight "grouped" : tensor<8x4x1x1xf32>
func.func @conv_weights_stored_channels_last(%x: tensor<1x8x8x4xf32>) -> (tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>) {
  %w = ssmc.weight "own" : tensor<8x4x3x3xf32>
  %t = ssmc.weight "tied" : tensor<8x8x1x1xf32>
  %g = ssmc.weight "grouped" : tensor<8x4x1x1xf32>
  %p = ssmc.permute %x [0, 3, 1, 2] : tensor<1x8x8x4xf32> -> tensor<1x4x8x8xf32>
  %c = ssmc.conv2d %p, %w stride [2, 2] padding [1, 1] groups 1 : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x4x4xf32>
  %y = ssmc.permute %c [0, 2, 3, 1] : tensor<1x8x4x4xf32> -> tensor<1x4x4x8xf32>
  %c2 = ssmc.conv2d %c, %t stride [1, 1] padding [0, 0] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %y2 = ssmc.permute %c2 [0, 2, 3, 1] : tensor<1x8x4x4xf32> -> tensor<1x4x4x8xf32>
  %c3 = ssmc.conv2d %c, %t stride [1, 1] padding [0, 0] groups 1 : (tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) -> tensor<1x8x4x4xf32>
  %y3 = ssmc.permute %c3 [0, 2, 3, 1] : tensor<1x8x4x4xf32> -> tensor<1x4x4x8xf32>
  %c4 = ssmc.conv2d %c, %g stride [1, 1] padding [0, 0] groups 2 : (tensor<1x8x4x4xf32>, tensor<8x4x1x1xf32>) -> tensor<1x8x4x4xf32>
  %y4 = ssmc.permute %c4 [0, 2, 3, 1] : tensor<1x8x4x4xf32> -> tensor<1x4x4x8xf32>
  return %y, %y2, %y3, %y4 : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>
}

// -----

// A Mamba mixer as the reference writes it: in_proj's [B, L, 2D] output
// transposed to [B, 2D, L] and split into x and z, conv1d and the scan in
// [B, D, L], the scan's output transposed back for out_proj. The permute
// moves below the split, conv1d and the scan turn channels-last, and every
// transpose cancels: nothing is left between in_proj and out_proj.
// CHECK-LABEL: func.func @mixer
// CHECK-NOT: ssmc.permute
// CHECK: %[[X:.*]]:2 = ssmc.split %arg0 axis 2 : tensor<1x5x16xf32> -> tensor<1x5x8xf32>, tensor<1x5x8xf32>
// CHECK: %[[C:.*]] = ssmc.causal_conv1d %[[X]]#0, %arg1, %arg2 channels_last : {{.*}} -> tensor<1x5x8xf32>
// CHECK: %[[U:.*]] = ssmc.silu %[[C]] : tensor<1x5x8xf32>
// CHECK: %[[O:.*]], %{{.*}} = ssmc.selective_scan %[[U]], %arg3, %arg4, %arg5, %arg6 D %arg7 z %[[X]]#1 delta_softplus channels_last : (tensor<1x5x8xf32>, tensor<1x5x8xf32>, tensor<8x4xf32>, tensor<1x5x4xf32>, tensor<1x5x4xf32>, tensor<8xf32>, tensor<1x5x8xf32>) -> (tensor<1x5x8xf32>, tensor<1x8x4xf32>)
// CHECK-NOT: ssmc.permute
// CHECK: return %[[O]]
func.func @mixer(%xz: tensor<1x5x16xf32>, %w: tensor<8x1x4xf32>, %b: tensor<8xf32>, %dt: tensor<1x5x8xf32>, %A: tensor<8x4xf32>, %B: tensor<1x5x4xf32>, %C: tensor<1x5x4xf32>, %D: tensor<8xf32>) -> tensor<1x5x8xf32> {
  %t = ssmc.permute %xz [0, 2, 1] : tensor<1x5x16xf32> -> tensor<1x16x5xf32>
  %parts:2 = ssmc.split %t axis 1 : tensor<1x16x5xf32> -> tensor<1x8x5xf32>, tensor<1x8x5xf32>
  %c = ssmc.causal_conv1d %parts#0, %w, %b : (tensor<1x8x5xf32>, tensor<8x1x4xf32>, tensor<8xf32>) -> tensor<1x8x5xf32>
  %u = ssmc.silu %c : tensor<1x8x5xf32>
  %dtT = ssmc.permute %dt [0, 2, 1] : tensor<1x5x8xf32> -> tensor<1x8x5xf32>
  %BT = ssmc.permute %B [0, 2, 1] : tensor<1x5x4xf32> -> tensor<1x4x5xf32>
  %CT = ssmc.permute %C [0, 2, 1] : tensor<1x5x4xf32> -> tensor<1x4x5xf32>
  %out, %h = ssmc.selective_scan %u, %dtT, %A, %BT, %CT D %D z %parts#1 delta_softplus : (tensor<1x8x5xf32>, tensor<1x8x5xf32>, tensor<8x4xf32>, tensor<1x4x5xf32>, tensor<1x4x5xf32>, tensor<8xf32>, tensor<1x8x5xf32>) -> (tensor<1x8x5xf32>, tensor<1x8x4xf32>)
  %y = ssmc.permute %out [0, 2, 1] : tensor<1x8x5xf32> -> tensor<1x5x8xf32>
  return %y : tensor<1x5x8xf32>
}

// -----

// A scan over [B, D, L] inputs with no transpose near it (the
// selective_scan family's own layout) stays as it is, and so does a conv1d.
// CHECK-LABEL: func.func @sequence_major
// CHECK: ssmc.causal_conv1d %arg0, %arg1 :
// CHECK: ssmc.selective_scan
// CHECK-NOT: channels_last
func.func @sequence_major(%x: tensor<1x8x5xf32>, %w: tensor<8x1x4xf32>, %dt: tensor<1x8x5xf32>, %A: tensor<8x4xf32>, %B: tensor<1x4x5xf32>, %C: tensor<1x4x5xf32>) -> (tensor<1x8x5xf32>, tensor<1x8x5xf32>) {
  %c = ssmc.causal_conv1d %x, %w : (tensor<1x8x5xf32>, tensor<8x1x4xf32>) -> tensor<1x8x5xf32>
  %out, %h = ssmc.selective_scan %x, %dt, %A, %B, %C : (tensor<1x8x5xf32>, tensor<1x8x5xf32>, tensor<8x4xf32>, tensor<1x4x5xf32>, tensor<1x4x5xf32>) -> (tensor<1x8x5xf32>, tensor<1x8x4xf32>)
  return %c, %out : tensor<1x8x5xf32>, tensor<1x8x5xf32>
}

// -----

// A channels-last conv1d's weight [D, 1, K] is stored [1, K, D] (each tap a
// contiguous row of channels, as its threads read it), unless another op
// reads it too.
// CHECK-LABEL: func.func @conv1d_weight
// CHECK: ssmc.weight "own" {stored_as = array<i64: 1, 2, 0>} : tensor<8x1x4xf32>
// CHECK: ssmc.weight "tied" : tensor<8x1x4xf32>
func.func @conv1d_weight(%x: tensor<1x5x8xf32>) -> (tensor<1x5x8xf32>, tensor<1x5x8xf32>, tensor<8x1x4xf32>) {
  %w = ssmc.weight "own" : tensor<8x1x4xf32>
  %t = ssmc.weight "tied" : tensor<8x1x4xf32>
  %xt = ssmc.permute %x [0, 2, 1] : tensor<1x5x8xf32> -> tensor<1x8x5xf32>
  %c = ssmc.causal_conv1d %xt, %w : (tensor<1x8x5xf32>, tensor<8x1x4xf32>) -> tensor<1x8x5xf32>
  %y = ssmc.permute %c [0, 2, 1] : tensor<1x8x5xf32> -> tensor<1x5x8xf32>
  %c2 = ssmc.causal_conv1d %xt, %t : (tensor<1x8x5xf32>, tensor<8x1x4xf32>) -> tensor<1x8x5xf32>
  %y2 = ssmc.permute %c2 [0, 2, 1] : tensor<1x8x5xf32> -> tensor<1x5x8xf32>
  return %y, %y2, %t : tensor<1x5x8xf32>, tensor<1x5x8xf32>, tensor<8x1x4xf32>
}

// -----

// A linear's weight whose rows are not whole 16-byte pieces in the module's
// storage type gets its rows padded (row_pitch: 8 elements in bf16); one
// whose rows are, or that another op also reads, keeps its layout.
// CHECK-LABEL: func.func @padded_rows
// CHECK: ssmc.weight "fc2" {row_pitch = 48 : i64} : tensor<16x42xf32>
// CHECK: ssmc.weight "whole" : tensor<16x48xf32>
// CHECK: ssmc.weight "tied" : tensor<16x42xf32>
module attributes {ssmc.dtype = "bf16"} {
  func.func @padded_rows(%x: tensor<2x42xf32>, %y: tensor<2x48xf32>) -> (tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>) {
    %w = ssmc.weight "fc2" : tensor<16x42xf32>
    %v = ssmc.weight "whole" : tensor<16x48xf32>
    %t = ssmc.weight "tied" : tensor<16x42xf32>
    %a = ssmc.linear %x, %w : (tensor<2x42xf32>, tensor<16x42xf32>) -> tensor<2x16xf32>
    %b = ssmc.linear %y, %v : (tensor<2x48xf32>, tensor<16x48xf32>) -> tensor<2x16xf32>
    %c = ssmc.linear %x, %t : (tensor<2x42xf32>, tensor<16x42xf32>) -> tensor<2x16xf32>
    %d = ssmc.linear %x, %t : (tensor<2x42xf32>, tensor<16x42xf32>) -> tensor<2x16xf32>
    return %a, %b, %c, %d : tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>, tensor<2x16xf32>
  }
}

// -----

// In f32 (no ssmc.dtype: the default) 16 bytes are 4 elements: K = 42 pads
// to 44.
// CHECK-LABEL: func.func @padded_rows_f32
// CHECK: ssmc.weight "fc2" {row_pitch = 44 : i64} : tensor<16x42xf32>
func.func @padded_rows_f32(%x: tensor<2x42xf32>) -> tensor<2x16xf32> {
  %w = ssmc.weight "fc2" : tensor<16x42xf32>
  %a = ssmc.linear %x, %w : (tensor<2x42xf32>, tensor<16x42xf32>) -> tensor<2x16xf32>
  return %a : tensor<2x16xf32>
}
