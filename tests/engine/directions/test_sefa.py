import numpy as np

from engine.directions.base import spearman
from engine.directions.sefa import affine_rows, sefa_directions


def test_affine_rows_cover_every_w_row(tiny_G) -> None:
    rows = affine_rows(tiny_G)
    assert len(rows) == tiny_G.num_ws
    assert all(len(r) >= 1 for r in rows)
    assert all(m.shape[1] == tiny_G.w_dim for r in rows for m in r)


def test_sefa_orthonormal_per_range(tiny_renderer) -> None:
    G = tiny_renderer.G
    dirs = sefa_directions(G, tiny_renderer.info.layer_ranges, k=6)
    assert set(dirs) == {"coarse", "middle", "fine"}
    for name, ds in dirs.items():
        V = np.stack([d.vector for d in ds]).astype(np.float64)
        assert V.shape == (6, G.w_dim)
        np.testing.assert_allclose(V @ V.T, np.eye(6), atol=1e-5)
        eig = [d.meta["eigenvalue"] for d in ds]
        assert eig == sorted(eig, reverse=True)
        assert all(d.layers == tiny_renderer.info.layer_ranges[name] for d in ds)


def test_sefa_deterministic_and_top_direction_moves_styles_most(tiny_renderer) -> None:
    G = tiny_renderer.G
    ranges = tiny_renderer.info.layer_ranges
    a = sefa_directions(G, ranges, k=3)
    b = sefa_directions(G, ranges, k=3)
    for name in ranges:
        for da, db in zip(a[name], b[name], strict=True):
            np.testing.assert_array_equal(da.vector, db.vector)
    # the top direction changes the coarse styles more than a random unit direction
    rng = np.random.default_rng(0)
    rand = rng.normal(size=G.w_dim)
    rand /= np.linalg.norm(rand)
    top = a["coarse"][0].vector
    assert style_change(G, top, ranges["coarse"]) > style_change(G, rand, ranges["coarse"])


def style_change(G, vector: np.ndarray, layers: tuple[int, int]) -> float:
    """|Δ styles| of the affine layers reading rows `layers` for a unit step along `vector`."""
    rows = affine_rows(G)
    return float(
        sum(np.linalg.norm(m @ vector) ** 2 for r in range(*layers) for m in rows[r]) ** 0.5
    )


def test_spearman_basics() -> None:
    assert spearman(np.arange(5), np.arange(5) ** 3) == 1.0
    assert spearman(np.arange(5), -np.arange(5)) == -1.0
    assert spearman(np.arange(5), np.ones(5)) == 0.0
