"""A streaming PNG writer: rows go in strip by strip, compressed on the fly, so a 7087×7087
print file never sits in memory as a whole (PIL needs the full image, plus copies).

Chunks are written by hand (IHDR, pHYs, iCCP, tEXt/iTXt, IDAT…, IEND); each row uses PNG
filter 'Up' computed with numpy, which compresses repeated patterns well at zlib level 1–3.
Strips are deflated in parallel threads (zlib releases the GIL), pigz-style: each strip is
an independent raw-deflate piece ending on a byte boundary (Z_SYNC_FLUSH), the pieces are
concatenated in order, and one zlib header/Adler-32 wraps the whole stream.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import BinaryIO

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
IDAT_CHUNK = 1 << 20  # bytes of compressed data per IDAT chunk
FILTERS = {"none": 0, "sub": 1, "up": 2}


def write_chunk(fh: BinaryIO, ctype: bytes, data: bytes) -> None:
    fh.write(struct.pack(">I", len(data)))
    fh.write(ctype)
    fh.write(data)
    fh.write(struct.pack(">I", zlib.crc32(data, zlib.crc32(ctype)) & 0xFFFFFFFF))


def _keyword(key: str) -> bytes:
    kb = key.encode("latin-1")
    if not 1 <= len(kb) <= 79 or b"\0" in kb:
        raise ValueError(f"PNG text keyword must be 1-79 Latin-1 characters: {key!r}")
    return kb


def text_chunk(key: str, value: str) -> tuple[bytes, bytes]:
    """tEXt for plain Latin-1 values, iTXt (UTF-8) otherwise: Chinese descriptors survive."""
    try:
        return b"tEXt", _keyword(key) + b"\0" + value.encode("latin-1")
    except UnicodeEncodeError:
        return b"iTXt", _keyword(key) + b"\0\0\0\0\0" + value.encode("utf-8")


def itxt_chunk(key: str, value: str) -> tuple[bytes, bytes]:
    return b"iTXt", _keyword(key) + b"\0\0\0\0\0" + value.encode("utf-8")


class StreamingPNGWriter:
    """Write an 8-bit RGB (or grey/RGBA) PNG from row strips to an open binary file."""

    def __init__(
        self,
        fh: BinaryIO,
        width: int,
        height: int,
        channels: int = 3,
        *,
        ppm: int | None = None,
        icc: bytes | None = None,
        icc_name: str = "sRGB",
        text: dict[str, str] | None = None,
        itxt: dict[str, str] | None = None,
        level: int = 1,
        filter_type: str = "up",
        threads: int | None = None,
    ) -> None:
        colour_type = {1: 0, 2: 4, 3: 2, 4: 6}[channels]
        self.fh, self.width, self.height, self.channels = fh, width, height, channels
        self.filter = FILTERS[filter_type]
        self._rows_done = 0
        self._prev: np.ndarray | None = None
        self.level = level
        self._adler = 1
        self._pending = bytearray(b"\x78\x01" if level <= 1 else b"\x78\x5e")  # zlib header
        n = threads if threads is not None else min(4, os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(max_workers=n) if n > 1 else None
        self._jobs: deque[Future[bytes]] = deque()
        self._window = 2 * max(1, n)  # strips in flight: bounds memory
        fh.write(PNG_SIGNATURE)
        write_chunk(fh, b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
        if icc is not None:  # iCCP must precede IDAT (and PLTE)
            name = icc_name.encode("latin-1")[:79]
            write_chunk(fh, b"iCCP", name + b"\0\0" + zlib.compress(icc, 9))
        if ppm is not None:
            write_chunk(fh, b"pHYs", struct.pack(">IIB", ppm, ppm, 1))
        for k, v in (text or {}).items():
            write_chunk(fh, *text_chunk(k, v))
        for k, v in (itxt or {}).items():
            write_chunk(fh, *itxt_chunk(k, v))

    def write_rows(self, rows: np.ndarray) -> None:
        """Append rows (n, width[, channels]) uint8, top to bottom."""
        rows = np.asarray(rows)
        if rows.dtype != np.uint8:
            raise ValueError(f"rows must be uint8, got {rows.dtype}")
        n = rows.shape[0]
        flat = rows.reshape(n, self.width * self.channels)
        if self._rows_done + n > self.height:
            raise ValueError("more rows than the declared height")
        out = np.empty((n, flat.shape[1] + 1), np.uint8)
        out[:, 0] = self.filter
        if self.filter == 0:
            out[:, 1:] = flat
        elif self.filter == 2:  # Up: difference to the row above (wraps mod 256)
            prev = self._prev if self._prev is not None else np.zeros_like(flat[0])
            np.subtract(flat[0], prev, out=out[0, 1:])
            if n > 1:
                np.subtract(flat[1:], flat[:-1], out=out[1:, 1:])
        else:  # Sub: difference to the pixel on the left
            c = self.channels
            out[:, 1 : 1 + c] = flat[:, :c]
            np.subtract(flat[:, c:], flat[:, :-c], out=out[:, 1 + c :])
        self._prev = flat[-1].copy()
        self._rows_done += n
        self._adler = zlib.adler32(out.data, self._adler)
        if self._pool is None:
            self._emit(_deflate_piece(out, self.level))
            return
        self._jobs.append(self._pool.submit(_deflate_piece, out, self.level))
        while len(self._jobs) > self._window or (self._jobs and self._jobs[0].done()):
            self._emit(self._jobs.popleft().result())

    def _emit(self, data: bytes) -> None:
        self._pending += data
        while len(self._pending) >= IDAT_CHUNK:
            write_chunk(self.fh, b"IDAT", bytes(self._pending[:IDAT_CHUNK]))
            del self._pending[:IDAT_CHUNK]

    def close(self) -> None:
        """Finish the stream; raises if fewer rows than declared were written."""
        if self._rows_done != self.height:
            self._shutdown()
            raise ValueError(f"wrote {self._rows_done} of {self.height} rows")
        while self._jobs:
            self._emit(self._jobs.popleft().result())
        self._shutdown()
        final = zlib.compressobj(self.level, zlib.DEFLATED, -15, 9)
        self._pending += final.flush(zlib.Z_FINISH)  # an empty final block
        self._pending += struct.pack(">I", self._adler & 0xFFFFFFFF)
        if self._pending:
            write_chunk(self.fh, b"IDAT", bytes(self._pending))
        self._pending = bytearray()
        write_chunk(self.fh, b"IEND", b"")

    def _shutdown(self) -> None:
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __del__(self) -> None:
        self._shutdown()


def _deflate_piece(data: np.ndarray, level: int) -> bytes:
    """Raw deflate of one strip, ending byte-aligned and not final: pieces concatenate."""
    z = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    return z.compress(data.data) + z.flush(zlib.Z_SYNC_FLUSH)
