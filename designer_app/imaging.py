"""numpy ⇄ Qt image helpers (copies, so Qt never points into a freed numpy buffer)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QImage, QPixmap


def to_qimage(image: np.ndarray) -> QImage:
    a = np.ascontiguousarray(image[..., :3], dtype=np.uint8)
    h, w = a.shape[:2]
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def to_pixmap(image: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(to_qimage(image))


def rgba_pixmap(image: np.ndarray) -> QPixmap:
    """An RGBA (or RGB) uint8 array as a pixmap, transparency kept."""
    if image.ndim == 3 and image.shape[2] == 3:
        return to_pixmap(image)
    a = np.ascontiguousarray(image, dtype=np.uint8)
    h, w = a.shape[:2]
    img = QImage(a.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    return QPixmap.fromImage(img)


def from_qimage(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


def swatch_pixmap(colours: tuple[str, ...], size: int) -> QPixmap:
    """A stripe swatch of a region's palette: the card image before a thumbnail exists."""
    pm = QPixmap(size, size)
    pm.fill(QColor("#888888"))
    if not colours:
        return pm
    from PySide6.QtGui import QPainter

    p = QPainter(pm)
    n = min(len(colours), 6)
    for i in range(n):
        x0, x1 = i * size // n, (i + 1) * size // n
        p.fillRect(x0, 0, x1 - x0, size, QColor(colours[i]))
    p.end()
    return pm
