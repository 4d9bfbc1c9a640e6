"""Reading GetStream requests: typed fields, or a 400 code 4 that names the field.

``ApiError`` is how any operation answers with GetStream's error envelope: the HTTP status,
Stream's own code, and a reason that ends up as ``<Operation> failed with error: "<reason>"``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from streamdesk.sim import payloads

Body = dict[str, Any]


class ApiError(Exception):
    """A GetStream error response: HTTP status, Stream's code, and the reason inside the message."""

    def __init__(self, status: int, code: int, reason: str, *, exception_fields: dict[str, str] | None = None,
                 unrecoverable: bool | None = None) -> None:
        super().__init__(reason)
        self.status, self.code, self.reason = status, code, reason
        self.exception_fields = exception_fields
        self.unrecoverable = unrecoverable

    def body(self, operation: str) -> Body:
        return payloads.api_error(self.status, self.code, f'{operation} failed with error: "{self.reason}"',
                                  exception_fields=self.exception_fields, unrecoverable=self.unrecoverable)


def input_error(reason: str, fld: str | None = None) -> ApiError:
    """400 code 4: bad input, with ``exception_fields`` naming the field when there is one."""
    return ApiError(400, 4, reason, exception_fields={fld: reason} if fld else None)


def obj(value: Any, name: str) -> Body:
    """An optional JSON object field (absent or null reads as ``{}``)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise input_error(f"{name} must be an object", name)
    return value


def creator(data: Body) -> str:
    """The creator's user id: server-side creation needs exactly one of created_by / created_by_id."""
    by_id, by = data.get("created_by_id"), data.get("created_by")
    if by_id and by:
        raise input_error("cannot set both data.created_by and data.created_by_id.", "created_by")
    by_user_id = by.get("id") if isinstance(by, dict) else None
    if isinstance(by_user_id, str) and by_user_id:
        return by_user_id
    if isinstance(by_id, str) and by_id:
        return by_id
    raise input_error("either data.created_by or data.created_by_id must be provided when using server "
                      "side auth.", "created_by_id")


def parse_time(value: Any, name: str) -> float | None:
    """Request date-times: RFC3339 strings (what clients send) or integer nanoseconds."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise input_error(f"{name} must be an RFC3339 date-time", name)
    if isinstance(value, int | float):
        return value / 1e9
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed.timestamp()
    raise input_error(f"{name} must be an RFC3339 date-time with a time zone", name)


def flags(body: Body, names: tuple[str, ...]) -> dict[str, bool]:
    """Optional booleans (absent reads as False; anything but a boolean is refused)."""
    out = {}
    for name in names:
        value = body.get(name)
        if value is not None and not isinstance(value, bool):
            raise input_error(f"{name} must be a boolean", name)
        out[name] = bool(value)
    return out


def int_param(value: str | None, name: str, *, default: int, maximum: int) -> int:
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise input_error(f"{name} must be an integer", name) from None
    if not 0 <= number <= maximum:
        raise input_error(f"{name} must be between 0 and {maximum}", name)
    return number


def user_filter(conditions: Body) -> set[str] | None:
    """The user ids a ``filter_conditions`` on ``user_id`` selects; None when it doesn't filter."""
    if "user_id" not in conditions:
        return None
    cond = conditions["user_id"]
    if isinstance(cond, str):
        return {cond}
    if isinstance(cond, dict) and isinstance(cond.get("$eq"), str):
        return {cond["$eq"]}
    if isinstance(cond, dict) and isinstance(cond.get("$in"), list):
        return {v for v in cond["$in"] if isinstance(v, str)}
    raise input_error("filter_conditions.user_id supports $eq and $in", "filter_conditions")
