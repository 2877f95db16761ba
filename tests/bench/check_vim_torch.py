#!/usr/bin/env python3
"""bench/vim_torch.py against the golden Vim cases: the PyTorch peer that ssmc
is timed against computes what the official model does.

  check_vim_torch.py [--golden DIR] [CASE ...]
      (default: vim_reduced, vim_block_d64, scan_basic, scan_full, scan_long)

Exit 0 when every case matches within its tolerance, 77 (skipped) when torch
or the golden files are missing, 1 otherwise."""
import argparse
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))

try:
    import torch
    import st
    import vim_torch
except ImportError as e:  # no torch on this machine
    print(f"SKIP: {e}")
    sys.exit(77)


def metadata(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)).get("__metadata__", {})


def rel_err(got, want):
    return float((got - want).abs().max() / want.abs().max().clamp_min(1e-30))


def check_model(tensors, config):
    model = vim_torch.VisionMamba(embed_dim=config["embed_dim"], depth=config["depth"],
                                  img_size=config["img_size"], patch_size=config["patch_size"],
                                  num_classes=config["num_classes"], d_state=config["d_state"])
    weights = {k: v for k, v in tensors.items()
               if k not in ("input", "output") and not k.startswith("act.")}
    model.load_official(weights)
    names = set(model.official_state_dict())
    assert names == set(weights), f"state_dict names differ: {sorted(names ^ set(weights))[:6]}"
    with torch.no_grad():
        return rel_err(model(tensors["input"]), tensors["output"])


def check_block(tensors, config):
    block = vim_torch.Block(config["d_model"], config["d_state"])
    state = {k.replace("mixer.conv1d_b.", "mixer.bwd.conv1d.")
              .replace("mixer.x_proj_b.", "mixer.bwd.x_proj.")
              .replace("mixer.dt_proj_b.", "mixer.bwd.dt_proj.")
              .replace("mixer.conv1d.", "mixer.fwd.conv1d.")
              .replace("mixer.x_proj.", "mixer.fwd.x_proj.")
              .replace("mixer.dt_proj.", "mixer.fwd.dt_proj."): v
             for k, v in tensors.items()
             if k not in ("input", "residual", "output", "residual_out")}
    block.load_state_dict(state, strict=True)
    with torch.no_grad():
        out, residual = block(tensors["input"], tensors["residual"])
    return max(rel_err(out, tensors["output"]), rel_err(residual, tensors["residual_out"]))


def check_scan(tensors, config):
    """The sweep's chunked recurrence (bench/scan_sweep.py) against
    selective_scan_ref's outputs, with a chunk that does not divide L."""
    t = tensors
    out = vim_torch.scan_chunked(t["u"], t["delta"], t["A"], t["B"], t["C"], t.get("D"),
                                 t.get("z"), t.get("delta_bias"), config["delta_softplus"],
                                 chunk=24)
    return rel_err(out, t["out"])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--golden", default=os.environ.get(
        "SSMC_GOLDEN_DIR", os.path.join(HERE, "..", "..", "..", "shared", "golden")))
    parser.add_argument("cases", nargs="*",
                        default=["vim_reduced", "vim_block_d64", "scan_basic", "scan_full",
                                 "scan_long"])
    args = parser.parse_args()
    failed = False
    for case in args.cases:
        path = os.path.join(args.golden, case + ".safetensors")
        if not os.path.exists(path):
            print(f"SKIP: {path} not found (set SSMC_GOLDEN_DIR)")
            sys.exit(77)
        meta = metadata(path)
        config = json.loads(meta["config"])
        tolerance = float(meta.get("tolerance", "1e-3"))
        tensors = st.read(path)
        check = {"vision_mamba": check_model, "selective_scan": check_scan}.get(meta["kind"],
                                                                              check_block)
        err = check(tensors, config)
        ok = err <= tolerance
        failed |= not ok
        print(f"{'PASS' if ok else 'FAIL'} {case}: max relative error {err:.3g} "
              f"(tolerance {tolerance:g})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
