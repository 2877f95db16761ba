// Every diagnostic of --ssmc-verify-model names the value at fault.
// RUN: ssmc-opt %s -split-input-file --ssmc-verify-model -verify-diagnostics

// expected-error @+1 {{argument #0 has no 'ssmc.name'}}
func.func @main(%x: tensor<2x3xf32>) -> (tensor<2x3xf32> {ssmc.name = "output"}) {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{argument #1 has no 'ssmc.name'}}
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}, %y: tensor<2x3xf32>) -> (tensor<2x3xf32> {ssmc.name = "output"}) {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{result #0 has no 'ssmc.name'}}
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> tensor<2x3xf32> {
  return %x : tensor<2x3xf32>
}

// -----

// expected-error @+1 {{result #1 has no 'ssmc.name'}}
func.func @main(%x: tensor<2x3xf32> {ssmc.name = "input"}) -> (tensor<2x3xf32> {ssmc.name = "output"}, tensor<2x3xf32>) {
  return %x, %x : tensor<2x3xf32>, tensor<2x3xf32>
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

// expected-error @+1 {{input 'x' needs a static shape}}
func.func @main(%x: tensor<?x3xf32> {ssmc.name = "x"}) -> (tensor<?x3xf32> {ssmc.name = "y"}) {
  return %x : tensor<?x3xf32>
}

// -----

// expected-error @+1 {{input 'x' needs a static shape}}
func.func @main(%x: f32 {ssmc.name = "x"}) -> (f32 {ssmc.name = "y"}) {
  return %x : f32
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

// The element type is part of a weight's type.
func.func @main(%x: tensor<3xf16> {ssmc.name = "input"}) -> (tensor<3xf16> {ssmc.name = "output"}) {
  %a = ssmc.weight "w" : tensor<3xf32>
  // expected-error @+1 {{weight 'w' is used as 'tensor<3xf16>' here and as 'tensor<3xf32>' elsewhere}}
  %b = ssmc.weight "w" : tensor<3xf16>
  %y = ssmc.add %x, %b : tensor<3xf16>, tensor<3xf16> -> tensor<3xf16>
  return %y : tensor<3xf16>
}

// -----

// expected-error @+1 {{a model needs a function @main (or exactly one function)}}
module {
  func.func @a(%x: tensor<2xf32> {ssmc.name = "x"}) -> (tensor<2xf32> {ssmc.name = "y"}) { return %x : tensor<2xf32> }
  func.func @b(%x: tensor<2xf32> {ssmc.name = "x"}) -> (tensor<2xf32> {ssmc.name = "y"}) { return %x : tensor<2xf32> }
}

// -----

// expected-error @+1 {{a model needs a function @main (or exactly one function)}}
module {
}

// -----

// Only the entry point is checked: @main's missing name is reported, not @helper's.
module {
  func.func @helper(%x: tensor<2xf32>) -> tensor<2xf32> { return %x : tensor<2xf32> }
  // expected-error @+1 {{result #0 has no 'ssmc.name'}}
  func.func @main(%x: tensor<2xf32> {ssmc.name = "x"}) -> tensor<2xf32> { return %x : tensor<2xf32> }
}

// -----

func.func private @dyn(tensor<2xf32>) -> tensor<?xf32>
// expected-error @+1 {{output 'output' needs a static shape}}
func.func @main(%x: tensor<2xf32> {ssmc.name = "input"}) -> (tensor<?xf32> {ssmc.name = "output"}) {
  %c = func.call @dyn(%x) : (tensor<2xf32>) -> tensor<?xf32>
  return %c : tensor<?xf32>
}

// -----

func.func private @ext(tensor<2xf32>) -> tensor<2xf32>
func.func @main(%x: tensor<2xf32> {ssmc.name = "input"}) -> (tensor<2xf32> {ssmc.name = "output"}) {
  // expected-error @+1 {{'func.call' is not an ssmc op: a model runs ssmc ops only}}
  %c = func.call @ext(%x) : (tensor<2xf32>) -> tensor<2xf32>
  return %c : tensor<2xf32>
}
