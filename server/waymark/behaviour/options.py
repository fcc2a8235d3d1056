"""Reading the query parameters signal and impact share: bounded whole numbers and references, each refusal a
message that names the parameter and what it takes (the API and the admin answer it as a 400)."""

from __future__ import annotations

from collections.abc import Mapping

from waymark.behaviour.refs import RefError

__all__ = ["OptionError", "whole_number"]


class OptionError(RefError):
    """A parameter that cannot be read (a RefError, so one handler turns every input problem into a 400)."""


def whole_number(params: Mapping[str, str | None], name: str, default: int, low: int, high: int) -> int:
    """``params[name]`` as a whole number in [low, high]; ``default`` when absent or empty."""
    raw = (params.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw, 10)
    except ValueError:
        raise OptionError(f"{name}={raw[:40]!r} is not a whole number (give {low} to {high})") from None
    if not low <= value <= high:
        raise OptionError(f"{name}={value} is out of bounds: give {low} to {high}")
    return value
