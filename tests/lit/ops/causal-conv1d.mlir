// ssmc.causal_conv1d: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// Mamba's short convolution, with bias.
// CHECK-LABEL: func.func @with_bias(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x128x50xf32>, %[[W:[^:]*]]: tensor<128x1x4xf32>, %[[B:[^:]*]]: tensor<128xf32>
// CHECK: %[[Y:.*]] = ssmc.causal_conv1d %[[X]], %[[W]], %[[B]] : (tensor<2x128x50xf32>, tensor<128x1x4xf32>, tensor<128xf32>) -> tensor<2x128x50xf32>
// CHECK: return %[[Y]]
// GENERIC-LABEL: sym_name = "with_bias"
// GENERIC: "ssmc.causal_conv1d"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<2x128x50xf32>, tensor<128x1x4xf32>, tensor<128xf32>) -> tensor<2x128x50xf32>
func.func @with_bias(%x: tensor<2x128x50xf32>, %w: tensor<128x1x4xf32>, %b: tensor<128xf32>) -> tensor<2x128x50xf32> {
  %y = ssmc.causal_conv1d %x, %w, %b : (tensor<2x128x50xf32>, tensor<128x1x4xf32>, tensor<128xf32>) -> tensor<2x128x50xf32>
  return %y : tensor<2x128x50xf32>
}

// Without bias.
// CHECK-LABEL: func.func @without_bias(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x8x10xf32>, %[[W:[^:]*]]: tensor<8x1x4xf32>
// CHECK: ssmc.causal_conv1d %[[X]], %[[W]] : (tensor<1x8x10xf32>, tensor<8x1x4xf32>) -> tensor<1x8x10xf32>
func.func @without_bias(%x: tensor<1x8x10xf32>, %w: tensor<8x1x4xf32>) -> tensor<1x8x10xf32> {
  %y = ssmc.causal_conv1d %x, %w : (tensor<1x8x10xf32>, tensor<8x1x4xf32>) -> tensor<1x8x10xf32>
  return %y : tensor<1x8x10xf32>
}

// Vim's backward direction: `reverse`, with and without bias.
// CHECK-LABEL: func.func @reverse(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x8x10xf32>, %[[W:[^:]*]]: tensor<8x1x4xf32>, %[[B:[^:]*]]: tensor<8xf32>
// CHECK: ssmc.causal_conv1d %[[X]], %[[W]], %[[B]] reverse : (tensor<1x8x10xf32>, tensor<8x1x4xf32>, tensor<8xf32>) -> tensor<1x8x10xf32>
// CHECK: ssmc.causal_conv1d %[[X]], %[[W]] reverse : (tensor<1x8x10xf32>, tensor<8x1x4xf32>) -> tensor<1x8x10xf32>
// GENERIC-LABEL: sym_name = "reverse"
// GENERIC: "ssmc.causal_conv1d"(%{{.*}}, %{{.*}}, %{{.*}}) <{reverse}>
// GENERIC: "ssmc.causal_conv1d"(%{{[^,]*}}, %{{[^,]*}}) <{reverse}>
func.func @reverse(%x: tensor<1x8x10xf32>, %w: tensor<8x1x4xf32>, %b: tensor<8xf32>) -> (tensor<1x8x10xf32>, tensor<1x8x10xf32>) {
  %y = ssmc.causal_conv1d %x, %w, %b reverse : (tensor<1x8x10xf32>, tensor<8x1x4xf32>, tensor<8xf32>) -> tensor<1x8x10xf32>
  %z = ssmc.causal_conv1d %x, %w reverse : (tensor<1x8x10xf32>, tensor<8x1x4xf32>) -> tensor<1x8x10xf32>
  return %y, %z : tensor<1x8x10xf32>, tensor<1x8x10xf32>
}

// A kernel of one tap, and a kernel longer than the sequence, are fine.
// CHECK-LABEL: func.func @kernel_sizes(
// CHECK: ssmc.causal_conv1d %{{.*}}, %{{.*}} : (tensor<1x2x3xf16>, tensor<2x1x1xf16>) -> tensor<1x2x3xf16>
// CHECK: ssmc.causal_conv1d %{{.*}}, %{{.*}} : (tensor<1x2x3xf16>, tensor<2x1x5xf16>) -> tensor<1x2x3xf16>
func.func @kernel_sizes(%x: tensor<1x2x3xf16>, %k1: tensor<2x1x1xf16>, %k5: tensor<2x1x5xf16>) -> (tensor<1x2x3xf16>, tensor<1x2x3xf16>) {
  %a = ssmc.causal_conv1d %x, %k1 : (tensor<1x2x3xf16>, tensor<2x1x1xf16>) -> tensor<1x2x3xf16>
  %b = ssmc.causal_conv1d %x, %k5 : (tensor<1x2x3xf16>, tensor<2x1x5xf16>) -> tensor<1x2x3xf16>
  return %a, %b : tensor<1x2x3xf16>, tensor<1x2x3xf16>
}

// Channels-last: [B, L, D] in and out.
// CHECK-LABEL: func.func @channels_last(
// CHECK: ssmc.causal_conv1d %{{.*}}, %{{.*}} reverse channels_last : (tensor<2x50x128xf32>, tensor<128x1x4xf32>) -> tensor<2x50x128xf32>
// GENERIC-LABEL: sym_name = "channels_last"
// GENERIC: "ssmc.causal_conv1d"(%{{.*}}, %{{.*}}) <{channels_last, reverse}>
func.func @channels_last(%x: tensor<2x50x128xf32>, %w: tensor<128x1x4xf32>) -> tensor<2x50x128xf32> {
  %y = ssmc.causal_conv1d %x, %w reverse channels_last : (tensor<2x50x128xf32>, tensor<128x1x4xf32>) -> tensor<2x50x128xf32>
  return %y : tensor<2x50x128xf32>
}
