"""Vision Mamba (Vim) in plain PyTorch, for timing ssmc against on a GPU machine
where mamba_ssm cannot be installed.

The math is the reference the golden cases were made from
(../shared/golden/README.md: vim_mixer with bimamba v2 and if_divide_out,
vim_block with the fused add + RMSNorm and an fp32 residual, vision_mamba with
the middle class token), the selective scan as `selective_scan_ref`'s
recurrence over time. The state_dict names are the official model's, so the
weights ssmc runs load here unchanged. `tests/bench/check_vim_torch.py`
checks it against the golden tensors.

The scan loops over time in Python: in eager mode that is what a PyTorch
user without mamba_ssm's kernel gets; torch.compile may fuse the loop body.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def selective_scan(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=True):
    """selective_scan_ref: u, delta, z [B, E, L]; A [E, N]; B, C [B, N, L];
    D, delta_bias [E] (D, z and delta_bias may be None). Returns [B, E, L] in
    u's dtype; the recurrence runs in fp32 (scan_chunked with one chunk)."""
    return scan_chunked(u, delta, A, B, C, D, z, delta_bias, delta_softplus,
                        chunk=max(1, u.shape[2]))


def scan_chunked(u, delta, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=True,
                 chunk=64, step=None):
    """selective_scan's recurrence with its [B, L, E, N] intermediates made
    `chunk` steps at a time, so that shapes such as batch 128 x 1536
    channels x 16384 steps fit a GPU (the whole-sequence version would take
    hundreds of GB). The same operands and result; the output is written
    into one [B, E, L] tensor of u's dtype. `step(h, dA, dBu, C)` -> (h, y)
    replaces the loop body (bench/scan_sweep.py passes a compiled one)."""
    bsz, e, length = u.shape
    out = torch.empty_like(u)
    h = torch.zeros(bsz, e, A.shape[1], device=u.device, dtype=torch.float32)
    Af = A.float()
    for t0 in range(0, length, chunk):
        t1 = min(length, t0 + chunk)
        uc, dc = u[:, :, t0:t1].float(), delta[:, :, t0:t1].float()
        if delta_bias is not None:
            dc = dc + delta_bias.float()[None, :, None]
        if delta_softplus:
            dc = F.softplus(dc)
        dA = torch.exp(torch.einsum("bel,en->blen", dc, Af))
        dBu = torch.einsum("bel,bnl,bel->blen", dc, B[:, :, t0:t1].float(), uc)
        Cc = C[:, :, t0:t1].float()
        ys = []
        for t in range(t1 - t0):
            if step is None:
                h = dA[:, t] * h + dBu[:, t]
                ys.append(torch.einsum("ben,bn->be", h, Cc[:, :, t]))
            else:
                h, y = step(h, dA[:, t], dBu[:, t], Cc[:, :, t])
                ys.append(y)
        y = torch.stack(ys, dim=2)
        if D is not None:
            y = y + D.float()[None, :, None] * uc
        if z is not None:
            y = y * F.silu(z[:, :, t0:t1].float())
        out[:, :, t0:t1] = y.to(out.dtype)
    return out


class Direction(nn.Module):
    """One direction of the bimamba v2 mixer: conv1d, x_proj, dt_proj, the scan."""

    def __init__(self, d_inner, d_state, d_conv, dt_rank):
        super().__init__()
        self.conv1d = nn.Conv1d(d_inner, d_inner, d_conv, groups=d_inner, padding=d_conv - 1)
        self.x_proj = nn.Linear(d_inner, dt_rank + 2 * d_state, bias=False)
        self.dt_proj = nn.Linear(dt_rank, d_inner, bias=True)
        self.d_state, self.dt_rank = d_state, dt_rank

    def forward(self, x, z, A_log, D):
        L = x.shape[2]
        u = F.silu(self.conv1d(x)[..., :L])  # causal: the first L outputs
        x_dbl = self.x_proj(u.transpose(1, 2))  # [B, L, R + 2N]
        dt, Bt, Ct = torch.split(x_dbl, [self.dt_rank, self.d_state, self.d_state], dim=-1)
        delta = (dt @ self.dt_proj.weight.t()).transpose(1, 2)  # no bias: the scan adds it
        A = -torch.exp(A_log.float())
        return selective_scan(u, delta, A, Bt.transpose(1, 2), Ct.transpose(1, 2), D, z,
                              self.dt_proj.bias)


class Mixer(nn.Module):
    def __init__(self, d_model, d_state=16, d_conv=4, expand=2):
        super().__init__()
        d_inner = expand * d_model
        dt_rank = math.ceil(d_model / 16)
        self.in_proj = nn.Linear(d_model, 2 * d_inner, bias=False)
        self.out_proj = nn.Linear(d_inner, d_model, bias=False)
        self.A_log = nn.Parameter(torch.zeros(d_inner, d_state))
        self.A_b_log = nn.Parameter(torch.zeros(d_inner, d_state))
        self.D = nn.Parameter(torch.ones(d_inner))
        self.D_b = nn.Parameter(torch.ones(d_inner))
        self.fwd = Direction(d_inner, d_state, d_conv, dt_rank)
        self.bwd = Direction(d_inner, d_state, d_conv, dt_rank)

    def forward(self, h):
        xz = (h @ self.in_proj.weight.t()).transpose(1, 2)  # [B, 2E, L]
        x, z = xz.chunk(2, dim=1)
        y_f = self.fwd(x, z, self.A_log, self.D)
        y_b = self.bwd(x.flip(-1), z.flip(-1), self.A_b_log, self.D_b)
        y = (y_f + y_b.flip(-1)) / 2
        return y.transpose(1, 2) @ self.out_proj.weight.t()


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x, dtype=None):
        """In fp32, rounded to `dtype` (x's by default) at the end."""
        xf = x.float()
        return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
                * self.weight.float()).to(dtype or x.dtype)


class Block(nn.Module):
    def __init__(self, d_model, d_state):
        super().__init__()
        self.mixer = Mixer(d_model, d_state)
        self.norm = RMSNorm(d_model)

    def forward(self, hidden, residual):
        # residual_in_fp32: the residual stream stays fp32 in bf16/f16 models,
        # and the fused add + norm normalizes the fp32 sum.
        residual = hidden.float() if residual is None else residual + hidden.float()
        return self.mixer(self.norm(residual, hidden.dtype)), residual


class VisionMamba(nn.Module):
    """The registered vim_* flags: middle class token, absolute position
    embedding, bimamba v2, RMSNorm, fp32 residual; the head on the class token."""

    def __init__(self, embed_dim=192, depth=24, img_size=224, patch_size=16, num_classes=1000,
                 d_state=16, channels=3):
        super().__init__()
        grid = img_size // patch_size
        self.num_patches = grid * grid
        self.patch_embed = nn.Module()
        self.patch_embed.proj = nn.Conv2d(channels, embed_dim, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.num_patches + 1, embed_dim))
        self.layers = nn.ModuleList(Block(embed_dim, d_state) for _ in range(depth))
        self.norm_f = RMSNorm(embed_dim)
        self.head = nn.Linear(embed_dim, num_classes)

    def forward(self, img):
        x = self.patch_embed.proj(img).flatten(2).transpose(1, 2)  # [B, M, D]
        m = self.num_patches // 2
        cls = self.cls_token.expand(x.shape[0], -1, -1).to(x.dtype)
        x = torch.cat([x[:, :m], cls, x[:, m:]], dim=1) + self.pos_embed.to(x.dtype)
        hidden, residual = x, None
        for layer in self.layers:
            hidden, residual = layer(hidden, residual)
        out = self.norm_f(residual + hidden.float(), hidden.dtype)
        return self.head(out[:, m])

    def load_official(self, tensors):
        """Loads a state_dict under the official names (the mixer's *_b
        parameters are the backward direction's)."""
        state = {}
        for name, t in tensors.items():
            key = name
            for fwd, ours in (("conv1d_b.", "bwd.conv1d."), ("x_proj_b.", "bwd.x_proj."),
                              ("dt_proj_b.", "bwd.dt_proj."), ("conv1d.", "fwd.conv1d."),
                              ("x_proj.", "fwd.x_proj."), ("dt_proj.", "fwd.dt_proj.")):
                if f"mixer.{fwd}" in key:
                    key = key.replace(f"mixer.{fwd}", f"mixer.{ours}")
                    break
            state[key] = t
        missing, unexpected = self.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise ValueError(f"weights do not fit the model: missing {missing[:5]}, "
                             f"unexpected {unexpected[:5]}")

    def official_state_dict(self):
        out = {}
        for key, t in self.state_dict().items():
            for ours, name in (("bwd.conv1d.", "conv1d_b."), ("bwd.x_proj.", "x_proj_b."),
                               ("bwd.dt_proj.", "dt_proj_b."), ("fwd.", "")):
                if f"mixer.{ours}" in key:
                    key = key.replace(f"mixer.{ours}", f"mixer.{name}")
                    break
            out[key] = t
        return out


# The registered variants ssmc knows (models/VisionMamba.cpp).
VARIANTS = {
    "vim_tiny": dict(embed_dim=192, depth=24),
    "vim_small": dict(embed_dim=384, depth=24),
    "vim_base": dict(embed_dim=768, depth=24),
}
