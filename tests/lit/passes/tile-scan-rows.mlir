// RUN: ssmc-opt %s --ssmc-tile-scan="sms=1" --split-input-file | FileCheck %s
// B and C are columns of the kernel group's input [1, 10, 8]. In bf16 its
// rows take 16 bytes, and two buffers of them take no more than B and C as
// fp32 values (8 floats a step): the rows are copied as stored (row_bytes
// 16) and unpacked, 10 x 8 x 4 bytes of values and 2 x (10 x 16 + 30) / 16
// x 16 of rows. In f32 two buffers of rows would take twice the values:
// only the values are staged.
// CHECK-LABEL: func.func @rows_bf16
// CHECK: tiling = #ssmc.scan_tiling<chunk = 10, channels = 8, row_bytes = 16, smem_bytes = 672>
// CHECK-LABEL: func.func @rows_f32
// CHECK: tiling = #ssmc.scan_tiling<chunk = 10, channels = 8, smem_bytes = 320>
// B from the group input, C from another: values.
// CHECK-LABEL: func.func @two_inputs
// CHECK: tiling = #ssmc.scan_tiling<chunk = 10, channels = 8, smem_bytes = 320>
module attributes {ssmc.dtype = "bf16"} {
func.func @rows_bf16(%u: tensor<1x10x8xf32>, %A: tensor<8x4xf32>, %bc: tensor<1x10x8xf32>) -> tensor<1x10x8xf32> {
  %r = ssmc.kernel_group "g00_split__selective_scan"(%u, %A, %bc) : (tensor<1x10x8xf32>, tensor<8x4xf32>, tensor<1x10x8xf32>) -> tensor<1x10x8xf32> {
  ^bb0(%a0: tensor<1x10x8xf32>, %a1: tensor<8x4xf32>, %a2: tensor<1x10x8xf32>):
    %b:2 = ssmc.split %a2 axis 2 : tensor<1x10x8xf32> -> tensor<1x10x4xf32>, tensor<1x10x4xf32>
    %o, %h = ssmc.selective_scan %a0, %a0, %a1, %b#0, %b#1 channels_last : (tensor<1x10x8xf32>, tensor<1x10x8xf32>, tensor<8x4xf32>, tensor<1x10x4xf32>, tensor<1x10x4xf32>) -> (tensor<1x10x8xf32>, tensor<1x8x4xf32>)
    ssmc.yield %o : tensor<1x10x8xf32>
  }
  return %r : tensor<1x10x8xf32>
}
}

// -----

func.func @rows_f32(%u: tensor<1x10x8xf32>, %A: tensor<8x4xf32>, %bc: tensor<1x10x8xf32>) -> tensor<1x10x8xf32> {
  %r = ssmc.kernel_group "g00_split__selective_scan"(%u, %A, %bc) : (tensor<1x10x8xf32>, tensor<8x4xf32>, tensor<1x10x8xf32>) -> tensor<1x10x8xf32> {
  ^bb0(%a0: tensor<1x10x8xf32>, %a1: tensor<8x4xf32>, %a2: tensor<1x10x8xf32>):
    %b:2 = ssmc.split %a2 axis 2 : tensor<1x10x8xf32> -> tensor<1x10x4xf32>, tensor<1x10x4xf32>
    %o, %h = ssmc.selective_scan %a0, %a0, %a1, %b#0, %b#1 channels_last : (tensor<1x10x8xf32>, tensor<1x10x8xf32>, tensor<8x4xf32>, tensor<1x10x4xf32>, tensor<1x10x4xf32>) -> (tensor<1x10x8xf32>, tensor<1x8x4xf32>)
    ssmc.yield %o : tensor<1x10x8xf32>
  }
  return %r : tensor<1x10x8xf32>
}

// -----

module attributes {ssmc.dtype = "bf16"} {
func.func @two_inputs(%u: tensor<1x10x8xf32>, %A: tensor<8x4xf32>, %bc: tensor<1x10x8xf32>, %c: tensor<1x10x4xf32>) -> tensor<1x10x8xf32> {
  %r = ssmc.kernel_group "g00_split__selective_scan"(%u, %A, %bc, %c) : (tensor<1x10x8xf32>, tensor<8x4xf32>, tensor<1x10x8xf32>, tensor<1x10x4xf32>) -> tensor<1x10x8xf32> {
  ^bb0(%a0: tensor<1x10x8xf32>, %a1: tensor<8x4xf32>, %a2: tensor<1x10x8xf32>, %a3: tensor<1x10x4xf32>):
    %b:2 = ssmc.split %a2 axis 2 : tensor<1x10x8xf32> -> tensor<1x10x4xf32>, tensor<1x10x4xf32>
    %o, %h = ssmc.selective_scan %a0, %a0, %a1, %b#0, %a3 channels_last : (tensor<1x10x8xf32>, tensor<1x10x8xf32>, tensor<8x4xf32>, tensor<1x10x4xf32>, tensor<1x10x4xf32>) -> (tensor<1x10x8xf32>, tensor<1x8x4xf32>)
    ssmc.yield %o : tensor<1x10x8xf32>
  }
  return %r : tensor<1x10x8xf32>
}
}
