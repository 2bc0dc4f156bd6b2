import numpy as np
import pytest

from engine.directions.region_mean import region_means, truncate
from engine.directions.sliders import Sliders, compute_text_basis
from engine.directions.text import parse_edit, text_delta, text_directions


def test_parse_edit() -> None:
    assert parse_edit("more gold") == ("gold", 1.0)
    assert parse_edit("Less dense ") == ("dense", -1.0)
    assert parse_edit("更多金色") == ("金色", 1.0)
    assert parse_edit("少一点金色") == ("金色", -1.0)
    assert parse_edit("lotus") == ("lotus", 1.0)


def test_text_direction_shape_and_effect(cond_renderer, tiny_encoder) -> None:
    from engine.stylegan.render import RenderRequest

    sl = Sliders(cond_renderer, tiny_encoder)
    basis = compute_text_basis(
        cond_renderer, tiny_encoder, sl.sefa, sl.conditions, per_range=3, n_images=3
    )
    info = cond_renderer.info
    assert basis.vectors.shape == (9, info.w_dim)
    assert basis.delta_i.shape == (9, tiny_encoder.embed_dim)
    dirs = text_directions(basis, tiny_encoder, "more red")
    assert dirs and all(d.vector.shape == (info.w_dim,) for d in dirs)
    assert all(0 <= d.layers[0] < d.layers[1] <= info.num_ws for d in dirs)
    less = text_directions(basis, tiny_encoder, "less red")
    np.testing.assert_allclose(
        sum(d.vector * d.scale for d in less), -sum(d.vector * d.scale for d in dirs), atol=1e-5
    )
    # the edit moves the CLIP image embedding along Δt (same latents the basis was built on)
    dt = text_delta(tiny_encoder, "red")
    gains = []
    for i in range(3):
        c = sl.conditions[list(sl.conditions)[(i * 3) % 8]]
        ws = cond_renderer.mapping(30_000_001 + i, c, 0.7)
        imgs = [
            cond_renderer.render(RenderRequest(ws=ws, offsets=[d.offset(s) for d in dirs])).image
            for s in (0.0, 0.5)
        ]
        e = tiny_encoder.encode_image(np.stack(imgs)).numpy()
        gains.append(float(e[1] @ dt - e[0] @ dt))
    assert np.mean(gains) > 0


def test_region_means_and_truncation(cond_renderer, tiny_encoder) -> None:
    G = cond_renderer.G
    means = region_means(G, tiny_encoder, n=256)
    assert set(means) == {
        "dunhuang",
        "miao",
        "tibetan",
        "mongolian",
        "jiangnan",
        "lingnan",
        "hakka",
        "xinjiang",
    }
    assert not np.allclose(means["miao"], means["dunhuang"])
    sl = Sliders(cond_renderer, tiny_encoder)
    c = sl.conditions["miao"]
    # ψ = 0 lands on the region's mean; ψ = 0.5 halves the distance to it
    w0 = cond_renderer.mapping(5, c, 0.0, w_avg=means["miao"])
    np.testing.assert_allclose(w0[0], means["miao"], atol=1e-5)
    w1 = cond_renderer.mapping(5, c, 1.0)
    wh = cond_renderer.mapping(5, c, 0.5, w_avg=means["miao"])
    np.testing.assert_allclose(wh, truncate(w1, means["miao"], 0.5), atol=1e-5)
    # a region's samples sit closer to their own mean than to another region's
    from engine.directions.latents import sample_w
    from engine.directions.region_mean import region_condition_set

    ws = sample_w(G, 256, region_condition_set(tiny_encoder, "miao"), seed=9)
    own = np.linalg.norm(ws - means["miao"], axis=1).mean()
    other = np.linalg.norm(ws - means["dunhuang"], axis=1).mean()
    assert own < other


def test_unconditional_region_mean_is_global(tiny_renderer) -> None:
    means = region_means(tiny_renderer.G, None, n=128)
    np.testing.assert_array_equal(means["miao"], means["hakka"])


def test_text_needs_clip(tiny_renderer) -> None:
    from engine.errors import UserInputError

    with pytest.raises(UserInputError):
        Sliders(tiny_renderer).text("more gold")


def test_condition_text_direction(cond_renderer, tiny_encoder) -> None:
    from engine.errors import UserInputError

    sl = Sliders(cond_renderer, tiny_encoder)
    c = sl.conditions["miao"]
    (d,) = sl.text("more red", method="condition", c=c)
    info = cond_renderer.info
    assert d.layers == (0, info.num_ws) and d.vector.shape == (info.w_dim,)
    assert d.scale > 0 and abs(np.linalg.norm(d.vector) - 1) < 1e-5
    # step 1 lands where mapping with the shifted condition lands, on average
    from engine.directions.base import unit
    from engine.directions.latents import sample_w
    from engine.directions.text import text_delta

    c1 = unit(c + 0.5 * text_delta(tiny_encoder, "red"))
    w0, w1 = sample_w(cond_renderer.G, 64, c[None], 5), sample_w(cond_renderer.G, 64, c1[None], 5)
    moved = w0 + d.vector * d.scale
    assert np.linalg.norm((moved - w1).mean(0)) < 0.5 * np.linalg.norm((w0 - w1).mean(0))
    (less,) = sl.text("less red", method="condition", c=c)
    assert float(less.vector @ d.vector) < 0
    with pytest.raises(UserInputError):
        sl.text("more red", method="condition")


def test_region_means_are_taken_through_the_condition_prior(cond_renderer, tiny_encoder) -> None:
    """With a prior, a region's centre is the mean of the ws the studio renders: every
    sample's condition is the prior's pick, not the raw text embedding."""
    from engine.directions.region_mean import condition_mean, renderer_prior, through_prior
    from engine.stylegan.condition_prior import ConditionPrior

    G = cond_renderer.G
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 32)).astype(np.float32)
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    only_a = ConditionPrior(bank=a[None], k=1, text_weight=0.0, mode="sample")
    means = region_means(G, tiny_encoder, n=128, prior=only_a)
    want = condition_mean(G, a[None], 128)
    for m in means.values():  # every region's prompts reach the mapping as `a`
        np.testing.assert_allclose(m, want, atol=1e-5)
    raw = region_means(G, tiny_encoder, n=128)
    assert not np.allclose(raw["miao"], want, atol=1e-3)
    # a sampling prior picks a neighbour per sample, as the renderer does per seed: the
    # conditions are real bank rows, both of them, never their mean
    both = ConditionPrior(bank=np.stack([a, b]), k=2, text_weight=0.0, mode="sample")
    conds = through_prior(np.stack([a + b]), 64, both)
    near_a = np.isclose(conds @ a, 1.0, atol=1e-5)
    near_b = np.isclose(conds @ b, 1.0, atol=1e-5)
    assert np.all(near_a | near_b) and near_a.any() and near_b.any()
    # a labelled bank: each region's samples draw only among that region's rows
    labelled = ConditionPrior(
        bank=np.stack([a, b]), k=2, text_weight=0.0, mode="sample", regions=["miao", "hakka"]
    )
    by_region = region_means(G, tiny_encoder, n=64, prior=labelled)
    np.testing.assert_allclose(by_region["miao"], condition_mean(G, a[None], 64), atol=1e-5)
    np.testing.assert_allclose(by_region["hakka"], condition_mean(G, b[None], 64), atol=1e-5)
    # the renderer's prior counts only while the renderer uses it
    cond_renderer.prior = both
    assert renderer_prior(cond_renderer) is both
    cond_renderer.use_prior = False
    assert renderer_prior(cond_renderer) is None
