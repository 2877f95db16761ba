// Every diagnostic of ssmc.linear names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @scalar_input(%x: tensor<f32>, %w: tensor<4x1xf32>) {
  // expected-error @+1 {{'ssmc.linear' op input must have at least one dimension, got a scalar}}
  %y = ssmc.linear %x, %w : (tensor<f32>, tensor<4x1xf32>) -> tensor<4xf32>
  return
}

// -----

func.func @weight_rank_3(%x: tensor<2x48xf32>, %w: tensor<256x48x1xf32>) {
  // expected-error @+1 {{'ssmc.linear' op weight must be [out, in], got [256, 48, 1]}}
  %y = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x48x1xf32>) -> tensor<2x256xf32>
  return
}

// -----

func.func @weight_rank_1(%x: tensor<2x48xf32>, %w: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.linear' op weight must be [out, in], got [48]}}
  %y = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<48xf32>) -> tensor<2xf32>
  return
}

// -----

func.func @features(%x: tensor<2x48xf32>, %w: tensor<256x96xf32>) {
  // expected-error @+1 {{'ssmc.linear' op input [2, 48] has 48 features in its last dimension but weight [256, 96] expects 96}}
  %y = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x96xf32>) -> tensor<2x256xf32>
  return
}

// -----

// A transposed weight ([in, out]) is caught: PyTorch's layout is [out, in].
func.func @transposed_weight(%x: tensor<2x48xf32>, %w: tensor<48x256xf32>) {
  // expected-error @+1 {{'ssmc.linear' op input [2, 48] has 48 features in its last dimension but weight [48, 256] expects 256}}
  %y = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<48x256xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @bias_size(%x: tensor<2x48xf32>, %w: tensor<256x48xf32>, %b: tensor<128xf32>) {
  // expected-error @+1 {{'ssmc.linear' op bias is [128], expected [256]}}
  %y = ssmc.linear %x, %w, %b : (tensor<2x48xf32>, tensor<256x48xf32>, tensor<128xf32>) -> tensor<2x256xf32>
  return
}

// -----

func.func @bias_rank(%x: tensor<2x48xf32>, %w: tensor<256x48xf32>, %b: tensor<1x256xf32>) {
  // expected-error @+1 {{'ssmc.linear' op bias is [1, 256], expected [256]}}
  %y = ssmc.linear %x, %w, %b : (tensor<2x48xf32>, tensor<256x48xf32>, tensor<1x256xf32>) -> tensor<2x256xf32>
  return
}

// -----

func.func @result_shape(%x: tensor<2x48xf32>, %w: tensor<256x48xf32>) {
  // expected-error @+1 {{'ssmc.linear' op result is [2, 128], expected [2, 256]}}
  %y = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x48xf32>) -> tensor<2x128xf32>
  return
}

// -----

func.func @result_rank(%x: tensor<2x7x48xf32>, %w: tensor<256x48xf32>) {
  // expected-error @+1 {{'ssmc.linear' op result is [14, 256], expected [2, 7, 256]}}
  %y = ssmc.linear %x, %w : (tensor<2x7x48xf32>, tensor<256x48xf32>) -> tensor<14x256xf32>
  return
}

// -----

func.func @mixed_operands(%x: tensor<2x48xf32>, %w: tensor<256x48xbf16>) {
  // expected-error @+1 {{'ssmc.linear' op mixes element types 'f32' and 'bf16'}}
  %y = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x48xbf16>) -> tensor<2x256xf32>
  return
}

// -----

func.func @mixed_result(%x: tensor<2x48xf32>, %w: tensor<256x48xf32>, %b: tensor<256xf32>) {
  // expected-error @+1 {{'ssmc.linear' op mixes element types 'f32' and 'f16'}}
  %y = ssmc.linear %x, %w, %b : (tensor<2x48xf32>, tensor<256x48xf32>, tensor<256xf32>) -> tensor<2x256xf16>
  return
}

// -----

func.func @dynamic_input(%x: tensor<?x48xf32>, %w: tensor<256x48xf32>) {
  // expected-error @+1 {{'ssmc.linear' op needs static shapes, got 'tensor<?x48xf32>'}}
  %y = ssmc.linear %x, %w : (tensor<?x48xf32>, tensor<256x48xf32>) -> tensor<2x256xf32>
  return
}

// -----

func.func @dynamic_result(%x: tensor<2x48xf32>, %w: tensor<256x48xf32>) {
  // expected-error @+1 {{'ssmc.linear' op needs static shapes, got 'tensor<2x?xf32>'}}
  %y = ssmc.linear %x, %w : (tensor<2x48xf32>, tensor<256x48xf32>) -> tensor<2x?xf32>
  return
}

// -----

func.func @integer_input(%x: tensor<2x48xi8>, %w: tensor<256x48xf32>) {
  // expected-error @+1 {{'ssmc.linear' op operand #0 must be ranked tensor of floats, but got 'tensor<2x48xi8>'}}
  %y = ssmc.linear %x, %w : (tensor<2x48xi8>, tensor<256x48xf32>) -> tensor<2x256xf32>
  return
}
