// Every diagnostic of ssmc.split names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @axis_out_of_range(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op axis 2 is not an axis of input [2, 6]}}
  %r = ssmc.split %x axis 2 : tensor<2x6xf32> -> tensor<2x6xf32>
  return
}

// -----

func.func @no_results(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op needs at least one result}}
  "ssmc.split"(%x) <{axis = 1 : i64}> : (tensor<2x6xf32>) -> ()
  return
}

// -----

func.func @result_rank(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op result [2, 3, 1] has another rank than input [2, 6]}}
  %r:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<2x3x1xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @sizes_too_large(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op part sizes [4, 4] add up to 8 but input [2, 6] has 6 on axis 1}}
  %r:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<2x4xf32>, tensor<2x4xf32>
  return
}

// -----

func.func @sizes_too_small(%x: tensor<1x7x7x256xf32>) {
  // expected-error @+1 {{'ssmc.split' op part sizes [128, 80] add up to 208 but input [1, 7, 7, 256] has 256 on axis 3}}
  %r:2 = ssmc.split %x axis 3 : tensor<1x7x7x256xf32> -> tensor<1x7x7x128xf32>, tensor<1x7x7x80xf32>
  return
}

// -----

func.func @first_part_outside_axis(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op result #0 is [3, 3], expected [2, 3]}}
  %r:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<3x3xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @last_part_outside_axis(%x: tensor<2x6x5xf32>) {
  // expected-error @+1 {{'ssmc.split' op result #2 is [2, 1, 4], expected [2, 1, 5]}}
  %r:3 = ssmc.split %x axis 1 : tensor<2x6x5xf32> -> tensor<2x2x5xf32>, tensor<2x3x5xf32>, tensor<2x1x4xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op mixes element types 'f32' and 'f16'}}
  %r:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<2x3xf16>
  return
}

// -----

func.func @dynamic(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op needs static shapes, got 'tensor<2x?xf32>'}}
  %r:2 = ssmc.split %x axis 1 : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<2x?xf32>
  return
}
