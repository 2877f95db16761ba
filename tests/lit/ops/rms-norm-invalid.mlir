// Every diagnostic of ssmc.rms_norm names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @scalar_input(%x: tensor<f32>, %w: tensor<1xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op input must have at least one dimension, got a scalar}}
  %y = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}

// -----

func.func @weight(%x: tensor<2x48xf32>, %w: tensor<47xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op weight is [47], expected [48] (the last dimension of input [2, 48])}}
  %y = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<2x48xf32>, tensor<47xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @weight_rank(%x: tensor<2x48xf32>, %w: tensor<2x48xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op weight is [2, 48], expected [48] (the last dimension of input [2, 48])}}
  %y = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<2x48xf32>, tensor<2x48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @zero_eps(%x: tensor<2x48xf32>, %w: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op eps must be positive}}
  %y = ssmc.rms_norm %x, %w eps 0.0 : (tensor<2x48xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @negative_eps(%x: tensor<2x48xf32>, %w: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op eps must be positive}}
  %y = ssmc.rms_norm %x, %w eps -1.0 : (tensor<2x48xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @result(%x: tensor<2x48xf32>, %w: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op result is [2, 1], expected [2, 48]}}
  %y = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<2x48xf32>, tensor<48xf32>) -> tensor<2x1xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<2x48xf32>, %w: tensor<48xbf16>) {
  // expected-error @+1 {{'ssmc.rms_norm' op mixes element types 'f32' and 'bf16'}}
  %y = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<2x48xf32>, tensor<48xbf16>) -> tensor<2x48xf32>
  return
}

// -----

func.func @dynamic(%x: tensor<2x48xf32>, %w: tensor<?xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op needs static shapes, got 'tensor<?xf32>'}}
  %y = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<2x48xf32>, tensor<?xf32>) -> tensor<2x48xf32>
  return
}
