"""The canvas: the tile alone or repeated, zoom and pan, optional seam overlay."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QWidget,
)

from designer_app.imaging import to_pixmap
from designer_app.tiling import repeat_image, seam_lines


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
        self.pixmap_item = QGraphicsPixmapItem()
        self.scene_.addItem(self.pixmap_item)
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
        self.shown_image: np.ndarray | None = None
        self.zoom = 1.0
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
            self.fit()

    def set_show_seams(self, on: bool) -> None:
        self.show_seams = on
        self.seam_item.setVisible(on)

    def _rebuild(self) -> None:
        if self.tile is None:
            self.pixmap_item.setPixmap(to_pixmap(np.zeros((1, 1, 3), np.uint8)))
            self.pixmap_item.setVisible(False)
            self.seam_item.setPath(QPainterPath())
            self.empty_item.setVisible(True)
            self.scene_.setSceneRect(self.empty_item.boundingRect())
            return
        self.empty_item.setVisible(False)
        self.pixmap_item.setVisible(True)
        img = repeat_image(self.tile, self.layout_name)
        self.shown_image = img
        first = self.pixmap_item.pixmap().width() <= 1
        self.pixmap_item.setPixmap(to_pixmap(img))
        h, w = self.tile.shape[:2]
        path = QPainterPath()
        for x0, y0, x1, y1 in seam_lines(self.layout_name, h, w):
            path.moveTo(x0, y0)
            path.lineTo(x1, y1)
        self.seam_item.setPath(path)
        self.seam_item.setVisible(self.show_seams)
        self.scene_.setSceneRect(QRectF(0, 0, img.shape[1], img.shape[0]))
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
