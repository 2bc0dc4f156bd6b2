import numpy as np

from engine.tuner.fidelity import MahalanobisFidelity
from engine.tuner.surrogate import _Design, fit_surrogate


def test_block_gram_equals_explicit_design():
    rng = np.random.default_rng(0)
    n, k, de, R = 60, 3, 2, 8
    z, e = rng.normal(size=(n, k)), rng.normal(size=(n, de))
    r = rng.choice([1, 4, 6], n)
    y, w = rng.normal(size=n), rng.random(n) + 0.5
    d = _Design(z, r, e, R)
    G, b = d.normal_eq(y, w)
    P = 3
    X = np.zeros((n, R + k + P * k + de))
    for i in range(n):
        q = list(d.present).index(r[i])
        X[i, r[i]] = 1
        X[i, R : R + k] = z[i]
        X[i, R + k + q * k : R + k + (q + 1) * k] = z[i]
        X[i, R + k + P * k :] = e[i]
    np.testing.assert_allclose(G, (X * w[:, None]).T @ X, atol=1e-9)
    np.testing.assert_allclose(b, (X * w[:, None]).T @ y, atol=1e-9)
    beta = d.solve(G, b, 1.0)
    np.testing.assert_allclose(d.predict(beta, np.arange(n), r), X @ beta, atol=1e-9)


def test_surrogate_recovers_region_specific_slopes_and_knows_its_uncertainty():
    rng = np.random.default_rng(1)
    n, k, R = 600, 6, 8
    z = rng.normal(size=(n, k))
    r = rng.choice([0, 1], n)
    slope = np.where(r == 0, 3.0, -2.0)  # opposite preferences per region
    y = 100 + slope * z[:, 0] + rng.normal(scale=1.0, size=n)
    s = fit_surrogate(z, r, None, y, np.ones(n), R, members=8)
    assert s.spearman > 0.8
    assert s.G.shape == (8, R, k)
    np.testing.assert_allclose(s.G[:, 0, 0].mean(), 3.0, atol=0.3)
    np.testing.assert_allclose(s.G[:, 1, 0].mean(), -2.0, atol=0.3)
    near = s.predict(np.zeros((1, k)), np.array([0])).std()
    far = s.predict(np.full((1, k), 6.0), np.array([0])).std()
    assert far > 2 * near  # members disagree away from the data


def test_mahalanobis_fidelity_drops_off_support():
    rng = np.random.default_rng(2)
    z = rng.normal(size=(2000, 4))
    r = np.zeros(2000, np.int64)
    f = MahalanobisFidelity.fit(z, r, 8)
    idx = np.arange(2000)
    assert 93 < f.accuracy(z, r, idx) < 97
    assert f.accuracy(z + 3.0, r, idx) < 20
    assert f.score(z[:5] * 0, r[:5], idx[:5]).min() > 0.99
