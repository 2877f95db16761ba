// Every diagnostic of ssmc.conv2d names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @input_rank(%x: tensor<1x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op input must be NCHW [N, C, H, W], got [1, 8, 8]}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [0, 0] groups 1 : (tensor<1x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @weight_rank(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op weight must be [O, C/groups, KH, KW], got [4, 3, 3]}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [0, 0] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6x6xf32>
  return
}

// -----

func.func @stride_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op stride and padding must have two values (height, width)}}
  %y = ssmc.conv2d %x, %w stride [1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @padding_count(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op stride and padding must have two values (height, width)}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @zero_stride(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op stride [0, 1] must be positive and padding [1, 1] non-negative}}
  %y = ssmc.conv2d %x, %w stride [0, 1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @negative_padding(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op stride [1, 1] must be positive and padding [1, -1] non-negative}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, -1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x4xf32>
  return
}

// -----

func.func @zero_groups(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op groups 0 must divide the input channels 4 and the output channels 4}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 0 : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @groups_input_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<3x4x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op groups 3 must divide the input channels 4 and the output channels 3}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 3 : (tensor<1x4x8x8xf32>, tensor<3x4x3x3xf32>) -> tensor<1x3x8x8xf32>
  return
}

// -----

func.func @groups_output_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<6x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op groups 4 must divide the input channels 4 and the output channels 6}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 4 : (tensor<1x4x8x8xf32>, tensor<6x1x3x3xf32>) -> tensor<1x6x8x8xf32>
  return
}

// -----

func.func @channels_per_group(%x: tensor<1x4x8x8xf32>, %w: tensor<4x1x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op weight [4, 1, 3, 3] expects 1 input channels per group but input [1, 4, 8, 8] has 4 channels in 2 group(s)}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 2 : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @input_channels(%x: tensor<1x3x8x8xf32>, %w: tensor<4x2x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op weight [4, 2, 3, 3] expects 2 input channels per group but input [1, 3, 8, 8] has 3 channels in 1 group(s)}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @bias(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op bias is [3], expected [4]}}
  %y = ssmc.conv2d %x, %w, %b stride [1, 1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @kernel_too_large(%x: tensor<1x3x2x2xf32>, %w: tensor<4x3x5x5xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op kernel 5x5 is larger than the padded input 2x2}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [0, 0] groups 1 : (tensor<1x3x2x2xf32>, tensor<4x3x5x5xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

// Padding counts on both sides: 3 + 2*1 = 5 >= 5 is fine for the height, 1 + 2*1 = 3 < 5 is not.
func.func @kernel_too_wide(%x: tensor<1x3x3x1xf32>, %w: tensor<4x3x5x5xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op kernel 5x5 is larger than the padded input 5x3}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 1 : (tensor<1x3x3x1xf32>, tensor<4x3x5x5xf32>) -> tensor<1x4x1x1xf32>
  return
}

// -----

func.func @result_spatial(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op result is [1, 4, 8, 8], expected [1, 4, 4, 4]}}
  %y = ssmc.conv2d %x, %w stride [2, 2] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @result_channels_last(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op result is [1, 8, 8, 4], expected [1, 4, 8, 8]}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x8x8x4xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf16>) {
  // expected-error @+1 {{'ssmc.conv2d' op mixes element types 'f32' and 'f16'}}
  %y = ssmc.conv2d %x, %w, %b stride [1, 1] padding [1, 1] groups 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf16>) -> tensor<1x4x8x8xf32>
  return
}

// -----

func.func @dynamic(%x: tensor<?x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) {
  // expected-error @+1 {{'ssmc.conv2d' op needs static shapes, got 'tensor<?x3x8x8xf32>'}}
  %y = ssmc.conv2d %x, %w stride [1, 1] padding [1, 1] groups 1 : (tensor<?x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x8x8xf32>
  return
}

// -----

// The channels-last form checks the NHWC shapes.
func.func @channels_last_wrong_result(%x: tensor<1x8x8x4xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x6x4x4xf32> {
  // expected-error @+1 {{'ssmc.conv2d' op result is [1, 6, 4, 4], expected [1, 4, 4, 6]}}
  %y = ssmc.conv2d %x, %w stride [2, 2] padding [1, 1] groups 1 channels_last : (tensor<1x8x8x4xf32>, tensor<6x4x3x3xf32>) -> tensor<1x6x4x4xf32>
  return %y : tensor<1x6x4x4xf32>
}

// -----

func.func @channels_last_wrong_channels(%x: tensor<1x8x8x5xf32>, %w: tensor<6x4x3x3xf32>) -> tensor<1x4x4x6xf32> {
  // expected-error @+1 {{'ssmc.conv2d' op (channels_last, checked as its NCHW transpose) weight [6, 4, 3, 3] expects 4 input channels per group but input [1, 5, 8, 8] has 5 channels in 1 group(s)}}
  %y = ssmc.conv2d %x, %w stride [2, 2] padding [1, 1] groups 1 channels_last : (tensor<1x8x8x5xf32>, tensor<6x4x3x3xf32>) -> tensor<1x4x4x6xf32>
  return %y : tensor<1x4x4x6xf32>
}
