// KNOWN BUG: negative axes slip through the verifiers. `I64Attr` getters
// return uint64_t, so `getAxis() < 0` in SsmcOps.cpp is never true: flip,
// concat and split accept axis -1 (the interpreter then indexes shapes with
// it), and slice and split print the axis as 18446744073709551615.
// These are the diagnostics SsmcOps.cpp means to give; remove the XFAIL line
// once they do.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @flip(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.flip' op axis must be non-negative, got -1}}
  %r = ssmc.flip %x axis -1 : tensor<2x6xf32>
  return
}

// -----

func.func @concat(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.concat' op axis must be non-negative, got -1}}
  %r = ssmc.concat %x, %x axis -1 : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x12xf32>
  return
}

// -----

func.func @split(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op axis -1 is not an axis of input [2, 6]}}
  %r:2 = ssmc.split %x axis -1 : tensor<2x6xf32> -> tensor<2x3xf32>, tensor<2x3xf32>
  return
}

// -----

func.func @split_out_of_range(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.split' op axis -3 is not an axis of input [2, 6]}}
  %r = ssmc.split %x axis -3 : tensor<2x6xf32> -> tensor<2x6xf32>
  return
}

// -----

func.func @slice(%x: tensor<2x6xf32>) {
  // expected-error @+1 {{'ssmc.slice' op axis -1 is not an axis of input [2, 6] and result [2, 3]}}
  %r = ssmc.slice %x axis -1 start 0 : tensor<2x6xf32> -> tensor<2x3xf32>
  return
}
