// RUN: ssmc-opt %s --ssmc-tile-scan="sms=1 splits=1" --split-input-file | FileCheck %s
// RUN: ssmc-opt %s --ssmc-tile-scan="chunk=16 channels=4 arch=sm_80 sms=1 splits=1" | FileCheck %s --check-prefix=SMALL
// RUN: not ssmc-opt %s --ssmc-tile-scan="chunk=2048 channels=256 sms=1 splits=1" 2>&1 | FileCheck %s --check-prefix=TOOBIG
// (splits=1: no time split, which a grid of one block on one SM would take.)
// RUN: not ssmc-opt %s --ssmc-tile-scan="arch=sm_70" 2>&1 | FileCheck %s --check-prefix=ARCH
// The kernel stages B and C of a chunk as fp32: 2 * 16 * chunk * 4 bytes;
// this sequence-major scan also u, delta and z, a row of chunk | 1 floats per
// channel each: 3 * 8 * (chunk | 1) * 4 bytes. One chunk of 700 steps
// (156896 bytes) fits sm_80's 163 KiB but not sm_86's 99 KiB.
// RUN: ssmc-opt %s --ssmc-tile-scan="chunk=700 arch=sm_80 sms=1 splits=1" | FileCheck %s --check-prefix=FITS80
// RUN: not ssmc-opt %s --ssmc-tile-scan="chunk=700 arch=sm_86 sms=1 splits=1" 2>&1 | FileCheck %s --check-prefix=TOOBIG86
// FITS80: smem_bytes = 156896
// TOOBIG86: error: tiling chunk 700 (d_state 16) needs 156896 bytes of shared memory per block for B and C, u, delta and z along time, more than the 101376 bytes of sm_86: use a smaller chunk

// Time splits. One batch element of 8 channels cannot fill sm_90's 132 SMs
// (sms=0: the architecture's usual GPU): a channel a block, the 3000 steps in
// 32 parts of 94, staged 16 steps at a time:
//   32 parts x 2 x (16 x 16 -> 256 + 4) floats + 1 x 32 x (16 + 1) floats,
//   and 32 parts x 3 tiles x 1 channel x (16 | 1) floats.
// The 100 steps of @staged_delta make 12 parts of at least 8 steps, so 2
// channels a block keep a block near a warp (24 threads, 16 blocks).
// RUN: ssmc-opt %s --ssmc-tile-scan --split-input-file | FileCheck %s --check-prefix=SPLIT
// SPLIT-LABEL: func.func @scan
// SPLIT: tiling = #ssmc.scan_tiling<chunk = 16, channels = 1, splits = 32, smem_bytes = 75264>
// SPLIT-LABEL: func.func @staged_delta
// SPLIT: tiling = #ssmc.scan_tiling<chunk = 9, channels = 2, splits = 12, smem_bytes = 22176>
// Forced: splits=4 with channels=2 as given; @staged_delta's chunk clamped
// to its parts of 25 steps.
// RUN: ssmc-opt %s --ssmc-tile-scan="splits=4 channels=2 chunk=100" --split-input-file | FileCheck %s --check-prefix=FORCED
// FORCED-LABEL: func.func @scan
// FORCED: tiling = #ssmc.scan_tiling<chunk = 100, channels = 2, splits = 4, smem_bytes =
// FORCED-LABEL: func.func @staged_delta
// FORCED: tiling = #ssmc.scan_tiling<chunk = 25, channels = 2, splits = 4, smem_bytes =
// A GPU of 8 SMs: 8 blocks of one channel fill it, and 32 parts make each a warp.
// RUN: ssmc-opt %s --ssmc-tile-scan="sms=8" --split-input-file | FileCheck %s --check-prefix=SMS8
// SMS8: tiling = #ssmc.scan_tiling<chunk = 16, channels = 1, splits = 32,
// A GPU of 4 SMs: 4 blocks of two channels fill it, 16 parts make a warp.
// RUN: ssmc-opt %s --ssmc-tile-scan="sms=4" --split-input-file | FileCheck %s --check-prefix=SMS4
// SMS4: tiling = #ssmc.scan_tiling<chunk = 16, channels = 2, splits = 16,
// RUN: not ssmc-opt %s --ssmc-tile-scan="sms=-1" 2>&1 | FileCheck %s --check-prefix=NEG
// The chunk for the waves (@waves below): 128 x 768 channels at d_state 24
// in one-warp blocks are 3072 blocks, 23.3 an SM on 132. B and C and the
// tiles of u and delta (2 x 32 rows of chunk | 1 floats) take: 64 steps
// 28.3 KiB (7 blocks an SM: 3.3 waves), 40 steps 17.8 KiB (12: 1.94
// waves), 32 steps 14.3 KiB (14: 1.66 waves): 40 loses least to the last
// wave. Asked for, 64 it is.
// RUN: ssmc-opt %s --ssmc-tile-scan="sms=132" --split-input-file | FileCheck %s --check-prefix=WAVES
// RUN: ssmc-opt %s --ssmc-tile-scan="sms=132 chunk=64" --split-input-file | FileCheck %s --check-prefix=ASKED
// WAVES-LABEL: func.func @waves
// WAVES: tiling = #ssmc.scan_tiling<chunk = 40, channels = 32, smem_bytes = 18176>
// ASKED-LABEL: func.func @waves
// ASKED: tiling = #ssmc.scan_tiling<chunk = 64, channels = 32, smem_bytes = 28928>
// NEG: error: ssmc-tile-scan: channels 32 must be positive, chunk 0, splits 0 and sms -1 not negative

// Chunks are clamped to the sequence and channels to the scan's width.
// CHECK-LABEL: func.func @scan
// CHECK: ssmc.selective_scan
// CHECK-SAME: tiling = #ssmc.scan_tiling<chunk = 64, channels = 8, smem_bytes = 14432>
// SMALL: tiling = #ssmc.scan_tiling<chunk = 16, channels = 4, smem_bytes = 2864>
// TOOBIG: error: tiling chunk 2048 (d_state 16) needs 458848 bytes of shared memory per block for B and C, u, delta and z along time, more than the 232448 bytes of sm_90: use a smaller chunk
// ARCH: error: ssmc-tile-scan: unknown architecture 'sm_70' (known: sm_80, sm_86, sm_89, sm_90, sm_90a)
func.func @scan(%u: tensor<1x8x3000xf32>, %A: tensor<8x16xf32>, %B: tensor<1x16x3000xf32>) -> tensor<1x8x3000xf32> {
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B z %u delta_softplus : (tensor<1x8x3000xf32>, tensor<1x8x3000xf32>, tensor<8x16xf32>, tensor<1x16x3000xf32>, tensor<1x16x3000xf32>, tensor<1x8x3000xf32>) -> (tensor<1x8x3000xf32>, tensor<1x8x16xf32>)
  return %o : tensor<1x8x3000xf32>
}

// -----

// Where the scan's group computes delta with dt_proj, its inputs are staged
// too: (2 * 16 + pad4(6)) * 64 * 4 bytes.
// CHECK-LABEL: func.func @staged_delta
// CHECK: tiling = #ssmc.scan_tiling<chunk = 64, channels = 32, smem_bytes = 10240>
func.func @staged_delta(%u: tensor<1x100x32xf32>, %x: tensor<1x100x6xf32>, %w: tensor<32x6xf32>, %A: tensor<32x16xf32>, %B: tensor<1x100x16xf32>) -> tensor<1x100x32xf32> {
  %dt = ssmc.linear %x, %w : (tensor<1x100x6xf32>, tensor<32x6xf32>) -> tensor<1x100x32xf32>
  %o, %h = ssmc.selective_scan %u, %dt, %A, %B, %B delta_softplus channels_last : (tensor<1x100x32xf32>, tensor<1x100x32xf32>, tensor<32x16xf32>, tensor<1x100x16xf32>, tensor<1x100x16xf32>) -> (tensor<1x100x32xf32>, tensor<1x32x16xf32>)
  return %o : tensor<1x100x32xf32>
}

// -----

func.func @waves(%u: tensor<128x768x197xf32>, %A: tensor<768x24xf32>, %B: tensor<128x24x197xf32>) -> tensor<128x768x197xf32> {
  %o, %h = ssmc.selective_scan %u, %u, %A, %B, %B delta_softplus : (tensor<128x768x197xf32>, tensor<128x768x197xf32>, tensor<768x24xf32>, tensor<128x24x197xf32>, tensor<128x24x197xf32>) -> (tensor<128x768x197xf32>, tensor<128x768x24xf32>)
  return %o : tensor<128x768x197xf32>
}
