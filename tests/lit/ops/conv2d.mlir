// ssmc.conv2d: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// MambaOut's stem: stride 2, padding 1, with bias.
// CHECK-LABEL: func.func @stem(
// CHECK-SAME: %[[X:[^:]*]]: tensor<1x3x224x224xf32>, %[[W:[^:]*]]: tensor<24x3x3x3xf32>, %[[B:[^:]*]]: tensor<24xf32>
// CHECK: %[[Y:.*]] = ssmc.conv2d %[[X]], %[[W]], %[[B]] stride [2, 2] padding [1, 1] groups 1 : (tensor<1x3x224x224xf32>, tensor<24x3x3x3xf32>, tensor<24xf32>) -> tensor<1x24x112x112xf32>
// CHECK: return %[[Y]]
// GENERIC-LABEL: sym_name = "stem"
// GENERIC: "ssmc.conv2d"(%{{.*}}, %{{.*}}, %{{.*}}) <{groups = 1 : i64, padding = array<i64: 1, 1>, stride = array<i64: 2, 2>}>
func.func @stem(%x: tensor<1x3x224x224xf32>, %w: tensor<24x3x3x3xf32>, %b: tensor<24xf32>) -> tensor<1x24x112x112xf32> {
  %y = ssmc.conv2d %x, %w, %b stride [2, 2] padding [1, 1] groups 1 : (tensor<1x3x224x224xf32>, tensor<24x3x3x3xf32>, tensor<24xf32>) -> tensor<1x24x112x112xf32>
  return %y : tensor<1x24x112x112xf32>
}

// The bias is optional; no padding.
// CHECK-LABEL: func.func @no_bias(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x4x8x8xf32>, %[[W:[^:]*]]: tensor<6x4x3x3xf32>
// CHECK: ssmc.conv2d %[[X]], %[[W]] stride [1, 1] padding [0, 0] groups 1 : (tensor<2x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<2x6x6x6xf32>
// GENERIC-LABEL: sym_name = "no_bias"
// GENERIC: "ssmc.conv2d"(%{{[^,]*}}, %{{[^,]*}}) <{groups = 1 : i64, padding = array<i64: 0, 0>, stride = array<i64: 1, 1>}>
func.func @no_bias(%x: tensor<2x4x8x8xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<2x6x6x6xf32> {
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [0, 0] groups 1 : (tensor<2x4x8x8xf32>, tensor<6x4x3x3xf32>) -> tensor<2x6x6x6xf32>
  return %y : tensor<2x6x6x6xf32>
}

// Downsampling between stages: 2x2 kernel, stride 2 (the output rounds down).
// CHECK-LABEL: func.func @downsample(
// CHECK: ssmc.conv2d %{{.*}}, %{{.*}}, %{{.*}} stride [2, 2] padding [0, 0] groups 1 : (tensor<1x48x7x7xf32>, tensor<96x48x2x2xf32>, tensor<96xf32>) -> tensor<1x96x3x3xf32>
func.func @downsample(%x: tensor<1x48x7x7xf32>, %w: tensor<96x48x2x2xf32>, %b: tensor<96xf32>) -> tensor<1x96x3x3xf32> {
  %y = ssmc.conv2d %x, %w, %b stride [2, 2] padding [0, 0] groups 1 : (tensor<1x48x7x7xf32>, tensor<96x48x2x2xf32>, tensor<96xf32>) -> tensor<1x96x3x3xf32>
  return %y : tensor<1x96x3x3xf32>
}

// Grouped and fully depthwise (groups = channels) convolutions.
// CHECK-LABEL: func.func @grouped(
// CHECK: ssmc.conv2d %{{.*}}, %{{.*}} stride [1, 1] padding [1, 1] groups 2 : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x8x8xf32>
// CHECK: ssmc.conv2d %{{.*}}, %{{.*}} stride [1, 1] padding [1, 1] groups 4 : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
func.func @grouped(%x: tensor<1x4x8x8xf32>, %w2: tensor<6x2x3x3xf32>, %w4: tensor<4x1x3x3xf32>) -> (tensor<1x6x8x8xf32>, tensor<1x4x8x8xf32>) {
  %a = ssmc.conv2d %x, %w2 stride [1, 1] padding [1, 1] groups 2 : (tensor<1x4x8x8xf32>, tensor<6x2x3x3xf32>) -> tensor<1x6x8x8xf32>
  %b = ssmc.conv2d %x, %w4 stride [1, 1] padding [1, 1] groups 4 : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %a, %b : tensor<1x6x8x8xf32>, tensor<1x4x8x8xf32>
}

// Height and width have their own stride, padding and kernel size.
// OH = (9 + 2*0 - 3)/2 + 1 = 4, OW = (5 + 2*2 - 1)/1 + 1 = 9.
// CHECK-LABEL: func.func @asymmetric(
// CHECK: ssmc.conv2d %{{.*}}, %{{.*}} stride [2, 1] padding [0, 2] groups 1 : (tensor<1x2x9x5xf16>, tensor<3x2x3x1xf16>) -> tensor<1x3x4x9xf16>
func.func @asymmetric(%x: tensor<1x2x9x5xf16>, %w: tensor<3x2x3x1xf16>) -> tensor<1x3x4x9xf16> {
  %y = ssmc.conv2d %x, %w stride [2, 1] padding [0, 2] groups 1 : (tensor<1x2x9x5xf16>, tensor<3x2x3x1xf16>) -> tensor<1x3x4x9xf16>
  return %y : tensor<1x3x4x9xf16>
}
