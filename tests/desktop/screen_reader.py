"""What a screen-reader or keyboard user meets in one window, read through AT-SPI: the
controls without a name, where the focus is, the default button, and the Tab key's cycle."""

from __future__ import annotations

from functools import partial
from itertools import pairwise

from tests.desktop.accessibility import Node
from tests.desktop.desktop import wait_until
from tests.desktop.person import Person

# What a person acts on (AT-SPI role names); labels, panels and the like only show things.
INTERACTIVE = {
    "push button", "toggle button", "check box", "radio button", "text", "password text",
    "entry", "spin button", "combo box", "table", "tree table", "tree", "list", "list box",
    "menu item", "check menu item", "radio menu item", "link", "slider", "page tab",
}  # fmt: skip
# What the focus stops at as a whole: inside them the arrow keys move, not Tab.
CONTAINERS = {"table", "tree table", "tree", "list", "list box"}
MOST_STOPS = 40  # more Tab stops than any of our windows has: the focus is caught somewhere


def speakable(name: str) -> bool:
    """A name says something: a word, not only a sign ("✕" is read as "multiplication x")."""
    return any(c.isalnum() for c in name)


def named(node: Node) -> bool:
    """Whether a screen reader can say what the control is. On Linux Qt names a combo box by
    its current choice ("All sources"), so a combo box needs a label tied to it."""
    if node.role == "combo box":
        return any(speakable(label) for label in node.labelled_by)
    return speakable(node.name)


def unnamed(nodes: list[Node]) -> list[str]:
    """Each interactive node without a name: its role, description and where it is."""
    return [
        f"{n.role} {n.name!r} (description {n.description!r}) in {' > '.join(n.path)}"
        for n in nodes
        if n.role in INTERACTIVE and not named(n)
    ]


class Survey:
    """The unnamed controls of each window, as it was read; printed as they are found, so
    that a walk cut short still shows them."""

    def __init__(self, person: Person) -> None:
        self.person = person
        self.offenders: list[str] = []

    def read(self, window: str, step: str) -> None:
        try:
            nodes = wait_until(f"{window} on the bus", lambda: self.person.nodes(window))
        except AssertionError as failure:
            raise AssertionError(f"{failure} ({self.person.unread})") from None
        found = [f"{window} ({step}): {offender}" for offender in unnamed(nodes)]
        print(*found, sep="\n")
        self.offenders += found


# --- the keyboard -------------------------------------------------------------------------------


def stop_of(node: Node, nodes: list[Node]) -> Node:
    """Where the focus is, as a Tab stop: a table's cell or a list's item stands for the
    table or list it is in."""
    for container in nodes:
        if container.role in CONTAINERS and _inside(node, container):
            return container
    return node


def _inside(node: Node, container: Node) -> bool:
    below = f"{container.role} {container.name!r}"
    return node is not container and node.path[: len(container.path) + 1] == (
        *container.path,
        below,
    )


def focused(person: Person, window: str) -> Node | None:
    """The control with the keyboard focus in ``window`` (None: none has it)."""
    nodes = person.nodes(window)
    stops = [stop_of(n, nodes) for n in nodes[1:] if n.focused]  # [0]: the window itself
    # Qt leaves a table's current cell "focused" after the focus left the table.
    return next((stop for stop in reversed(stops) if stop.focused), None)


def focus_on(person: Person, window: str, role: str, name: str) -> None:
    """Wait until the keyboard focus is on the control ``role`` ``name`` of ``window``."""

    def there() -> bool:
        now = focused(person, window)
        return now is not None and (now.role, now.name) == (role, name)

    try:
        wait_until(f"the focus on {role} {name!r} in {window}", there)
    except AssertionError as failure:
        now = focused(person, window)
        raise AssertionError(f"{failure}; focused: {now and (now.role, now.name)}") from None


def same_stop(a: Node, b: Node) -> bool:
    return (a.role, a.path, a.x, a.y) == (b.role, b.path, b.x, b.y)


def _moved_from(person: Person, window: str, before: Node) -> Node | None:
    now = focused(person, window)
    return now if now is not None and not same_stop(now, before) else None


def tab_cycle(person: Person, window: str) -> list[Node]:
    """Press Tab until the focus comes back to where it was: the controls it stopped at,
    from the one that had the focus."""
    first = wait_until(f"a control with the focus in {window}", lambda: focused(person, window))
    stops = [first]
    while len(stops) <= MOST_STOPS:
        person.desktop.key("Tab")
        now = wait_until(
            f"the focus to move on from {stops[-1].role} {stops[-1].name!r} on Tab",
            partial(_moved_from, person, window, stops[-1]),
        )
        if same_stop(now, first):
            return stops
        if any(same_stop(now, stop) for stop in stops):
            raise AssertionError(f"Tab is caught in a loop without {first.name!r}: {stops}")
        stops.append(now)
    raise AssertionError(f"Tab went through more than {MOST_STOPS} controls in {window}")


def out_of_reading_order(stops: list[Node]) -> list[str]:
    """Each Tab step that goes back up, or left on the same line: the order a sighted
    person reads in is top to bottom, left to right. The cycle is read from its topmost,
    leftmost stop, and its wrap from the last stop to that one is not a step back."""
    start = min(range(len(stops)), key=lambda n: (stops[n].y, stops[n].x))
    ordered = stops[start:] + stops[:start]
    return [
        f"{a.role} {a.name!r} → {b.role} {b.name!r}"
        for a, b in pairwise(ordered)
        if not _after(a, b)
    ]


def _after(a: Node, b: Node) -> bool:
    """Whether ``b`` comes after ``a`` in reading order: on a line below, or further right
    on the same line (their heights overlap)."""
    same_line = b.y < a.y + a.height and a.y < b.y + b.height
    return b.x > a.x if same_line else b.y >= a.y + a.height


def unreachable(nodes: list[Node], stops: list[Node]) -> list[str]:
    """The enabled controls that take the focus but that Tab never reaches. Of a group of
    radio buttons Tab stops at the checked one (the arrow keys move within the group)."""
    return [
        f"{n.role} {n.name!r}"
        for n in nodes
        if n.role in INTERACTIVE - {"menu item", "check menu item", "radio menu item"}
        and n.focusable
        and n.enabled
        and stop_of(n, nodes) is n
        and not (n.role == "radio button" and not n.checked)
        and not any(same_stop(n, stop) for stop in stops)
    ]


def default_button(person: Person, window: str) -> str | None:
    """The name of the button that Return presses in ``window`` (None: there is none)."""
    return next(
        (n.name for n in person.nodes(window) if n.role == "push button" and n.default), None
    )
