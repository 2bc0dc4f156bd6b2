import numpy as np
import pytest

from engine.errors import UserInputError
from engine.stylegan.mixing import crossover_layer, mix_request, style_mix
from engine.stylegan.projection import prepare_reference, project_image
from engine.stylegan.render import RenderRequest


def test_style_mix_takes_structure_and_texture_rows(tiny_renderer) -> None:
    info = tiny_renderer.info
    a = tiny_renderer.mapping(1, None)
    b = tiny_renderer.mapping(2, None)
    req = style_mix(a, b, info, crossover="fine")
    k = info.layer_ranges["fine"][0]
    assert req.mix_from_layer == k
    ws = tiny_renderer.request_ws(req)
    np.testing.assert_array_equal(ws[:k], a[:k])
    np.testing.assert_array_equal(ws[k:], b[k:])
    mixed = tiny_renderer.render(req).image
    assert not np.array_equal(mixed, tiny_renderer.render(RenderRequest(ws=a)).image)
    # crossover at 0 is the donor, at num_ws the base
    full = tiny_renderer.render(style_mix(a, b, info, crossover=0)).image
    np.testing.assert_array_equal(full, tiny_renderer.render(RenderRequest(ws=b)).image)
    assert crossover_layer(info, info.num_ws) == info.num_ws


def test_mix_request_keeps_base_fields_and_checks_input(tiny_renderer) -> None:
    info = tiny_renderer.info
    base = RenderRequest(seed=3, truncation=0.5, request_id=9)
    donor = tiny_renderer.mapping(4, None)
    req = mix_request(base, donor, info, crossover=2)
    assert (req.seed, req.truncation, req.request_id, req.mix_from_layer) == (3, 0.5, 9, 2)
    assert base.mix_ws is None  # the base request is not modified
    with pytest.raises(UserInputError):
        mix_request(base, donor, info, crossover="nowhere")
    with pytest.raises(UserInputError):
        mix_request(base, donor[:, :5], info)


def test_prepare_reference_crops_and_resizes() -> None:
    img = np.zeros((60, 100, 3), np.uint8)
    img[:, :20] = 255  # outside the centre crop
    t = prepare_reference(img, 32)
    assert t.shape == (1, 3, 32, 32)
    assert float(t.max()) == -1.0  # the white band was cropped away


def test_projection_reduces_loss_and_matches_target(tiny_renderer) -> None:
    G = tiny_renderer.G
    target = tiny_renderer.render(RenderRequest(ws=tiny_renderer.mapping(11, None))).image
    ref = np.pad(target, ((4, 4), (10, 10), (0, 0)), mode="wrap")  # any size: cropped back
    seen: list[int] = []
    res = project_image(
        G, ref, steps=40, time_limit_s=None, progress=lambda s, n, l: seen.append(s)
    )
    assert res.steps == 40 and seen == list(range(1, 41))
    assert res.ws.shape == (G.num_ws, G.w_dim)
    assert min(res.losses[-5:]) < 0.8 * res.losses[0]
    # the returned latent re-renders exactly through the shared renderer
    again = tiny_renderer.render(RenderRequest(ws=res.ws)).image
    np.testing.assert_array_equal(again, res.image)
    start = tiny_renderer.render(RenderRequest(ws=tiny_renderer.mapping(999, None))).image
    err = np.abs(res.image.astype(float) - target).mean()
    assert err < np.abs(start.astype(float) - target).mean()


def test_projection_reports_the_returned_latents_own_loss(tiny_renderer) -> None:
    """With a low-resolution phase and a full-size refinement, the reported best loss is
    the returned latent's loss at full size, not the minimum over both phases' scales."""
    import torch

    from engine.stylegan.projection import image_loss

    G = tiny_renderer.G
    target = tiny_renderer.render(RenderRequest(ws=tiny_renderer.mapping(11, None))).image
    steps, refine_from = 20, 15  # opt at 16 px, the last quarter at the full 32 px
    res = project_image(
        G, target, steps=steps, time_limit_s=None, opt_resolution=16, refine_share=0.25
    )
    assert res.best_at_full and res.best_loss is not None
    assert res.best_loss == min(res.losses[refine_from:])
    ref = torch.from_numpy(target).permute(2, 0, 1)[None].float() / 127.5 - 1.0
    with torch.no_grad():
        again = image_loss(G.synthesis(torch.from_numpy(res.ws)[None], noise_mode="const"), ref)
    assert float(again) == pytest.approx(res.best_loss, rel=1e-4)
    # stopped inside the low-resolution phase: the best is a 16 px figure
    seen: list[int] = []
    early = project_image(
        G,
        target,
        steps=steps,
        time_limit_s=None,
        opt_resolution=16,
        refine_share=0.25,
        cancel=lambda: len(seen) >= 5,
        progress=lambda s, n, l: seen.append(s),
    )
    assert early.steps == 5 and not early.best_at_full
    assert early.best_loss == min(early.losses)


def test_projection_honours_cancel_and_time_limit(tiny_renderer, tiny_encoder) -> None:
    G = tiny_renderer.G
    img = (np.random.default_rng(0).random((40, 40, 3)) * 255).astype(np.uint8)
    calls = {"n": 0}

    def cancel() -> bool:
        calls["n"] += 1
        return calls["n"] > 3

    res = project_image(G, img, steps=100, cancel=cancel)
    assert res.cancelled and res.steps == 3
    assert res.image.shape == (32, 32, 3)
    res = project_image(G, img, encoder=tiny_encoder, steps=1000, time_limit_s=0.5, w_plus=True)
    assert res.timed_out and 0 < res.steps < 1000
    assert res.ws.shape == (G.num_ws, G.w_dim)


def test_project_image_cli(tiny_G, tmp_path) -> None:
    import json

    from PIL import Image

    from engine.cli import main
    from engine.stylegan.checkpoint import save_generator

    mdir = save_generator(tiny_G, tmp_path / "gen")
    img = tmp_path / "ref.png"
    Image.fromarray((np.random.default_rng(0).random((50, 70, 3)) * 255).astype(np.uint8)).save(img)
    out = tmp_path / "proj"
    args = ["project-image", "--model", str(mdir), "--image", str(img), "--out", str(out)]
    assert main([*args, "--steps", "3", "--region", "miao"]) == 0
    doc = json.loads((out / "projection.json").read_text())
    assert doc["steps"] == 3 and doc["region"] == "miao"
    # 32 px model, 64 px optimisation resolution: no separate refinement phase
    assert doc["loss_best"] <= doc["loss_first"]
    assert doc["loss_best_at"] == "full size"
    assert (out / "projected.png").is_file() and (out / "latent.safetensors").is_file()
    assert main([*args[:-4], "--image", str(tmp_path / "missing.png"), "--out", str(out)]) == 2
