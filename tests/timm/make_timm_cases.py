#!/usr/bin/env python3
"""Writes the timm parity cases: small MambaOut models built by timm itself.

Each case is a safetensors file in the golden format (tests/golden/run_golden.py
reads it): the weights under timm's names, `input`, timm's `output`, and in the
metadata the ssmc model, its --set values and the tolerance. Weights are drawn
afresh (fan-in scaled, norms and biases perturbed, LayerScale far from its
init value) so that every part of the model moves the output.

Needs torch and timm (timm installs with `pip install --no-deps timm`; Debian's
python3-torch and python3-torchvision suffice):

    python3 tests/timm/make_timm_cases.py [OUT_DIR]      # default tests/timm/data
"""
import json
import os
import struct
import sys

import torch
import timm
from timm.models.mambaout import GatedConvBlock

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 1e-4  # max|ssmc - timm| / max|timm|, both fp32 on the CPU

# name -> (ssmc model, timm constructor arguments, input shape, --set values or None)
# With --set values None, the case runs the ssmc variant of the same name
# (only num_classes is set), so that the registered settings are what is tested.
MODELS = {
    # The original recipe under timm's names: mid-norm stem, conv downsampling, MLP head.
    "timm_mambaout_default": ("mambaout", dict(depths=(1, 1, 2, 1), dims=(16, 24, 32, 40)),
                              (2, 3, 48, 48), {}),
    # The rw recipe: no stem mid-norm, norm-first downsampling, LayerScale, norm_mlp head.
    "timm_mambaout_rw": ("mambaout", dict(depths=(1, 2, 1, 1), dims=(16, 24, 32, 40),
                                          stem_mid_norm=False, downsample="conv_nf",
                                          ls_init_value=1e-6, head_fn="norm_mlp"),
                         (1, 3, 40, 56), {}),
    # base_wide_rw / base_plus_rw: wider hidden and conv parts, SiLU.
    "timm_mambaout_wide": ("mambaout", dict(depths=(1, 1, 1, 1), dims=(16, 24, 32, 40),
                                            expansion_ratio=3.0, conv_ratio=1.5,
                                            stem_mid_norm=False, downsample="conv_nf",
                                            ls_init_value=1e-6, act_layer="silu",
                                            head_fn="norm_mlp"),
                           (1, 3, 32, 32), {}),
    # No downsampling between stages of one width.
    "timm_mambaout_flat": ("mambaout", dict(depths=(1, 1), dims=(16, 16), downsample="",
                                            expansion_ratio=2.5, conv_ratio=1.25),
                           (1, 3, 32, 32), {}),
    # timm's registered test model, run by its ssmc variant name.
    "timm_test_mambaout": ("test_mambaout", dict(), (1, 3, 64, 64), None),
}


def perturb(model, generator):
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("gamma"):  # LayerScale
                p.copy_(0.5 + 0.5 * torch.rand(p.shape, generator=generator))
            elif p.dim() == 1 and "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=generator))
            elif p.dim() == 1:
                p.copy_(0.1 * torch.randn(p.shape, generator=generator))
            else:
                fan_in = p[0].numel()
                p.copy_(torch.randn(p.shape, generator=generator) / fan_in ** 0.5)


def write_case(path, tensors, meta):
    header, data = {}, b""
    for name, t in tensors.items():
        raw = t.detach().contiguous().float().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    header["__metadata__"] = {k: str(v) for k, v in meta.items()}
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(blob)) + blob + data)
    os.replace(path + ".tmp", path)


def set_values(args, num_classes):
    values = {"num_classes": num_classes}
    for k, v in args.items():
        values[k] = list(v) if isinstance(v, tuple) else v
    return values


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "data")
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    num_classes = 10
    for i, (case, (model_name, args, shape, sets)) in enumerate(MODELS.items()):
        generator = torch.Generator().manual_seed(1000 + i)
        timm_name = "mambaout" if model_name == "mambaout" else model_name
        if timm_name == "mambaout":
            model = timm.models.mambaout.MambaOut(num_classes=num_classes, **args)
        else:
            model = timm.create_model(timm_name, num_classes=num_classes)
        model.eval()
        perturb(model, generator)
        x = torch.randn(shape, generator=generator)
        with torch.no_grad():
            y = model(x)
        tensors = dict(model.state_dict())
        tensors["input"], tensors["output"] = x, y
        meta = {"kind": "mambaout", "inputs": "input", "outputs": "output",
                "tolerance": TOLERANCE, "tolerance_strict": TOLERANCE,
                "generator": "tests/timm/make_timm_cases.py", "timm": timm.__version__,
                "torch": torch.__version__}
        if sets is None:
            meta["ssmc_model"] = model_name
            meta["config"] = json.dumps({"num_classes": num_classes})
        else:
            meta["config"] = json.dumps(set_values(args, num_classes))
        write_case(os.path.join(out, case + ".safetensors"), tensors, meta)
        print(f"{case}: {sum(p.numel() for p in model.parameters())} parameters, output "
              f"{list(y.shape)}")

    # timm's GatedConvBlock with SiLU and LayerScale, as the ssmc block family.
    generator = torch.Generator().manual_seed(7)
    block = GatedConvBlock(dim=16, expansion_ratio=3.0, conv_ratio=0.75, ls_init_value=1e-6,
                           act_layer=torch.nn.SiLU).eval()
    perturb(block, generator)
    x = torch.randn((2, 9, 7, 16), generator=generator)
    with torch.no_grad():
        y = block(x)
    tensors = dict(block.state_dict())
    tensors["input"], tensors["output"] = x, y
    config = {"dim": 16, "expansion_ratio": 3.0, "conv_ratio": 0.75, "act_layer": "silu",
              "ls_init_value": 1e-6}
    write_case(os.path.join(out, "timm_gated_block_silu_ls.safetensors"), tensors,
               {"kind": "gated_cnn_block", "inputs": "input", "outputs": "output",
                "tolerance": TOLERANCE, "tolerance_strict": TOLERANCE,
                "config": json.dumps(config), "generator": "tests/timm/make_timm_cases.py",
                "timm": timm.__version__, "torch": torch.__version__})
    print("timm_gated_block_silu_ls: written")


if __name__ == "__main__":
    main()
