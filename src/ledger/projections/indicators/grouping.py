"""How indicators are grouped: by department, window, matter or (cases only) channel, each row
under one key or none.

A row with no key for the grouping (a case with no window, a ticket no unit holds) is its own
group, key null, listed last. A matter's group is named after the matter's most recent row. The
`total` is always computed over the rows, never by averaging groups.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from typing import Protocol, TypeVar

T = TypeVar("T")


class GroupBy(StrEnum):
    DEPARTMENT = "department"
    WINDOW = "window"
    MATTER = "matter"
    CHANNEL = "channel"
    """Only cases carry a channel (`timeliness.case_key`); no other row groups by it."""


class Grouped(Protocol):
    """A row that has a key for every grouping (a case, a rating)."""

    @property
    def department(self) -> str: ...
    @property
    def window(self) -> str | None: ...
    @property
    def matter_code(self) -> str: ...


def group_key(row: Grouped, group_by: GroupBy) -> str | None:
    """The row's key under `group_by`: its department, window or matter code."""
    if group_by is GroupBy.CHANNEL:
        raise ValueError("only cases group by channel (timeliness.case_key)")
    if group_by is GroupBy.WINDOW:
        return row.window
    if group_by is GroupBy.MATTER:
        return row.matter_code
    return row.department


def in_key_order(groups: Mapping[str | None, T]) -> list[tuple[str | None, T]]:
    """The groups by key, the null key last."""
    return sorted(groups.items(), key=lambda kv: (kv[0] is None, kv[0] or ""))


class MatterNames:
    """Each matter code's latest name: the name on its most recent row (by the row's time; on a
    tie, the greater name), among the rows seen."""

    def __init__(self, rows: Iterable[tuple[str, datetime, str]] = ()) -> None:
        self._latest: dict[str, tuple[datetime, str]] = {}
        for code, at, name in rows:
            self.see(code, at, name)

    def see(self, code: str, at: datetime, name: str) -> None:
        latest = self._latest.get(code)
        if latest is None or (at, name) > latest:
            self._latest[code] = (at, name)

    def get(self, code: str | None) -> str | None:
        latest = self._latest.get(code) if code else None
        return latest[1] if latest else None
