// Every diagnostic of ssmc.causal_conv1d names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @input_rank(%x: tensor<8x10xf32>, %w: tensor<8x1x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op input must be [B, D, L], got [8, 10]}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<8x10xf32>, tensor<8x1x4xf32>) -> tensor<8x10xf32>
  return
}

// -----

func.func @weight_rank(%x: tensor<2x8x10xf32>, %w: tensor<8x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op weight must be [D, 1, K], got [8, 4]}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<2x8x10xf32>, tensor<8x4xf32>) -> tensor<2x8x10xf32>
  return
}

// -----

func.func @weight_second_dim(%x: tensor<2x8x10xf32>, %w: tensor<8x2x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op weight must be [D, 1, K], got [8, 2, 4]}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<2x8x10xf32>, tensor<8x2x4xf32>) -> tensor<2x8x10xf32>
  return
}

// -----

func.func @empty_kernel(%x: tensor<2x8x10xf32>, %w: tensor<8x1x0xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op weight must be [D, 1, K], got [8, 1, 0]}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<2x8x10xf32>, tensor<8x1x0xf32>) -> tensor<2x8x10xf32>
  return
}

// -----

func.func @channels(%x: tensor<2x8x10xf32>, %w: tensor<6x1x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op weight [6, 1, 4] has 6 channels but input [2, 8, 10] has 8}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<2x8x10xf32>, tensor<6x1x4xf32>) -> tensor<2x8x10xf32>
  return
}

// -----

// A [B, L, D] input is caught by its channel count.
func.func @length_major(%x: tensor<2x10x8xf32>, %w: tensor<8x1x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op weight [8, 1, 4] has 8 channels but input [2, 10, 8] has 10}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<2x10x8xf32>, tensor<8x1x4xf32>) -> tensor<2x10x8xf32>
  return
}

// -----

func.func @bias(%x: tensor<2x8x10xf32>, %w: tensor<8x1x4xf32>, %b: tensor<4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op bias is [4], expected [8]}}
  %y = ssmc.causal_conv1d %x, %w, %b : (tensor<2x8x10xf32>, tensor<8x1x4xf32>, tensor<4xf32>) -> tensor<2x8x10xf32>
  return
}

// -----

func.func @bias_reverse(%x: tensor<2x8x10xf32>, %w: tensor<8x1x4xf32>, %b: tensor<8x1xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op bias is [8, 1], expected [8]}}
  %y = ssmc.causal_conv1d %x, %w, %b reverse : (tensor<2x8x10xf32>, tensor<8x1x4xf32>, tensor<8x1xf32>) -> tensor<2x8x10xf32>
  return
}

// -----

// No output shrinking: the result keeps the sequence length.
func.func @result(%x: tensor<2x8x10xf32>, %w: tensor<8x1x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op result is [2, 8, 7], expected [2, 8, 10]}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<2x8x10xf32>, tensor<8x1x4xf32>) -> tensor<2x8x7xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<2x8x10xf32>, %w: tensor<8x1x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op mixes element types 'f32' and 'f64'}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<2x8x10xf32>, tensor<8x1x4xf32>) -> tensor<2x8x10xf64>
  return
}

// -----

func.func @dynamic(%x: tensor<2x8x?xf32>, %w: tensor<8x1x4xf32>) {
  // expected-error @+1 {{'ssmc.causal_conv1d' op needs static shapes, got 'tensor<2x8x?xf32>'}}
  %y = ssmc.causal_conv1d %x, %w : (tensor<2x8x?xf32>, tensor<8x1x4xf32>) -> tensor<2x8x?xf32>
  return
}

// -----

// Channels-last is checked as its [B, D, L] transpose: the weight's D must
// be the input's last axis.
func.func @channels_last_channels(%x: tensor<2x8x10xf32>, %w: tensor<8x1x4xf32>) {
  // expected-error @+1 {{(channels_last, checked as its [B, D, L] transpose)}}
  %y = ssmc.causal_conv1d %x, %w channels_last : (tensor<2x8x10xf32>, tensor<8x1x4xf32>) -> tensor<2x8x10xf32>
  return
}
