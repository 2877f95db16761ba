// Every diagnostic of ssmc.permute names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @too_short(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.permute' op permutation [1, 0] has 2 entries but input [2, 3, 4] has rank 3}}
  %r = ssmc.permute %x [1, 0] : tensor<2x3x4xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @too_long(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.permute' op permutation [1, 0, 2] has 3 entries but input [2, 3] has rank 2}}
  %r = ssmc.permute %x [1, 0, 2] : tensor<2x3xf32> -> tensor<3x2xf32>
  return
}

// -----

func.func @repeated(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.permute' op [0, 0, 1] is not a permutation of 0..2}}
  %r = ssmc.permute %x [0, 0, 1] : tensor<2x3x4xf32> -> tensor<2x2x3xf32>
  return
}

// -----

func.func @out_of_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.permute' op [0, 3, 1] is not a permutation of 0..2}}
  %r = ssmc.permute %x [0, 3, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  return
}

// -----

func.func @negative(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.permute' op [0, -1, 1] is not a permutation of 0..2}}
  %r = ssmc.permute %x [0, -1, 1] : tensor<2x3x4xf32> -> tensor<2x4x3xf32>
  return
}

// -----

// [2, 0, 1] gives [4, 2, 3]; [4, 3, 2] would be the inverse's shape.
func.func @result(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.permute' op result is [4, 3, 2], expected [4, 2, 3]}}
  %r = ssmc.permute %x [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x3x2xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.permute' op mixes element types 'f32' and 'f16'}}
  %r = ssmc.permute %x [1, 0] : tensor<2x3xf32> -> tensor<3x2xf16>
  return
}

// -----

func.func @dynamic(%x: tensor<2x?xf32>) {
  // expected-error @+1 {{'ssmc.permute' op needs static shapes, got 'tensor<2x?xf32>'}}
  %r = ssmc.permute %x [1, 0] : tensor<2x?xf32> -> tensor<3x2xf32>
  return
}
