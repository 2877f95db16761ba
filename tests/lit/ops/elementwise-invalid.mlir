// Every diagnostic of the elementwise ops.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @add_no_broadcast(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
  // expected-error @+1 {{'ssmc.add' op shapes [2, 3] and [4, 3] do not broadcast (dimension 1 from the right is 2 vs 4)}}
  %r = ssmc.add %a, %b : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @mul_no_broadcast(%a: tensor<2x7x7x48xf32>, %b: tensor<96xf32>) {
  // expected-error @+1 {{'ssmc.mul' op shapes [2, 7, 7, 48] and [96] do not broadcast (dimension 0 from the right is 48 vs 96)}}
  %r = ssmc.mul %a, %b : tensor<2x7x7x48xf32>, tensor<96xf32> -> tensor<2x7x7x48xf32>
  return
}

// -----

// Broadcasting aligns on the right: a leading vector does not match.
func.func @add_left_aligned(%a: tensor<2x3xf32>, %b: tensor<2xf32>) {
  // expected-error @+1 {{'ssmc.add' op shapes [2, 3] and [2] do not broadcast (dimension 0 from the right is 3 vs 2)}}
  %r = ssmc.add %a, %b : tensor<2x3xf32>, tensor<2xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @add_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'ssmc.add' op result is [3], expected [2, 3]}}
  %r = ssmc.add %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<3xf32>
  return
}

// -----

// The result takes the stretched sizes of both operands.
func.func @mul_result(%a: tensor<2x1xf32>, %b: tensor<1x3xf32>) {
  // expected-error @+1 {{'ssmc.mul' op result is [2, 1], expected [2, 3]}}
  %r = ssmc.mul %a, %b : tensor<2x1xf32>, tensor<1x3xf32> -> tensor<2x1xf32>
  return
}

// -----

func.func @add_mixed(%a: tensor<2x3xf32>, %b: tensor<3xf16>) {
  // expected-error @+1 {{'ssmc.add' op mixes element types 'f32' and 'f16'}}
  %r = ssmc.add %a, %b : tensor<2x3xf32>, tensor<3xf16> -> tensor<2x3xf32>
  return
}

// -----

func.func @mul_mixed_result(%a: tensor<2x3xbf16>, %b: tensor<2x3xbf16>) {
  // expected-error @+1 {{'ssmc.mul' op mixes element types 'bf16' and 'f32'}}
  %r = ssmc.mul %a, %b : tensor<2x3xbf16>, tensor<2x3xbf16> -> tensor<2x3xf32>
  return
}

// -----

func.func @add_dynamic(%a: tensor<?x3xf32>, %b: tensor<3xf32>) {
  // expected-error @+1 {{'ssmc.add' op needs static shapes, got 'tensor<?x3xf32>'}}
  %r = ssmc.add %a, %b : tensor<?x3xf32>, tensor<3xf32> -> tensor<?x3xf32>
  return
}

// -----

func.func @mul_dynamic(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.mul' op needs static shapes, got 'tensor<2x?xf32>'}}
  %r = ssmc.mul %a, %b : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x?xf32>
  return
}

// -----

func.func @add_integer(%a: tensor<2x3xi32>, %b: tensor<2x3xi32>) {
  // expected-error @+1 {{'ssmc.add' op operand #0 must be ranked tensor of floats, but got 'tensor<2x3xi32>'}}
  %r = ssmc.add %a, %b : tensor<2x3xi32>, tensor<2x3xi32> -> tensor<2x3xi32>
  return
}

// -----

// The unary ops keep their operand's type; only the generic form can say otherwise.
func.func @gelu_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.gelu' op requires the same type for all operands and results}}
  %r = "ssmc.gelu"(%x) : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return
}

// -----

func.func @silu_type(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.silu' op requires the same type for all operands and results}}
  %r = "ssmc.silu"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf16>
  return
}

// -----

func.func @softplus_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.softplus' op requires the same type for all operands and results}}
  %r = "ssmc.softplus"(%x) : (tensor<2x3xf32>) -> tensor<6xf32>
  return
}

// -----

func.func @exp_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.exp' op requires the same type for all operands and results}}
  %r = "ssmc.exp"(%x) : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return
}

// -----

func.func @neg_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.neg' op requires the same type for all operands and results}}
  %r = "ssmc.neg"(%x) : (tensor<2x3xf32>) -> tensor<2x3x1xf32>
  return
}

// -----

func.func @scale_shape(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.scale' op requires the same type for all operands and results}}
  %r = "ssmc.scale"(%x) <{factor = 2.0 : f64}> : (tensor<2x3xf32>) -> tensor<3xf32>
  return
}

// -----

func.func @scale_no_factor(%x: tensor<2x3xf32>) {
  // expected-error @+1 {{'ssmc.scale' op requires attribute 'factor'}}
  %r = "ssmc.scale"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return
}

// -----

func.func @gelu_integer(%x: tensor<2x3xi32>) {
  // expected-error @+1 {{'ssmc.gelu' op operand #0 must be ranked tensor of floats, but got 'tensor<2x3xi32>'}}
  %r = ssmc.gelu %x : tensor<2x3xi32>
  return
}

// -----

func.func @exp_unranked(%x: tensor<*xf32>) {
  // expected-error @+1 {{'ssmc.exp' op operand #0 must be ranked tensor of floats, but got 'tensor<*xf32>'}}
  %r = "ssmc.exp"(%x) : (tensor<*xf32>) -> tensor<*xf32>
  return
}
