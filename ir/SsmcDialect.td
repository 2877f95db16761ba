//===- SsmcDialect.td - the ssmc dialect -------------------*- tablegen -*-===//
//
// Tensor-level ops for vision state-space models (MambaOut, Mamba, Vim).
// Every value is a ranked tensor with static shape and value semantics.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_DIALECT_TD
#define SSMC_DIALECT_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/OpBase.td"

def Ssmc_Dialect : Dialect {
  let name = "ssmc";
  let summary = "Tensor-level ops of vision state-space models";
  let description = [{
    The ops that MambaOut's Gated CNN block, the Mamba block and Vision Mamba
    are written in. Shapes are static; the verifiers name the operand at fault
    and the expected and actual shapes. Weights are `ssmc.weight` ops carrying
    the reference implementation's `state_dict` name.

    `ssmc.storage = "f32"` on an op (or an entry function argument) keeps
    that value in fp32 whatever the module's `ssmc.dtype` (Vim's
    `residual_in_fp32`); memory planning, codegen and the plan obey it.
  }];
  let cppNamespace = "::ssmc";
  let useDefaultAttributePrinterParser = 1;
  // `ssmc.storage = "f32"` on an op or a function argument (SsmcOps.h).
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
}

class Ssmc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ssmc_Dialect, mnemonic, traits>;

// What the scan kernel does with a selective scan; set by ssmc-tile-scan,
// obeyed by the scan emitter (docs/codegen.md).
def Ssmc_ScanTilingAttr : AttrDef<Ssmc_Dialect, "ScanTiling"> {
  let mnemonic = "scan_tiling";
  let summary = "a selective scan's tiling: chunk, channels and time splits per block, shared memory";
  let description = [{
    `channels` channels per thread block; the sequence walked in chunks of
    `chunk` steps whose B, C and dt_proj inputs are staged in shared
    memory (for a sequence-major scan, [batch, channels, length], also u,
    delta and z in tiles read along time: `scanSequenceTiles`),
    `smem_bytes` of it (`scanSharedBytes` in `ir/ScanTiling.h`, which the
    verifier of `ssmc.selective_scan` recomputes). The state stays in
    registers across chunks.

    `splits` (1 when absent) cuts the sequence into that many parts scanned
    side by side, one thread per (channel, part): each part is first
    scanned from a zero state for its end state and its summed delta, the
    block combines them into each part's starting state in shared memory,
    and each part is scanned again from there, writing the outputs. Chosen
    when batch x channel blocks cannot fill the target's SMs.

    `row_bytes` (0 when absent): B, C and dt_proj's inputs are columns of
    one group input [batch, length, P], rows of `row_bytes` bytes as
    stored. Each part's chunk of rows is then copied as it is, 16 bytes at
    a time by `cp.async`, into one of two buffers, and unpacked to the fp32
    values the steps read: the next chunk's copy is in flight while the
    current one is unpacked and scanned. Without it the values are read and
    staged one chunk at a time (`stagedRowBytes` in `ir/ScanTiling.h` says
    where rows may be copied; `ssmc-tile-scan` copies them only without a
    time split).

    ```mlir
    #ssmc.scan_tiling<chunk = 64, channels = 32, smem_bytes = 14336>
    #ssmc.scan_tiling<chunk = 13, channels = 2, splits = 16, smem_bytes = 46976>
    #ssmc.scan_tiling<chunk = 40, channels = 32, row_bytes = 112, smem_bytes = 17952>
    ```
  }];
  let parameters = (ins "int64_t":$chunk, "int64_t":$channels,
                        DefaultValuedParameter<"int64_t", "1">:$splits,
                        DefaultValuedParameter<"int64_t", "0">:$row_bytes, "int64_t":$smem_bytes);
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

// Every tensor in the dialect: a statically shaped tensor of floats.
def Ssmc_Tensor : RankedTensorOf<[AnyFloat]> {
  let summary = "ranked tensor of floats";
}

// Axes, offsets, group counts: MLIR's I64Attr reads back as uint64_t, so a
// negative value would compare as huge. This one reads signed.
def Ssmc_I64Attr : TypedSignlessIntegerAttrBase<I64, "int64_t",
                                                "64-bit integer attribute, read signed"> {
  let convertFromStorage = "$_self.getValue().getSExtValue()";
}

#endif // SSMC_DIALECT_TD
