// RUN: ssmc-opt %s --ssmc-form-kernel-groups | FileCheck %s --check-prefix=ANY
// RUN: ssmc-opt %s --ssmc-form-kernel-groups="sms=4" | FileCheck %s --check-prefix=FOUR
// RUN: ssmc-opt %s --ssmc-form-kernel-groups="sms=132" | FileCheck %s --check-prefix=H100
// RUN: not ssmc-opt %s --ssmc-form-kernel-groups="sms=-1" 2>&1 | FileCheck %s --check-prefix=BAD

// Given the target's SMs, a convolution keeps the norm of its output only
// where its rows give every SM a block of 16 (the smallest whole-row tile):
// 2 x 8 x 8 = 128 rows are enough for 4 SMs (128 >= 64), not for 132
// (2112). Its norm is then a row kernel of its own, and the GELU after it
// that kernel's epilogue, not a prologue of the next convolution.
// ANY:  ssmc.kernel_group "g00_conv2d__layer_norm__gelu"
// ANY:  ssmc.kernel_group "g01_conv2d"
// FOUR: ssmc.kernel_group "g00_conv2d__layer_norm__gelu"
// FOUR: ssmc.kernel_group "g01_conv2d"
// H100:      %[[C:.*]] = ssmc.kernel_group "g00_conv2d"
// H100:      %[[N:.*]] = ssmc.kernel_group "g01_layer_norm__gelu"(%[[C]])
// H100:      ssmc.kernel_group "g02_conv2d"(%[[N]])
// H100-NOT:  ssmc.kernel_group
// BAD: ssmc-form-kernel-groups: sms must be 0 or more, got -1
func.func @stem(%x: tensor<2x16x16x3xf32> {ssmc.name = "input"}) -> (tensor<2x4x4x16xf32> {ssmc.name = "output"}) {
  %w1 = ssmc.weight "c1.weight" : tensor<8x3x2x2xf32>
  %b1 = ssmc.weight "c1.bias" : tensor<8xf32>
  %nw = ssmc.weight "n.weight" : tensor<8xf32>
  %nb = ssmc.weight "n.bias" : tensor<8xf32>
  %w2 = ssmc.weight "c2.weight" : tensor<16x8x2x2xf32>
  %b2 = ssmc.weight "c2.bias" : tensor<16xf32>
  %c1 = ssmc.conv2d %x, %w1, %b1 stride [2, 2] padding [0, 0] groups 1 channels_last : (tensor<2x16x16x3xf32>, tensor<8x3x2x2xf32>, tensor<8xf32>) -> tensor<2x8x8x8xf32>
  %n = ssmc.layer_norm %c1, %nw, %nb eps 1.0e-06 : (tensor<2x8x8x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x8x8x8xf32>
  %g = ssmc.gelu %n : tensor<2x8x8x8xf32>
  %c2 = ssmc.conv2d %g, %w2, %b2 stride [2, 2] padding [0, 0] groups 1 channels_last : (tensor<2x8x8x8xf32>, tensor<16x8x2x2xf32>, tensor<16xf32>) -> tensor<2x4x4x16xf32>
  return %c2 : tensor<2x4x4x16xf32>
}
