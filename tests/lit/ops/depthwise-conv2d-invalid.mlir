// Every diagnostic of ssmc.depthwise_conv2d names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @input_rank(%x: tensor<8x8x4xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op input must be channels-last [N, H, W, C], got [8, 8, 4]}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<8x8x4xf32>, tensor<4x1x3x3xf32>) -> tensor<8x8x4xf32>
  return
}

// -----

func.func @weight_rank(%x: tensor<1x8x8x4xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op weight must be [C, 1, KH, KW], got [4, 3, 3]}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<4x3x3xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @weight_second_dim(%x: tensor<1x8x8x4xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op weight must be [C, 1, KH, KW], got [4, 2, 3, 3]}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<4x2x3x3xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @channels(%x: tensor<1x8x8x4xf32>, %w: tensor<5x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op weight [5, 1, 3, 3] has 5 channels but input [1, 8, 8, 4] has 4}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<5x1x3x3xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

// An NCHW input is caught by its channel count.
func.func @channels_first(%x: tensor<1x4x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op weight [4, 1, 3, 3] has 4 channels but input [1, 4, 8, 8] has 8}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @even_kernel(%x: tensor<1x8x8x4xf32>, %w: tensor<4x1x4x4xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op kernel 4x4 must be odd for same padding}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<4x1x4x4xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @even_kernel_width(%x: tensor<1x8x8x4xf32>, %w: tensor<4x1x3x2xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op kernel 3x2 must be odd for same padding}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<4x1x3x2xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @bias(%x: tensor<1x8x8x4xf32>, %w: tensor<4x1x3x3xf32>, %b: tensor<8xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op bias is [8], expected [4]}}
  %y = ssmc.depthwise_conv2d %x, %w, %b : (tensor<1x8x8x4xf32>, tensor<4x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @result(%x: tensor<1x8x8x4xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op result is [1, 6, 6, 4], expected [1, 8, 8, 4]}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<4x1x3x3xf32>) -> tensor<1x6x6x4xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<1x8x8x4xbf16>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op mixes element types 'bf16' and 'f32'}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xbf16>, tensor<4x1x3x3xf32>) -> tensor<1x8x8x4xbf16>
  return
}

// -----

func.func @dynamic(%x: tensor<1x8x8x4xf32>, %w: tensor<4x1x?x3xf32>) {
  // expected-error @+1 {{'ssmc.depthwise_conv2d' op needs static shapes, got 'tensor<4x1x?x3xf32>'}}
  %y = ssmc.depthwise_conv2d %x, %w : (tensor<1x8x8x4xf32>, tensor<4x1x?x3xf32>) -> tensor<1x8x8x4xf32>
  return
}
