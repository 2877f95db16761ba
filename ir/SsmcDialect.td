//===- SsmcDialect.td - the ssmc dialect -------------------*- tablegen -*-===//
//
// Tensor-level ops for vision state-space models (MambaOut, Mamba, Vim).
// Every value is a ranked tensor with static shape and value semantics.
//
//===----------------------------------------------------------------------===//

#ifndef SSMC_DIALECT_TD
#define SSMC_DIALECT_TD

include "mlir/IR/OpBase.td"

def Ssmc_Dialect : Dialect {
  let name = "ssmc";
  let summary = "Tensor-level ops of vision state-space models";
  let description = [{
    The ops that MambaOut's Gated CNN block, the Mamba block and Vision Mamba
    are written in. Shapes are static; the verifiers name the operand at fault
    and the expected and actual shapes. Weights are `ssmc.weight` ops carrying
    the reference implementation's `state_dict` name.
  }];
  let cppNamespace = "::ssmc";
}

class Ssmc_Op<string mnemonic, list<Trait> traits = []>
    : Op<Ssmc_Dialect, mnemonic, traits>;

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
