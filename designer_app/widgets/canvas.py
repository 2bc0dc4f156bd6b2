"""The canvas: the tile alone or repeated, zoom and pan, optional seam overlay."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPen, QTransform, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from designer_app.imaging import to_pixmap
from designer_app.tiling import REPEATS_SHOWN, repeat_image, seam_lines, unit_cell


class CanvasView(QGraphicsView):
    framePainted = Signal(int)  # request id of the frame now on screen
    filesDropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("canvas")
        self.scene_ = QGraphicsScene(self)
        self.setScene(self.scene_)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        self.setBackgroundBrush(QColor("#8C8C8C"))
        self.pixmap_item = QGraphicsPixmapItem()  # the tile alone
        self.scene_.addItem(self.pixmap_item)
        self.repeat_item = QGraphicsRectItem()  # repeats: the unit cell as a texture brush
        self.repeat_item.setPen(QPen(Qt.PenStyle.NoPen))
        self.scene_.addItem(self.repeat_item)
        self.seam_item = QGraphicsPathItem()
        pen = QPen(QColor(255, 40, 40, 200))
        pen.setCosmetic(True)
        pen.setWidthF(1.0)
        pen.setStyle(Qt.PenStyle.DashLine)
        self.seam_item.setPen(pen)
        self.seam_item.setZValue(1)
        self.scene_.addItem(self.seam_item)
        self.empty_item = QGraphicsSimpleTextItem()
        self.scene_.addItem(self.empty_item)
        self.layout_name = "full"
        self.show_seams = False
        self.tile: np.ndarray | None = None
        self.zoom = 1.0
        self._has_frame = False
        self._seam_key: tuple[str, int, int] | None = None
        self.auto_fit = True  # follow the window size until the user zooms
        self.set_empty_text(self.tr("No design yet: pick a region and press Generate."))
        self.setAcceptDrops(True)

    def set_empty_text(self, text: str) -> None:
        self.empty_item.setText(text)
        self.empty_item.setVisible(self.tile is None)
        self.empty_item.setBrush(QColor("#FFFFFF"))

    def set_tile(self, tile: np.ndarray | None, request_id: int = 0) -> None:
        self.tile = tile
        self._rebuild()
        if tile is not None:
            self.framePainted.emit(request_id)

    def set_layout(self, layout: str) -> None:
        if layout != self.layout_name:
            self.layout_name = layout
            self._rebuild()
            if self.auto_fit:
                self.fit()

    def set_show_seams(self, on: bool) -> None:
        self.show_seams = on
        self.seam_item.setVisible(on)

    @property
    def shown_image(self) -> np.ndarray | None:
        """The pixels the canvas shows (built on demand; painting uses a texture brush)."""
        return None if self.tile is None else repeat_image(self.tile, self.layout_name)

    def _rebuild(self) -> None:
        if self.tile is None:
            self.pixmap_item.setVisible(False)
            self.repeat_item.setVisible(False)
            self.seam_item.setPath(QPainterPath())
            self.empty_item.setVisible(True)
            self.scene_.setSceneRect(self.empty_item.boundingRect())
            return
        self.empty_item.setVisible(False)
        h, w = self.tile.shape[:2]
        first = not self._has_frame
        self._has_frame = True
        if self.layout_name == "tile":
            self.repeat_item.setVisible(False)
            self.pixmap_item.setPixmap(to_pixmap(self.tile))
            self.pixmap_item.setVisible(True)
            width, height = w, h
        else:
            self.pixmap_item.setVisible(False)
            cell, oy, ox = unit_cell(self.tile, self.layout_name)
            brush = QBrush(to_pixmap(cell))
            brush.setTransform(QTransform.fromTranslate(-ox, -oy))
            width, height = w * REPEATS_SHOWN, h * REPEATS_SHOWN
            self.repeat_item.setRect(QRectF(0, 0, width, height))
            self.repeat_item.setBrush(brush)
            self.repeat_item.setVisible(True)
        if self._seam_key != (self.layout_name, h, w):
            self._seam_key = (self.layout_name, h, w)
            path = QPainterPath()
            for x0, y0, x1, y1 in seam_lines(self.layout_name, h, w):
                path.moveTo(x0, y0)
                path.lineTo(x1, y1)
            self.seam_item.setPath(path)
        self.seam_item.setVisible(self.show_seams)
        rect = QRectF(0, 0, width, height)
        if self.scene_.sceneRect() != rect:
            self.scene_.setSceneRect(rect)
            first = True
        if first:
            self.fit()

    # ------------------------------------------------------------------ zoom
    def set_zoom(self, z: float) -> None:
        self.zoom = max(0.05, min(32.0, z))
        self.resetTransform()
        self.scale(self.zoom, self.zoom)

    def zoom_in(self) -> None:
        self.auto_fit = False
        self.set_zoom(self.zoom * 1.25)

    def zoom_out(self) -> None:
        self.auto_fit = False
        self.set_zoom(self.zoom / 1.25)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.auto_fit:
            self.fit()

    def fit(self) -> None:
        self.auto_fit = True
        r = self.scene_.sceneRect()
        if r.width() <= 0 or r.height() <= 0:
            return
        vp = self.viewport().rect()
        z = min(vp.width() / r.width(), vp.height() / r.height()) * 0.98
        self.set_zoom(z if z > 0 else 1.0)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.angleDelta().y() > 0:
            self.zoom_in()
        elif event.angleDelta().y() < 0:
            self.zoom_out()
        event.accept()

    # ------------------------------------------------------------------ drops
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.filesDropped.emit(paths)
            event.acceptProposedAction()
