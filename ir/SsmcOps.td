//===- SsmcOps.td - ssmc op definitions --------------------*- tablegen -*-===//

#ifndef SSMC_OPS_TD
#define SSMC_OPS_TD

include "SsmcDialect.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"

//===----------------------------------------------------------------------===//
// Parameters
//===----------------------------------------------------------------------===//

def Ssmc_WeightOp : Ssmc_Op<"weight", [Pure]> {
  let summary = "a named model parameter";
  let description = [{
    A parameter looked up by its `state_dict` name when the model runs.
    `stored_as`, set by `ssmc-layout`, is the order of its axes in device
    memory: the runtime uploads the tensor permuted so (a conv weight
    `[O, C, KH, KW]` stored as `[O, KH, KW, C]` with `[0, 2, 3, 1]`), and
    kernels index it so; the value and the reference semantics are unchanged.
    `row_pitch`, also set by `ssmc-layout`, is the stored length of its last
    axis: each row padded with zeros to that many elements (a linear weight
    `[N, K]` whose rows are not whole 16-byte pieces, so the GEMM can copy
    them 16 bytes at a time). Not together with `stored_as`.

    `inserted_zeros = [axis, at0, count0, at1, count1, ...]`, set by
    `ssmc-align-hidden`, changes the value: the checkpoint's tensor with
    `count` zero slices inserted along `axis` before its slice `at` (places
    ascending, in the checkpoint's indices). The result type is the padded
    shape; the checkpoint keeps its own (`checkpointShape()`), and the runtime
    and the reference executor insert the zeros when they load it.
    `stored_as` and `row_pitch` then describe the padded value.

    ```mlir
    %w = ssmc.weight "stages.0.0.fc1.weight" : tensor<256x48xf32>
    %c = ssmc.weight "downsample_layers.1.conv.weight" {stored_as = array<i64: 0, 2, 3, 1>} : tensor<192x96x3x3xf32>
    %p = ssmc.weight "stages.2.0.fc2.weight" {row_pitch = 1368 : i64} : tensor<512x1365xf32>
    %z = ssmc.weight "stages.2.0.fc2.weight" {inserted_zeros = array<i64: 1, 853, 11>} : tensor<512x1376xf32>
    ```
  }];
  let arguments = (ins StrAttr:$name, OptionalAttr<DenseI64ArrayAttr>:$stored_as,
                   OptionalAttr<I64Attr>:$row_pitch,
                   OptionalAttr<DenseI64ArrayAttr>:$inserted_zeros);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = "$name attr-dict `:` type($result)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The shape of the parameter in a checkpoint: the result's, less the
    /// slices of `inserted_zeros`.
    std::vector<int64_t> checkpointShape();
  }];
}

//===----------------------------------------------------------------------===//
// Linear algebra, convolutions, norms
//===----------------------------------------------------------------------===//

def Ssmc_LinearOp : Ssmc_Op<"linear", [Pure]> {
  let summary = "y = x·Wᵀ + b over the last dimension (nn.Linear)";
  let description = [{
    `weight` is `[out, in]` as in PyTorch; the input's last dimension is `in`
    and the result's is `out`. The bias `[out]` is optional.

    ```mlir
    %y = ssmc.linear %x, %w, %b : (tensor<2x7x7x48xf32>, tensor<256x48xf32>, tensor<256xf32>) -> tensor<2x7x7x256xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_Tensor:$weight,
                       Optional<Ssmc_Tensor>:$bias);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ssmc_Conv2dOp : Ssmc_Op<"conv2d", [Pure]> {
  let summary = "2-D convolution on NCHW (nn.Conv2d)";
  let description = [{
    Cross-correlation of an `[N, C, H, W]` input with an `[O, C/groups, KH, KW]`
    weight, zero padding, optional bias `[O]`. The result is `[N, O, OH, OW]`
    with `OH = (H + 2·pad_h − KH) / stride_h + 1`. With `channels_last` the
    input is `[N, H, W, C]` and the result `[N, OH, OW, O]` (the weight keeps
    its layout): what `ssmc-layout` turns a conv between two permutes into.

    ```mlir
    %y = ssmc.conv2d %x, %w, %b stride [2, 2] padding [1, 1] groups 1
        : (tensor<1x3x224x224xf32>, tensor<24x3x3x3xf32>, tensor<24xf32>) -> tensor<1x24x112x112xf32>
    %z = ssmc.conv2d %y2, %w2, %b2 stride [2, 2] padding [1, 1] groups 1 channels_last
        : (tensor<1x56x56x48xf32>, tensor<96x48x3x3xf32>, tensor<96xf32>) -> tensor<1x28x28x96xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_Tensor:$weight,
                       Optional<Ssmc_Tensor>:$bias,
                       DenseI64ArrayAttr:$stride, DenseI64ArrayAttr:$padding,
                       Ssmc_I64Attr:$groups, UnitAttr:$channels_last);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? `stride` $stride `padding` $padding
    `groups` $groups (`channels_last` $channels_last^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ssmc_DepthwiseConv2dOp : Ssmc_Op<"depthwise_conv2d", [Pure]> {
  let summary = "channels-last depthwise convolution, stride 1, same padding";
  let description = [{
    Input and result `[N, H, W, C]`; weight `[C, 1, KH, KW]` (PyTorch's layout
    of a depthwise `nn.Conv2d`), zero padding `KH/2`, `KW/2`, optional bias `[C]`.

    ```mlir
    %y = ssmc.depthwise_conv2d %x, %w, %b : (tensor<1x56x56x48xf32>, tensor<48x1x7x7xf32>, tensor<48xf32>) -> tensor<1x56x56x48xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_Tensor:$weight,
                       Optional<Ssmc_Tensor>:$bias);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ssmc_CausalConv1dOp : Ssmc_Op<"causal_conv1d", [Pure]> {
  let summary = "causal depthwise 1-D convolution over the sequence axis";
  let description = [{
    Input and result `[B, D, L]`, weight `[D, 1, K]`, optional bias `[D]`:
    `y[b,d,t] = bias[d] + Σ_j w[d,0,j]·x[b,d,t−(K−1)+j]`, zero before `t = 0`.
    With `reverse` the convolution is anti-causal (it equals flipping the
    sequence, convolving causally and flipping back). With `channels_last`
    input and result are `[B, L, D]` (set by `ssmc-layout`: consecutive
    channels sit side by side, so a warp's lanes read one 128-byte line).

    ```mlir
    %y = ssmc.causal_conv1d %x, %w, %b : (tensor<2x128x50xf32>, tensor<128x1x4xf32>, tensor<128xf32>) -> tensor<2x128x50xf32>
    %v = ssmc.causal_conv1d %x2, %w, %b channels_last : (tensor<2x50x128xf32>, tensor<128x1x4xf32>, tensor<128xf32>) -> tensor<2x50x128xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_Tensor:$weight,
                       Optional<Ssmc_Tensor>:$bias, UnitAttr:$reverse,
                       UnitAttr:$channels_last);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight (`,` $bias^)? (`reverse` $reverse^)?
    (`channels_last` $channels_last^)? attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ssmc_LayerNormOp : Ssmc_Op<"layer_norm", [Pure]> {
  let summary = "LayerNorm over the last dimension, biased variance";
  let description = [{
    `(x − mean)/√(var + eps)·weight + bias` with weight and bias `[C]`.

    ```mlir
    %y = ssmc.layer_norm %x, %w, %b eps 1.0e-06 : (tensor<1x56x56x48xf32>, tensor<48xf32>, tensor<48xf32>) -> tensor<1x56x56x48xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_Tensor:$weight,
                       Ssmc_Tensor:$bias, F64Attr:$eps);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `,` $bias `eps` $eps attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

def Ssmc_RmsNormOp : Ssmc_Op<"rms_norm", [Pure]> {
  let summary = "RMSNorm over the last dimension (no mean subtraction, no bias)";
  let description = [{
    `x/√(mean(x²) + eps)·weight` with weight `[C]`.

    ```mlir
    %y = ssmc.rms_norm %x, %w eps 1.0e-05 : (tensor<2x17x64xf32>, tensor<64xf32>) -> tensor<2x17x64xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_Tensor:$weight, F64Attr:$eps);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input `,` $weight `eps` $eps attr-dict `:` functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Ssmc_UnaryOp<string mnemonic, string what>
    : Ssmc_Op<mnemonic, [Pure, SameOperandsAndResultType]> {
  let summary = what;
  let arguments = (ins Ssmc_Tensor:$input);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Ssmc_GeluOp : Ssmc_UnaryOp<"gelu", "exact GELU: ½·x·(1 + erf(x/√2))">;
def Ssmc_SiluOp : Ssmc_UnaryOp<"silu", "x·σ(x)">;
def Ssmc_SoftplusOp
    : Ssmc_UnaryOp<"softplus", "log(1 + eˣ), x itself above 20 (PyTorch's threshold)">;
def Ssmc_ExpOp : Ssmc_UnaryOp<"exp", "eˣ">;
def Ssmc_NegOp : Ssmc_UnaryOp<"neg", "−x">;

def Ssmc_ScaleOp : Ssmc_Op<"scale", [Pure, SameOperandsAndResultType]> {
  let summary = "x · factor for a constant factor";
  let description = [{
    ```mlir
    %half = ssmc.scale %y by 5.000000e-01 : tensor<2x33x128xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, F64Attr:$factor);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = "$input `by` $factor attr-dict `:` type($result)";
  let hasVerifier = 1;
}

class Ssmc_BinaryOp<string mnemonic, string what>
    : Ssmc_Op<mnemonic, [Pure]> {
  let summary = what;
  let description = [{
    Elementwise with NumPy broadcasting: shapes are aligned on the right and
    dimensions of size 1 stretch.
  }];
  let arguments = (ins Ssmc_Tensor:$lhs, Ssmc_Tensor:$rhs);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `,` type($rhs) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ssmc_AddOp : Ssmc_BinaryOp<"add", "elementwise sum">;
def Ssmc_MulOp : Ssmc_BinaryOp<"mul", "elementwise product">;

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Ssmc_SplitOp : Ssmc_Op<"split", [Pure]> {
  let summary = "split one axis into consecutive parts";
  let description = [{
    The parts' sizes are the results' sizes along `axis`; they must add up to
    the input's.

    ```mlir
    %g, %i, %c = ssmc.split %t axis 3 : tensor<1x7x7x256xf32> -> tensor<1x7x7x128xf32>, tensor<1x7x7x80xf32>, tensor<1x7x7x48xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_I64Attr:$axis);
  let results = (outs Variadic<Ssmc_Tensor>:$results);
  let assemblyFormat = [{
    $input `axis` $axis attr-dict `:` type($input) `->` type($results)
  }];
  let hasVerifier = 1;
}

def Ssmc_SliceOp : Ssmc_Op<"slice", [Pure]> {
  let summary = "a contiguous range of one axis";
  let description = [{
    Takes `input[..., start : start + size, ...]` on `axis`, `size` being the
    result's size on that axis.

    ```mlir
    %cls = ssmc.slice %x axis 1 start 98 : tensor<1x197x192xf32> -> tensor<1x1x192xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_I64Attr:$axis, Ssmc_I64Attr:$start);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input `axis` $axis `start` $start attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ssmc_ConcatOp : Ssmc_Op<"concat", [Pure]> {
  let summary = "join tensors along one axis";
  let arguments = (ins Variadic<Ssmc_Tensor>:$inputs, Ssmc_I64Attr:$axis);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $inputs `axis` $axis attr-dict `:` functional-type($inputs, $result)
  }];
  let hasVerifier = 1;
}

def Ssmc_PermuteOp : Ssmc_Op<"permute", [Pure]> {
  let summary = "transpose the axes: result dim i is input dim perm[i]";
  let description = [{
    ```mlir
    %y = ssmc.permute %x [0, 2, 3, 1] : tensor<1x48x56x56xf32> -> tensor<1x56x56x48xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input $perm attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Ssmc_ReshapeOp : Ssmc_Op<"reshape", [Pure]> {
  let summary = "same elements in row-major order, another shape";
  let arguments = (ins Ssmc_Tensor:$input);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `->` type($result)";
  let hasVerifier = 1;
}

def Ssmc_FlipOp : Ssmc_Op<"flip", [Pure, SameOperandsAndResultType]> {
  let summary = "reverse the order along one axis";
  let arguments = (ins Ssmc_Tensor:$input, Ssmc_I64Attr:$axis);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = "$input `axis` $axis attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Ssmc_ReduceMeanOp : Ssmc_Op<"reduce_mean", [Pure]> {
  let summary = "mean over some axes";
  let description = [{
    The listed axes (ascending) are removed from the result, or kept with
    size 1 when `keepdim` is set.

    ```mlir
    %m = ssmc.reduce_mean %x dims [1, 2] : tensor<1x7x7x288xf32> -> tensor<1x288xf32>
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$input, DenseI64ArrayAttr:$dims,
                       UnitAttr:$keepdim);
  let results = (outs Ssmc_Tensor:$result);
  let assemblyFormat = [{
    $input `dims` $dims (`keepdim` $keepdim^)? attr-dict `:` type($input) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Selective scan
//===----------------------------------------------------------------------===//

def Ssmc_SelectiveScanOp : Ssmc_Op<"selective_scan",
                                   [Pure, AttrSizedOperandSegments]> {
  let summary = "Mamba's input-dependent selective scan";
  let description = [{
    `u`, `delta`, `z`: `[B, D, L]`; `A`: `[D, N]`; `B`, `C`: `[B, N, L]`;
    `D`, `delta_bias`: `[D]`. With δ = softplus(delta + delta_bias) (the
    softplus only with `delta_softplus`):
    `h_t = exp(δ_t·A)⊙h_{t−1} + δ_t·B_t·u_t`, `y_t = Σ_n h_t·C_t`,
    `out = (y + D·u)·silu(z)`. `last_state` `[B, D, N]` is the final h.
    With `reverse` the recurrence runs from `t = L−1` down to 0. With
    `channels_last` (set by `ssmc-layout`) `u`, `delta`, `z` and `out` are
    `[B, L, D]` and `B`, `C` are `[B, L, N]`: the layout of the projections
    that produce them and read `out`, so the scan's threads (one channel
    each) read and write consecutive addresses. `tiling` (set by
    `ssmc-tile-scan`) is what the scan kernel runs.

    ```mlir
    %out, %h = ssmc.selective_scan %u, %dt, %A, %B, %C D %D z %z delta_bias %db delta_softplus
        : (...) -> (tensor<2x64x197xf32>, tensor<2x64x16xf32>)
    ```
  }];
  let arguments = (ins Ssmc_Tensor:$u, Ssmc_Tensor:$delta, Ssmc_Tensor:$A,
                       Ssmc_Tensor:$B, Ssmc_Tensor:$C,
                       Optional<Ssmc_Tensor>:$D, Optional<Ssmc_Tensor>:$z,
                       Optional<Ssmc_Tensor>:$delta_bias,
                       UnitAttr:$delta_softplus, UnitAttr:$reverse,
                       UnitAttr:$channels_last,
                       OptionalAttr<Ssmc_ScanTilingAttr>:$tiling);
  let results = (outs Ssmc_Tensor:$out, Ssmc_Tensor:$last_state);
  let assemblyFormat = [{
    $u `,` $delta `,` $A `,` $B `,` $C (`D` $D^)? (`z` $z^)?
    (`delta_bias` $delta_bias^)? (`delta_softplus` $delta_softplus^)?
    (`reverse` $reverse^)? (`channels_last` $channels_last^)? attr-dict `:`
    functional-type(operands, results)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Kernel groups
//===----------------------------------------------------------------------===//

def Ssmc_KernelGroupOp : Ssmc_Op<"kernel_group",
    [IsolatedFromAbove, SingleBlockImplicitTerminator<"YieldOp">]> {
  let summary = "the ops one kernel will run";
  let description = [{
    After fusion every computation sits in a kernel group: one GPU kernel,
    named `gNN_<op>__<op>` after what it fuses. The region's arguments are
    the group's inputs (activations it reads; its weights are inside), and
    `ssmc.yield` names what it writes. Views (split, slice, concat, permute,
    reshape, flip) inside a group are index arithmetic, not copies.

    ```mlir
    %r = ssmc.kernel_group "g01_linear__add" (%a, %x) : (tensor<..>, tensor<..>) -> tensor<..> {
    ^bb0(%a0: tensor<..>, %x0: tensor<..>):
      ...
      ssmc.yield %y : tensor<..>
    }
    ```
  }];
  let arguments = (ins StrAttr:$name, Variadic<Ssmc_Tensor>:$inputs);
  let results = (outs Variadic<Ssmc_Tensor>:$results);
  let regions = (region SizedRegion<1>:$body);
  let assemblyFormat = [{
    $name `(` $inputs `)` attr-dict `:` functional-type($inputs, $results) $body
  }];
  let hasVerifier = 1;
}

def Ssmc_YieldOp : Ssmc_Op<"yield", [Pure, Terminator, HasParent<"KernelGroupOp">]> {
  let summary = "what a kernel group writes";
  let arguments = (ins Variadic<Ssmc_Tensor>:$values);
  let assemblyFormat = "($values^ `:` type($values))? attr-dict";
  let builders = [OpBuilder<(ins), [{ build($_builder, $_state, mlir::ValueRange()); }]>];
}

#endif // SSMC_OPS_TD
