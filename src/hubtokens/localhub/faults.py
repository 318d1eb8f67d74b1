"""Fault injection: misbehaviour the hub can be told to show, to test clients against."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from http import HTTPStatus

from hubtokens.localhub.messages import JSON_TYPE, Reply, error, html_reply

# Faults that answer in place of the hub, so the request has no effect ...
_PRE_EMPTING = ("error", "rate_limit", "drop", "malformed", "html")
# ... and faults that let the request take effect and then spoil the answer.
_POST_EFFECT = ("truncated", "drop_after_commit")
KINDS = ("latency", *_PRE_EMPTING, *_POST_EFFECT)

_GATEWAY_STATUSES = (502, 503, 504)  # answered by a proxy page, not by the API
_MALFORMED_BODY = b'{"count": 1, "results": [{"uuid": }'


@dataclass(frozen=True)
class Fault:
    """One kind of misbehaviour; ``path`` is a prefix filter, ``count`` limits how many
    matching requests it hits, ``rate`` is the chance it hits one, ``value`` is its
    parameter (seconds for latency and rate_limit, a status for error and html)."""

    kind: str
    rate: float = 1.0
    count: int | None = None
    path: str = ""
    method: str | None = None
    value: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("a fault's rate is a probability between 0 and 1")
        if self.count is not None and self.count < 0:
            raise ValueError("a fault's count cannot be negative")

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """``KIND[:key=value,...]``, e.g. ``error:value=503,rate=0.5,path=/v2/access-tokens``."""
        kind, _, options = spec.partition(":")
        fields: dict[str, str] = {}
        for option in filter(None, options.split(",")):
            key, sep, value = option.partition("=")
            if not sep or key not in ("rate", "count", "path", "method", "value"):
                raise ValueError(f"bad fault option {option!r} in {spec!r}")
            fields[key] = value
        try:
            return cls(
                kind=kind,
                rate=float(fields.get("rate", 1.0)),
                count=int(fields["count"]) if "count" in fields else None,
                path=fields.get("path", ""),
                method=fields["method"].upper() if "method" in fields else None,
                value=float(fields.get("value", 0.0)),
            )
        except ValueError as exc:
            raise ValueError(f"bad fault {spec!r}: {exc}") from exc

    def matches(self, method: str, path: str) -> bool:
        return path.startswith(self.path) and self.method in (None, method)


class FaultPlan:
    """The active faults, drawn per request; thread-safe."""

    def __init__(self, seed: int | None) -> None:
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._faults: list[tuple[Fault, int | None]] = []  # (fault, hits left)

    def set(self, faults: tuple[Fault, ...]) -> None:
        with self._lock:
            self._faults = [(fault, fault.count) for fault in faults]

    def draw(self, method: str, path: str) -> list[Fault]:
        """The faults that hit this request: any latencies, then at most one other fault."""
        hits: list[Fault] = []
        answered = False  # whether a non-latency fault already hit
        with self._lock:
            for index, (fault, left) in enumerate(self._faults):
                delays = fault.kind == "latency"
                if left == 0 or not fault.matches(method, path) or (answered and not delays):
                    continue
                if self._random.random() >= fault.rate:
                    continue
                hits.append(fault)
                answered = answered or not delays
                if left is not None:
                    self._faults[index] = (fault, left - 1)
        hits.sort(key=lambda fault: fault.kind != "latency")
        return hits


def apply_faults(
    hits: list[Fault], respond: Callable[[], Reply], too_many: Callable[[float], Reply]
) -> Reply:
    """The reply for a request hit by ``hits``; ``respond`` performs the real request."""
    for fault in hits:
        if fault.kind == "latency":
            time.sleep(fault.value)
        else:
            return _misbehave(fault, respond, too_many)
    return respond()


def _misbehave(
    fault: Fault, respond: Callable[[], Reply], too_many: Callable[[float], Reply]
) -> Reply:
    status = int(fault.value)
    if fault.kind == "error":
        status = status or 503
        if status in _GATEWAY_STATUSES:
            return html_reply(status, _status_title(status))
        return error(status, "Internal server error")
    if fault.kind == "html":
        status = status or 502
        return html_reply(status, _status_title(status))
    if fault.kind == "rate_limit":
        return too_many(fault.value)
    if fault.kind == "malformed":
        return Reply(200, _MALFORMED_BODY, JSON_TYPE)
    if fault.kind == "truncated":
        return replace(respond(), delivery="truncated")
    if fault.kind == "drop_after_commit":
        respond()
    # "drop" and "drop_after_commit": close the connection without a word.
    return Reply(0, delivery="drop")


def _status_title(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return str(status)
