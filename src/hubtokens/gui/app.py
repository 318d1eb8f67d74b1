"""``hubtokens-gui``: the desktop app's composition root, the only place where the GUI's real
collaborators (keychain, hub clients, settings, thread pool, clipboard, autostart) are built.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QMessageLogContext,
    QSocketNotifier,
    QThreadPool,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from hubtokens import __version__
from hubtokens.core.errors import HubTokensError
from hubtokens.core.hub.urls import DEFAULT_HUB_URL, normalize_hub_url
from hubtokens.core.keeper import Keeper, KeeperLock
from hubtokens.core.logs import configure_logging
from hubtokens.core.paths import HOME_ENV, AppPaths
from hubtokens.core.settings import SettingsStore
from hubtokens.core.vault import Vault
from hubtokens.credhelper.appserver import server_for
from hubtokens.gui.autostart import APP_ID, autostart_for, launch_command
from hubtokens.gui.clipboard import ClipboardGuard
from hubtokens.gui.controllers.docker import DockerSetup
from hubtokens.gui.icons import app_icon
from hubtokens.gui.pyside_fixes import guard_against_emit_leak
from hubtokens.gui.shell import HubTokensApp, TokenWindowLike
from hubtokens.gui.single_instance import Claim, SingleInstance, instance_key
from hubtokens.gui.tasks import TaskRunner

if TYPE_CHECKING:
    from hubtokens.core.hub.client import HubClient
    from hubtokens.gui.demo import DemoSandbox

logger = logging.getLogger(__name__)

HUB_URL_ENV = "HUBTOKENS_HUB_URL"
SHUTDOWN_WAIT_MS = 5_000


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hubtokens-gui",
        description="Hub Tokens: keeps a Docker Hub access token for docker on this device, "
        "from the system tray.",
    )
    parser.add_argument("--version", action="version", version=f"hubtokens-gui {__version__}")
    parser.add_argument(
        "--demo",
        action="store_true",
        help="run against a local demo hub, signed in as 'demo', in a throwaway sandbox "
        "(temporary settings, in-memory keychain): no Docker account needed",
    )
    parser.add_argument(
        "--background",
        "--tray-only",
        action="store_true",
        help="start without the window (as at login); it is shown anyway if there is no tray",
    )
    parser.add_argument("--hub", metavar="URL", help="hub base URL (default: Docker Hub)")
    parser.add_argument(
        "--screenshots",
        metavar="DIR",
        type=Path,
        help="with --demo: save pictures of the tray menu, the dialogs and the windows to DIR, "
        "then exit (the tour creates a token and plants it in a temporary folder, which it "
        "does only on the demo's throwaway hub)",
    )
    parser.add_argument(
        "--self-check",
        metavar="IDLE_SECONDS",
        type=float,
        nargs="?",
        const=0.0,
        help="print JSON lines when the tray icon (or the window) is shown and, after "
        "IDLE_SECONDS, the memory in use; then exit",
    )
    parser.add_argument("--debug", action="store_true", help="log debug details to stderr")
    return parser


def utc_now() -> datetime:
    return datetime.now(UTC)


def choose_hub_url(option: str | None, environ: Mapping[str, str], settings: SettingsStore) -> str:
    """``--hub``, else ``HUBTOKENS_HUB_URL``, else the one hub signed in to, else Docker Hub."""
    chosen = option or environ.get(HUB_URL_ENV)
    if chosen:
        return normalize_hub_url(chosen)
    signed_in = list(settings.load().accounts)
    return signed_in[0] if len(signed_in) == 1 else DEFAULT_HUB_URL


def client_cache(clock: Callable[[], datetime]) -> Callable[[str], HubClient]:
    """One client (one connection pool) per hub, shared by every task."""
    clients: dict[str, HubClient] = {}
    lock = threading.Lock()  # tasks ask from several worker threads

    def client_for(hub_url: str) -> HubClient:
        with lock:
            if hub_url not in clients:
                # Imported here, on the first task's worker: requests costs ~0.1 s at start-up.
                from hubtokens.core.hub.client import HubClient

                clients[hub_url] = HubClient(hub_url, clock=clock)
            return clients[hub_url]

    return client_for


def token_window_factory(
    runner: TaskRunner,
    keeper: Keeper,
    client_for: Callable[[str], HubClient],
    clock: Callable[[], datetime],
    clipboard: ClipboardGuard,
) -> Callable[[str], TokenWindowLike]:
    def build(hub_url: str) -> TokenWindowLike:
        from hubtokens.gui.controllers.tokens import TokensController
        from hubtokens.gui.views.token_window import TokenWindow

        controller = TokensController(runner, keeper, client_for, hub_url, clock)
        return TokenWindow(controller, clipboard)

    return build


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    options = parser.parse_args(argv)
    if options.screenshots is not None and not options.demo:
        parser.error("--screenshots needs --demo: the tour creates a token, on the demo's hub only")
    guard_against_emit_leak()
    environ = dict(os.environ)
    if not options.demo:
        return _run(options, environ, None)
    from hubtokens.gui.demo import DemoSandbox

    sandbox = DemoSandbox()
    try:
        return _run(options, environ, sandbox)
    finally:
        sandbox.close()


def _run(options: argparse.Namespace, environ: dict[str, str], sandbox: DemoSandbox | None) -> int:
    paths = AppPaths.under(sandbox.home) if sandbox else AppPaths.default(environ)
    settings = SettingsStore(paths.settings_file)
    try:
        hub_url = sandbox.hub.url if sandbox else choose_hub_url(options.hub, environ, settings)
    except HubTokensError as exc:
        print(f"hubtokens-gui: error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    configure_logging(
        level=logging.DEBUG if options.debug else logging.INFO,
        log_file=paths.log_file,
        stderr=options.debug,
    )
    qt_app = _qt_application(paths.log_file)
    instance: SingleInstance | None = None
    if options.screenshots is None:  # a job that renders and exits runs beside the app
        profile = sandbox.home if sandbox else _profile(environ)
        instance = SingleInstance(instance_key(profile), paths.state_dir)
        claim = instance.claim()
        if claim is Claim.HANDED_OFF:
            return 0
        if claim is Claim.UNRESPONSIVE:
            print("hubtokens-gui: another Hub Tokens is running but not answering", file=sys.stderr)
            return 1
    wakeup = _quit_on_termination(qt_app)
    runner = TaskRunner(QThreadPool())
    # A job that renders and exits, and the demo, leave the helper to the real app.
    serve_helper = options.screenshots is None and sandbox is None
    app = _build_app(runner, settings, paths, hub_url, environ, sandbox, serve_helper)
    app.quit_requested.connect(qt_app.quit)
    if instance is not None:
        instance.activated.connect(app.window.bring_forward)
    app.start(background=options.background or options.screenshots is not None)
    if sandbox:
        app.sign_in_approved_by(sandbox.hub.url, sandbox.approve)
    _add_one_shot_jobs(options, app, qt_app, expect_sign_in=sandbox is not None)
    try:
        # Everything built at start-up lives until quit: keep it out of the collector, whose
        # full passes otherwise stall the GUI thread 30-60 ms while a 10,000-token list loads.
        gc.freeze()
        return qt_app.exec()
    finally:
        app.shutdown()
        runner.shutdown(SHUTDOWN_WAIT_MS)
        if instance is not None:
            instance.release()
        for end in wakeup:
            end.close()


def _qt_application(log_file: Path) -> QApplication:
    qt_app = QApplication(sys.argv[:1])
    qt_app.setApplicationName("Hub Tokens")
    qt_app.setOrganizationName("Hub Tokens")
    qt_app.setApplicationVersion(__version__)
    qt_app.setDesktopFileName(APP_ID)
    qt_app.setWindowIcon(app_icon())
    qt_app.setQuitOnLastWindowClosed(False)  # the tray keeps running without a window
    qInstallMessageHandler(_log_qt_message)
    _install_excepthook(log_file)
    return qt_app


def _build_app(
    runner: TaskRunner,
    settings: SettingsStore,
    paths: AppPaths,
    hub_url: str,
    environ: Mapping[str, str],
    sandbox: DemoSandbox | None,
    serve_helper: bool,
) -> HubTokensApp:
    clock = utc_now
    client_for = client_cache(clock)
    vault = Vault(sandbox.keychain) if sandbox else Vault()
    keeper = Keeper(
        client_for=client_for,
        vault=vault,
        settings=settings,
        lock=KeeperLock(paths.keeper_lock_file),
        clock=clock,
        hostname=socket.gethostname(),
    )
    clipboard = ClipboardGuard(QApplication.clipboard())
    return HubTokensApp(
        runner=runner,
        keeper=keeper,
        client_for=client_for,
        clock=clock,
        hub_url=hub_url,
        clipboard=clipboard,
        # The demo's sandbox has its own: "Start at login" there must not start the real app.
        autostart=autostart_for(
            sys.platform,
            home=sandbox.home if sandbox else Path.home(),
            environ={} if sandbox else environ,
            command=launch_command(environ),
        ),
        tray_available=QSystemTrayIcon.isSystemTrayAvailable,
        token_window_factory=token_window_factory(runner, keeper, client_for, clock, clipboard),
        docker=DockerSetup(
            config_dir=str(paths.config_dir),
            environ=docker_environ(sandbox, environ),
            read_item=vault.get_item,
            server=server_for(environ, str(paths.config_dir)) if serve_helper else None,
        ),
    )


def docker_environ(sandbox: DemoSandbox | None, environ: Mapping[str, str]) -> Mapping[str, str]:
    """Where docker's config and this computer's files are, for the app's docker parts and its
    leak check. The demo's keychain is thrown away, so docker's real config must not name it;
    its home is the sandbox too, so the leak check's "this computer" stays inside it."""
    if sandbox is None:
        return environ
    return {"DOCKER_CONFIG": str(sandbox.home / "docker"), "HOME": str(sandbox.home)}


def _add_one_shot_jobs(
    options: argparse.Namespace, app: HubTokensApp, qt_app: QApplication, *, expect_sign_in: bool
) -> None:
    if options.screenshots is not None:
        from hubtokens.gui.screenshots import ScreenshotTour

        tour = ScreenshotTour(
            app,
            options.screenshots,
            expect_sign_in=expect_sign_in or app.session.state.signed_in,
        )
        tour.finished.connect(qt_app.exit)
        tour.start()
    elif options.self_check is not None:
        from hubtokens.gui.self_check import SelfCheck

        check = SelfCheck(app, idle_seconds=options.self_check)
        check.finished.connect(qt_app.quit)
        check.start()


def _quit_on_termination(qt_app: QApplication) -> tuple[socket.socket, socket.socket]:
    """Ctrl+C in a terminal and SIGTERM (the session ending) quit through the event loop, so the
    clipboard and the icon are cleaned up. Python runs a signal handler only when it runs at
    all, so the signal is written to a socket that Qt watches."""
    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    signal.set_wakeup_fd(writer.fileno())
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: None)  # the wake-up byte does the work
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read, qt_app)

    def on_signal() -> None:
        reader.recv(64)
        qt_app.quit()

    notifier.activated.connect(on_signal)
    return reader, writer


def _profile(environ: Mapping[str, str]) -> Path | None:
    home = environ.get(HOME_ENV)
    return Path(home).expanduser() if home else None


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def _log_qt_message(kind: QtMsgType, _context: QMessageLogContext, message: str) -> None:
    logging.getLogger("qt").log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


def _install_excepthook(log_file: Path) -> None:
    """A bug in a slot is logged and told, instead of vanishing into stderr."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        logger.critical("unexpected error", exc_info=(kind, error, trace))
        QMessageBox.critical(
            None,
            "Hub Tokens",
            f"Something unexpected went wrong. The details are in {log_file}.",
        )

    sys.excepthook = hook


if __name__ == "__main__":
    raise SystemExit(main())
