// The pipeline starts with --ssmc-verify-model: an invalid model stops it.
// RUN: ssmc-opt %s --ssmc-default-pipeline -verify-diagnostics

// expected-error @+1 {{argument #0 has no 'ssmc.name'}}
func.func @main(%x: tensor<2x3xf32>) -> (tensor<2x3xf32> {ssmc.name = "output"}) {
  %unused = ssmc.gelu %x : tensor<2x3xf32>
  return %x : tensor<2x3xf32>
}
