"""Reads working-day calendars from `policies/calendars/*.toml`: the only I/O behind the calendar.

A file is one jurisdiction: national (`cn.toml`) or a local override that names the jurisdiction
it `extends`. The loader is strict because a wrong holiday silently moves every deadline: unknown
keys, dates outside their year, make-up days on weekdays, a day both holiday and make-up day, and
`covers` disagreeing with the listed years are all errors naming the file and the field.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import msgspec

from ledger.domain.calendar import CalendarError, WorkingCalendar, merge
from ledger.rules.files import RuleFileError, read_rule_file

POLICY_ROOT = Path(__file__).resolve().parents[3] / "policies"
"""The repository's `policies/` (calendars and time limits); `LEDGER_POLICY_DIR` overrides it."""
POLICY_DIR_ENV = "LEDGER_POLICY_DIR"
DEFAULT_DIR = POLICY_ROOT / "calendars"
_JURISDICTION = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_SATURDAY = 5


class CalendarFileError(RuleFileError):
    """A calendar file that cannot be read or cannot be right."""


class Notice(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The document a year's dates come from (e.g. 国办发明电〔2024〕12号)."""

    title: str
    published_on: date
    number: str | None = None
    url: str | None = None
    note: str | None = None


class Festival(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: str
    holidays: tuple[date, ...] = ()
    makeup_days: tuple[date, ...] = ()


class YearSchedule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    year: int
    notice: Notice
    festivals: tuple[Festival, ...]


class CalendarFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One TOML file as written, citations included; `to_calendar()` keeps only the dates."""

    version: str
    jurisdiction: str
    title: str
    covers: tuple[int, ...]
    years: tuple[YearSchedule, ...]
    extends: str | None = None

    def to_calendar(self) -> WorkingCalendar:
        festivals = [f for y in self.years for f in y.festivals]
        return WorkingCalendar(
            version=self.version,
            jurisdiction=self.jurisdiction,
            covered_years=frozenset(self.covers),
            holidays=frozenset(d for f in festivals for d in f.holidays),
            makeup_days=frozenset(d for f in festivals for d in f.makeup_days),
            extends=self.extends,
        )


def policy_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`LEDGER_POLICY_DIR` if set, else the repository's `policies/`: for `Settings` and for
    processes that have no `Settings` (projections are instantiated without arguments)."""
    raw = (os.environ if environ is None else environ).get(POLICY_DIR_ENV)
    return Path(raw).resolve() if raw else POLICY_ROOT


def read_calendar_file(path: Path | str) -> CalendarFile:
    """The file parsed and checked, with its notices; most callers want `load_calendar`."""
    path = Path(path)
    parsed = read_rule_file(path, CalendarFile, CalendarFileError)
    _check(path, parsed)
    return parsed


def load_calendar(path: Path | str) -> WorkingCalendar:
    """One file as a calendar; an override file stays a fragment (use `load_jurisdiction`)."""
    path = Path(path)
    try:
        return read_calendar_file(path).to_calendar()
    except CalendarError as exc:  # _check should have caught it first, with a field
        raise CalendarFileError(path, None, str(exc)) from None


def load_jurisdiction(name: str, base_dir: Path = DEFAULT_DIR) -> WorkingCalendar:
    """`<base_dir>/<name>.toml`, merged over the files it extends, down to a national calendar."""
    return _load_chain(name, Path(base_dir), seen=())


def _load_chain(name: str, base_dir: Path, seen: tuple[str, ...]) -> WorkingCalendar:
    path = base_dir / f"{name}.toml"
    if not _JURISDICTION.match(name):
        raise CalendarFileError(path, None, f"{name!r} is not a jurisdiction name")
    calendar = load_calendar(path)
    if calendar.extends is None:
        return calendar
    if calendar.extends in (*seen, name):
        chain = " -> ".join((*seen, name, calendar.extends))
        raise CalendarFileError(path, "extends", f"circular: {chain}")
    base = _load_chain(calendar.extends, base_dir, seen=(*seen, name))
    try:
        return merge(base, calendar)
    except CalendarError as exc:
        raise CalendarFileError(path, "covers", str(exc)) from None


def _check(path: Path, parsed: CalendarFile) -> None:
    _check_years(path, parsed)
    _check_dates(path, parsed)


def _check_years(path: Path, parsed: CalendarFile) -> None:
    if parsed.jurisdiction != path.stem:
        raise CalendarFileError(
            path, "jurisdiction", f"{parsed.jurisdiction!r} does not match the file name"
        )
    if not _JURISDICTION.match(parsed.jurisdiction):
        raise CalendarFileError(path, "jurisdiction", "use lowercase letters, digits and hyphens")
    if not parsed.version.strip():
        raise CalendarFileError(path, "version", "must not be empty")
    if len(set(parsed.covers)) != len(parsed.covers):
        raise CalendarFileError(path, "covers", "lists a year twice")
    listed: dict[int, int] = {}
    for i, schedule in enumerate(parsed.years):
        if schedule.year in listed:
            detail = f"{schedule.year} is already at years[{listed[schedule.year]}]"
            raise CalendarFileError(path, f"years[{i}].year", detail)
        if schedule.year not in parsed.covers:
            raise CalendarFileError(path, f"years[{i}].year", f"{schedule.year} is not in covers")
        listed[schedule.year] = i
    if missing := sorted(set(parsed.covers) - set(listed)):
        detail = f"no [[years]] table for {', '.join(map(str, missing))}"
        raise CalendarFileError(path, "covers", detail)


def _check_dates(path: Path, parsed: CalendarFile) -> None:
    seen: dict[date, tuple[str, str]] = {}
    for i, schedule in enumerate(parsed.years):
        for j, festival in enumerate(schedule.festivals):
            for kind, days in (
                ("holidays", festival.holidays),
                ("makeup_days", festival.makeup_days),
            ):
                for k, day in enumerate(days):
                    field = f"years[{i}].festivals[{j}].{kind}[{k}]"
                    if day.year != schedule.year:
                        detail = f"{day} is not in {schedule.year}"
                    elif kind == "makeup_days" and day.weekday() < _SATURDAY:
                        detail = f"{day} is a weekday; make-up days are weekend days"
                    elif day in seen and seen[day][0] == kind:
                        detail = f"{day} is already listed at {seen[day][1]}"
                    elif day in seen:
                        detail = f"{day} is both a holiday and a make-up day ({seen[day][1]})"
                    else:
                        seen[day] = (kind, field)
                        continue
                    raise CalendarFileError(path, field, detail)
