// ssmc.depthwise_conv2d: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// The Gated CNN block's 7x7 token mixer, channels last, with bias.
// CHECK-LABEL: func.func @with_bias(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x56x56x48xf32>, %[[W:[^:]*]]: tensor<48x1x7x7xf32>, %[[B:[^:]*]]: tensor<48xf32>
// CHECK: %[[Y:.*]] = ssmc.depthwise_conv2d %[[X]], %[[W]], %[[B]] : (tensor<1x56x56x48xf32>, tensor<48x1x7x7xf32>, tensor<48xf32>) -> tensor<1x56x56x48xf32>
// CHECK: return %[[Y]]
// GENERIC-LABEL: sym_name = "with_bias"
// GENERIC: "ssmc.depthwise_conv2d"(%{{.*}}, %{{.*}}, %{{.*}}) : (tensor<1x56x56x48xf32>, tensor<48x1x7x7xf32>, tensor<48xf32>) -> tensor<1x56x56x48xf32>
func.func @with_bias(%x: tensor<1x56x56x48xf32>, %w: tensor<48x1x7x7xf32>, %b: tensor<48xf32>) -> tensor<1x56x56x48xf32> {
  %y = ssmc.depthwise_conv2d %x, %w, %b : (tensor<1x56x56x48xf32>, tensor<48x1x7x7xf32>, tensor<48xf32>) -> tensor<1x56x56x48xf32>
  return %y : tensor<1x56x56x48xf32>
}

// The bias is optional.
// CHECK-LABEL: func.func @without_bias(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x7x7x8xf32>, %[[W:[^:]*]]: tensor<8x1x3x3xf32>
// CHECK: ssmc.depthwise_conv2d %[[X]], %[[W]] : (tensor<2x7x7x8xf32>, tensor<8x1x3x3xf32>) -> tensor<2x7x7x8xf32>
// GENERIC-LABEL: sym_name = "without_bias"
// GENERIC: "ssmc.depthwise_conv2d"(%{{[^,]*}}, %{{[^,]*}}) : (tensor<2x7x7x8xf32>, tensor<8x1x3x3xf32>) -> tensor<2x7x7x8xf32>
func.func @without_bias(%x: tensor<2x7x7x8xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<2x7x7x8xf32> {
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<2x7x7x8xf32>, tensor<8x1x3x3xf32>) -> tensor<2x7x7x8xf32>
  return %y : tensor<2x7x7x8xf32>
}

// Any odd kernel, also non-square, also larger than the image, and 1x1.
// CHECK-LABEL: func.func @odd_kernels(
// CHECK: ssmc.depthwise_conv2d %{{.*}}, %{{.*}} : (tensor<1x4x4x2xf16>, tensor<2x1x3x5xf16>) -> tensor<1x4x4x2xf16>
// CHECK: ssmc.depthwise_conv2d %{{.*}}, %{{.*}} : (tensor<1x4x4x2xf16>, tensor<2x1x9x9xf16>) -> tensor<1x4x4x2xf16>
// CHECK: ssmc.depthwise_conv2d %{{.*}}, %{{.*}} : (tensor<1x4x4x2xf16>, tensor<2x1x1x1xf16>) -> tensor<1x4x4x2xf16>
func.func @odd_kernels(%x: tensor<1x4x4x2xf16>, %a: tensor<2x1x3x5xf16>, %b: tensor<2x1x9x9xf16>, %c: tensor<2x1x1x1xf16>) -> (tensor<1x4x4x2xf16>, tensor<1x4x4x2xf16>, tensor<1x4x4x2xf16>) {
  %ya = ssmc.depthwise_conv2d %x, %a : (tensor<1x4x4x2xf16>, tensor<2x1x3x5xf16>) -> tensor<1x4x4x2xf16>
  %yb = ssmc.depthwise_conv2d %x, %b : (tensor<1x4x4x2xf16>, tensor<2x1x9x9xf16>) -> tensor<1x4x4x2xf16>
  %yc = ssmc.depthwise_conv2d %x, %c : (tensor<1x4x4x2xf16>, tensor<2x1x1x1xf16>) -> tensor<1x4x4x2xf16>
  return %ya, %yb, %yc : tensor<1x4x4x2xf16>, tensor<1x4x4x2xf16>, tensor<1x4x4x2xf16>
}
