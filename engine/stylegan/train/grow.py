"""Start a larger generator (higher resolution, wider layers) from a smaller trained one.

Why: every kimg is expensive, so a 256 px or wider model should not start from random
weights when a 128 px one has already learned the regions. The official networks make this
possible without new code paths: with the skip architecture the image of a block is the
upsampled image of the block below plus its own toRGB, so a new top block whose toRGB starts
near zero first reproduces the smaller model's picture, upsampled. Wider layers keep the old
channels in the leading slice; weights from new input channels start small so the old
channels' outputs barely move (ToRGB's weights are rescaled for its 1/sqrt(fan-in) style
gain), and everything new still receives gradients.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

# scale of weights that feed new channels (or a new block's toRGB) into the old picture
NEW_GAIN = 0.02


@dataclass
class GrowReport:
    """What `grow_state_dict` did, for the training log."""

    copied: int = 0  # tensors taken over unchanged
    widened: list[str] = field(default_factory=list)  # old values in the leading slice
    new: list[str] = field(default_factory=list)  # not in the small model: fresh init

    def summary(self) -> str:
        new_blocks = sorted({k.split(".")[1] for k in self.new if k.startswith("synthesis.")})
        blocks = f" (new blocks: {', '.join(new_blocks)})" if new_blocks else ""
        return (
            f"{self.copied} tensors copied, {len(self.widened)} widened, "
            f"{len(self.new)} new{blocks}"
        )


def _is_torgb_weight(key: str) -> bool:
    return key.endswith("torgb.weight")


def grow_state_dict(
    small: dict[str, torch.Tensor],
    fresh: dict[str, torch.Tensor],
    new_gain: float = NEW_GAIN,
) -> tuple[dict[str, torch.Tensor], GrowReport]:
    """The state dict of the larger network (`fresh` = its random init) seeded by `small`.

    Raises ValueError naming the first tensor that cannot be grown (a tensor only the small
    model has, one that would have to shrink, or another mapping network: z_dim, c_dim, w_dim).
    """
    extra = [k for k in small if k not in fresh]
    if extra:
        raise ValueError(f"the smaller model has {extra[0]!r}, which the larger one lacks")
    out: dict[str, torch.Tensor] = {}
    rep = GrowReport()
    for key, init in fresh.items():
        if key not in small:
            t = init.clone()
            if _is_torgb_weight(key):  # a new top block starts by adding ~nothing
                t.mul_(new_gain)
            out[key] = t
            rep.new.append(key)
            continue
        old = small[key].to(init.dtype)
        if old.shape == init.shape:
            out[key] = old.clone()
            rep.copied += 1
            continue
        if key.startswith("mapping."):  # z, c and w spaces must stay what they were
            raise ValueError(
                f"{key!r} differs ({tuple(old.shape)} vs {tuple(init.shape)}): the mapping "
                "network (z_dim, c_dim, w_dim, depth) must be the same"
            )
        if old.dim() != init.dim() or any(
            o > n for o, n in zip(old.shape, init.shape, strict=True)
        ):
            raise ValueError(f"{key!r} cannot grow from {tuple(old.shape)} to {tuple(init.shape)}")
        t = init.clone()
        if t.dim() >= 2 and key.endswith("weight"):
            # [out, in, ...]: weights from new input channels into old outputs start small
            t[: old.shape[0], old.shape[1] :].mul_(new_gain)
        if _is_torgb_weight(key):  # ToRGB scales its styles by 1/sqrt(in_channels)
            old = old * (init.shape[1] / old.shape[1]) ** 0.5
        t[tuple(slice(0, s) for s in old.shape)] = old
        out[key] = t
        rep.widened.append(key)
    return out, rep
