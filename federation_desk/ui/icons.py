"""The SVG icon set, recoloured to the palette so one file serves light and dark.

Icons render on demand, at the size and device pixel ratio they are drawn at (a QIconEngine), so building the
window does not pay for pixmaps nobody looks at.
"""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QByteArray, QRect, QRectF, QSize
from PySide6.QtGui import QIcon, QIconEngine, QImage, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from federation_desk.paths import resource

PLACEHOLDER = "#1F2933"


@lru_cache(maxsize=128)
def _renderer(name: str, colour: str) -> QSvgRenderer:
    svg = resource("icons", f"{name}.svg").read_text(encoding="utf-8").replace(PLACEHOLDER, colour)
    return QSvgRenderer(QByteArray(svg.encode("utf-8")))


@lru_cache(maxsize=512)
def _pixmap(name: str, colour: str, width: int, height: int, ratio: float) -> QPixmap:
    image = QImage(round(width * ratio), round(height * ratio), QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)  # transparent (an int, not Qt.GlobalColor: see theme.is_dark_system)
    painter = QPainter(image)
    _renderer(name, colour).render(painter, QRectF(0, 0, image.width(), image.height()))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


class SvgIconEngine(QIconEngine):
    def __init__(self, name: str, colour: str | None) -> None:
        super().__init__()
        self.name = name
        self.colour = colour

    def _colour(self, mode: QIcon.Mode) -> str:
        from federation_desk.ui import theme

        if mode == QIcon.Mode.Disabled:
            return theme.current().muted
        return self.colour or theme.current().text

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        _renderer(self.name, self._colour(mode)).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float) -> QPixmap:
        return _pixmap(self.name, self._colour(mode), size.width(), size.height(), scale)

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self.name, self.colour)


def icon(name: str, colour: str | None = None) -> QIcon:
    return QIcon(SvgIconEngine(name, colour))


def app_icon() -> QIcon:
    return QIcon(SvgIconEngine("app", "#005EB8"))


def clear_cache() -> None:
    _renderer.cache_clear()
    _pixmap.cache_clear()
