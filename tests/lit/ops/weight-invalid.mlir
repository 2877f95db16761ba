// Every diagnostic of ssmc.weight.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @empty_name() {
  // expected-error @+1 {{'ssmc.weight' op needs a non-empty parameter name}}
  %w = ssmc.weight "" : tensor<2xf32>
  return
}

// -----

func.func @dynamic_shape() {
  // expected-error @+1 {{'ssmc.weight' op needs static shapes, got 'tensor<?x48xf32>'}}
  %w = ssmc.weight "w" : tensor<?x48xf32>
  return
}

// -----

func.func @integer_tensor() {
  // expected-error @+1 {{'ssmc.weight' op result #0 must be ranked tensor of floats, but got 'tensor<2xi32>'}}
  %w = ssmc.weight "w" : tensor<2xi32>
  return
}

// -----

func.func @unranked() {
  // expected-error @+1 {{'ssmc.weight' op result #0 must be ranked tensor of floats, but got 'tensor<*xf32>'}}
  %w = "ssmc.weight"() <{name = "w"}> : () -> tensor<*xf32>
  return
}

// -----

func.func @no_name() {
  // expected-error @+1 {{'ssmc.weight' op requires attribute 'name'}}
  %w = "ssmc.weight"() : () -> tensor<2xf32>
  return
}

// -----

func.func @stored_as_not_a_permutation() {
  // expected-error @+1 {{'ssmc.weight' op stored_as must be a permutation of the 4 axes of its tensor}}
  %w = ssmc.weight "w" {stored_as = array<i64: 0, 2, 2, 1>} : tensor<8x4x3x3xf32>
  return
}

// -----

func.func @stored_as_wrong_rank() {
  // expected-error @+1 {{'ssmc.weight' op stored_as must be a permutation of the 4 axes of its tensor}}
  %w = ssmc.weight "w" {stored_as = array<i64: 1, 0>} : tensor<8x4x3x3xf32>
  return
}

// -----

func.func @row_pitch_shorter_than_a_row() {
  // expected-error @+1 {{'ssmc.weight' op row_pitch 40 is shorter than a row (42 elements)}}
  %w = ssmc.weight "w" {row_pitch = 40 : i64} : tensor<16x42xf32>
  return
}

// -----

func.func @row_pitch_with_stored_as() {
  // expected-error @+1 {{'ssmc.weight' op row_pitch needs a tensor of rank 1 or more, and no stored_as}}
  %w = ssmc.weight "w" {row_pitch = 48 : i64, stored_as = array<i64: 1, 0>} : tensor<16x42xf32>
  return
}

// -----

func.func @inserted_zeros_without_a_count() {
  // expected-error @+1 {{'ssmc.weight' op inserted_zeros must be [axis, at, count, ...] with places ascending and counts above 0}}
  %w = ssmc.weight "w" {inserted_zeros = array<i64: 0, 3>} : tensor<16x42xf32>
  return
}

// -----

func.func @inserted_zeros_places_descending() {
  // expected-error @+1 {{'ssmc.weight' op inserted_zeros must be [axis, at, count, ...] with places ascending and counts above 0}}
  %w = ssmc.weight "w" {inserted_zeros = array<i64: 0, 8, 2, 3, 2>} : tensor<16x42xf32>
  return
}

// -----

func.func @inserted_zeros_axis_out_of_range() {
  // expected-error @+1 {{'ssmc.weight' op inserted_zeros must be [axis, at, count, ...] with places ascending and counts above 0}}
  %w = ssmc.weight "w" {inserted_zeros = array<i64: 2, 0, 2>} : tensor<16x42xf32>
  return
}

// -----

func.func @inserted_zeros_past_the_checkpoint() {
  // expected-error @+1 {{'ssmc.weight' op inserted_zeros places lie past the checkpoint's 12 slices}}
  %w = ssmc.weight "w" {inserted_zeros = array<i64: 0, 13, 4>} : tensor<16x42xf32>
  return
}
