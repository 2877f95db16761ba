// Every diagnostic of ssmc.layer_norm names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @scalar_input(%x: tensor<f32>, %w: tensor<1xf32>, %b: tensor<1xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op input must have at least one dimension, got a scalar}}
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<f32>, tensor<1xf32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @weight(%x: tensor<2x48xf32>, %w: tensor<96xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op weight is [96], expected [48] (the last dimension of input [2, 48])}}
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<2x48xf32>, tensor<96xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}

// -----

// Normalising over the first axis (channels-first) is not what layer_norm does.
func.func @weight_channels_first(%x: tensor<1x48x7x7xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op weight is [48], expected [7] (the last dimension of input [1, 48, 7, 7])}}
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<1x48x7x7xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<1x48x7x7xf32>
  return
}

// -----

func.func @bias(%x: tensor<2x48xf32>, %w: tensor<48xf32>, %b: tensor<1x48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op bias is [1, 48], expected [48] (the last dimension of input [2, 48])}}
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<2x48xf32>, tensor<48xf32>, tensor<1x48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @zero_eps(%x: tensor<2x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op eps must be positive}}
  %y = ssmc.layer_norm %x, %w, %b eps 0.0 : (tensor<2x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @negative_eps(%x: tensor<2x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op eps must be positive}}
  %y = ssmc.layer_norm %x, %w, %b eps -1.0e-06 : (tensor<2x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @result(%x: tensor<2x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op result is [48], expected [2, 48]}}
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<2x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<48xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<2x48xf16>, %w: tensor<48xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op mixes element types 'f16' and 'f32'}}
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<2x48xf16>, tensor<48xf32>, tensor<48xf32>) -> tensor<2x48xf16>
  return
}

// -----

func.func @dynamic(%x: tensor<?x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op needs static shapes, got 'tensor<?x48xf32>'}}
  %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<?x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<?x48xf32>
  return
}
