"""Reads the running app's accessibility tree (AT-SPI) for the tests, as a screen reader would.

Run by ``tests/desktop/accessibility.py`` with the system ``python3``, which has ``pyatspi``
(Debian's python3-pyatspi; it is not on PyPI). One JSON request a line on stdin, one JSON
answer a line on stdout:

    {"pid": 123, "window": "Hub Tokens"}   the nodes of the app's showing top-level window
                                            of that name (null: of every showing one)

Each node: role, name, the names of its labels, x, y, width, height (desktop coordinates) and the states that the
tests look at. A failure is answered as {"error": "..."}: the test says what went wrong.

A popup menu is not among an application's windows (Qt leaves popups out): a screen reader
learns of the tray's menu from the event that says it is showing, and so does this agent; its
nodes are answered under the window name "popup menu". So the agent runs GLib's main loop,
which delivers those events, and reads its requests in the same loop.
"""

from __future__ import annotations

import json
import sys

import pyatspi
from gi.repository import Atspi, GLib

POPUP = "popup menu"

STATES = {
    "showing": pyatspi.STATE_SHOWING,
    "enabled": pyatspi.STATE_ENABLED,
    "checked": pyatspi.STATE_CHECKED,
    "focused": pyatspi.STATE_FOCUSED,
    "active": pyatspi.STATE_ACTIVE,
    "focusable": pyatspi.STATE_FOCUSABLE,
    "default": pyatspi.STATE_IS_DEFAULT,
}


def application(pid):
    for app in pyatspi.Registry.getDesktop(0):
        if app is not None and app.get_process_id() == pid:
            return app
    return None


def extents(accessible):
    """Where it is on the screen; nowhere for what has no place (Qt's table cells do not
    implement Component)."""
    try:
        box = accessible.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)
    except NotImplementedError:
        return {"x": 0, "y": 0, "width": 0, "height": 0}
    return {"x": box.x, "y": box.y, "width": box.width, "height": box.height}


def labels(accessible):
    """The names of what labels it (a label whose buddy it is): on Linux Qt names a combo box
    by its current choice, and a screen reader speaks the label through this relation."""
    names = []
    for relation in accessible.getRelationSet():
        if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY:
            targets = (relation.getTarget(i) for i in range(relation.getNTargets()))
            names += [target.name or "" for target in targets if target is not None]
    return names


def node(accessible, window, path):
    states = accessible.getState()
    return {
        "window": window,
        "role": accessible.getRoleName(),
        "name": accessible.name or "",
        "description": accessible.description or "",
        "labelled_by": labels(accessible),
        "path": list(path),
        **extents(accessible),
        **{name: states.contains(state) for name, state in STATES.items()},
    }


def walk(accessible, window, into, path=()):
    into.append(node(accessible, window, path))
    inner = (*path, f"{accessible.getRoleName()} {accessible.name or ''!r}")
    for child in accessible:
        if child is not None and child.getState().contains(pyatspi.STATE_SHOWING):
            walk(child, window, into, inner)


popups = []  # popup menus seen showing, newest last


def on_showing(event):
    if event.detail1 and event.source.getRoleName() == POPUP and event.source not in popups:
        popups.append(event.source)


def showing_popups(pid):
    shown = []
    for popup in list(popups):
        try:
            if popup.getState().contains(pyatspi.STATE_SHOWING):
                if popup.getApplication().get_process_id() == pid:
                    shown.append(popup)
                continue
        except Exception:  # gone with its menu
            pass
        popups.remove(popup)
    return shown


def answer(request):
    pid = request["pid"]
    app = application(pid)
    if app is None:
        return {"error": f"no accessible application with pid {pid}"}
    wanted = request.get("window")
    nodes = []
    for window in app:
        if window is None or not window.getState().contains(pyatspi.STATE_SHOWING):
            continue
        if wanted in (None, window.name):
            walk(window, window.name or "", nodes)
    if wanted in (None, POPUP):
        for popup in showing_popups(pid):
            walk(popup, POPUP, nodes)
    return {"nodes": nodes}


def on_request(channel, _condition):
    line = channel.readline()
    if not line:
        pyatspi.Registry.stop()
        return False
    try:
        reply = answer(json.loads(line))
    except Exception as exc:  # any failure is the test's to report
        reply = {"error": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(reply), flush=True)
    return True


def main():
    # Read everything afresh: Qt does not say when a control shows up in an open window (an
    # action made visible in an open menu), and libatspi's cache would keep it hidden.
    pyatspi.Registry.getDesktop(0).set_cache_mask(Atspi.Cache.NONE)
    pyatspi.Registry.registerEventListener(on_showing, "object:state-changed:showing")
    requests = GLib.IOChannel.unix_new(sys.stdin.fileno())
    GLib.io_add_watch(requests, GLib.PRIORITY_DEFAULT, GLib.IO_IN | GLib.IO_HUP, on_request)
    pyatspi.Registry.start()


if __name__ == "__main__":
    main()
