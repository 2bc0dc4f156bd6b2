"""The garment photo with its mask as a tint; brush strokes (include / exclude) and a box.

A thin view: it only collects strokes in photo pixels and emits `refineRequested`; the
MockupController runs GrabCut and hands the refined mask back.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from designer_app.imaging import to_qimage

MODES = ("include", "exclude", "rect")


class MaskEditor(QWidget):
    refineRequested = Signal(object, object, object)  # include, exclude (bool HxW), rect

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(160)
        self.photo: np.ndarray | None = None
        self._img: QImage | None = None
        self._overlay: QImage | None = None
        self.mode = "include"
        self.radius = 12.0
        self.strokes: list[tuple[str, list[tuple[float, float]]]] = []
        self.rect: tuple[int, int, int, int] | None = None
        self._drag: list[tuple[float, float]] | None = None

    def set_photo(self, photo: np.ndarray | None, mask: np.ndarray | None = None) -> None:
        self.photo = photo
        self._img = None if photo is None else to_qimage(photo)
        self.clear_strokes()
        self.set_mask(mask)

    def set_mask(self, mask: np.ndarray | None) -> None:
        if mask is None or self.photo is None or mask.shape != self.photo.shape[:2]:
            self._overlay = None
        else:
            h, w = mask.shape
            rgba = np.zeros((h, w, 4), np.uint8)
            rgba[mask == 0] = (20, 20, 40, 150)  # dim what is not garment
            self._overlay = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
        self.update()

    def clear_strokes(self) -> None:
        self.strokes, self.rect, self._drag = [], None, None
        self.update()

    # ------------------------------------------------------------------ geometry
    def _frame(self) -> tuple[QRectF, float]:
        assert self.photo is not None
        h, w = self.photo.shape[:2]
        k = min(self.width() / w, self.height() / h)
        x0, y0 = (self.width() - w * k) / 2, (self.height() - h * k) / 2
        return QRectF(x0, y0, w * k, h * k), k

    def to_photo(self, p: QPointF) -> tuple[float, float]:
        r, k = self._frame()
        return ((p.x() - r.x()) / k, (p.y() - r.y()) / k)

    # ------------------------------------------------------------------ strokes
    def add_stroke(self, mode: str, points: list[tuple[float, float]]) -> None:
        """A stroke in photo pixels (also used by tests and the self-test)."""
        if mode == "rect" and len(points) >= 2:
            (xa, ya), (xb, yb) = points[0], points[-1]
            self.rect = (
                round(min(xa, xb)),
                round(min(ya, yb)),
                round(max(xa, xb)),
                round(max(ya, yb)),
            )
        elif points:
            self.strokes.append((mode, list(points)))
        self.update()

    def masks(self) -> tuple[np.ndarray | None, np.ndarray | None]:
        from engine.mockup.refine import stroke_mask

        if self.photo is None:
            return None, None
        shape = self.photo.shape[:2]
        inc = np.zeros(shape, bool)
        exc = np.zeros(shape, bool)
        for mode, pts in self.strokes:
            (inc if mode == "include" else exc)[stroke_mask(shape, pts, self.radius)] = True
        return (inc if inc.any() else None), (exc if exc.any() else None)

    def request_refine(self) -> None:
        inc, exc = self.masks()
        if inc is not None or exc is not None or self.rect is not None:
            self.refineRequested.emit(inc, exc, self.rect)

    def mousePressEvent(self, e: QMouseEvent) -> None:
        if self.photo is not None and e.button() == Qt.MouseButton.LeftButton:
            self._drag = [self.to_photo(e.position())]

    def mouseMoveEvent(self, e: QMouseEvent) -> None:
        if self._drag is not None:
            self._drag.append(self.to_photo(e.position()))
            self.update()

    def mouseReleaseEvent(self, e: QMouseEvent) -> None:
        if self._drag is not None:
            pts, self._drag = self._drag, None
            self.add_stroke(self.mode, pts)

    # ------------------------------------------------------------------ painting
    def paintEvent(self, _: QPaintEvent) -> None:
        p = QPainter(self)
        if self._img is None:
            p.setPen(self.palette().placeholderText().color())
            p.drawText(
                self.rect_(),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.tr("Drop a garment photo here"),
            )
            return
        r, k = self._frame()
        p.drawImage(r, self._img)
        if self._overlay is not None:
            p.drawImage(r, self._overlay)
        colours = {"include": QColor(40, 200, 90, 180), "exclude": QColor(230, 60, 60, 180)}
        live = [(self.mode, self._drag)] if self._drag and self.mode != "rect" else []
        for mode, pts in self.strokes + live:
            pen = QPen(colours[mode], max(1.0, 2 * self.radius * k))
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            p.setPen(pen)
            qp = [QPointF(r.x() + x * k, r.y() + y * k) for x, y in pts]
            if len(qp) == 1:
                p.drawPoint(qp[0])
            else:
                p.drawPolyline(qp)
        box = self.rect
        if self._drag and self.mode == "rect" and len(self._drag) > 1:
            (xa, ya), (xb, yb) = self._drag[0], self._drag[-1]
            box = (int(min(xa, xb)), int(min(ya, yb)), int(max(xa, xb)), int(max(ya, yb)))
        if box is not None:
            p.setPen(QPen(QColor(60, 140, 255), 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(
                QRectF(
                    r.x() + box[0] * k,
                    r.y() + box[1] * k,
                    (box[2] - box[0]) * k,
                    (box[3] - box[1]) * k,
                )
            )

    def rect_(self) -> QRectF:
        return QRectF(0, 0, self.width(), self.height())
