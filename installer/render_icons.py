"""Render the icon masters in resources/icons/ into what each platform installs.

    python installer/render_icons.py hicolor DIR    # DIR/hicolor/<size>/apps/<app-id>.{png,svg}
    python installer/render_icons.py ico FILE       # a Windows .ico (PNG entries, 16-256 px)
    python installer/render_icons.py iconset DIR    # a macOS .iconset folder (iconutil -c icns)

Qt renders the SVGs (QSvgRenderer, offscreen), the same renderer the app uses at run time, so
no other SVG tool is needed. Sizes up to 24 px come from the 16 px master, which is drawn on
the pixel grid; larger ones from the 64 px master.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from collections.abc import Sequence
from pathlib import Path

APP_ID = "io.github.hubtokens.HubTokens"
ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
MASTER = ICONS / f"{APP_ID}.svg"
SMALL_MASTER = ICONS / f"{APP_ID}-16.svg"
SYMBOLIC = ICONS / f"{APP_ID}-symbolic.svg"
SMALL_UP_TO = 24

# The icon theme spec's usual sizes for apps (hicolor/<n>x<n>/apps).
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# macOS .iconset: name -> pixels.
ICONSET = {
    f"icon_{points}x{points}{suffix}.png": points * scale
    for points in (16, 32, 128, 256, 512)
    for suffix, scale in (("", 1), ("@2x", 2))
}


def master_for(size: int) -> Path:
    return SMALL_MASTER if size <= SMALL_UP_TO else MASTER


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn into a transparent size x size PNG."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    if QGuiApplication.instance() is None:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        render_png.app = QGuiApplication([])  # type: ignore[attr-defined]  # kept alive
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not an SVG that Qt can draw")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
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


def write_hicolor(out: Path) -> list[Path]:
    """``out/hicolor/...``: a PNG per size, the scalable SVG and the symbolic SVG."""
    written = []
    for size in HICOLOR_SIZES:
        path = out / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(render_png(master_for(size), size))
        written.append(path)
    for source, folder, name in (
        (MASTER, "scalable", f"{APP_ID}.svg"),
        (SYMBOLIC, "symbolic", f"{APP_ID}-symbolic.svg"),
    ):
        path = out / "hicolor" / folder / "apps" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(source.read_bytes())
        written.append(path)
    return written


def ico_bytes(images: Sequence[tuple[int, bytes]]) -> bytes:
    """A .ico holding PNG images (Windows Vista and later read PNG entries)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = len(header) + 16 * len(images)
    entries, blobs = [], []
    for size, png in images:
        side = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries.append(struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset))
        blobs.append(png)
        offset += len(png)
    return header + b"".join(entries) + b"".join(blobs)


def write_ico(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ico_bytes([(size, render_png(master_for(size), size)) for size in ICO_SIZES]))
    return path


def write_iconset(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, pixels in ICONSET.items():
        path = out / name
        path.write_bytes(render_png(master_for(pixels), pixels))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=("hicolor", "ico", "iconset"))
    parser.add_argument("out", type=Path)
    options = parser.parse_args(argv)
    if options.kind == "hicolor":
        written = write_hicolor(options.out)
    elif options.kind == "ico":
        written = [write_ico(options.out)]
    else:
        written = write_iconset(options.out)
    print(f"render_icons: wrote {len(written)} file(s) under {options.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
