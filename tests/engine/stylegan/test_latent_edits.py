"""A request's final ws, and latents saved with a generator of another depth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.stylegan.latent_edits import final_ws, fit_rows


def _rows(k: int, w_dim: int = 4) -> np.ndarray:
    return np.arange(k * w_dim, dtype=np.float32).reshape(k, w_dim)


def test_rows_map_from_the_coarse_end() -> None:
    old = _rows(12)  # a W+ latent projected with a 128 px model (12 layers)
    deeper = fit_rows(old, 14, 4)  # the 256 px model has two more (finer) layers
    assert deeper.shape == (14, 4)
    assert np.array_equal(deeper[:12], old)
    assert np.array_equal(deeper[12], old[-1]) and np.array_equal(deeper[13], old[-1])
    shallower = fit_rows(old, 10, 4)
    assert np.array_equal(shallower, old[:10])
    assert np.array_equal(fit_rows(old[0], 3, 4), np.repeat(old[:1], 3, axis=0))  # one w
    same = fit_rows(old, 12, 4)
    assert np.array_equal(same, old) and same is not old  # a copy: edits never touch the design


@pytest.mark.parametrize("shape", [(12, 5), (0, 4), (2, 3, 4)])
def test_a_latent_of_another_width_is_refused_with_its_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match=r"another model") as e:
        fit_rows(np.zeros(shape, np.float32), 14, 4)
    assert str(list(shape)) in str(e.value)


def test_edits_apply_to_an_old_latent_on_a_deeper_model() -> None:
    old = _rows(12)
    vec = np.array([1.0, 0.0, 0.0, 0.0], np.float32)
    ws = final_ws(old, 14, 4, offsets=[(vec, 2.0, (10, 14))])
    assert ws.shape == (14, 4)
    assert np.array_equal(ws[:10], old[:10])
    assert np.allclose(ws[10:, 0], np.r_[old[10:, 0], old[-1, 0], old[-1, 0]] + 2.0)
    assert np.array_equal(old, _rows(12))  # the saved latent itself is unchanged


def test_numpy_and_torch_renderers_take_an_old_latent_alike(tiny_model_dir: Path) -> None:
    """Both renderers of a design (first-frame helper and engine thread) accept it."""
    from engine.stylegan import numpy_render
    from engine.stylegan.render import Renderer, RenderRequest

    r = Renderer(tiny_model_dir, device="cpu")
    n = int(r.info.num_ws)
    short = r.mapping(3, None, 1.0)[: n - 2]  # as if saved by a model with 2 fewer layers
    a = r.render(RenderRequest(ws=short)).image
    b = numpy_render.load(tiny_model_dir).render(0, None, ws=short)
    assert a.shape == b.shape and np.abs(a.astype(int) - b.astype(int)).max() <= 1
    full = r.render(RenderRequest(ws=fit_rows(short, n, short.shape[1]))).image
    assert np.array_equal(a, full)
