"""Reads time-limit policies from `policies/time-limits/*.toml` and finds each centre's `Timing`.

One file per jurisdiction. The national file (`cn.toml`) is complete; a local file `extends` it and
may replace whole sections (`hotline`, `rating`, ...) and add or replace matters by code. The
merged version is "<base version>+<local version>", like calendars, and it is what clocks record.

The files' `centres` lists are also the register of centres: a case may be registered only at a
centre one file claims (`Policies.knows`; the API answers 422 `centre.unknown` otherwise), so a
misspelt centre cannot open a case-number series of its own. A centre under the national policy
is listed in `cn.toml`. (Events already stored at a centre no file lists still read on the national
policy.) Strict like the calendar loader: unknown keys, a missing section in a base file, or a
centre claimed twice are errors naming file and field.
"""

from __future__ import annotations

from pathlib import Path

import msgspec

from ledger.domain.calendar import WorkingCalendar
from ledger.domain.exceptions.records import ExceptionKind
from ledger.domain.policy import (
    ApprovalPolicy,
    BoardThresholds,
    CaseClockRules,
    HotlineLimits,
    JurisdictionPolicy,
    LimitRule,
    MatterLimits,
    RatingLimits,
    ResolvabilityLimits,
    Timing,
)
from ledger.domain.unresolved.records import UnresolvedTier
from ledger.rules.calendars import POLICY_ROOT, CalendarFileError, load_jurisdiction
from ledger.rules.files import RuleFileError, read_rule_file

NATIONAL = "cn"


class PolicyFileError(RuleFileError):
    """A time-limit policy file that cannot be read or cannot be right."""


class PolicyFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One TOML file as written; sections left out come from the file it `extends`."""

    version: str
    jurisdiction: str
    title: str
    extends: str | None = None
    calendar: str | None = None
    centres: tuple[str, ...] = ()
    default_promised: LimitRule | None = None
    matters: tuple[MatterLimits, ...] = ()
    hotline: HotlineLimits | None = None
    unresolved_tiers: dict[UnresolvedTier, LimitRule] | None = None
    unresolved_resolvability: ResolvabilityLimits | None = None
    rating: RatingLimits | None = None
    board: BoardThresholds | None = None
    approvals: dict[ExceptionKind, ApprovalPolicy] = msgspec.field(default_factory=dict)
    case_clock: CaseClockRules | None = None


def read_policy_file(path: Path) -> PolicyFile:
    parsed = read_rule_file(path, PolicyFile, PolicyFileError)
    if parsed.jurisdiction != path.stem:
        raise PolicyFileError(path, "jurisdiction", "does not match the file name")
    codes = [m.code for m in parsed.matters]
    if twice := sorted({c for c in codes if codes.count(c) > 1}):
        raise PolicyFileError(path, "matters", f"{', '.join(twice)} listed twice")
    return parsed


def merge_policy(base: PolicyFile, local: PolicyFile) -> PolicyFile:
    """`local` over `base`: whole sections replaced, matters replaced or added by code."""
    matters = {m.code: m for m in base.matters} | {m.code: m for m in local.matters}
    return PolicyFile(
        version=f"{base.version}+{local.version}",
        jurisdiction=local.jurisdiction,
        title=local.title,
        calendar=local.calendar or base.calendar,
        centres=local.centres,
        default_promised=local.default_promised or base.default_promised,
        matters=tuple(matters.values()),
        hotline=local.hotline or base.hotline,
        unresolved_tiers=local.unresolved_tiers or base.unresolved_tiers,
        unresolved_resolvability=local.unresolved_resolvability or base.unresolved_resolvability,
        rating=local.rating or base.rating,
        board=local.board or base.board,
        approvals={**base.approvals, **local.approvals},
        case_clock=local.case_clock or base.case_clock,
    )


def complete(path: Path, merged: PolicyFile) -> JurisdictionPolicy:
    sections = (
        "calendar",
        "default_promised",
        "hotline",
        "unresolved_tiers",
        "unresolved_resolvability",
        "rating",
        "board",
        "case_clock",
    )
    missing = [name for name in sections if getattr(merged, name) is None]
    if missing:
        raise PolicyFileError(path, missing[0], "missing, and no file it extends gives it")
    assert merged.unresolved_tiers is not None  # for mypy: checked just above
    if absent := [t for t in UnresolvedTier if t not in merged.unresolved_tiers]:
        raise PolicyFileError(path, "unresolved_tiers", f"no limit for {', '.join(absent)}")
    for kind, approval in merged.approvals.items():
        if approval.kind is not kind:
            raise PolicyFileError(path, f"approvals.{kind}.kind", f"says {approval.kind}")
        if not approval.layers:
            raise PolicyFileError(path, f"approvals.{kind}.layers", "an approval needs a layer")
    return msgspec.convert(
        {
            **msgspec.structs.asdict(merged),
            "matters": {m.code: m for m in merged.matters},
        },
        JurisdictionPolicy,
        from_attributes=True,
    )


class Policies:
    """Every jurisdiction's policy and calendar, loaded once; `timing(centre)` is the lookup."""

    def __init__(self, root: Path = POLICY_ROOT) -> None:
        self.root = root
        files = {
            path.stem: (path, read_policy_file(path))
            for path in sorted((root / "time-limits").glob("*.toml"))
        }
        if NATIONAL not in files:
            raise PolicyFileError(root / "time-limits", None, f"no {NATIONAL}.toml (national)")
        self._by_jurisdiction: dict[str, Timing] = {}
        self._by_centre: dict[str, str] = {}
        calendars: dict[str, WorkingCalendar] = {}
        for name, (path, parsed) in files.items():
            merged = parsed
            if parsed.extends is not None:
                if parsed.extends not in files or files[parsed.extends][1].extends is not None:
                    raise PolicyFileError(path, "extends", f"{parsed.extends!r} is not a base file")
                merged = merge_policy(files[parsed.extends][1], parsed)
            policy = complete(path, merged)
            if policy.calendar not in calendars:
                try:
                    calendars[policy.calendar] = load_jurisdiction(
                        policy.calendar, root / "calendars"
                    )
                except CalendarFileError as exc:
                    raise PolicyFileError(path, "calendar", str(exc)) from None
            self._by_jurisdiction[name] = Timing(policy=policy, calendar=calendars[policy.calendar])
            for i, centre in enumerate(policy.centres):
                if centre in self._by_centre:
                    detail = f"{centre!r} is already claimed by {self._by_centre[centre]}"
                    raise PolicyFileError(path, f"centres[{i}]", detail)
                self._by_centre[centre] = name

    def timing(self, centre: str) -> Timing:
        return self._by_jurisdiction[self._by_centre.get(centre, NATIONAL)]

    def knows(self, centre: str) -> bool:
        """Whether a policy file claims `centre`: only there may a case be registered."""
        return centre in self._by_centre

    @property
    def centres(self) -> list[str]:
        """Every configured centre, sorted."""
        return sorted(self._by_centre)

    def jurisdiction(self, name: str) -> Timing:
        return self._by_jurisdiction[name]

    @property
    def jurisdictions(self) -> list[str]:
        return sorted(self._by_jurisdiction)
