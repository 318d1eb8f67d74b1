"""JSON in and out without importing ``json``, whose decoder imports ``re`` (about 13 ms of
the helper's start-up). The C scanner and string encoder that ``json`` itself uses need none
of that; a Python without them gets the ``json`` module.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs ~15 ms of start-up; mypy knows this name
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

_WHITESPACE = " \t\n\r"


class _Options:
    """The attributes the C scanner reads from a ``json.JSONDecoder``: the defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # NaN, Infinity, -Infinity, as json.loads reads them


_scan: Callable[[str, int], tuple[object, int]] | None
_quote: Callable[[str], str] | None
try:
    import _json

    _scan = _json.make_scanner(_Options())  # type: ignore[arg-type]  # duck-typed decoder
    _quote = _json.encode_basestring_ascii
except ImportError:
    _scan = _quote = None


def loads(text: str) -> object:
    """Like ``json.loads`` for a str; raises ValueError for anything that is not one JSON value."""
    if _scan is not None:
        start = len(text) - len(text.lstrip(_WHITESPACE))
        try:
            value, end = _scan(text, start)
        except Exception:  # malformed: the scanner's own error path needs json.decoder loaded
            pass
        else:
            if not text[end:].strip(_WHITESPACE):
                return value
    import json  # the slow path: bad input, or a Python without the accelerator

    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None


def quote(text: str) -> str:
    """A JSON string literal (ASCII, with escapes)."""
    if _quote is None:
        import json

        return json.dumps(text)
    return _quote(text)


def dumps_strings(mapping: Mapping[str, str]) -> str:
    """A JSON object of strings, compact as Go's encoder writes it."""
    return "{" + ",".join(f"{quote(k)}:{quote(v)}" for k, v in mapping.items()) + "}"
