// Every diagnostic of ssmc.reduce_mean names the dims and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @descending(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op dims [2, 1] must be ascending axes of input [2, 3, 4]}}
  %r = ssmc.reduce_mean %x dims [2, 1] : tensor<2x3x4xf32> -> tensor<2xf32>
  return
}

// -----

func.func @repeated(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op dims [1, 1] must be ascending axes of input [2, 3, 4]}}
  %r = ssmc.reduce_mean %x dims [1, 1] : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @out_of_range(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op dims [1, 3] must be ascending axes of input [2, 3, 4]}}
  %r = ssmc.reduce_mean %x dims [1, 3] : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @negative(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op dims [-1] must be ascending axes of input [2, 3, 4]}}
  %r = ssmc.reduce_mean %x dims [-1] : tensor<2x3x4xf32> -> tensor<2x3xf32>
  return
}

// -----

// Without keepdim the reduced axes are dropped.
func.func @result_kept_dims(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op result is [2, 1, 4], expected [2, 4]}}
  %r = ssmc.reduce_mean %x dims [1] : tensor<2x3x4xf32> -> tensor<2x1x4xf32>
  return
}

// -----

// With keepdim they stay with size 1.
func.func @result_keepdim(%x: tensor<2x3x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op result is [2, 4], expected [2, 1, 4]}}
  %r = ssmc.reduce_mean %x dims [1] keepdim : tensor<2x3x4xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @mixed_types(%x: tensor<2x3x4xf16>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op mixes element types 'f16' and 'f32'}}
  %r = ssmc.reduce_mean %x dims [1] : tensor<2x3x4xf16> -> tensor<2x4xf32>
  return
}

// -----

func.func @dynamic(%x: tensor<2x?x4xf32>) {
  // expected-error @+1 {{'ssmc.reduce_mean' op needs static shapes, got 'tensor<2x?x4xf32>'}}
  %r = ssmc.reduce_mean %x dims [1] : tensor<2x?x4xf32> -> tensor<2x4xf32>
  return
}
