"""Reading one TOML rule file into its typed shape; a bad file is an error naming file and field.

Calendars and time-limit policies are read the same way, so an operator sees one kind of message
(`policies/time-limits/cn.toml: hotline.sign_for: Expected int, got str`) whichever file is wrong.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import TypeVar

import msgspec

from ledger.domain.errors import LedgerError

Shape = TypeVar("Shape")


class RuleFileError(LedgerError):
    """A rule file that cannot be read or cannot be right; `field` is a path like years[1].x."""

    def __init__(self, path: Path, field: str | None, detail: str) -> None:
        super().__init__(f"{path}: {field}: {detail}" if field else f"{path}: {detail}")
        self.path = path
        self.field = field
        self.detail = detail


def read_rule_file(path: Path, shape: type[Shape], error: type[RuleFileError]) -> Shape:
    """`path` parsed as TOML and converted strictly to `shape`, or `error` naming the field."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise error(path, None, f"cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise error(path, None, f"not valid TOML: {exc}") from None
    try:
        return msgspec.convert(raw, shape, strict=True)
    except msgspec.ValidationError as exc:
        raise error(path, *locate_error(str(exc))) from None


def locate_error(message: str) -> tuple[str, str]:
    """msgspec's "detail - at `$.a[0].b`" as ("a[0].b", detail); unknown keys get their name."""
    detail, _, where = message.partition(" - at ")
    field = where.strip("`").removeprefix("$").removeprefix(".")
    if unknown := re.search(r"unknown field `([^`]+)`", detail):
        field = f"{field}.{unknown.group(1)}" if field else unknown.group(1)
    return field or "(top level)", detail
