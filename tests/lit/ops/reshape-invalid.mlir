// Every diagnostic of ssmc.reshape names both shapes and their element counts.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @element_count(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.reshape' op cannot reshape [2, 3] (6 elements) to [7] (7 elements)}}
  %r = ssmc.reshape %x : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @to_scalar(%x: tensor<2xf32>) {
  // expected-error @+1 {{'ssmc.reshape' op cannot reshape [2] (2 elements) to [] (1 elements)}}
  %r = ssmc.reshape %x : tensor<2xf32> -> tensor<f32>
  return
}

// -----

// Empty results are refused even when the element counts agree.
func.func @empty_result(%x: tensor<0x3xf32>) {
  // expected-error @+1 {{'ssmc.reshape' op cannot reshape [0, 3] (0 elements) to [3, 0] (0 elements)}}
  %r = ssmc.reshape %x : tensor<0x3xf32> -> tensor<3x0xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.reshape' op mixes element types 'f32' and 'bf16'}}
  %r = ssmc.reshape %x : tensor<2x3xf32> -> tensor<6xbf16>
  return
}

// -----

func.func @dynamic_input(%x: tensor<?x3xf32>) {
  // expected-error @+1 {{'ssmc.reshape' op needs static shapes, got 'tensor<?x3xf32>'}}
  %r = ssmc.reshape %x : tensor<?x3xf32> -> tensor<6xf32>
  return
}

// -----

func.func @dynamic_result(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.reshape' op needs static shapes, got 'tensor<?xf32>'}}
  %r = ssmc.reshape %x : tensor<2x3xf32> -> tensor<?xf32>
  return
}
