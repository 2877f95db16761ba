// RUN: ssmc-opt %s -split-input-file --ssmc-verify-model -verify-diagnostics

// expected-error @+1 {{argument #0 has no 'ssmc.name'}}
func.func @main(%x: tensor<2x3xf32>) -> (tensor<2x3xf32> {ssmc.name = "output"}) {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{result #0 has no 'ssmc.name'}}
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{two inputs are named 'input'}}
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}, %y: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x3xf32> {ssmc.name = "output"}) {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{two outputs are named 'output'}}
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x3xf32> {ssmc.name = "output"}, tensor<2x3xf32> {ssmc.name = "output"}) {
  return %x, %x : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// expected-error @+1 {{a model needs at least one output}}
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) {
  return
}

// -----

func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x3xf32> {ssmc.name = "output"}) {
  %a = ssmc.weight "w" : tensor<3xf32>
  // expected-error @+1 {{weight 'w' is used as 'tensor<2x3xf32>' here and as 'tensor<3xf32>' elsewhere}}
  %b = ssmc.weight "w" : tensor<2x3xf32>
  %y = ssmc.add %x, %a : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %z = ssmc.add %y, %b : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  return %z : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{a model needs a function @main (or exactly one function)}}
module {
  func.func @a(%x: tensor<2xf32>) -> tensor<2xf32> { return %x : tensor<2xf32> }
  func.func @b(%x: tensor<2xf32>) -> tensor<2xf32> { return %x : tensor<2xf32> }
}
