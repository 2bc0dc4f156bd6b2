"""Retrieval metrics on hand-made similarity matrices."""

from __future__ import annotations

import math

import torch

from engine.clip.metrics import combined_scores, local_scores, precision_at_k, recall_at_k


def test_recall_at_k_counts_rank_of_true_pair() -> None:
    sim = torch.tensor([[0.9, 0.1, 0.0], [0.8, 0.5, 0.1], [0.1, 0.2, 0.3]])
    r = recall_at_k(sim, ks=(1, 2))
    assert math.isclose(r["R@1"], 2 / 3, rel_tol=1e-6)  # row 1's pair is beaten by item 0
    assert r["R@2"] == 1.0


def test_precision_at_k_caps_denominator_by_relevant_count() -> None:
    keys = ["a", "a", "b", "b", "b"]
    # query 0 (a): top-2 = items 0,2 → one of two relevant items
    sim = torch.tensor([[0.9, 0.1, 0.8, 0.0, 0.0]])
    assert math.isclose(precision_at_k(sim, ["a"], keys, k=2), 0.5, rel_tol=1e-6)
    # k larger than the number of relevant items: 2 relevant, both in top-4 → 1.0
    sim2 = torch.tensor([[0.9, 0.8, 0.1, 0.2, 0.3]])
    assert precision_at_k(sim2, ["a"], keys, k=4) == 1.0


def test_precision_excluding_self() -> None:
    keys = ["a", "a", "b"]
    sim = torch.eye(3) + torch.tensor([[0, 0.5, 0.6], [0.5, 0, 0.1], [0.6, 0.1, 0]])
    # query 0 without itself: best is item 2 (b) → miss at k=1
    p = precision_at_k(sim, keys, keys, k=1, exclude_self=True)
    # q0 miss, q1 hit (item 0), q2 has no other 'b' → not counted
    assert math.isclose(p, 0.5, rel_tol=1e-6)


def test_local_scores_prefer_matching_region() -> None:
    t = torch.tensor([[1.0, 0.0]])
    local = torch.tensor([[[0.0, 1.0], [0.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]])
    s = local_scores(t, local, tau=0.05)
    assert s.shape == (1, 2)
    assert s[0, 1] > 0.9 and s[0, 0] < 0.1
    glob = torch.tensor([[0.0, 1.0], [0.0, 1.0]])
    assert torch.equal(combined_scores(t, glob, local, 0.0), t @ glob.T)
    assert combined_scores(t, glob, local, 0.5)[0, 1] > combined_scores(t, glob, local, 0.0)[0, 1]
