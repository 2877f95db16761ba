// KNOWN BUG: `eps <= 0` in SsmcOps.cpp is false for NaN, so layer_norm and
// rms_norm accept eps = NaN. Remove the XFAIL line once they refuse it.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @layer_norm(%x: tensor<2x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.layer_norm' op eps must be positive}}
  %y = ssmc.layer_norm %x, %w, %b eps 0x7FF8000000000000 : (tensor<2x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}

// -----

func.func @rms_norm(%x: tensor<2x48xf32>, %w: tensor<48xf32>) {
  // expected-error @+1 {{'ssmc.rms_norm' op eps must be positive}}
  %y = ssmc.rms_norm %x, %w eps 0x7FF8000000000000 : (tensor<2x48xf32>, tensor<48xf32>) -> tensor<2x48xf32>
  return
}
