// RUN: ssmc-opt %s --ssmc-tile-scan --split-input-file | FileCheck %s
// RUN: ssmc-opt %s --ssmc-tile-scan="chunk=16 channels=4 arch=sm_80" | FileCheck %s --check-prefix=SMALL
// RUN: not ssmc-opt %s --ssmc-tile-scan="chunk=2048 channels=256" 2>&1 | FileCheck %s --check-prefix=TOOBIG
// RUN: not ssmc-opt %s --ssmc-tile-scan="arch=sm_70" 2>&1 | FileCheck %s --check-prefix=ARCH
// The kernel stages B and C of a chunk as fp32: 2 * 16 * chunk * 4 bytes. One
// chunk of 1000 steps fits sm_80's 163 KiB but not sm_86's 99 KiB.
// RUN: ssmc-opt %s --ssmc-tile-scan="chunk=1000 arch=sm_80" | FileCheck %s --check-prefix=FITS80
// RUN: not ssmc-opt %s --ssmc-tile-scan="chunk=1000 arch=sm_86" 2>&1 | FileCheck %s --check-prefix=TOOBIG86
// FITS80: smem_bytes = 128000
// TOOBIG86: error: tiling chunk 1000 (d_state 16) needs 128000 bytes of shared memory per block for B and C, more than the 101376 bytes of sm_86: use a smaller chunk

// Chunks are clamped to the sequence and channels to the scan's width.
// CHECK-LABEL: func.func @scan
// CHECK: ssmc.selective_scan
// CHECK-SAME: tiling = #ssmc.scan_tiling<chunk = 64, channels = 8, smem_bytes = 8192>
// SMALL: tiling = #ssmc.scan_tiling<chunk = 16, channels = 4, smem_bytes = 2048>
// TOOBIG: error: tiling chunk 2048 (d_state 16) needs 262144 bytes of shared memory per block for B and C, more than the 232448 bytes of sm_90: use a smaller chunk
// ARCH: error: ssmc-tile-scan: unknown architecture 'sm_70' (known: sm_80, sm_86, sm_89, sm_90)
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
