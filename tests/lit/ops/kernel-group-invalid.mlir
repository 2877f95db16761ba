// Every diagnostic of ssmc.kernel_group and ssmc.yield.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @argument_count(%x: tensor<2xf32>) {
  // expected-error @+1 {{'ssmc.kernel_group' op has 1 inputs but its region takes 2 arguments}}
  %g = ssmc.kernel_group "g"(%x) : (tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>, %b: tensor<2xf32>):
    ssmc.yield %a : tensor<2xf32>
  }
  return
}

// -----

func.func @argument_type(%x: tensor<2xf32>, %y: tensor<3xf32>) {
  // expected-error @+1 {{'ssmc.kernel_group' op input #1 is 'tensor<3xf32>' but region argument #1 is 'tensor<4xf32>'}}
  %g = ssmc.kernel_group "g"(%x, %y) : (tensor<2xf32>, tensor<3xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>, %b: tensor<4xf32>):
    ssmc.yield %a : tensor<2xf32>
  }
  return
}

// -----

func.func @yield_type(%x: tensor<2xf32>) {
  // expected-error @+1 {{'ssmc.kernel_group' op yields 'tensor<2xf32>' as result #0, which is 'tensor<3xf32>'}}
  %g = ssmc.kernel_group "g"(%x) : (tensor<2xf32>) -> tensor<3xf32> {
  ^bb0(%a: tensor<2xf32>):
    ssmc.yield %a : tensor<2xf32>
  }
  return
}

// -----

func.func @yield_count(%x: tensor<2xf32>) {
  // expected-error @+1 {{'ssmc.kernel_group' op yields 1 values but has 2 results}}
  %g:2 = ssmc.kernel_group "g"(%x) : (tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  ^bb0(%a: tensor<2xf32>):
    ssmc.yield %a : tensor<2xf32>
  }
  return
}

// -----

func.func @nested(%x: tensor<2xf32>) {
  %g = ssmc.kernel_group "outer"(%x) : (tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>):
    // expected-error @+1 {{'ssmc.kernel_group' op kernel groups do not nest}}
    %h = ssmc.kernel_group "inner"(%a) : (tensor<2xf32>) -> tensor<2xf32> {
    ^bb0(%b: tensor<2xf32>):
      ssmc.yield %b : tensor<2xf32>
    }
    ssmc.yield %h : tensor<2xf32>
  }
  return
}

// -----

// Activations come in through the region arguments only.
func.func @isolated(%x: tensor<2xf32>) {
  // expected-note @+1 {{required by region isolation constraints}}
  %g = ssmc.kernel_group "g"() : () -> tensor<2xf32> {
    // expected-error @+1 {{'ssmc.gelu' op using value defined outside the region}}
    %y = ssmc.gelu %x : tensor<2xf32>
    ssmc.yield %y : tensor<2xf32>
  }
  return
}

// -----

func.func @yield_outside(%x: tensor<2xf32>) {
  // expected-error @+1 {{'ssmc.yield' op expects parent op 'ssmc.kernel_group'}}
  "ssmc.yield"(%x) : (tensor<2xf32>) -> ()
}

// -----

func.func @body_verified(%x: tensor<2x3xf32>) {
  %g = ssmc.kernel_group "g"(%x) : (tensor<2x3xf32>) -> tensor<2x3xf32> {
  ^bb0(%a: tensor<2x3xf32>):
    // expected-error @+1 {{'ssmc.flip' op axis 2 is out of range for input [2, 3]}}
    %f = ssmc.flip %a axis 2 : tensor<2x3xf32>
    ssmc.yield %f : tensor<2x3xf32>
  }
  return
}

// -----

func.func @unnamed(%x: tensor<2xf32>) {
  // expected-error @+1 {{'ssmc.kernel_group' op needs a name (g<NN>_<ops it fuses>)}}
  %g = ssmc.kernel_group ""(%x) : (tensor<2xf32>) -> tensor<2xf32> {
  ^bb0(%a: tensor<2xf32>):
    ssmc.yield %a : tensor<2xf32>
  }
  return
}
