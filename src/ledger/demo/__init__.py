"""`ledger demo`: the five seed stories and a synthetic month, loaded through the public API.
May import domain, rules, config, application.tokens and api.schemas; talks to the ledger over HTTP.

So that every view has something true and something ordinary to show, on a fresh ledger or an
old one: `stories` holds the seed reports' cases (one module per report), `synthetic` a seeded
month of traffic, `plan` the data shape both produce, `commands` a plan's steps as the ledger's
commands (for in-process writers), and `loader` the only code that talks to the server. Running
it again adds nothing (see `loader`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from ledger.config.settings import Settings
from ledger.demo.loader import Client, Summary, load
from ledger.demo.plan import BEIJING, CasePlan
from ledger.demo.stories import stories
from ledger.demo.synthetic import month_plans
from ledger.demo.synthetic.calendar import WorkingDays, national_calendar

__all__ = ["Summary", "last_full_month", "parse_month", "plans", "run"]


def last_full_month(today: date) -> str:
    return (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def parse_month(text: str) -> str:
    """'2026-10' as given, or ValueError."""
    return datetime.strptime(text, "%Y-%m").strftime("%Y-%m")


def plans(month: str, seed: int, cases: int) -> list[CasePlan]:
    return stories() + month_plans(month, seed, cases, WorkingDays(national_calendar()))


def run(
    settings: Settings,
    url: str,
    *,
    month: str | None = None,
    seed: int = 1,
    cases: int = 300,
    workers: int = 16,
    echo: Callable[[str], None] = print,
) -> Summary:
    month = month or last_full_month(datetime.now(BEIJING).date())
    echo(f"ledger demo: {url}; five seed stories and {cases} cases in {month} (seed {seed})")
    summary = load(Client(url, settings.token_secret), plans(month, seed, cases), workers)
    for line in summary.lines():
        echo(line)
    for error in summary.errors[:10]:
        echo(f"FAILED {error}")
    if any("409 Idempotency-Key" in error for error in summary.errors):
        echo(
            "hint: this ledger holds demo cases that a different version of the demo wrote; "
            "they stay as recorded (try another --seed for a fresh month)"
        )
    return summary
