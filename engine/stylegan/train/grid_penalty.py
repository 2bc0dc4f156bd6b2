"""A G penalty on the block grid: the jump between neighbouring pixels by phase mod `period`.

Why (session 18): the 256 px generator jumps ~14% more across every 8th pixel line (and ~7%
more across the lines half-way between) than elsewhere; the database is flat within 2%.
The tile's wrap edge is one of those lines, so the grid fails the seam ratio. Low-passing
the noise removed it for 2 kimg, then the network drew it back.

A penalty on one batch's squared profile fights content, because a batch's motifs and bands
make its own profile uneven by more than the grid (session 17). So the penalty is linear in
the batch's profile, with coefficients from a running mean of past profiles (a buffer saved
with the run): in expectation its gradient pushes only along the systematic grid, and a
batch's own unevenness averages out. As the grid fades, the coefficients fade with it.
The running mean is bias-corrected as Adam's moments are, so a penalty switched on for a
running run pushes at full strength from its first steps instead of after ~1/decay steps.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def jump_profile(img: torch.Tensor, period: int, wrap: bool = True) -> torch.Tensor:
    """[period]: mean |Δ| between neighbouring pixels (rows and columns together) by the
    phase of the line crossed, over the mean |Δ| anywhere (1 everywhere = no grid).

    Phase 0 is the line between pixels k·period − 1 and k·period, as in
    `engine.seam.grid_ratio`; with `wrap` the tile's wrap edge counts as a line too."""
    if img.ndim != 4:
        raise ValueError(f"expected [NCHW], got shape {tuple(img.shape)}")
    h, w = img.shape[-2:]
    if period < 2 or h % period or w % period:
        raise ValueError(f"period {period} must be >= 2 and divide the tile size {h}x{w}")
    if wrap:
        rows = (torch.roll(img, -1, dims=2) - img).abs().mean(dim=(0, 1, 3))  # [H]: k -> k+1
        cols = (torch.roll(img, -1, dims=3) - img).abs().mean(dim=(0, 1, 2))  # [W]
    else:  # no wrap edge: the lines inside the tile only
        rows = (img[:, :, 1:] - img[:, :, :-1]).abs().mean(dim=(0, 1, 3))
        cols = (img[:, :, :, 1:] - img[:, :, :, :-1]).abs().mean(dim=(0, 1, 2))
    # line k -> k+1 has phase (k + 1) mod period
    per_row = _by_phase(rows, period)
    per_col = _by_phase(cols, period)
    prof = (per_row + per_col) / 2
    return prof / prof.mean().clamp_min(1e-8)


def _by_phase(jumps: torch.Tensor, period: int) -> torch.Tensor:
    phase = (torch.arange(jumps.shape[0], device=jumps.device) + 1) % period
    total = torch.zeros(period, dtype=jumps.dtype, device=jumps.device)
    count = torch.zeros(period, dtype=jumps.dtype, device=jumps.device)
    total = total.index_add(0, phase, jumps)
    count = count.index_add(0, phase, torch.ones_like(jumps))
    return total / count


class GridPenalty:
    """Running estimate of the generator's grid (`bias`: profile − 1, averaged over steps)
    and the linear penalty Σ bias · profile on each new batch."""

    def __init__(self, period: int, decay: float, device: torch.device | str = "cpu") -> None:
        if not 0 < decay <= 1:
            raise ValueError(f"decay must be in (0, 1], got {decay}")
        self.period = period  # lines every `period` px (8: the 32 px layer of a 256 px tile)
        self.decay = decay  # weight of each new batch in the running mean
        self.bias = torch.zeros(period, device=device)  # uncorrected running mean
        self.steps = torch.zeros([], device=device)  # batches seen (float: saved as a tensor)

    def estimate(self) -> torch.Tensor:
        """[period]: the bias-corrected running mean of profile − 1 (zeros before any
        batch)."""
        if float(self.steps) == 0:
            return torch.zeros_like(self.bias)
        return self.bias / (1 - (1 - self.decay) ** self.steps)

    def __call__(
        self,
        fake: torch.Tensor,
        wrap: bool = True,
        reduce: Callable[[torch.Tensor], torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """The penalty for this batch (differentiable); updates the running mean first, so
        the first batch is already judged. `reduce(tensor) -> tensor` averages the detached
        profile over ranks (None: one process)."""
        prof = jump_profile(fake.float(), self.period, wrap)
        seen = prof.detach()
        if reduce is not None:
            seen = reduce(seen)
        self.bias.lerp_(seen - 1, self.decay)
        self.steps += 1
        return (self.estimate() * prof).sum()

    def state(self) -> dict[str, torch.Tensor]:
        return {"grid_bias": self.bias, "grid_steps": self.steps}

    def load(self, tensors: dict[str, torch.Tensor], prefix: str = "") -> bool:
        """Take a saved running mean (`state()`'s names after `prefix`); False (and kept as
        it is) if missing or of another period. A mean saved without its step count counts
        as long settled (no correction)."""
        bias = tensors.get(prefix + "grid_bias")
        if bias is None or tuple(bias.shape) != (self.period,):
            return False
        self.bias.copy_(bias.to(self.bias.device, self.bias.dtype))
        steps = tensors.get(prefix + "grid_steps")
        self.steps.fill_(1e9 if steps is None else float(steps))
        return True
