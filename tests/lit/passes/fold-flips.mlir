// RUN: ssmc-opt %s --ssmc-fold-flips --split-input-file | FileCheck %s
// RUN: ssmc-opt %s --ssmc-fold-flips --split-input-file | ssmc-opt --split-input-file | FileCheck %s

// Vim's backward branch: flip -> conv1d -> silu -> scan -> flip becomes the
// conv and the scan run in reverse, and no flip is left.
// CHECK-LABEL: func.func @backward_branch
// CHECK-NOT: ssmc.flip
// CHECK: ssmc.causal_conv1d %{{.*}} reverse
// CHECK-NOT: ssmc.flip
// CHECK: ssmc.selective_scan {{.*}} delta_softplus reverse
// CHECK-NOT: ssmc.flip
// CHECK: return
func.func @backward_branch(%x: tensor<1x8x16xf32>, %w: tensor<8x1x4xf32>, %dt: tensor<1x8x16xf32>,
                           %A: tensor<8x4xf32>, %B: tensor<1x4x16xf32>, %C: tensor<1x4x16xf32>) -> tensor<1x8x16xf32> {
  %xb = ssmc.flip %x axis 2 : tensor<1x8x16xf32>
  %c = ssmc.causal_conv1d %xb, %w : (tensor<1x8x16xf32>, tensor<8x1x4xf32>) -> tensor<1x8x16xf32>
  %u = ssmc.silu %c : tensor<1x8x16xf32>
  %dtb = ssmc.flip %dt axis 2 : tensor<1x8x16xf32>
  %Bb = ssmc.flip %B axis 2 : tensor<1x4x16xf32>
  %Cb = ssmc.flip %C axis 2 : tensor<1x4x16xf32>
  %y, %h = ssmc.selective_scan %u, %dtb, %A, %Bb, %Cb delta_softplus : (tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<8x4xf32>, tensor<1x4x16xf32>, tensor<1x4x16xf32>) -> (tensor<1x8x16xf32>, tensor<1x8x4xf32>)
  %r = ssmc.flip %y axis 2 : tensor<1x8x16xf32>
  return %r : tensor<1x8x16xf32>
}

// -----

// A scan already reversed runs forwards again; the flip moves through a
// permute (axis renumbered) and a linear over another axis.
// CHECK-LABEL: func.func @through_views
// CHECK: %[[P:.*]] = ssmc.permute %arg0 [0, 2, 1]
// CHECK: %[[L:.*]] = ssmc.linear %[[P]]
// CHECK: ssmc.flip %[[L]] axis 1
func.func @through_views(%x: tensor<1x8x16xf32>, %w: tensor<4x8xf32>) -> tensor<1x16x4xf32> {
  %f = ssmc.flip %x axis 2 : tensor<1x8x16xf32>
  %p = ssmc.permute %f [0, 2, 1] : tensor<1x8x16xf32> -> tensor<1x16x8xf32>
  %l = ssmc.linear %p, %w : (tensor<1x16x8xf32>, tensor<4x8xf32>) -> tensor<1x16x4xf32>
  return %l : tensor<1x16x4xf32>
}

// -----

// A reversed conv fed a flip runs forwards; an operand broadcast along the
// flipped axis ([8,1] against [1,8,16] flipped along 2) does not stop it.
// CHECK-LABEL: func.func @broadcast
// CHECK: %[[C:.*]] = ssmc.causal_conv1d %arg0, %arg1 :
// CHECK: %[[A:.*]] = ssmc.add %[[C]], %arg2
// CHECK: ssmc.flip %[[A]] axis 2
func.func @broadcast(%x: tensor<1x8x16xf32>, %w: tensor<8x1x4xf32>, %s: tensor<8x1xf32>) -> tensor<1x8x16xf32> {
  %f = ssmc.flip %x axis 2 : tensor<1x8x16xf32>
  %c = ssmc.causal_conv1d %f, %w reverse : (tensor<1x8x16xf32>, tensor<8x1x4xf32>) -> tensor<1x8x16xf32>
  %a = ssmc.add %c, %s : tensor<1x8x16xf32>, tensor<8x1xf32> -> tensor<1x8x16xf32>
  return %a : tensor<1x8x16xf32>
}

// -----

// Refusals: a flip along the axis a linear contracts, a flip meeting an
// operand that varies along that axis, a flip along a conv1d's channels, and
// a scan whose B is not flipped, all stay as they are.
// CHECK-LABEL: func.func @refused
// CHECK: %[[F0:.*]] = ssmc.flip %arg0 axis 2
// CHECK: ssmc.linear %[[F0]]
// CHECK: ssmc.add %[[F0]], %arg0
// CHECK: %[[F1:.*]] = ssmc.flip %arg0 axis 1
// CHECK: ssmc.causal_conv1d %[[F1]]
// CHECK: ssmc.selective_scan %[[F0]], %[[F0]], %arg2, %arg3, %arg3 :
func.func @refused(%x: tensor<1x8x16xf32>, %w: tensor<4x16xf32>, %A: tensor<8x4xf32>, %B: tensor<1x4x16xf32>, %cw: tensor<8x1x4xf32>)
    -> (tensor<1x8x4xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>) {
  %f = ssmc.flip %x axis 2 : tensor<1x8x16xf32>
  %l = ssmc.linear %f, %w : (tensor<1x8x16xf32>, tensor<4x16xf32>) -> tensor<1x8x4xf32>
  %a = ssmc.add %f, %x : tensor<1x8x16xf32>, tensor<1x8x16xf32> -> tensor<1x8x16xf32>
  %fc = ssmc.flip %x axis 1 : tensor<1x8x16xf32>
  %c = ssmc.causal_conv1d %fc, %cw : (tensor<1x8x16xf32>, tensor<8x1x4xf32>) -> tensor<1x8x16xf32>
  %y, %h = ssmc.selective_scan %f, %f, %A, %B, %B : (tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<8x4xf32>, tensor<1x4x16xf32>, tensor<1x4x16xf32>) -> (tensor<1x8x16xf32>, tensor<1x8x4xf32>)
  return %l, %a, %c, %y : tensor<1x8x4xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>, tensor<1x8x16xf32>
}

// -----

// Two flips of one axis cancel; of different axes they stay.
// CHECK-LABEL: func.func @cancel
// CHECK-NEXT: %[[F:.*]] = ssmc.flip %arg0 axis 1
// CHECK-NEXT: %[[G:.*]] = ssmc.flip %[[F]] axis 2
// CHECK-NEXT: return %arg0, %[[G]]
func.func @cancel(%x: tensor<1x8x16xf32>) -> (tensor<1x8x16xf32>, tensor<1x8x16xf32>) {
  %a = ssmc.flip %x axis 2 : tensor<1x8x16xf32>
  %b = ssmc.flip %a axis 2 : tensor<1x8x16xf32>
  %c = ssmc.flip %x axis 1 : tensor<1x8x16xf32>
  %d = ssmc.flip %c axis 2 : tensor<1x8x16xf32>
  return %b, %d : tensor<1x8x16xf32>, tensor<1x8x16xf32>
}

// -----

// The same branch channels-last ([B, L, D]): the sequence is axis 1, and a
// flip of the channel axis (2) is not the sequence's, so that conv keeps it.
// CHECK-LABEL: func.func @channels_last
// CHECK: ssmc.causal_conv1d %arg0, %arg1 reverse channels_last
// CHECK: ssmc.selective_scan {{.*}} reverse channels_last
// CHECK: %[[F:.*]] = ssmc.flip %arg0 axis 2
// CHECK: ssmc.causal_conv1d %[[F]], %arg1 channels_last
func.func @channels_last(%x: tensor<1x16x8xf32>, %w: tensor<8x1x4xf32>, %dt: tensor<1x16x8xf32>,
                         %A: tensor<8x4xf32>, %B: tensor<1x16x4xf32>) -> (tensor<1x16x8xf32>, tensor<1x16x8xf32>) {
  %xb = ssmc.flip %x axis 1 : tensor<1x16x8xf32>
  %c = ssmc.causal_conv1d %xb, %w channels_last : (tensor<1x16x8xf32>, tensor<8x1x4xf32>) -> tensor<1x16x8xf32>
  %dtb = ssmc.flip %dt axis 1 : tensor<1x16x8xf32>
  %Bb = ssmc.flip %B axis 1 : tensor<1x16x4xf32>
  %y, %h = ssmc.selective_scan %c, %dtb, %A, %Bb, %Bb channels_last : (tensor<1x16x8xf32>, tensor<1x16x8xf32>, tensor<8x4xf32>, tensor<1x16x4xf32>, tensor<1x16x4xf32>) -> (tensor<1x16x8xf32>, tensor<1x8x4xf32>)
  %r = ssmc.flip %y axis 1 : tensor<1x16x8xf32>
  %xc = ssmc.flip %x axis 2 : tensor<1x16x8xf32>
  %c2 = ssmc.causal_conv1d %xc, %w channels_last : (tensor<1x16x8xf32>, tensor<8x1x4xf32>) -> tensor<1x16x8xf32>
  return %r, %c2 : tensor<1x16x8xf32>, tensor<1x16x8xf32>
}
