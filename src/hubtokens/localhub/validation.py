"""Checking request bodies and query parameters; failures become 400 ``ValueError`` bodies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

from hubtokens.localhub.messages import ApiError, bad_request
from hubtokens.localhub.times import utc

SCOPES = ("repo:public_read", "repo:read", "repo:write", "repo:admin")
LABEL_MAX = 100
MAX_EXPIRY = timedelta(days=366)
PAGE_SIZE_DEFAULT = 10
PAGE_SIZE_MAX = 100

_REQUIRED = "This field is required."


@dataclass(frozen=True)
class CreateRequest:
    label: str
    scopes: tuple[str, ...]
    expires_at: datetime | None


@dataclass(frozen=True)
class PatchRequest:
    label: str | None
    is_active: bool | None


@dataclass(frozen=True)
class Paging:
    page: int
    page_size: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def parse_create(body: Any, now: datetime) -> CreateRequest:
    obj = _object(body)
    problems: dict[str, list[str]] = {}
    label = _label(obj, problems, required=True)
    scopes = _scopes(obj.get("scopes"), problems)
    expires_at = _expiry(obj.get("expires_at"), now, problems)
    if problems or label is None:
        _fail(problems)
    return CreateRequest(label, scopes, expires_at)


def parse_patch(body: Any) -> PatchRequest:
    obj = _object(body)
    problems: dict[str, list[str]] = {}
    if "token_label" not in obj and "is_active" not in obj:
        raise ApiError(bad_request({}, "Provide token_label, is_active or both."))
    label = _label(obj, problems, required=False)
    is_active = obj.get("is_active")
    if "is_active" in obj and not isinstance(is_active, bool):
        problems["is_active"] = ["Must be a valid boolean."]
    if problems:
        _fail(problems)
    return PatchRequest(label, is_active if isinstance(is_active, bool) else None)


def parse_paging(query: dict[str, list[str]]) -> Paging:
    problems: dict[str, list[str]] = {}
    page = _positive_int(query, "page", 1, problems)
    page_size = _positive_int(query, "page_size", PAGE_SIZE_DEFAULT, problems)
    if problems:
        _fail(problems)
    # Like the Hub's paginator: an oversized page_size is capped, not refused.
    return Paging(page, min(page_size, PAGE_SIZE_MAX))


def string_fields(body: Any, *names: str) -> list[str]:
    """Required string fields of a sign-in body, in the order named."""
    obj = _object(body)
    problems = {name: [_REQUIRED] for name in names if not isinstance(obj.get(name), str)}
    if problems:
        _fail(problems)
    return [obj[name] for name in names]


def _object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(bad_request({}, "The request body must be a JSON object."))
    return body


def _label(obj: dict[str, Any], problems: dict[str, list[str]], *, required: bool) -> str | None:
    if "token_label" not in obj:
        if required:
            problems["token_label"] = [_REQUIRED]
        return None
    label = obj["token_label"]
    if not isinstance(label, str):
        problems["token_label"] = ["Not a valid string."]
    elif not label:
        problems["token_label"] = ["This field may not be blank."]
    elif len(label) > LABEL_MAX:
        problems["token_label"] = [f"Ensure this field has no more than {LABEL_MAX} characters."]
    else:
        return label
    return None


def _scopes(value: Any, problems: dict[str, list[str]]) -> tuple[str, ...]:
    if value is None:
        problems["scopes"] = [_REQUIRED]
    elif not isinstance(value, list) or not value:
        problems["scopes"] = ["Expected a non-empty list of scopes."]
    elif any(scope not in SCOPES for scope in value):
        problems["scopes"] = [f"Each scope must be one of {', '.join(SCOPES)}."]
    else:
        return tuple(value)
    return ()


def _expiry(value: Any, now: datetime, problems: dict[str, list[str]]) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        problems["expires_at"] = ["Expected a date-time string."]
        return None
    try:
        when = utc(datetime.fromisoformat(value))
    except ValueError:
        problems["expires_at"] = ["Datetime has wrong format."]
        return None
    if when <= now:
        problems["expires_at"] = ["The expiration date must be in the future."]
    elif when > now + MAX_EXPIRY:
        problems["expires_at"] = [f"The expiration date must be within {MAX_EXPIRY.days} days."]
    return when


def _positive_int(
    query: dict[str, list[str]], name: str, default: int, problems: dict[str, list[str]]
) -> int:
    values = query.get(name)
    if not values:
        return default
    try:
        number = int(values[-1])
    except ValueError:
        number = 0
    if number < 1:
        problems[name] = ["A positive integer is required."]
    return number


def _fail(problems: dict[str, list[str]]) -> NoReturn:
    text = " ".join(f"{name}: {' '.join(msgs)}" for name, msgs in problems.items())
    raise ApiError(bad_request(problems, text))
