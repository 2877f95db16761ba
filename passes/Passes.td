//===- Passes.td - ssmc pass declarations ------------------*- tablegen -*-===//

#ifndef SSMC_PASSES_TD
#define SSMC_PASSES_TD

include "mlir/Pass/PassBase.td"

def VerifyModel : Pass<"ssmc-verify-model", "mlir::ModuleOp"> {
  let summary = "Check that the module is a runnable ssmc model";
  let description = [{
    A model is one `func.func` (the entry point, `@main` unless there is just
    one function) whose arguments and results all carry a unique `ssmc.name`,
    with static shapes everywhere and each weight name bound to one shape.
    The pass changes nothing; it fails with a diagnostic naming the value.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def PatchGemm : Pass<"ssmc-patch-gemm", "mlir::func::FuncOp"> {
  let summary = "Non-overlapping convolutions (patch embeddings) as GEMMs";
  let description = [{
    A `conv2d` whose kernel equals its stride, with no padding and one group
    (Vim's patch embedding), becomes reshape -> permute -> reshape views of
    its input (the patches, [B, gh, gw, C·kh·kw]) and a `linear` with the
    weight viewed as [D, C·kh·kw], so it runs on the tensor-core GEMM; the
    result is permuted back to NCHW unless the conv was `channels_last`.
    Convolutions with overlapping windows or padding stay.
  }];
}

def Layout : Pass<"ssmc-layout", "mlir::func::FuncOp"> {
  let summary = "Channels-last convolutions; permute chains folded";
  let description = [{
    A `conv2d` that reads a permute to NCHW, or whose results all go straight
    back to NHWC, becomes its `channels_last` form (NHWC in and out) between
    the opposite permutes; permute chains then compose into one and identity
    permutes vanish. MambaOut's downsamplers keep no permute and the stem
    one view of the NCHW image. A conv2d among NCHW ops is left alone.
    The weight of a channels-last conv with groups 1 that nothing else reads
    gets `stored_as = [0, 2, 3, 1]`: the runtime uploads it `[O, KH, KW, C]`,
    the order in which the implicit GEMM reads an output channel's taps.
    A linear's weight `[N, K]` that nothing else reads, whose rows are not
    whole 16-byte pieces in the module's `ssmc.dtype` (8 elements; 4 in
    f32), gets `row_pitch` = K rounded up to them: the runtime uploads its
    rows padded with zeros, so the GEMM copies them 16 bytes at a time.
    Likewise a `causal_conv1d` or `selective_scan` that reads a [B, L, D] ->
    [B, D, L] transpose (or whose output goes straight back) turns
    `channels_last`, its sequence operands read through the opposite
    transposes; permutes move below splits, so Mamba's and Vim's in_proj ->
    conv1d -> scan -> out_proj chain keeps no permute at all.
  }];
}

def AlignHidden : Pass<"ssmc-align-hidden", "mlir::func::FuncOp"> {
  let summary = "A Gated CNN block's hidden width padded to whole sectors";
  let description = [{
    fc1 -> split [gate h, identity h - c, conv c] -> gelu(gate) *
    concat(identity, depthwise_conv2d(conv)) -> fc2, each value read once
    and the three weights by no other op: where h is not a whole number of
    32-byte sectors in the module's `ssmc.dtype` (16 elements; 8 in f32) and
    c is, P zero channels make it whole (16-byte pieces where c is those but
    not whole sectors; nothing where c is neither). fc1's weight and bias get P zero rows
    before the gate's slice h - c and before the conv part, fc2's weight P
    zero columns at h - c (`inserted_zeros`); the values between take the
    padded widths. The product has zeros in the new channels (gelu of a gate
    channel times a zero identity channel), fc2 adds zero products, and every
    other value is unchanged, so the result is the same; every row of the
    block's activations then starts on a sector (or 16-byte) boundary.
  }];
}

def FoldFlips : Pass<"ssmc-fold-flips", "mlir::func::FuncOp"> {
  let summary = "Turn flips into reversed indexing";
  let description = [{
    Pushes every `ssmc.flip` from an op's operands to its results when the op
    acts the same at every position along the flipped axis (elementwise ops
    with broadcasting, permute/split/slice/concat not along that axis, linear
    and norms over another axis); a causal conv1d or selective scan whose
    sequence inputs are all flipped runs in the other direction instead
    (`reverse` toggled); two flips of one axis that meet cancel. Vim's
    backward branch ends with no flip at all. Flips that cannot move stay
    (they are index arithmetic inside a kernel group).
  }];
}

def FormKernelGroups : Pass<"ssmc-form-kernel-groups", "mlir::func::FuncOp"> {
  let summary = "Group the ops into the kernels that will run them";
  let description = [{
    Decides by op kind and producer/consumer structure, never by pattern:
    - anchors (linear, convolutions, the scan, reduce_mean) each start a group;
    - a linear absorbs the norm that feeds only it, and the elementwise op
      (residual add) feeding that norm: "add + norm + GEMM";
    - a group absorbs single-use elementwise consumers (epilogues); groups
      that are not GEMMs also absorb views and norms;
    - an elementwise op or view whose users all sit in one non-GEMM group
      joins it (prologue), as does a linear of at most 64 input features that
      only feeds scans (dt_proj, recomputed in the scan);
    - views feeding several groups are recomputed in each (index arithmetic),
      never materialised.
    Everything else becomes a group of its own, so every op ends in a group;
    then a group of only elementwise ops and views whose inputs all come from
    one group becomes that group's epilogue (chains fold too), results nobody
    reads are dropped, and the groups are named `gNN_<ops>` in launch order.
    A model output that is a model input gets a group that copies it
    (`gNN_copy`), so every output is written by a kernel into the arena.
    A convolution keeps the norm of its output only where a block can hold
    its whole rows (at most 384 channels) and, given `sms`, where its rows
    give every SM a block of 16 rows (the smallest whole-row tile); else
    the norm is a row kernel of its own and the convolution's GEMM tiles
    freely (MambaOut's downsamples at batch 1).
  }];
  let options = [
    Option<"sms", "sms", "int64_t", /*default=*/"0",
           "SMs of the target GPU (0: no row condition on a convolution's norm)">,
  ];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def MergeSiblingGroups : Pass<"ssmc-merge-sibling-groups", "mlir::func::FuncOp"> {
  let summary = "Run independent groups of the same kind as one kernel";
  let description = [{
    Two kernel groups with the same anchor ops (say both a causal conv1d, or
    both a selective scan) that read from a common producer and do not
    depend on each other become one group: Vim's forward and backward
    directions then share their conv, x_proj and scan kernels. Only twins
    merge; the group that joins their results (elementwise ops reading
    nothing but the merged twins: Vim's forward + backward sum) becomes the
    merged group's epilogue, since the twins are now one kernel. Results
    nobody reads are dropped and the groups renamed in launch order.
  }];
  let dependentDialects = ["mlir::func::FuncDialect"];
}

def TileScan : Pass<"ssmc-tile-scan", "mlir::func::FuncOp"> {
  let summary = "Choose the selective scan's tiling and check it fits";
  let description = [{
    Gives every `ssmc.selective_scan` a `tiling` attribute
    (`#ssmc.scan_tiling<chunk, channels, splits, smem_bytes>`), what the
    scan kernel runs: `channels` channels per thread block, `chunk` time
    steps whose B, C and (where the group computes delta with dt_proj)
    dt_proj's inputs are staged in shared memory as fp32 and shared by the
    block's channels (a sequence-major scan's u, delta and z too, in tiles
    read along time), `smem_bytes` of it (`scanSharedBytes` in
    `ir/ScanTiling.h`, the emitter's formula, which the op's verifier
    recomputes). The state stays in registers across chunks.

    When batch x channel blocks cannot fill the target's SMs (`sms`; 0: the
    architecture's usual GPU, 132 on sm_90), the pass takes fewer channels
    per block until they do and cuts the sequence into `splits` parts
    scanned side by side (`chooseScanSplit`): a time-parallel scan whose
    parts are combined in shared memory. `splits` set to 1 or more forces
    that many parts with `channels` as given.

    Without a split, `chunk` 0 (the default) takes 64 steps, or the length
    among 48, 80, 96 and 128 whose shared memory lets the SMs hold the
    blocks in the most nearly whole waves (`chooseScanChunk`): vim_small at
    batch 128 has 3072 one-warp blocks, which at 64 steps (15 blocks a SM)
    are 1.55 waves on 132 SMs and at 80 (12 a SM) 1.94.

    The shared memory per block must fit the target (227 KiB on sm_90, 163
    KiB on sm_80, 99 KiB on sm_86/89); an impossible request is an error
    that names both numbers. `ssmc compile` passes the same `--arch` to
    this pass and to code generation, and the SM count of `--gpu` or of
    the GPU present.
  }];
  let options = [
    Option<"chunk", "chunk", "int64_t", /*default=*/"0",
           "time steps per staged chunk (0: chosen for the waves)">,
    Option<"channels", "channels", "int64_t", /*default=*/"ssmc::kDefaultScanChannels",
           "channels per thread block (fewer where a time split is chosen)">,
    Option<"splits", "splits", "int64_t", /*default=*/"0",
           "time-parallel parts (0: chosen from the SM count)">,
    Option<"sms", "sms", "int64_t", /*default=*/"0",
           "SMs of the target GPU (0: the architecture's usual GPU)">,
    Option<"arch", "arch", "std::string", /*default=*/"\"sm_90\"", "target architecture">,
  ];
}

def PlanMemory : Pass<"ssmc-plan-memory", "mlir::func::FuncOp"> {
  let summary = "Place every activation in one arena";
  let description = [{
    Gives each top-level op (after fusion, each kernel group) an
    `ssmc.arena_offsets` attribute, one byte offset per result, and the
    function an `ssmc.arena_bytes` attribute, the arena's size. A value lives
    from its definition to its last use (to the end when returned); values
    whose lifetimes overlap never share bytes. A result is written in place
    over an operand that dies in its group, has its size, and reaches it
    through elementwise ops of its shape only (fc2's residual add). Sizes use
    the module's storage type (`ssmc.dtype`), 256-byte aligned. Function
    arguments (the inputs) live outside the arena.
  }];
}

#endif // SSMC_PASSES_TD
