// Every diagnostic of ssmc.flip.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @axis_out_of_range(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.flip' op axis 2 is out of range for input [2, 3]}}
  %r = ssmc.flip %x axis 2 : tensor<2x3xf32>
  return
}

// -----

func.func @scalar(%x: tensor<f32>) {
  // expected-error @+1 {{'ssmc.flip' op axis 0 is out of range for input []}}
  %r = ssmc.flip %x axis 0 : tensor<f32>
  return
}

// -----

// The result is the operand's type; only the generic form can say otherwise.
func.func @result_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.flip' op requires the same type for all operands and results}}
  %r = "ssmc.flip"(%x) <{axis = 0 : i64}> : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @result_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.flip' op requires the same type for all operands and results}}
  %r = "ssmc.flip"(%x) <{axis = 0 : i64}> : (tensor<2x3xf32>) -> tensor<2x3xf16>
  return
}

// -----

func.func @dynamic(%x: tensor<2x?xf32>) {
  // expected-error @+1 {{'ssmc.flip' op needs static shapes, got 'tensor<2x?xf32>'}}
  %r = ssmc.flip %x axis 0 : tensor<2x?xf32>
  return
}
