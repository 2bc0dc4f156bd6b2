from __future__ import annotations

import io
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from engine.errors import UserInputError
from engine.export.png_export import PrintSpec, export_png, write_png
from engine.export.pngwrite import StreamingPNGWriter
from engine.export.provenance import IPTC_SOURCE_TYPE, Provenance, read_png_provenance
from engine.export.repeat import CanvasSource


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("filt", ["none", "sub", "up"])
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_streaming_writer_round_trips(filt: str, channels: int, threads: int) -> None:
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (37, 23, channels)).astype(np.uint8)
    buf = io.BytesIO()
    w = StreamingPNGWriter(buf, 23, 37, channels, filter_type=filt, level=1, threads=threads)
    for y in range(0, 37, 5):
        w.write_rows(img[y : y + 5])
    w.close()
    back = np.asarray(Image.open(io.BytesIO(buf.getvalue())))
    assert np.array_equal(back.reshape(img.shape), img)


def test_writer_refuses_missing_rows() -> None:
    w = StreamingPNGWriter(io.BytesIO(), 4, 4, 3)
    w.write_rows(np.zeros((2, 4, 3), np.uint8))
    with pytest.raises(ValueError, match="2 of 4"):
        w.close()


def _chunks(data: bytes) -> dict[bytes, list[bytes]]:
    out: dict[bytes, list[bytes]] = {}
    pos = 8
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 4], "big")
        ctype = data[pos + 4 : pos + 8]
        out.setdefault(ctype, []).append(data[pos + 8 : pos + 8 + n])
        assert zlib.crc32(data[pos + 4 : pos + 8 + n]) == int.from_bytes(
            data[pos + 8 + n : pos + 12 + n], "big"
        )
        pos += 12 + n
    return out


def test_export_png_carries_dpi_icc_and_provenance(tmp_path: Path, tile: np.ndarray) -> None:
    prov = Provenance(
        region="dunhuang",
        descriptors="飞天 飘带, golden accents",
        seed="7",
        model_id="gen-a",
        model_hash="abc123",
        policy_id="pol-1",
    )
    out = export_png(
        tile, tmp_path / "p.png", PrintSpec(50, 40, 150, "half-drop", 20), provenance=prov
    )
    with Image.open(out) as im:
        assert im.size == (295, 236)
        assert im.info["dpi"][0] == pytest.approx(150, abs=0.05)
        icc = im.info["icc_profile"]
        assert b"sRGB" in icc or b"s\x00R\x00G\x00B" in icc
        assert im.text["wenyang:descriptors"] == "飞天 飘带, golden accents"
        assert im.text["DigitalSourceType"] == IPTC_SOURCE_TYPE
        assert IPTC_SOURCE_TYPE in im.text["XML:com.adobe.xmp"]
    back = read_png_provenance(str(out))
    assert (back.region, back.seed, back.model_hash, back.policy_id) == (
        "dunhuang",
        "7",
        "abc123",
        "pol-1",
    )
    ch = _chunks(out.read_bytes())
    assert set(ch) >= {b"IHDR", b"pHYs", b"iCCP", b"iTXt", b"IDAT", b"IEND"}
    assert list(tmp_path.iterdir()) == [out]


def test_export_repeats_the_upscaled_tile(tmp_path: Path, tile: np.ndarray) -> None:
    spec = PrintSpec(25.4, 25.4, 256, "full", 12.7, "lanczos")  # 256 px, repeat 128 px
    out = export_png(tile, tmp_path / "r.png", spec)
    img = np.asarray(Image.open(out))
    assert np.array_equal(img[:128, :128], img[128:, 128:])


def test_unwritable_folder_is_a_user_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    def denied(*a: object, **k: object) -> None:  # root ignores chmod, so simulate EACCES
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", denied)
    src = CanvasSource(np.zeros((4, 4, 3), np.uint8), 8, 8)
    with pytest.raises(UserInputError, match="not writable") as ei:
        write_png(tmp_path / "x.png", src, dpi=300)
    assert str(tmp_path / "x.png") in str(ei.value)
    assert list(tmp_path.iterdir()) == []


def test_folder_that_is_a_file_is_a_user_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    src = CanvasSource(np.zeros((4, 4, 3), np.uint8), 8, 8)
    with pytest.raises(UserInputError, match="not a folder"):
        write_png(tmp_path / "f" / "x.png", src, dpi=300)


def test_failed_export_leaves_no_partial_file(tmp_path: Path) -> None:
    class Boom(CanvasSource):
        def strips(self, strip_rows: int = 256):  # type: ignore[no-untyped-def]
            yield 0, self.rows(0, 4)
            raise OSError(28, "No space left on device")

    src = Boom(np.zeros((4, 4, 3), np.uint8), 8, 8)
    with pytest.raises(UserInputError, match="disk is full"):
        write_png(tmp_path / "x.png", src, dpi=300)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_large_png_in_strips(tmp_path: Path, tile: np.ndarray) -> None:
    spec = PrintSpec(2000 * 25.4 / 300, 2000 * 25.4 / 300, 300, "mirror", 50)
    assert spec.size_px == (2000, 2000)
    out = export_png(tile, tmp_path / "big.png", spec, provenance=Provenance(region="miao"))
    with Image.open(out) as im:
        assert im.size == (2000, 2000)
        assert round(im.info["dpi"][0]) == 300
        assert "icc_profile" in im.info
        assert im.text["wenyang:region"] == "miao"
        img = np.asarray(im)
    assert img.shape == (2000, 2000, 3)
    rp = spec.repeat_px(tile.shape)[1]
    assert np.array_equal(img[:, rp : 2 * rp][:, ::-1], img[:, :rp])


def test_absurd_print_size_is_refused(tmp_path: Path, tile: np.ndarray) -> None:
    with pytest.raises(UserInputError, match="too large"):
        export_png(tile, tmp_path / "x.png", PrintSpec(5000, 5000, 600))
    assert list(tmp_path.iterdir()) == []


def test_progress_reaches_one(tmp_path: Path, tile: np.ndarray) -> None:
    seen: list[float] = []
    export_png(tile, tmp_path / "p.png", PrintSpec(30, 30, 100, "full", 10), progress=seen.append)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
