"""Make the Windows application icon ``federation_desk/resources/icons/app.ico`` from ``app.svg``.

    .venv/bin/python installer/make_icon.py          (Windows: .venv\\Scripts\\python installer\\make_icon.py)

Each size (16, 24, 32, 48, 64, 128 and 256 pixels) is rendered from the SVG at that size by QtSvg, so small sizes
are drawn crisply rather than shrunk from one large bitmap, and Pillow packs the renderings into one .ico. The
.ico is committed; run this again only when app.svg changes (the tests check the .ico still has every size).
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

ICONS = Path(__file__).resolve().parent.parent / "federation_desk" / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn at ``size`` x ``size`` pixels as PNG bytes (transparent background)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg} is not a valid SVG file.")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def make_ico(svg: Path, target: Path, sizes: tuple[int, ...] = SIZES) -> Path:
    from PIL import Image

    images = [Image.open(io.BytesIO(render_png(svg, size))).convert("RGBA") for size in sizes]
    largest = images[-1]
    largest.save(target, format="ICO", sizes=[(s, s) for s in sizes], append_images=images[:-1])
    return target


def main() -> int:
    target = make_ico(ICONS / "app.svg", ICONS / "app.ico")
    print(f"Wrote {target} ({target.stat().st_size:,} bytes; sizes {', '.join(map(str, SIZES))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
