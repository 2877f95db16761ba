// Every op prints in its custom form and parses back, also via the generic form.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s

// CHECK-LABEL: func.func @gated_cnn
func.func @gated_cnn(%x: tensor<2x7x7x48xf32>) -> tensor<2x7x7x48xf32> {
  // CHECK: %[[W:.*]] = ssmc.weight "norm.weight" : tensor<48xf32>
  %w = ssmc.weight "norm.weight" : tensor<48xf32>
  %b = ssmc.weight "norm.bias" : tensor<48xf32>
  // CHECK: %[[N:.*]] = ssmc.layer_norm %{{.*}}, %[[W]], %{{.*}} eps 9.9999999999999995E-7 : (tensor<2x7x7x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<2x7x7x48xf32>
  %n = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<2x7x7x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<2x7x7x48xf32>
  %w1 = ssmc.weight "fc1.weight" : tensor<256x48xf32>
  %b1 = ssmc.weight "fc1.bias" : tensor<256xf32>
  // CHECK: ssmc.linear %[[N]], %{{.*}}, %{{.*}} : (tensor<2x7x7x48xf32>, tensor<256x48xf32>, tensor<256xf32>) -> tensor<2x7x7x256xf32>
  %t = ssmc.linear %n, %w1, %b1 : (tensor<2x7x7x48xf32>, tensor<256x48xf32>, tensor<256xf32>) -> tensor<2x7x7x256xf32>
  // CHECK: %[[P:.*]]:3 = ssmc.split %{{.*}} axis 3 : tensor<2x7x7x256xf32> -> tensor<2x7x7x128xf32>, tensor<2x7x7x80xf32>, tensor<2x7x7x48xf32>
  %g, %i, %c = ssmc.split %t axis 3 : tensor<2x7x7x256xf32> -> tensor<2x7x7x128xf32>, tensor<2x7x7x80xf32>, tensor<2x7x7x48xf32>
  %cw = ssmc.weight "conv.weight" : tensor<48x1x7x7xf32>
  // CHECK: ssmc.depthwise_conv2d %[[P]]#2, %{{.*}} : (tensor<2x7x7x48xf32>, tensor<48x1x7x7xf32>) -> tensor<2x7x7x48xf32>
  %cc = ssmc.depthwise_conv2d %c, %cw : (tensor<2x7x7x48xf32>, tensor<48x1x7x7xf32>) -> tensor<2x7x7x48xf32>
  // CHECK: ssmc.concat %[[P]]#1, %{{.*}} axis 3 : (tensor<2x7x7x80xf32>, tensor<2x7x7x48xf32>) -> tensor<2x7x7x128xf32>
  %cat = ssmc.concat %i, %cc axis 3 : (tensor<2x7x7x80xf32>, tensor<2x7x7x48xf32>) -> tensor<2x7x7x128xf32>
  // CHECK: ssmc.gelu %[[P]]#0 : tensor<2x7x7x128xf32>
  %ge = ssmc.gelu %g : tensor<2x7x7x128xf32>
  // CHECK: ssmc.mul %{{.*}}, %{{.*}} : tensor<2x7x7x128xf32>, tensor<2x7x7x128xf32> -> tensor<2x7x7x128xf32>
  %m = ssmc.mul %ge, %cat : tensor<2x7x7x128xf32>, tensor<2x7x7x128xf32> -> tensor<2x7x7x128xf32>
  %w2 = ssmc.weight "fc2.weight" : tensor<48x128xf32>
  // CHECK: ssmc.linear %{{.*}}, %{{.*}} : (tensor<2x7x7x128xf32>, tensor<48x128xf32>) -> tensor<2x7x7x48xf32>
  %y = ssmc.linear %m, %w2 : (tensor<2x7x7x128xf32>, tensor<48x128xf32>) -> tensor<2x7x7x48xf32>
  // CHECK: ssmc.add %{{.*}}, %{{.*}} : tensor<2x7x7x48xf32>, tensor<48xf32> -> tensor<2x7x7x48xf32>
  %r = ssmc.add %y, %b : tensor<2x7x7x48xf32>, tensor<48xf32> -> tensor<2x7x7x48xf32>
  return %r : tensor<2x7x7x48xf32>
}

// CHECK-LABEL: func.func @stem
func.func @stem(%img: tensor<1x3x32x32xf32>) -> tensor<1x8xf32> {
  %w = ssmc.weight "conv.weight" : tensor<8x3x3x3xf32>
  %b = ssmc.weight "conv.bias" : tensor<8xf32>
  // CHECK: ssmc.conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [2, 2] padding [1, 1] groups 1 : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x16x16xf32>
  %c = ssmc.conv2d %img, %w, %b stride [2, 2] padding [1, 1] groups 1 : (tensor<1x3x32x32xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x16x16xf32>
  // CHECK: ssmc.permute %{{.*}} [0, 2, 3, 1] : tensor<1x8x16x16xf32> -> tensor<1x16x16x8xf32>
  %p = ssmc.permute %c [0, 2, 3, 1] : tensor<1x8x16x16xf32> -> tensor<1x16x16x8xf32>
  // CHECK: ssmc.reduce_mean %{{.*}} dims [1, 2] : tensor<1x16x16x8xf32> -> tensor<1x8xf32>
  %m = ssmc.reduce_mean %p dims [1, 2] : tensor<1x16x16x8xf32> -> tensor<1x8xf32>
  // CHECK: ssmc.reduce_mean %{{.*}} dims [1] keepdim : tensor<1x16x16x8xf32> -> tensor<1x1x16x8xf32>
  %k = ssmc.reduce_mean %p dims [1] keepdim : tensor<1x16x16x8xf32> -> tensor<1x1x16x8xf32>
  return %m : tensor<1x8xf32>
}

// CHECK-LABEL: func.func @mamba_parts
func.func @mamba_parts(%x: tensor<2x128x50xf32>, %t: tensor<2x50x64xf32>) -> tensor<2x128x50xf32> {
  %w = ssmc.weight "conv1d.weight" : tensor<128x1x4xf32>
  %b = ssmc.weight "conv1d.bias" : tensor<128xf32>
  // CHECK: ssmc.causal_conv1d %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x128x50xf32>, tensor<128x1x4xf32>, tensor<128xf32>) -> tensor<2x128x50xf32>
  %c = ssmc.causal_conv1d %x, %w, %b : (tensor<2x128x50xf32>, tensor<128x1x4xf32>, tensor<128xf32>) -> tensor<2x128x50xf32>
  // CHECK: ssmc.causal_conv1d %{{.*}}, %{{.*}} reverse : (tensor<2x128x50xf32>, tensor<128x1x4xf32>) -> tensor<2x128x50xf32>
  %r = ssmc.causal_conv1d %x, %w reverse : (tensor<2x128x50xf32>, tensor<128x1x4xf32>) -> tensor<2x128x50xf32>
  // CHECK: ssmc.silu %{{.*}} : tensor<2x128x50xf32>
  %s = ssmc.silu %c : tensor<2x128x50xf32>
  // CHECK: ssmc.softplus
  %sp = ssmc.softplus %s : tensor<2x128x50xf32>
  // CHECK: ssmc.exp
  %e = ssmc.exp %sp : tensor<2x128x50xf32>
  // CHECK: ssmc.neg
  %n = ssmc.neg %e : tensor<2x128x50xf32>
  // CHECK: ssmc.scale %{{.*}} by 5.000000e-01 : tensor<2x128x50xf32>
  %h = ssmc.scale %n by 0.5 : tensor<2x128x50xf32>
  // CHECK: ssmc.flip %{{.*}} axis 2 : tensor<2x128x50xf32>
  %f = ssmc.flip %h axis 2 : tensor<2x128x50xf32>
  // CHECK: ssmc.slice %{{.*}} axis 2 start 3 : tensor<2x128x50xf32> -> tensor<2x128x1xf32>
  %sl = ssmc.slice %f axis 2 start 3 : tensor<2x128x50xf32> -> tensor<2x128x1xf32>
  // CHECK: ssmc.reshape %{{.*}} : tensor<2x128x1xf32> -> tensor<256xf32>
  %rs = ssmc.reshape %sl : tensor<2x128x1xf32> -> tensor<256xf32>
  %nw = ssmc.weight "norm.weight" : tensor<64xf32>
  // CHECK: ssmc.rms_norm %{{.*}}, %{{.*}} eps 1.000000e-05 : (tensor<2x50x64xf32>, tensor<64xf32>) -> tensor<2x50x64xf32>
  %rn = ssmc.rms_norm %t, %nw eps 1.0e-05 : (tensor<2x50x64xf32>, tensor<64xf32>) -> tensor<2x50x64xf32>
  return %f : tensor<2x128x50xf32>
}

// CHECK-LABEL: func.func @scans
func.func @scans(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %D: tensor<8xf32>) -> tensor<2x8x10xf32> {
  // CHECK: ssmc.selective_scan %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  %o0, %h0 = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  // CHECK: ssmc.selective_scan {{.*}} D %{{.*}} z %{{.*}} delta_bias %{{.*}} delta_softplus reverse :
  %o1, %h1 = ssmc.selective_scan %u, %u, %A, %B, %B D %D z %u delta_bias %D delta_softplus reverse : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<8xf32>, tensor<2x8x10xf32>, tensor<8xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  // CHECK: ssmc.selective_scan {{.*}} z %{{.*}} delta_softplus :
  %o2, %h2 = ssmc.selective_scan %u, %u, %A, %B, %B z %u delta_softplus : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<2x8x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return %o1 : tensor<2x8x10xf32>
}
