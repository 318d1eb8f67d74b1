"""The real ``hubtokens-gui --demo`` on a ``Desktop``, and a person using it with the mouse
and the keyboard: what they click is found by name in the accessibility tree, and what they
see is read back from the X server (its windows) and from other programs (the clipboard)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from hubtokens.gui.autostart import APP_ID
from tests.desktop.accessibility import Accessibility, Node
from tests.desktop.desktop import Desktop, Window, wait_until

TRAY_MENU = "popup menu"  # where the agent files the nodes of an open popup menu
HOME = "Hub Tokens"  # the home window's title
QUIT_SECONDS = 30.0
FRAMED = ("normal", "dialog")  # the kinds of window with a title bar


class DemoApp:
    """``hubtokens-gui --demo`` (the real program, in its own process) on ``desktop``.

    The demo keeps its settings, docker's config and the autostart entry in a sandbox that
    it makes with ``tempfile``: TMPDIR points into ``root``, so the test finds the sandbox
    there and nothing is written to the real home. HUBTOKENS_HOME points into ``root`` too,
    in case the demo ever stopped ignoring it.
    """

    def __init__(self, desktop: Desktop, root: Path, *args: str) -> None:
        temp = root / "tmp"
        temp.mkdir(parents=True)
        self.opened_pages = root / "opened-pages"
        env = {
            **desktop.env,
            **_default_browser(root, self.opened_pages),
            "TMPDIR": str(temp),
            "HUBTOKENS_HOME": str(root / "not-for-the-demo"),
            "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",  # no desktop here tells Qt to turn it on
        }
        log = f"app-{root.name}"
        self._log = desktop.root / f"{log}.log"
        self._hub_url: str | None = None
        self.process = desktop.spawn(
            [sys.executable, "-m", "hubtokens.gui.app", "--demo", *args], log, env
        )
        self.pid = self.process.pid
        self.sandbox = wait_until(
            "the demo's sandbox", lambda: next(temp.glob("hubtokens-*"), None)
        )

    @property
    def docker_config(self) -> Path:
        return self.sandbox / "docker" / "config.json"

    @property
    def autostart_entry(self) -> Path:
        return self.sandbox / ".config" / "autostart" / f"{APP_ID}.desktop"

    @property
    def hub_url(self) -> str:
        """The demo hub's address (it stays the same after a sign-out)."""
        if self._hub_url is None:
            wait_until("the demo's account", self.account)
        assert self._hub_url is not None
        return self._hub_url

    def account(self) -> dict[str, Any] | None:
        """The signed-in account's record in the settings file (None: signed out)."""
        try:
            settings = json.loads((self.sandbox / "config" / "settings.json").read_text())
        except FileNotFoundError:
            return None
        records: list[dict[str, Any]] = list(settings.get("accounts", {}).values())
        if not records:
            return None
        self._hub_url = str(records[0]["hub_url"])
        return records[0]

    def exit_code(self, seconds: float = QUIT_SECONDS) -> int:
        return self.process.wait(timeout=seconds)

    def output(self) -> str:
        return self._log.read_text(errors="replace")


class Person:
    def __init__(self, desktop: Desktop, accessibility: Accessibility, app: DemoApp) -> None:
        self.desktop = desktop
        self._accessibility = accessibility
        self.app = app

    # --- what they see -----------------------------------------------------------------------

    def windows(self, *kinds: str) -> list[Window]:
        """The app's windows on the screen (of these kinds), besides its tray icon."""
        shown = [w for w in self.desktop.windows(self.app.pid) if not w.embedded]
        return [w for w in shown if w.kind in kinds] if kinds else shown

    def wait_to_see(self, *expected: tuple[str, str], step: str) -> list[Window]:
        """Wait until exactly the ``expected`` (kind, title) windows are shown, nothing else."""
        want = sorted(expected)
        seen: list[list[tuple[str, str]]] = []

        def exactly() -> tuple[list[Window]] | None:
            windows = self.windows()
            seen.append(sorted((w.kind, w.title) for w in windows))
            return (windows,) if seen[-1] == want else None

        try:
            (windows,) = wait_until(step, exactly)
        except AssertionError:
            shot = self.desktop.screenshot(step)
            last = seen[-1] if seen else "?"
            raise AssertionError(
                f"{step}: expected {want}, the screen shows {last} (screenshot {shot})"
            ) from None
        return windows

    def where(self, role: str, name: str, window: str) -> tuple[int, int]:
        """The screen point to click on the showing, enabled control ``name`` in ``window``.

        Measured from the window as the X server has it: where Qt believes a window is can
        lag behind where the window manager put it, and AT-SPI reports what Qt believes."""

        def found() -> tuple[Node, Node] | None:
            nodes = self._accessibility.nodes(self.app.pid, window)
            for node in nodes:
                if node.role == role and node.name == name and node.enabled:
                    return nodes[0], node  # the window itself comes first
            return None

        step = f"{role} {name!r} in {window}"
        try:
            top, target = wait_until(step, found)
        except AssertionError as failure:
            seen = [n.name for n in self._accessibility.nodes(self.app.pid, window)]
            shot = self.desktop.screenshot(step)
            raise AssertionError(f"{failure}; there: {seen} (screenshot {shot})") from None
        shown = self.x_window(window)
        x, y = target.centre
        return shown.x + x - top.x, shown.y + y - top.y

    def x_window(self, title: str) -> Window:
        """The shown window ``title`` (TRAY_MENU: the open popup menu) as the X server has it."""

        def titled(window: Window) -> bool:
            if title == TRAY_MENU:
                return window.kind == "popup_menu"
            return window.kind in FRAMED and window.title == title

        return wait_until(title, lambda: next(filter(titled, self.windows()), None))

    def nodes(self, window: str) -> list[Node]:
        """What a screen reader finds showing in ``window`` (TRAY_MENU: the open popup menu)."""
        return self._accessibility.nodes(self.app.pid, window)

    @property
    def unread(self) -> str | None:
        """Why the last read of the accessibility tree found nothing, if it failed."""
        return self._accessibility.last_error

    def has(self, window: str, role: str, name: str | None = None) -> bool:
        """Whether ``window`` shows a control ``role`` (named ``name``, if given)."""
        return any(n.role == role and name in (None, n.name) for n in self.nodes(window))

    def count(self, window: str, role: str) -> int:
        """How many controls ``role`` ``window`` shows."""
        return sum(n.role == role for n in self.nodes(window))

    def texts(self, window: str | None = None) -> list[str]:
        """The labels a screen reader reads in ``window`` (None: in every window)."""
        return [
            n.name for n in self._accessibility.nodes(self.app.pid, window) if n.role == "label"
        ]

    def clipboard(self) -> str | None:
        return self.desktop.clipboard()

    # --- what they do ------------------------------------------------------------------------

    def tray_icon(self) -> Window:
        return wait_until(
            "the tray icon",
            lambda: next((w for w in self.desktop.windows(self.app.pid) if w.embedded), None),
        )

    def open_tray_menu(self) -> None:
        """Right-click the tray icon: its menu opens."""
        icon = self.tray_icon()
        self.desktop.click(icon.x + icon.width // 2, icon.y + icon.height // 2, button=3)
        wait_until("the tray menu to open", self._menu_open)

    def choose_in_tray_menu(self, item: str) -> None:
        """Right-click the tray icon and click ``item`` in its menu."""
        self.open_tray_menu()
        self.desktop.click(*self.where("menu item", item, TRAY_MENU))
        wait_until("the tray menu to close", lambda: not self._menu_open())

    def press(self, name: str, window: str = HOME, role: str = "push button") -> None:
        """Bring ``window`` forward and click its button (or check box) ``name``."""
        self.bring_forward(window)
        self.desktop.click(*self.where(role, name, window))

    def type_into(self, role: str, name: str, window: str, text: str) -> None:
        """Click the field and type ``text`` (a field is named by its label)."""
        self.bring_forward(window)
        self.desktop.click(*self.where(role, name, window))
        self.desktop.type_text(text)

    def bring_forward(self, title: str) -> Window:
        """What a click on the window's title bar does: the window manager raises it."""
        window = self.x_window(title)
        self.desktop.xdotool("windowactivate", "--sync", str(window.id))
        return window

    def close_window(self, title: str) -> None:
        """Close ``title`` as from its title bar: the window manager's Alt+F4."""
        self.bring_forward(title)
        self.desktop.key("alt+F4")

    def _menu_open(self) -> bool:
        return any(w.kind == "popup_menu" for w in self.windows())


def _default_browser(root: Path, opened: Path) -> dict[str, str]:
    """This desktop's default browser, registered the freedesktop way (a .desktop file and
    mimeapps.list) so that the app's "open this page" goes through xdg-open as on a person's
    desktop, to a "browser" that writes down each page it is asked to open."""
    program = root / "browser"
    program.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{opened}"\n')
    program.chmod(0o755)
    applications = root / "xdg-data" / "applications"
    applications.mkdir(parents=True)
    (applications / "test-browser.desktop").write_text(
        "[Desktop Entry]\nType=Application\nName=Test browser\n"
        f"Exec={program} %u\nMimeType=x-scheme-handler/http;x-scheme-handler/https;\n"
    )
    config = root / "xdg-config"
    config.mkdir()
    (config / "mimeapps.list").write_text(
        "[Default Applications]\n"
        "x-scheme-handler/http=test-browser.desktop\n"
        "x-scheme-handler/https=test-browser.desktop\n"
    )
    return {"XDG_DATA_HOME": str(root / "xdg-data"), "XDG_CONFIG_HOME": str(config)}
