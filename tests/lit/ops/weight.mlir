// ssmc.weight: custom form, generic form, and back.
// RUN: ssmc-opt %s | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// CHECK-LABEL: func.func @state_dict_name(
// CHECK: %[[W:.*]] = ssmc.weight "stages.0.0.fc1.weight" : tensor<256x48xf32>
// CHECK: return %[[W]] : tensor<256x48xf32>
// GENERIC-LABEL: sym_name = "state_dict_name"
// GENERIC: "ssmc.weight"() <{name = "stages.0.0.fc1.weight"}> : () -> tensor<256x48xf32>
func.func @state_dict_name() -> tensor<256x48xf32> {
  %w = ssmc.weight "stages.0.0.fc1.weight" : tensor<256x48xf32>
  return %w : tensor<256x48xf32>
}

// A scalar parameter and other float types.
// CHECK-LABEL: func.func @scalar_and_half(
// CHECK: ssmc.weight "scale" : tensor<f32>
// CHECK: ssmc.weight "w16" : tensor<4x4xf16>
// CHECK: ssmc.weight "wbf16" : tensor<4xbf16>
func.func @scalar_and_half() -> (tensor<f32>, tensor<4x4xf16>, tensor<4xbf16>) {
  %s = ssmc.weight "scale" : tensor<f32>
  %h = ssmc.weight "w16" : tensor<4x4xf16>
  %b = ssmc.weight "wbf16" : tensor<4xbf16>
  return %s, %h, %b : tensor<f32>, tensor<4x4xf16>, tensor<4xbf16>
}

// Names are arbitrary strings; quotes are escaped and survive the round trip.
// Discardable attributes survive too.
// CHECK-LABEL: func.func @odd_names(
// CHECK: ssmc.weight "model.a\22b c" : tensor<2xf32>
// CHECK: ssmc.weight "w" {note = "kept"} : tensor<2xf32>
func.func @odd_names() -> (tensor<2xf32>, tensor<2xf32>) {
  %a = ssmc.weight "model.a\"b c" : tensor<2xf32>
  %b = ssmc.weight "w" {note = "kept"} : tensor<2xf32>
  return %a, %b : tensor<2xf32>, tensor<2xf32>
}

// Zero slices inserted (ssmc-align-hidden): the type is the padded shape.
// CHECK-LABEL: func.func @inserted_zeros(
// CHECK: ssmc.weight "fc2.weight" {inserted_zeros = array<i64: 1, 66, 6>} : tensor<40x112xf32>
// GENERIC-LABEL: sym_name = "inserted_zeros"
// GENERIC: "ssmc.weight"() <{inserted_zeros = array<i64: 1, 66, 6>, name = "fc2.weight"}> : () -> tensor<40x112xf32>
func.func @inserted_zeros() -> tensor<40x112xf32> {
  %w = ssmc.weight "fc2.weight" {inserted_zeros = array<i64: 1, 66, 6>} : tensor<40x112xf32>
  return %w : tensor<40x112xf32>
}
