// Every diagnostic of ssmc.slice names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @axis_out_of_range(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op axis 2 is not an axis of input [2, 6] and result [2, 3]}}
  %r = ssmc.slice %x axis 2 start 0 : tensor<2x6xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @result_rank(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op axis 1 is not an axis of input [2, 6] and result [2, 3, 1]}}
  %r = ssmc.slice %x axis 1 start 0 : tensor<2x6xf32> -> tensor<2x3x1xf32>
  return
}

// -----

func.func @past_the_end(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op range [4, 7) is outside [0, 6) on axis 1 of input [2, 6]}}
  %r = ssmc.slice %x axis 1 start 4 : tensor<2x6xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @negative_start(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op range [-1, 2) is outside [0, 6) on axis 1 of input [2, 6]}}
  %r = ssmc.slice %x axis 1 start -1 : tensor<2x6xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @larger_than_input(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op range [0, 3) is outside [0, 2) on axis 0 of input [2, 6]}}
  %r = ssmc.slice %x axis 0 start 0 : tensor<2x6xf32> -> tensor<3x6xf32>
  return
}

// -----

func.func @result_outside_axis(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op result is [3, 3], expected [2, 3]}}
  %r = ssmc.slice %x axis 1 start 0 : tensor<2x6xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op mixes element types 'f32' and 'bf16'}}
  %r = ssmc.slice %x axis 1 start 0 : tensor<2x6xf32> -> tensor<2x3xbf16>
  return
}

// -----

func.func @dynamic(%x: tensor<?x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op needs static shapes, got 'tensor<?x6xf32>'}}
  %r = ssmc.slice %x axis 1 start 0 : tensor<?x6xf32> -> tensor<2x3xf32>
  return
}
