"""Icons: the masters in resources/icons/, what installer/render_icons.py makes of them, and
the tray icons' legibility at 16 px on light, dark and coloured panels."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

from tests.installer.conftest import APP_ID, RESOURCES, ROOT

ICONS = RESOURCES / "icons"
ASSETS = ROOT / "src" / "hubtokens" / "gui" / "assets"
TRAY_STATES = ("healthy", "attention", "error", "signed-out")  # gui/state.py Health values
# The panels screenshots.py draws the tray icons on: light, dark, coloured.
PANELS = ("#f2f2f2", "#2b2b2b", "#3465a4")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def rendered(svg: Path, size: int, background: str | None = None) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(QColor(background) if background else QColor(0, 0, 0, 0))
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image


def luminance(color: QColor) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(color.red())
        + 0.7152 * channel(color.green())
        + 0.0722 * channel(color.blue())
    )


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio, 1 (none) to 21 (black on white)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_masters_are_square_svgs() -> None:
    for name in (f"{APP_ID}.svg", f"{APP_ID}-16.svg", f"{APP_ID}-symbolic.svg"):
        root = ET.parse(ICONS / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"
        _, _, width, height = root.get("viewBox", "").split()
        assert width == height, name
        assert QSvgRenderer(str(ICONS / name)).isValid()


def test_the_runtime_app_icon_is_the_master() -> None:
    """gui/assets/hubtokens.svg is what the running app shows (window, tray menu); the
    installed icon comes from the master. They are one picture: change both together."""
    assert (ASSETS / "hubtokens.svg").read_bytes() == (ICONS / f"{APP_ID}.svg").read_bytes()


def test_hicolor_has_every_size_from_the_masters(
    qapp: QApplication, render_icons: ModuleType, tmp_path: Path
) -> None:
    render_icons.write_hicolor(tmp_path)
    hicolor = tmp_path / "hicolor"
    for size in (16, 22, 24, 32, 48, 64, 128, 256):
        png = hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png_size(png.read_bytes()) == (size, size)
        image = QImage(str(png))
        corner, middle = image.pixelColor(0, 0), image.pixelColor(size // 2, size // 2)
        assert corner.alpha() < 128 and middle.alpha() == 255, "a tile on transparency"
    assert (hicolor / "scalable" / "apps" / f"{APP_ID}.svg").read_bytes() == (
        ICONS / f"{APP_ID}.svg"
    ).read_bytes()
    assert (hicolor / "symbolic" / "apps" / f"{APP_ID}-symbolic.svg").exists()


def test_small_sizes_come_from_the_pixel_grid_master(render_icons: ModuleType) -> None:
    assert render_icons.master_for(16).name == f"{APP_ID}-16.svg"
    assert render_icons.master_for(24).name == f"{APP_ID}-16.svg"
    assert render_icons.master_for(32).name == f"{APP_ID}.svg"


def test_the_windows_icon_holds_every_size(
    qapp: QApplication, render_icons: ModuleType, tmp_path: Path
) -> None:
    data = render_icons.write_ico(tmp_path / "hubtokens.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind, count) == (0, 1, len(render_icons.ICO_SIZES))
    for index, size in enumerate(render_icons.ICO_SIZES):
        width, height, _, _, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        assert (width or 256, height or 256, planes, bits) == (size, size, 1, 32)
        assert png_size(data[offset : offset + length]) == (size, size)


def test_the_macos_iconset_has_the_names_iconutil_wants(
    qapp: QApplication, render_icons: ModuleType, tmp_path: Path
) -> None:
    render_icons.write_iconset(tmp_path / "hubtokens.iconset")
    names = sorted(p.name for p in (tmp_path / "hubtokens.iconset").iterdir())
    assert len(names) == 10
    assert "icon_16x16.png" in names and "icon_512x512@2x.png" in names
    assert png_size((tmp_path / "hubtokens.iconset" / "icon_32x32@2x.png").read_bytes()) == (64, 64)


@pytest.mark.parametrize("state", TRAY_STATES)
@pytest.mark.parametrize("panel", PANELS)
def test_the_tray_icon_is_legible_at_16_px(qapp: QApplication, state: str, panel: str) -> None:
    """On each panel: a silhouette that stands out (a fifth of the 16x16 box at 3:1 or more
    against the panel) and a glyph with strong contrast (4.5:1 somewhere). A dark icon on a
    dark panel, or a pale one on a light panel, fails."""
    image = rendered(ASSETS / f"tray-{state}.svg", 16, panel)
    background = QColor(panel)
    ratios = [contrast(image.pixelColor(x, y), background) for y in range(16) for x in range(16)]
    standing_out = sum(ratio >= 3 for ratio in ratios) / len(ratios)
    assert standing_out >= 0.15, (
        f"tray-{state} on {panel}: only {standing_out:.0%} of it stands out"
    )
    assert max(ratios) >= 4.5, f"tray-{state} on {panel}: nothing at 4.5:1"


@pytest.mark.parametrize("state", TRAY_STATES)
def test_the_macos_template_icons_are_black_and_alpha_only(qapp: QApplication, state: str) -> None:
    """macOS draws a template (QIcon.setIsMask) from its alpha alone, in the menu bar's colour."""
    template = ICONS / "macos" / f"tray-{state}Template.svg"
    image = rendered(template, 32)
    painted = 0
    for y in range(32):
        for x in range(32):
            color = image.pixelColor(x, y)
            if color.alpha():
                painted += 1
                assert (color.red(), color.green(), color.blue()) == (0, 0, 0), (state, x, y)
    assert painted > 32 * 32 // 8, f"{template.name} is nearly empty"


@pytest.mark.parametrize("platform", ["darwin", "linux", "win32"])
def test_the_menu_bar_gets_the_template_on_macos_only(
    qapp: QApplication, platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the .app lays it out: the templates beside the coloured icons in gui/assets."""
    from hubtokens.gui import icons
    from hubtokens.gui.state import Health

    for svg in [*ASSETS.glob("tray-*.svg"), *(ICONS / "macos").glob("tray-*Template.svg")]:
        (tmp_path / svg.name).write_bytes(svg.read_bytes())
    monkeypatch.setattr(icons, "_ASSETS", tmp_path)
    for health in Health:
        icon = icons.tray_icon(health, platform=platform)
        assert icon.isMask() is (platform == "darwin"), (health, platform)
        assert not icon.pixmap(16, 16).isNull()
    # A bundle without templates (any other install) keeps the coloured icons.
    for template in tmp_path.glob("*Template.svg"):
        template.unlink()
    assert not icons.tray_icon(Health.HEALTHY, platform="darwin").isMask()
