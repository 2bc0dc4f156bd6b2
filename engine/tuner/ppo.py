"""PPO actor-critic over w offsets, trained offline against the surrogate reward.

Each step is a one-step episode: a logged variant of some region is the base, the policy
(conditioned on the region one-hot and the batch's text embedding) proposes an offset a in
whitened w coordinates, and the reward is the pessimistic surrogate (mean − k·std over the
ensemble) + a cultural-fidelity term − β·(log π − log π_base), a KL penalty to the untuned
policy N(0, base_std²). Clipped surrogate objective, normalised advantages, entropy bonus,
clamped log-std, early stop on a target KL.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from engine.tuner.fidelity import Fidelity
from engine.tuner.surrogate import Surrogate


@dataclass
class PPOConfig:
    iterations: int = 60  # policy updates (the synthetic market converges in ~40)
    batch: int = 1024  # one-step episodes per update
    epochs: int = 3  # passes over each batch
    minibatch: int = 512
    lr: float = 3e-3
    hidden: int = 64
    clip: float = 0.2  # ratio clip of the surrogate objective
    entropy_coef: float = 1e-3
    value_coef: float = 0.5
    kl_coef: float = 2.0  # β: reward − β·(log π − log π_base), in index points
    target_kl: float = 0.03  # stop an update's epochs when the policy moved this far
    base_std: float = 0.5  # std of the untuned policy, in data standard deviations
    log_std_min: float = -2.5  # clamp, relative to log(base_std)
    log_std_max: float = 0.5
    pessimism: float = 1.0  # k in mean − k·std
    fidelity_weight: float = 0.5  # index points per fidelity point (0–100)
    seed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class PPOResult:
    actor: dict[str, np.ndarray]  # l0/l1/l2 weight+bias, log_std
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    stopped_early: int = 0  # updates whose epochs stopped on the target KL


@dataclass
class Env:
    """What PPO samples from: logged variants as bases and the reward pieces."""

    z: np.ndarray  # [N, k] base variants
    region: np.ndarray  # [N]
    state: np.ndarray  # [N, S] one-hot region ‖ text embedding
    fixed: np.ndarray  # [M, N] surrogate terms that do not move with w
    surrogate: Surrogate
    fidelity: Fidelity

    def reward(self, idx: np.ndarray, a: np.ndarray, cfg: PPOConfig) -> tuple[np.ndarray, ...]:
        z = self.z[idx] + a
        r = self.region[idx]
        pred = self.surrogate.predict(z, r, fixed=self.fixed[:, idx])
        pess = pred.mean(0) - cfg.pessimism * pred.std(0)
        fid = 100.0 * self.fidelity.score(z, r, idx)
        return pess + cfg.fidelity_weight * fid, pess, fid


def train_ppo(
    env: Env,
    cfg: PPOConfig,
    progress: Callable[[str, float], None] | None = None,
    cancel: Callable[[], bool] | None = None,
) -> PPOResult:
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny networks: threads cost more than they give
    try:
        return _train(env, cfg, progress, cancel)
    finally:
        torch.set_num_threads(threads)


class _Adam:
    """Plain Adam (torch.optim imports torch._dynamo, seconds of start-up for a tiny net)."""

    def __init__(self, params: list, lr: float, b1: float = 0.9, b2: float = 0.999) -> None:
        import torch

        self.params, self.lr, self.b1, self.b2, self.t = params, lr, b1, b2, 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params]

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        import torch

        self.t += 1
        c1, c2 = 1 - self.b1**self.t, 1 - self.b2**self.t
        with torch.no_grad():
            for p, m, v in zip(self.params, self.m, self.v, strict=True):
                if p.grad is None:
                    continue
                m.mul_(self.b1).add_(p.grad, alpha=1 - self.b1)
                v.mul_(self.b2).addcmul_(p.grad, p.grad, value=1 - self.b2)
                p.addcdiv_(m / c1, (v / c2).sqrt_().add_(1e-8), value=-self.lr)


def _train(
    env: Env,
    cfg: PPOConfig,
    progress: Callable[[str, float], None] | None,
    cancel: Callable[[], bool] | None,
) -> PPOResult:
    import torch
    from torch import nn

    t0 = time.perf_counter()
    torch.manual_seed(cfg.seed)
    rng = np.random.default_rng(cfg.seed)
    k = env.z.shape[1]
    S = env.state.shape[1]
    layers = [nn.Linear(S, cfg.hidden), nn.Linear(cfg.hidden, cfg.hidden), nn.Linear(cfg.hidden, k)]
    head = layers[2]
    actor = nn.Sequential(layers[0], nn.Tanh(), layers[1], nn.Tanh(), head)
    nn.init.zeros_(head.weight)  # start exactly at the untuned policy (zero mean offset)
    nn.init.zeros_(head.bias)
    log0 = math.log(cfg.base_std)
    log_std = nn.Parameter(torch.full((k,), log0))
    critic = nn.Sequential(
        nn.Linear(S + k, cfg.hidden),
        nn.Tanh(),
        nn.Linear(cfg.hidden, cfg.hidden),
        nn.Tanh(),
        nn.Linear(cfg.hidden, 1),
    )
    opt = _Adam([*actor.parameters(), log_std, *critic.parameters()], cfg.lr)
    lo, hi = log0 + cfg.log_std_min, log0 + cfg.log_std_max
    state_all = torch.as_tensor(env.state, dtype=torch.float32)
    z_all = torch.as_tensor(env.z, dtype=torch.float32)

    def dist(s: torch.Tensor) -> torch.distributions.Normal:
        return torch.distributions.Normal(actor(s), log_std.clamp(lo, hi).exp().expand(len(s), k))

    base = torch.distributions.Normal(torch.zeros(k), torch.full((k,), cfg.base_std))
    res = PPOResult(actor={})
    n = len(env.z)
    for it in range(cfg.iterations):
        if cancel is not None and cancel():
            raise InterruptedError("tuning cancelled")
        half = rng.integers(0, n, cfg.batch // 2)
        idx = np.concatenate([half, half])  # antithetic pairs: a = μ ± σ·ε on the same base
        s = state_all[idx]
        zin = torch.cat([s, z_all[idx]], 1)
        with torch.no_grad():
            d = dist(s)
            eps = torch.randn(len(half), k)
            a = d.loc + d.scale * torch.cat([eps, -eps])
            logp_old = d.log_prob(a).sum(1)
            kl_sample = logp_old - base.log_prob(a).sum(1)
            mu = d.loc[: len(half)]
            kl_mu = (d.log_prob(d.loc).sum(1) - base.log_prob(d.loc).sum(1))[: len(half)]
        r, _pess, _fid = env.reward(idx, a.numpy(), cfg)
        r_t = torch.as_tensor(r, dtype=torch.float32) - cfg.kl_coef * kl_sample
        # self-critical baseline: the same base variant at the policy mean (the reward model is
        # cheap and deterministic); the critic learns what remains (the cost of the noise)
        r_mu, pess_mu, fid_mu = env.reward(half, mu.numpy(), cfg)
        b_mu = torch.as_tensor(r_mu, dtype=torch.float32) - cfg.kl_coef * kl_mu
        resid = r_t - torch.cat([b_mu, b_mu])
        with torch.no_grad():
            adv = resid - critic(zin).squeeze(1)
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        approx_kl = 0.0
        for _ in range(cfg.epochs):
            perm = torch.randperm(cfg.batch)
            for j in range(0, cfg.batch, cfg.minibatch):
                mb = perm[j : j + cfg.minibatch]
                d = dist(s[mb])
                logp = d.log_prob(a[mb]).sum(1)
                ratio = (logp - logp_old[mb]).exp()
                pg = -torch.min(
                    ratio * adv[mb], ratio.clamp(1 - cfg.clip, 1 + cfg.clip) * adv[mb]
                ).mean()
                v = critic(zin[mb]).squeeze(1)
                scale = resid.std() + 1e-8  # value loss on the residual's own scale
                vloss = (((v - resid[mb]) / scale) ** 2).mean()
                ent = d.entropy().sum(1).mean()
                loss = pg + cfg.value_coef * vloss - cfg.entropy_coef * ent
                opt.zero_grad()
                loss.backward()
                opt.step()
            with torch.no_grad():
                approx_kl = float((logp_old - dist(s).log_prob(a).sum(1)).mean())
            if approx_kl > 1.5 * cfg.target_kl:
                res.stopped_early += 1
                break
        res.history.append(
            {
                "iteration": it,
                "reward": float(r.mean()),
                "kl_to_base": float(kl_sample.mean()),
                "surrogate_at_mean": float(pess_mu.mean()),
                "fidelity_at_mean": float(fid_mu.mean()),
                "approx_kl": approx_kl,
                "std": float(log_std.detach().clamp(lo, hi).exp().mean()),
            }
        )
        if progress is not None and (it % 10 == 0 or it == cfg.iterations - 1):
            progress(f"PPO update {it + 1}/{cfg.iterations}", (it + 1) / cfg.iterations)
    sd = {
        f"l{i}.{p}": t.detach().numpy().copy()
        for i, layer in enumerate(layers)
        for p, t in (("weight", layer.weight), ("bias", layer.bias))
    }
    sd["log_std"] = log_std.detach().clamp(lo, hi).numpy().copy()
    res.actor = sd
    res.seconds = time.perf_counter() - t0
    return res
