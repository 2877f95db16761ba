// ssmc.concat: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// The Gated CNN block joins the identity and conv channels.
// CHECK-LABEL: func.func @two_inputs(
// CHECK-SAME: %[[A:[^:]*]]: tensor<2x7x7x80xf32>, %[[B:[^:]*]]: tensor<2x7x7x48xf32>
// CHECK: %[[C:.*]] = ssmc.concat %[[A]], %[[B]] axis 3 : (tensor<2x7x7x80xf32>, tensor<2x7x7x48xf32>) -> tensor<2x7x7x128xf32>
// CHECK: return %[[C]]
// GENERIC-LABEL: sym_name = "two_inputs"
// GENERIC: "ssmc.concat"(%{{[^,]*}}, %{{[^,]*}}) <{axis = 3 : i64}> : (tensor<2x7x7x80xf32>, tensor<2x7x7x48xf32>) -> tensor<2x7x7x128xf32>
func.func @two_inputs(%a: tensor<2x7x7x80xf32>, %b: tensor<2x7x7x48xf32>) -> tensor<2x7x7x128xf32> {
  %c = ssmc.concat %a, %b axis 3 : (tensor<2x7x7x80xf32>, tensor<2x7x7x48xf32>) -> tensor<2x7x7x128xf32>
  return %c : tensor<2x7x7x128xf32>
}

// Vim inserts the class token in the middle of the patch tokens: three inputs, axis 1.
// CHECK-LABEL: func.func @class_token(
// CHECK-SAME: %[[L:[^:]*]]: tensor<1x98x192xf32>, %[[T:[^:]*]]: tensor<1x1x192xf32>, %[[R:[^:]*]]: tensor<1x98x192xf32>
// CHECK: ssmc.concat %[[L]], %[[T]], %[[R]] axis 1 : (tensor<1x98x192xf32>, tensor<1x1x192xf32>, tensor<1x98x192xf32>) -> tensor<1x197x192xf32>
func.func @class_token(%l: tensor<1x98x192xf32>, %t: tensor<1x1x192xf32>, %r: tensor<1x98x192xf32>) -> tensor<1x197x192xf32> {
  %c = ssmc.concat %l, %t, %r axis 1 : (tensor<1x98x192xf32>, tensor<1x1x192xf32>, tensor<1x98x192xf32>) -> tensor<1x197x192xf32>
  return %c : tensor<1x197x192xf32>
}

// One input, the same value twice, axis 0.
// CHECK-LABEL: func.func @degenerate(
// CHECK-SAME: %[[X:[^:]*]]: tensor<2x3xf16>
// CHECK: ssmc.concat %[[X]] axis 0 : (tensor<2x3xf16>) -> tensor<2x3xf16>
// CHECK: ssmc.concat %[[X]], %[[X]] axis 0 : (tensor<2x3xf16>, tensor<2x3xf16>) -> tensor<4x3xf16>
func.func @degenerate(%x: tensor<2x3xf16>) -> (tensor<2x3xf16>, tensor<4x3xf16>) {
  %a = ssmc.concat %x axis 0 : (tensor<2x3xf16>) -> tensor<2x3xf16>
  %b = ssmc.concat %x, %x axis 0 : (tensor<2x3xf16>, tensor<2x3xf16>) -> tensor<4x3xf16>
  return %a, %b : tensor<2x3xf16>, tensor<4x3xf16>
}
