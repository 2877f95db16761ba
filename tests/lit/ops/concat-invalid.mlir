// Every diagnostic of ssmc.concat names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @no_inputs() {
  // expected-error @+1 {{'ssmc.concat' op needs at least one input}}
  %r = ssmc.concat axis 0 : () -> tensor<2xf32>
  return
}

// -----

func.func @axis_out_of_range(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.concat' op axis 2 is out of range for input [2, 3]}}
  %r = ssmc.concat %a, %b axis 2 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @rank(%a: tensor<2x3xf32>, %b: tensor<2x3x1xf32>) {
  // expected-error @+1 {{'ssmc.concat' op input #1 [2, 3, 1] has another rank than input #0 [2, 3]}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<2x3x1xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @outside_axis(%a: tensor<2x3xf32>, %b: tensor<3x3xf32>) {
  // expected-error @+1 {{'ssmc.concat' op input #1 [3, 3] differs from input #0 [2, 3] outside axis 1}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x6xf32>
  return
}

// -----

func.func @third_input(%a: tensor<1x98x192xf32>, %t: tensor<1x1x192xf32>, %b: tensor<1x98x96xf32>) {
  // expected-error @+1 {{'ssmc.concat' op input #2 [1, 98, 96] differs from input #0 [1, 98, 192] outside axis 1}}
  %r = ssmc.concat %a, %t, %b axis 1 : (tensor<1x98x192xf32>, tensor<1x1x192xf32>, tensor<1x98x96xf32>) -> tensor<1x197x192xf32>
  return
}

// -----

func.func @result(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.concat' op result is [2, 5], expected [2, 6]}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x5xf32>
  return
}

// -----

func.func @result_wrong_axis(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.concat' op result is [4, 3], expected [2, 6]}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  return
}

// -----

func.func @mixed_types(%a: tensor<2x3xf32>, %b: tensor<2x3xf16>) {
  // expected-error @+1 {{'ssmc.concat' op mixes element types 'f32' and 'f16'}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<2x3xf16>) -> tensor<2x6xf32>
  return
}

// -----

func.func @dynamic(%a: tensor<2x3xf32>, %b: tensor<2x?xf32>) {
  // expected-error @+1 {{'ssmc.concat' op needs static shapes, got 'tensor<2x?xf32>'}}
  %r = ssmc.concat %a, %b axis 1 : (tensor<2x3xf32>, tensor<2x?xf32>) -> tensor<2x6xf32>
  return
}
