"""Times for people: "3 days ago", "in 2 h", and the exact UTC time for tooltips and --json."""

from __future__ import annotations

from datetime import UTC, datetime


def exact(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def relative(value: datetime, now: datetime) -> str:
    seconds = (value - now).total_seconds()
    span = abs(seconds)
    if span < 60:
        return "just now"
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if span >= size:
            count = int(span // size)
            text = f"{count} {unit}{'s' if unit == 'day' and count != 1 else ''}"
            return f"in {text}" if seconds > 0 else f"{text} ago"
    raise AssertionError(span)


def relative_or_never(value: datetime | None, now: datetime) -> str:
    return "Never" if value is None else relative(value, now)
