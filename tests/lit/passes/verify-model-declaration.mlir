// KNOWN BUG: --ssmc-verify-model crashes (segfault in VerifyModelPass::checkNames,
// f.getArgument(i) on a function without a body) when the entry point is a
// declaration. It should fail with a diagnostic instead. Remove the XFAIL line
// once it does.
// RUN: not ssmc-opt %s --ssmc-verify-model 2>&1 | FileCheck %s
// CHECK: error:

func.func private @main(%x: tensor<2xf32> {ssmc.name = "x"}) -> (tensor<2xf32> {ssmc.name = "y"})
