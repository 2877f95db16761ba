// RUN: ssmc-opt %s --ssmc-patch-gemm --split-input-file | FileCheck %s
// RUN: ssmc-opt %s --ssmc-patch-gemm --split-input-file | ssmc-opt --split-input-file | FileCheck %s

// Vim's patch embedding (kernel = stride = 4 here): patches as views, one
// linear with the weight seen as [D, C·kh·kw], the result back to NCHW.
// CHECK-LABEL: func.func @patch_embed
// CHECK: %[[R:.*]] = ssmc.reshape %arg0 : tensor<1x3x8x8xf32> -> tensor<1x3x2x4x2x4xf32>
// CHECK: %[[P:.*]] = ssmc.permute %[[R]] [0, 2, 4, 1, 3, 5] : tensor<1x3x2x4x2x4xf32> -> tensor<1x2x2x3x4x4xf32>
// CHECK: %[[A:.*]] = ssmc.reshape %[[P]] : tensor<1x2x2x3x4x4xf32> -> tensor<1x2x2x48xf32>
// CHECK: %[[W:.*]] = ssmc.reshape %arg1 : tensor<5x3x4x4xf32> -> tensor<5x48xf32>
// CHECK: %[[Y:.*]] = ssmc.linear %[[A]], %[[W]], %arg2 : (tensor<1x2x2x48xf32>, tensor<5x48xf32>, tensor<5xf32>) -> tensor<1x2x2x5xf32>
// CHECK: %[[O:.*]] = ssmc.permute %[[Y]] [0, 3, 1, 2] : tensor<1x2x2x5xf32> -> tensor<1x5x2x2xf32>
// CHECK: return %[[O]]
func.func @patch_embed(%x: tensor<1x3x8x8xf32>, %w: tensor<5x3x4x4xf32>, %b: tensor<5xf32>) -> tensor<1x5x2x2xf32> {
  %y = ssmc.conv2d %x, %w, %b stride [4, 4] padding [0, 0] groups 1 : (tensor<1x3x8x8xf32>, tensor<5x3x4x4xf32>, tensor<5xf32>) -> tensor<1x5x2x2xf32>
  return %y : tensor<1x5x2x2xf32>
}

// -----

// Channels-last: the patches come from [B, H, W, C] and the result stays
// channels-last.
// CHECK-LABEL: func.func @channels_last
// CHECK: ssmc.reshape %arg0 : tensor<1x4x6x3xf32> -> tensor<1x2x2x3x2x3xf32>
// CHECK: ssmc.permute %{{.*}} [0, 1, 3, 5, 2, 4] : tensor<1x2x2x3x2x3xf32> -> tensor<1x2x3x3x2x2xf32>
// CHECK: ssmc.linear {{.*}} -> tensor<1x2x3x7xf32>
// CHECK-NOT: ssmc.permute
// CHECK: return
func.func @channels_last(%x: tensor<1x4x6x3xf32>, %w: tensor<7x3x2x2xf32>) -> tensor<1x2x3x7xf32> {
  %y = ssmc.conv2d %x, %w stride [2, 2] padding [0, 0] groups 1 channels_last : (tensor<1x4x6x3xf32>, tensor<7x3x2x2xf32>) -> tensor<1x2x3x7xf32>
  return %y : tensor<1x2x3x7xf32>
}

// -----

// Refused: overlapping windows (MambaOut's 3x3/2 stem), padding, groups, and
// a size the stride does not divide stay convolutions.
// CHECK-LABEL: func.func @refused
// CHECK-COUNT-4: ssmc.conv2d
// CHECK-NOT: ssmc.linear
func.func @refused(%x: tensor<1x4x9x9xf32>, %w3: tensor<8x4x3x3xf32>, %w2: tensor<8x4x2x2xf32>, %wg: tensor<8x2x2x2xf32>)
    -> (tensor<1x8x4x4xf32>, tensor<1x8x5x5xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %a = ssmc.conv2d %x, %w3 stride [2, 2] padding [0, 0] groups 1 : (tensor<1x4x9x9xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x4x4xf32>
  %b = ssmc.conv2d %x, %w2 stride [2, 2] padding [1, 1] groups 1 : (tensor<1x4x9x9xf32>, tensor<8x4x2x2xf32>) -> tensor<1x8x5x5xf32>
  %c = ssmc.conv2d %x, %wg stride [2, 2] padding [0, 0] groups 2 : (tensor<1x4x9x9xf32>, tensor<8x2x2x2xf32>) -> tensor<1x8x4x4xf32>
  %d = ssmc.conv2d %x, %w2 stride [2, 2] padding [0, 0] groups 1 : (tensor<1x4x9x9xf32>, tensor<8x4x2x2xf32>) -> tensor<1x8x4x4xf32>
  return %a, %b, %c, %d : tensor<1x8x4x4xf32>, tensor<1x8x5x5xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}
