// Every verifier diagnostic names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @case0() {
  // expected-error @+1 {{'ssmc.weight' op needs a non-empty parameter name}}
  %r = ssmc.weight "" : tensor<2xf32>
  return
}

// -----

func.func @case1() {
  // expected-error @+1 {{'ssmc.weight' op needs static shapes, got 'tensor<?xf32>'}}
  %r = ssmc.weight "w" : tensor<?xf32>
  return
}

// -----

func.func @case2(%x: tensor<2x48xf32>, %w: tensor<256x96xf32>) {
  // expected-error @+1 {{'ssmc.linear' op input [2, 48] has 48 features in its last dimension but weight [256, 96] expects 96}}
  %r = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x96xf32>) -> tensor<2x256xf32>
  return
}

// -----

func.func @case3(%x: tensor<2x48xf32>, %w: tensor<256x48x1xf32>) {
  // expected-error @+1 {{'ssmc.linear' op weight must be [out, in], got [256, 48, 1]}}
  %r = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x48x1xf32>) -> tensor<2x256xf32>
  return
}

// -----

func.func @case4(%x: tensor<2x48xf32>, %w: tensor<256x48xf32>, %b: tensor<128xf32>) {
  // expected-error @+1 {{'ssmc.linear' op bias is [128], expected [256]}}
  %r = ssmc.linear %x, %w, %b : (tensor<2x48xf32>, tensor<256x48xf32>, tensor<128xf32>) -> tensor<2x256xf32>
  return
}

// -----

func.func @case5(%x: tensor<2x48xf32>, %w: tensor<256x48xf32>) {
  // expected-error @+1 {{'ssmc.linear' op result is [2, 128], expected [2, 256]}}
  %r = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x48xf32>) -> tensor<2x128xf32>
  return
}

// -----

func.func @case6(%x: tensor<2x48xf32>, %w: tensor<256x48xbf16>) {
  // expected-error @+1 {{'ssmc.linear' op mixes element types 'f32' and 'bf16'}}
  %r = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x48xbf16>) -> tensor<2x256xf32>
  return
}

// -----

func.func @case7(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op result is [1, 4, 8, 8], expected [1, 4, 4, 4]}}
  %r = ssmc.conv2d %x, %w stride [2, 2] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case8(%x: tensor<1x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op input must be NCHW [N, C, H, W], got [1, 8, 8]}}
  %r = ssmc.conv2d %x, %w stride [1, 1] padding [0, 0] groups 1 : (tensor<1x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @case9(%x: tensor<1x4x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op weight [4, 1, 3, 3] expects 1 input channels per group but input [1, 4, 8, 8] has 4 channels in 2 group(s)}}
  %r = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 2 : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case10(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op groups 3 must divide the input channels 4 and the output channels 4}}
  %r = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 3 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case11(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op stride [0, 1] must be positive and padding [1, 1] non-negative}}
  %r = ssmc.conv2d %x, %w stride [0, 1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case12(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op stride and padding must have two values (height, width)}}
  %r = ssmc.conv2d %x, %w stride [1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case13(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x5x5xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op kernel 5x5 is larger than the padded input 2x2}}
  %r = ssmc.conv2d %x, %w stride [1, 1] padding [0, 0] groups 1 : (tensor<1x3x2x2xf32>, tensor<4x3x5x5xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @case14(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op bias is [3], expected [4]}}
  %r = ssmc.conv2d %x, %w, %b stride [1, 1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @case15(%x: tensor<1x8x8x4xf32>, %w: tensor<5x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op weight [5, 1, 3, 3] has 5 channels but input [1, 8, 8, 4] has 4}}
  %r = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<5x1x3x3xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @case16(%x: tensor<1x8x8x4xf32>, %w: tensor<4x1x4x4xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op kernel 4x4 must be odd for same padding}}
  %r = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<4x1x4x4xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @case17(%x: tensor<1x8x8x4xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op weight must be [C, 1, KH, KW], got [4, 2, 3, 3]}}
  %r = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @case18(%x: tensor<8x8x4xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op input must be channels-last [N, H, W, C], got [8, 8, 4]}}
  %r = ssmc.depthwise_conv2d %x, %w : (tensor<8x8x4xf32>, tensor<4x1x3x3xf32>) -> tensor<8x8x4xf32>
  return
}

// -----

func.func @case19(%x: tensor<2x8x10xf32>, %w: tensor<6x1x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op weight [6, 1, 4] has 6 channels but input [2, 8, 10] has 8}}
  %r = ssmc.causal_conv1d %x, %w : (tensor<2x8x10xf32>, tensor<6x1x4xf32>) -> tensor<2x8x10xf32>
  return
}

// -----

func.func @case20(%x: tensor<2x8x10xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op weight must be [D, 1, K], got [8, 4]}}
  %r = ssmc.causal_conv1d %x, %w : (tensor<2x8x10xf32>, tensor<8x4xf32>) -> tensor<2x8x10xf32>
  return
}

// -----

func.func @case21(%x: tensor<8x10xf32>, %w: tensor<8x1x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op input must be [B, D, L], got [8, 10]}}
  %r = ssmc.causal_conv1d %x, %w : (tensor<8x10xf32>, tensor<8x1x4xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @case22(%x: tensor<2x48xf32>, %w: tensor<96xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op weight is [96], expected [48] (the last dimension of input [2, 48])}}
  %r = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<2x48xf32>, tensor<96xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @case23(%x: tensor<2x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op eps must be positive}}
  %r = ssmc.layer_norm %x, %w, %b eps 0.0 : (tensor<2x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @case24(%x: tensor<2x48xf32>, %w: tensor<47xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op weight is [47], expected [48] (the last dimension of input [2, 48])}}
  %r = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<2x48xf32>, tensor<47xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @case25(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{'ssmc.add' op shapes [2, 3] and [4, 3] do not broadcast (dimension 1 from the right is 2 vs 4)}}
  %r = ssmc.add %a, %b : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @case26(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'ssmc.mul' op result is [3], expected [2, 3]}}
  %r = ssmc.mul %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

func.func @case27(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op part sizes [4, 4] add up to 8 but input [2, 6] has 6 on axis 1}}
  %r:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<2x4xf32>, tensor<2x4xf32>
  return
}

// -----

func.func @case28(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op axis 2 is not an axis of input [2, 6]}}
  %r = ssmc.split %x axis 2 : tensor<2x6xf32> -> tensor<2x6xf32>
  return
}

// -----

func.func @case29(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op result #0 is [3, 3], expected [2, 3]}}
  %r:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<3x3xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @case30(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op result [2, 3, 1] has another rank than input [2, 6]}}
  %r:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<2x3x1xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @case31(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op range [4, 7) is outside [0, 6) on axis 1 of input [2, 6]}}
  %r = ssmc.slice %x axis 1 start 4 : tensor<2x6xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @case32(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op axis 2 is not an axis of input [2, 6] and result [2, 3]}}
  %r = ssmc.slice %x axis 2 start 0 : tensor<2x6xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @case33(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+1 {{'ssmc.concat' op input #1 [3, 3] differs from input #0 [2, 3] outside axis 1}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @case34(%a: tensor<2x3xf32>, %b: tensor<2x3x1xf32>) {
  // expected-error @+1 {{'ssmc.concat' op input #1 [2, 3, 1] has another rank than input #0 [2, 3]}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<2x3x1xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @case35(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.concat' op result is [2, 5], expected [2, 6]}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @case36(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.permute' op [0, 0, 1] is not a permutation of 0..2}}
  %r = ssmc.permute %x [0, 0, 1] : tensor<2x3x4xf32> -> tensor<2x2x3xf32>
  return
}

// -----

func.func @case37(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.permute' op permutation [1, 0] has 2 entries but input [2, 3, 4] has rank 3}}
  %r = ssmc.permute %x [1, 0] : tensor<2x3x4xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @case38(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.permute' op result is [4, 3, 2], expected [4, 2, 3]}}
  %r = ssmc.permute %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
  return
}

// -----

func.func @case39(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.reshape' op cannot reshape [2, 3] (6 elements) to [7] (7 elements)}}
  %r = ssmc.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @case40(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.flip' op axis 2 is out of range for input [2, 3]}}
  %r = ssmc.flip %x axis 2 : tensor<2x3xf32>
  return
}

// -----

func.func @case41(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op dims [2, 1] must be ascending axes of input [2, 3, 4]}}
  %r = ssmc.reduce_mean %x dims [2, 1] : tensor<2x3x4xf32> -> tensor<2xf32>
  return
}

// -----

func.func @case42(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op result is [2, 1, 4], expected [2, 4]}}
  %r = ssmc.reduce_mean %x dims [1] : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  return
}

// -----

func.func @case43(%u: tensor<2x8x10xf32>, %d: tensor<2x8x11xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op delta is [2, 8, 11], expected [2, 8, 10] like u}}
  %r:2 = ssmc.selective_scan %u, %d, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x11xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @case44(%u: tensor<2x8x10xf32>, %A: tensor<6x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op A is [6, 4], expected [8, N] (D = 8 channels of u [2, 8, 10])}}
  %r:2 = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<6x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @case45(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x5x10xf32>, %C: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op B is [2, 5, 10], expected [2, 4, 10] (batch and length of u [2, 8, 10], d_state 4 of A [8, 4])}}
  %r:2 = ssmc.selective_scan %u, %u, %A, %B, %C : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x5x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @case46(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %C: tensor<1x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op C is [1, 4, 10], expected [2, 4, 10]}}
  %r:2 = ssmc.selective_scan %u, %u, %A, %B, %C : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<1x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @case47(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %D: tensor<4xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op D is [4], expected [8]}}
  %r:2 = ssmc.selective_scan %u, %u, %A, %B, %B D %D : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<4xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @case48(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %z: tensor<2x8x9xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op z is [2, 8, 9], expected [2, 8, 10]}}
  %r:2 = ssmc.selective_scan %u, %u, %A, %B, %B z %z : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<2x8x9xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @case49(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %db: tensor<7xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op delta_bias is [7], expected [8]}}
  %r:2 = ssmc.selective_scan %u, %u, %A, %B, %B delta_bias %db : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<7xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @case50(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op result 'last_state' is [2, 8, 16], expected [2, 8, 4]}}
  %r:2 = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x16xf32>)
  return
}

// -----

func.func @case51(%u: tensor<2x8xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op u must be [B, D, L], got [2, 8]}}
  %r:2 = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8xf32>, tensor<2x8x4xf32>)
  return
}

