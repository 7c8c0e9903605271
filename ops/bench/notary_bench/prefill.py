"""The notary bench's pre-fill: cases of 50 events (Registered, then VisitRecorded), 1,000 open at
a time and interleaved, payloads shaped field for field like the mapper's, COPYed in."""

from __future__ import annotations

import itertools
import random
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

import msgspec
import psycopg
from support.cases import CENTRE, CLERK, DEPARTMENT, MATTER
from support.events import copy_events, vacuum_events
from support.report import log

from ledger.domain.values import Channel, Priority
from notary_bench.plan import CASES_IN_FLIGHT, EVENTS_PER_CASE

if TYPE_CHECKING:
    from collections.abc import Iterator

    from support.events import Row

COPY_CHUNK = 100_000  # pre-fill rows per COPY (one transaction each)
REGISTERED_TOPIC = "ledger.domain.case:Case.Registered"
VISIT_TOPIC = "ledger.domain.case:Case.VisitRecorded"
NOTES = (  # what clerks write on a visit: VisitRecorded payloads of 290-315 bytes
    "申请人补交了缴费凭证和身份证复印件，材料齐全，已转后台复核，预计五个工作日内办结并短信通知",
    "电话回访：申请人确认补缴月份为2019年3月至2020年8月，待原单位盖章后再来窗口提交",
    "材料缺少原单位出具的劳动关系证明，已按清单一次性告知需补正的全部材料及办理时限",
    "取号后等候超过三十分钟，已引导至综合窗口优先办理，并在意见簿上登记申请人的意见",
)


class _ActorPayload(msgspec.Struct):
    id: str
    roles: list[str]
    unit: str | None


class _VisitPayload(msgspec.Struct):
    """Field for field what MsgspecMapper stores for Case.VisitRecorded."""

    timestamp: datetime
    actor: _ActorPayload
    occurred_at: datetime
    ticket: str
    note: str | None


class _Masked(msgspec.Struct):
    masked: str
    token: str


class _Applicant(msgspec.Struct):
    name: str
    id_number: _Masked | None
    phone: _Masked | None
    bank_card: _Masked | None


class _MatterPayload(msgspec.Struct):
    code: str
    name: str


class _RegisteredPayload(msgspec.Struct):
    """Field for field what MsgspecMapper stores for Case.Registered."""

    timestamp: datetime
    originator_topic: str
    case_no: str
    channel: str
    matter: _MatterPayload
    centre: str
    department: str
    window: str
    applicant: _Applicant
    priority: str
    statutory_limit: int | None
    promised_limit: int | None
    parent_case_id: UUID | None
    actor: _ActorPayload
    occurred_at: datetime


def prefill_rows(events: int) -> Iterator[Row]:
    """`events` rows: cases of EVENTS_PER_CASE events (Registered, then VisitRecorded), opened
    CASES_IN_FLIGHT at a time and interleaved; recorded times spread over the past year."""
    encode = msgspec.json.Encoder().encode
    actor = _ActorPayload(id=CLERK.id, roles=[r.value for r in CLERK.roles], unit=CLERK.unit)
    matter = _MatterPayload(code=MATTER.code, name=MATTER.name)
    start = datetime.now(timezone.utc) - timedelta(days=365)  # noqa: UP017 (house style)
    step = timedelta(days=365) / events
    rng = random.Random(20_26)
    written = 0
    case_no = 0
    while written < events:
        cases = [uuid4() for _ in range(CASES_IN_FLIGHT)]
        for version in range(1, EVENTS_PER_CASE + 1):
            for case_id in cases:
                if written == events:
                    return
                at = start + step * written
                occurred = at - timedelta(milliseconds=rng.randrange(2, 900))
                if version == 1:
                    case_no += 1
                    state = encode(
                        _RegisteredPayload(
                            timestamp=at,
                            originator_topic="ledger.domain.case:Case",
                            case_no=f"HUOSHAN-{at.year}-{case_no:06d}",
                            channel=Channel.WINDOW.value,
                            matter=matter,
                            centre=CENTRE,
                            department=DEPARTMENT,
                            window="2F-07",
                            applicant=_Applicant(
                                name="李*",
                                id_number=_Masked("3415**********0020", secrets.token_hex(32)),
                                phone=None,
                                bank_card=None,
                            ),
                            priority=Priority.NORMAL.value,
                            statutory_limit=None,
                            promised_limit=None,
                            parent_case_id=None,
                            actor=actor,
                            occurred_at=occurred,
                        )
                    )
                    yield case_id, 1, REGISTERED_TOPIC, state
                else:
                    state = encode(
                        _VisitPayload(
                            timestamp=at,
                            actor=actor,
                            occurred_at=occurred,
                            ticket=f"A-{rng.randrange(10_000):04d}",
                            note=rng.choice(NOTES),
                        )
                    )
                    yield case_id, version, VISIT_TOPIC, state
                written += 1


@dataclass
class Prefill:
    events: int
    cases: int
    seconds: float
    payload_bytes: int
    table_mb: float


def prefill(owner: str, events: int) -> Prefill:
    """COPY the rows in as the owner role; notification_id comes from its sequence."""
    started = time.perf_counter()
    rows = prefill_rows(events)
    payload = 0
    with psycopg.connect(owner, autocommit=True) as conn:
        for chunk_start in range(0, events, COPY_CHUNK):
            payload += copy_events(conn, itertools.islice(rows, COPY_CHUNK))
            done = min(chunk_start + COPY_CHUNK, events)
            if done % (5 * COPY_CHUNK) == 0 or done == events:
                log(f"  pre-filled {done:,} events")
        vacuum_events(conn)
        size = conn.execute("SELECT pg_total_relation_size('ledger_events')").fetchone()
    assert size is not None
    return Prefill(
        events=events,
        cases=-(-events // EVENTS_PER_CASE),
        seconds=time.perf_counter() - started,
        payload_bytes=payload,
        table_mb=int(size[0]) / 2**20,
    )
