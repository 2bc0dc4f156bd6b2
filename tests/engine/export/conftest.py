from __future__ import annotations

import numpy as np
import pytest

from engine.export.sample import synthetic_tile


@pytest.fixture(scope="session")
def tile() -> np.ndarray:
    return synthetic_tile(64, seed=3)
