"""Property: whatever text an event carries, every projection either applies it or stops right
before it with a record naming it, and never loops or raises out of the runner.

Generated bodies (control characters, NUL, odd Unicode) go into the free-text fields of a handful
of event types through `Ledger.append`, bypassing the API's validation as an old client could;
then every built-in projection runs to the head of the log. A stop is skipped (as an operator
would) and the projection must then reach the head. (A skipped registration makes each later
event of that case a stop of its own in the views that fold the case: that is what skipping it
means, and the bound on the rounds below allows it.)
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any

import hypothesis
import psycopg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from ledger.application.service import Ledger
from ledger.domain.errors import LedgerError
from ledger.domain.exceptions.records import CreditCheck, CreditResult, ExceptionKind
from ledger.domain.hotline.records import HotlineCategory, HotlineUrgency
from ledger.domain.lifecycle import EscalationThreat
from ledger.domain.values import Channel, Matter, Priority
from ledger.projections import PROJECTIONS
from ledger.projections.configured import instances
from ledger.projections.failures import skip
from ledger.projections.projector import Projector
from ledger.store.database import Database
from tests.conftest import actor
from tests.exception_views_support import ITEM
from tests.projection_support import failures, stopped_before
from tests.views_support import module_scoped_ledger

database, ledger = module_scoped_ledger()

CLERK = actor("clerk-prop", "clerk", unit="人社")
DUTY = actor("duty-prop", "duty_officer", unit="值班")
HOTLINE = actor("hl-prop", "hotline_operator", unit="12345")
ODD = "\x00\x01\x07\x08\x0b\x0c\x1b\x1f\x7f\x85\xa0\u200b\u200e\u2028\u2029\ufeff\ufffd\U0010ffff"
_CHARS = st.characters(exclude_categories=["Cs"])
_ANY = st.text(_CHARS, max_size=12)
TEXT = st.one_of(
    st.text(_CHARS, min_size=1, max_size=30),
    st.builds(lambda a, odd, b: a + odd + b, _ANY, st.sampled_from(ODD), _ANY),
)
"""Any Unicode text, half the time with a control or otherwise odd character inside. No lone
surrogates: the event store cannot encode them (`Ledger.append` raises UnicodeEncodeError and
stores nothing), so they never reach a projection."""
_tickets = itertools.count(1)


def _now() -> datetime:
    return datetime.now(timezone.utc)  # noqa: UP017 (house style)


EVENT = st.one_of(
    st.builds(lambda a, b: ("VisitRecorded", CLERK, {"note": a, "ticket": b}), TEXT, TEXT),
    st.builds(
        lambda a, b: (
            "DutyIntervention",
            DUTY,
            {"action": a, "note": b, "escalation_threat": EscalationThreat.NONE},
        ),
        TEXT,
        TEXT,
    ),
    st.builds(
        lambda a, b: (
            "HandedOff",
            CLERK,
            {"to_department": "医保", "to_window": a, "to_officer": None, "reason": b},
        ),
        TEXT,
        TEXT,
    ),
    st.builds(
        lambda a: (
            "HotlineEscalationReceived",
            HOTLINE,
            {
                "ticket_no": f"HS-P{next(_tickets):06d}",
                "category": HotlineCategory.COMPLAINT,
                "urgency": HotlineUrgency.NORMAL,
                "confidential": False,
                "summary": a,
            },
        ),
        TEXT,
    ),
    st.builds(
        lambda a, b: (
            "ExceptionRequested",
            CLERK,
            {
                "kind": ExceptionKind.MISSING_MATERIALS,
                "rule_waived": a,
                "basis": b,
                "justification": a,
                "waived_items": [ITEM],
                "compensating_controls": [b],
                "credit_check": CreditCheck(
                    result=CreditResult.CLEAR, source="信用中国", checked_at=_now()
                ),
            },
        ),
        TEXT,
        TEXT,
    ),
)


@pytest.fixture(scope="module")
def projectors(database: Database) -> Iterator[list[Projector]]:
    running = [Projector(database.app_conninfo, p) for p in instances(PROJECTIONS)]
    yield running
    for projector in running:
        projector.close()


@pytest.fixture(scope="module")
def owner(database: Database) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        yield conn


def head(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute("SELECT coalesce(max(notification_id), 0) FROM ledger_events").fetchone()
    assert row is not None
    return int(row[0])


def write(ledger: Ledger, window: str, events: list[tuple[str, Any, dict[str, Any]]]) -> None:
    """Register a case (its window generated) and append the events the rules admit."""
    try:
        registered = ledger.register_case(
            CLERK,
            centre="huoshan",
            channel=Channel.WINDOW,
            matter=Matter(code="SI-ARREARS", name="养老保险费补缴"),
            department="人社",
            window=window,
            applicant=ledger.protect_applicant(name="李某"),
            priority=Priority.NORMAL,
            statutory_limit=None,
            promised_limit=None,
            parent_case_id=None,
        )
    except LedgerError:
        return
    for event_type, by, fields in events:
        # Refused by the case's rules: not in the log, nothing to project.
        with contextlib.suppress(LedgerError):
            ledger.append(registered.case_id, by, event_type, **fields)


@hypothesis.settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(window=TEXT, events=st.lists(EVENT, min_size=1, max_size=4))
@hypothesis.example(
    window="2F\x0007",
    events=[
        ("DutyIntervention", DUTY, {"action": "a\x00", "escalation_threat": EscalationThreat.NONE}),
        ("VisitRecorded", CLERK, {"note": "after it", "ticket": None}),
    ],
)
def test_every_projection_applies_a_generated_event_or_stops_before_it_with_a_record(
    ledger: Ledger,
    database: Database,
    owner: psycopg.Connection[Any],
    projectors: list[Projector],
    window: str,
    events: list[tuple[str, Any, dict[str, Any]]],
) -> None:
    start = head(owner)
    write(ledger, window, events)
    end = head(owner)
    with ThreadPoolExecutor(1) as pool, psycopg.connect(database.app_conninfo) as conn:
        conn.autocommit = True
        for projector in projectors:
            stops = []
            # Bounded: each round either reaches the head or stops before one more event.
            for _ in range(end - start + 1):
                reached = pool.submit(projector.catch_up).result(timeout=60)  # never loops
                if (before := projector.stopped_before) is None:
                    break
                stops.append(before)
                [record] = [f for f in failures(owner, projector.name) if f["position"] == before]
                assert stopped_before(owner, projector.name) == before
                assert reached == before - 1
                skip(conn, projector.name, by="property", reason="generated poison")
            assert projector.stopped_before is None, (projector.name, stops)
            assert reached == end, projector.name
            assert all(start < p <= end for p in stops), (projector.name, stops, start, end)
            if stops:  # the record named the event: its topic is one the case records
                assert record["topic"].startswith("ledger.domain.case:Case.")
