"""TileDataset: tiles in manifest order, database-size tiles kept without a second copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.database import load_image
from engine.stylegan.train.data import TileDataset, read_records
from tests.engine.stylegan.train_helpers import build_db


@pytest.mark.parametrize("resolution", [32, 16])
def test_native_tiles_are_the_database_tiles(tmp_path: Path, resolution: int) -> None:
    db = build_db(tmp_path / "db", per_region=1, size=32)
    data = TileDataset.from_database(db, resolution, keep_native=True)
    records = read_records(db)
    assert data.native is not None and len(data.native) == len(records) == len(data)
    for i, rec in enumerate(records):
        tile = np.asarray(load_image(db, rec))
        assert np.array_equal(data.native[i], tile), rec["file"]
        if resolution == 32:  # the training tiles are the same pixels, channels first
            assert np.array_equal(data.images[i].permute(1, 2, 0).numpy(), tile)
    # same size: the native tiles are views of one buffer, not 8 more copies in the heap
    base = data.native[0].base
    shared = base is not None and all(t.base is base for t in data.native[1:])
    assert shared == (resolution == 32)
    images = data.images.clone()
    data.drop_native()
    assert data.native is None
    assert data.images.equal(images)  # dropping the native tiles leaves the training tiles


def test_memory_mapped_tiles_equal_the_in_memory_ones(tmp_path: Path) -> None:
    db = build_db(tmp_path / "db", per_region=1, size=32)
    cache = tmp_path / "tiles"
    plain = TileDataset.from_database(db, 16)
    mapped = TileDataset.from_database(db, 16, keep_native=True, cache_dir=cache)
    assert mapped.images.equal(plain.images) and mapped.images.is_contiguous()
    files = list(cache.glob("*-16px.npy"))
    assert len(files) == 1 and not list(cache.glob(".*"))  # no temporary left behind
    assert mapped.native is not None
    assert np.array_equal(mapped.native[2], np.asarray(load_image(db, mapped.records[2])))
    stamp = files[0].stat().st_mtime_ns
    again = TileDataset.from_database(db, 16, cache_dir=cache)  # read, not written again
    assert again.images.equal(plain.images) and files[0].stat().st_mtime_ns == stamp
    # same size: native tiles are views of the map
    same = TileDataset.from_database(db, 32, keep_native=True, cache_dir=cache)
    assert same.native is not None
    assert np.array_equal(same.native[1], np.asarray(load_image(db, same.records[1])))


def test_a_changed_tile_or_a_broken_cache_file_is_read_afresh(tmp_path: Path) -> None:
    from PIL import Image

    db = build_db(tmp_path / "db", per_region=1, size=32)
    cache = tmp_path / "tiles"
    first = TileDataset.from_database(db, 32, cache_dir=cache)
    expected = first.images.clone()  # a map of a truncated file would fault on access
    del first.images
    (path,) = cache.glob("*.npy")
    path.write_bytes(path.read_bytes()[:200])  # truncated (a crash, a full disk)
    assert TileDataset.from_database(db, 32, cache_dir=cache).images.equal(expected)
    rec = first.records[0]
    Image.fromarray(np.zeros((32, 32, 3), np.uint8)).save(db / rec["file"])  # edited tile
    edited = TileDataset.from_database(db, 32, cache_dir=cache)
    assert int(edited.images[0].max()) == 0 and edited.images[1:].equal(expected[1:])


def test_training_tiles_are_not_written_through_to_the_cache(tmp_path: Path) -> None:
    db = build_db(tmp_path / "db", per_region=1, size=32)
    cache = tmp_path / "tiles"
    data = TileDataset.from_database(db, 32, cache_dir=cache)
    data.images[0].zero_()  # copy-on-write: private to this process
    assert TileDataset.from_database(db, 32, cache_dir=cache).images[0].max() > 0


def test_native_tiles_of_another_size_are_read_only_when_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import engine.stylegan.train.data as D

    db = build_db(tmp_path / "db", per_region=1, size=32)
    cache = tmp_path / "tiles"
    TileDataset.from_database(db, 16, cache_dir=cache)  # writes the cache
    reads: list[str] = []
    real = D._load_image
    monkeypatch.setattr(D, "_load_image", lambda d, rec: reads.append(rec["file"]) or real(d, rec))
    data = TileDataset.from_database(db, 16, keep_native=True, cache_dir=cache)
    assert len(reads) <= 1  # the first tile's size only, not the database
    assert data.native is not None and len(data.native) == len(data)
    batch = data.native[2:5]
    assert [np.asarray(load_image(db, r)).tolist() for r in data.records[2:5]] == [
        t.tolist() for t in batch
    ]
    assert reads[-3:] == [r["file"] for r in data.records[2:5]]
