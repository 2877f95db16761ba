// Every diagnostic of ssmc.selective_scan names the operand at fault and both shapes.
// RUN: ssmc-opt %s -split-input-file -verify-diagnostics

func.func @u_rank(%u: tensor<2x8xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op u must be [B, D, L], got [2, 8]}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8xf32>, tensor<2x8xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @delta(%u: tensor<2x8x10xf32>, %d: tensor<2x8x11xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op delta is [2, 8, 11], expected [2, 8, 10] like u}}
  %o, %h = ssmc.selective_scan %u, %d, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x11xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

// delta in [B, L, D] order is caught.
func.func @delta_transposed(%u: tensor<2x8x10xf32>, %d: tensor<2x10x8xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op delta is [2, 10, 8], expected [2, 8, 10] like u}}
  %o, %h = ssmc.selective_scan %u, %d, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x10x8xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @A_channels(%u: tensor<2x8x10xf32>, %A: tensor<6x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op A is [6, 4], expected [8, N] (D = 8 channels of u [2, 8, 10])}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<6x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @A_rank(%u: tensor<2x8x10xf32>, %A: tensor<8x4x1xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op A is [8, 4, 1], expected [8, N] (D = 8 channels of u [2, 8, 10])}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4x1xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @B_state(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x5x10xf32>, %C: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op B is [2, 5, 10], expected [2, 4, 10] (batch and length of u [2, 8, 10], d_state 4 of A [8, 4])}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %C : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x5x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @B_rank(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<4x10xf32>, %C: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op B is [4, 10], expected [2, 4, 10] (batch and length of u [2, 8, 10], d_state 4 of A [8, 4])}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %C : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @C_batch(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %C: tensor<1x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op C is [1, 4, 10], expected [2, 4, 10] (batch and length of u [2, 8, 10], d_state 4 of A [8, 4])}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %C : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<1x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

// C in [B, L, N] order is caught.
func.func @C_transposed(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %C: tensor<2x10x4xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op C is [2, 10, 4], expected [2, 4, 10] (batch and length of u [2, 8, 10], d_state 4 of A [8, 4])}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %C : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x10x4xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @D(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %D: tensor<4xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op D is [4], expected [8]}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B D %D : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<4xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @z(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %z: tensor<2x8x9xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op z is [2, 8, 9], expected [2, 8, 10]}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B z %z : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<2x8x9xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @delta_bias(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %db: tensor<7xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op delta_bias is [7], expected [8]}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B delta_bias %db delta_softplus : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<7xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

// The optional operands are checked in the presence of the others.
func.func @delta_bias_with_D_and_z(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %D: tensor<8xf32>, %db: tensor<1x8xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op delta_bias is [1, 8], expected [8]}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B D %D z %u delta_bias %db reverse : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<8xf32>, tensor<2x8x10xf32>, tensor<1x8xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @result_out(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op result 'out' is [2, 10, 8], expected [2, 8, 10]}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x10x8xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @result_last_state(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op result 'last_state' is [2, 8, 16], expected [2, 8, 4]}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x16xf32>)
  return
}

// -----

func.func @mixed_operands(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>, %D: tensor<8xf16>) {
  // expected-error @+1 {{'ssmc.selective_scan' op mixes element types 'f32' and 'f16'}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B D %D : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>, tensor<8xf16>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @mixed_results(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op mixes element types 'f32' and 'f64'}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf64>)
  return
}

// -----

func.func @dynamic(%u: tensor<2x8x?xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op needs static shapes, got 'tensor<2x8x?xf32>'}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x?xf32>, tensor<2x8x?xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @dynamic_state(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{'ssmc.selective_scan' op needs static shapes, got 'tensor<2x8x?xf32>'}}
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x?xf32>)
  return
}

// -----

// Channels-last is checked as its [B, D, L] transpose: B must be [B, L, N].
func.func @channels_last_b(%u: tensor<2x10x8xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{(channels_last, checked as its [B, D, L] transpose)}}
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B channels_last : (tensor<2x10x8xf32>, tensor<2x10x8xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x10x8xf32>, tensor<2x8x4xf32>)
  return
}

// -----

// The tiling must state the shared memory its chunk stages.
func.func @tiling_smem(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{tiling smem_bytes 100 is not what a chunk of 10 steps stages (1024 bytes)}}
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B {tiling = #ssmc.scan_tiling<chunk = 10, channels = 8, smem_bytes = 100>} : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @tiling_channels(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{scan_tiling needs chunk >= 1, channels >= 1, splits >= 1, channels x splits <= 1024 (threads per block), row_bytes >= 0 and smem_bytes >= 0, got chunk 10, channels 0, splits 1, row_bytes 0, smem_bytes 320}}
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B {tiling = #ssmc.scan_tiling<chunk = 10, channels = 0, smem_bytes = 320>} : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

func.func @tiling_threads(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{got chunk 1, channels 64, splits 32, row_bytes 0, smem_bytes 0}}
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B {tiling = #ssmc.scan_tiling<chunk = 1, channels = 64, splits = 32, smem_bytes = 0>} : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

// With splits, the parts' staged chunks and each (channel, part)'s carry:
// 4 parts x 2 x (4 x 3 -> 32 + 4) floats + 8 x 4 x (4 + 1) floats = 1792 bytes.
func.func @tiling_split_smem(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{tiling smem_bytes 320 is not what a chunk of 3 steps stages in 4 parts of 8 channels (2560 bytes)}}
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B {tiling = #ssmc.scan_tiling<chunk = 3, channels = 8, splits = 4, smem_bytes = 320>} : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}

// -----

// Rows are staged only where B and C are columns of one group input.
func.func @tiling_rows(%u: tensor<2x8x10xf32>, %A: tensor<8x4xf32>, %B: tensor<2x4x10xf32>) {
  // expected-error @+1 {{tiling row_bytes 64, but B, C and dt_proj's inputs are not columns of one kernel group input [batch, length, P] (drop row_bytes to stage values)}}
  %out, %h = ssmc.selective_scan %u, %u, %A, %B, %B {tiling = #ssmc.scan_tiling<chunk = 10, channels = 8, row_bytes = 64, smem_bytes = 1344>} : (tensor<2x8x10xf32>, tensor<2x8x10xf32>, tensor<8x4xf32>, tensor<2x4x10xf32>, tensor<2x4x10xf32>) -> (tensor<2x8x10xf32>, tensor<2x8x4xf32>)
  return
}
