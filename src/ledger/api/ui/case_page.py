"""The case page, `/ui/cases/{id}`: a case's state, clock, hand-offs, exceptions with their
approval proofs' checks and whole history, now or as it stood at a version, a recorded time
(`as_of`) or a business time (`occurred_at`); and `/ui/cases/{id}/bundle`, the audit bundle that
`static/verify.js` checks in the browser against a key the auditor pinned, never the server's word.

Every read is the API's own (`cases.read_case`, `case_response`, `event_entry`, `Ledger.bundle`,
`build_approval_proof`, `verify_approval_proof`) under the credential's roles and centres; only the
words are the page's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID

import anyio
import msgspec
from litestar import Request, Response, get
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from ledger.api.access_log import note
from ledger.api.cases import case_response, event_entry, read_case
from ledger.api.reads import utc_now
from ledger.api.schemas.case_responses import EventEntry
from ledger.api.schemas.fields import out_of_range
from ledger.api.ui.case_words import EVENT_NAMES, FIELD_NAMES, WORDS, limit_text, shown
from ledger.api.ui.format import BEIJING, beijing
from ledger.api.ui.labels import zh
from ledger.api.ui.pages import PAGES, PageError, page_context, page_credential
from ledger.application.reads import NotYetOccurred
from ledger.application.service import Ledger
from ledger.application.tokens import Credential
from ledger.domain import clock
from ledger.domain.case import Case
from ledger.domain.clock import Colour
from ledger.domain.errors import CaseNotFoundError, NotPermitted, VersionNotFoundError
from ledger.domain.exceptions.records import ExceptionRecord
from ledger.domain.state import CaseState
from ledger.domain.values import LimitUnit
from ledger.log.bundles import CaseBundle
from ledger.log.errors import NotSealedYet
from ledger.log.keys import KeyFileError, pinned_keys
from ledger.log.proofs import build_approval_proof, verify_approval_proof
from ledger.log.signed_note import NoteError, Verifier

_OFFSET_LOST = re.compile(r" (\d{2}:?\d{2})$")
"""An offset whose `+` an unencoded URL turned into a space."""


@dataclass(frozen=True)
class Travel:
    """Which past the page shows: a version, a recorded time or a business time (or now)."""

    version: int | None = None
    as_of: datetime | None = None
    occurred_at: datetime | None = None

    @property
    def moment(self) -> datetime | None:
        return self.as_of or self.occurred_at


def travel_of(version: str | None, as_of: str | None, occurred_at: str | None) -> Travel:
    given = [v for v in (version, as_of, occurred_at) if v]
    if len(given) > 1:
        raise PageError(400, "时间回溯条件有误", "版本、记录时间和业务时间只能选一个。")
    if version:
        if not version.isdigit() or not 1 <= int(version) <= 2**62:
            raise PageError(400, "时间回溯条件有误", f"版本应为正整数，而不是 “{version}”。")
        return Travel(version=int(version))
    if as_of:
        return Travel(as_of=_moment(as_of, "记录时间"))
    if occurred_at:
        return Travel(occurred_at=_moment(occurred_at, "业务时间"))
    return Travel()


def _moment(text: str, label: str) -> datetime:
    """RFC 3339, or a date-time picker's value without an offset, which is Beijing time."""
    try:
        moment = datetime.fromisoformat(_OFFSET_LOST.sub(r"+\1", text.strip()))
    except ValueError:
        raise PageError(400, "时间回溯条件有误", f"{label} “{text}” 不是有效的时间。") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=BEIJING)
    if why := out_of_range(moment):
        raise PageError(400, "时间回溯条件有误", f"{label}超出范围（{why}）。")
    return moment


@get("/ui/cases/{case_id:uuid}", include_in_schema=False)
async def case_page(
    request: Request[Any, Any, Any],
    case_id: FromPath[UUID],
    version: FromQuery[str | None] = None,
    as_of: FromQuery[str | None] = None,
    occurred_at: FromQuery[str | None] = None,
) -> Template:
    credential = await page_credential(request)
    travel = travel_of(version, as_of, occurred_at)
    ledger: Ledger = request.app.state.ledger
    view = await anyio.to_thread.run_sync(case_view, ledger, credential, case_id, travel)
    note(request, case_id=str(case_id), version=view["case"].version)
    context = page_context(request, credential, centre=view["state"].centre, **view)
    return Template("case.html", context=context)


@get("/ui/cases/{case_id:uuid}/bundle", include_in_schema=False)
async def case_bundle(
    request: Request[Any, Any, Any],
    case_id: FromPath[UUID],
    download: FromQuery[str | None] = None,
) -> Response[CaseBundle]:
    """`GET /cases/{id}/bundle`'s answer for the signed-in page (its cookie), for verify.js; with
    `?download=1` as a file for `ledger verify`."""
    credential = await page_credential(request)
    ledger: Ledger = request.app.state.ledger
    read = partial(ledger.bundle, case_id, credential.actor, scope=credential.scope)
    bundle = await anyio.to_thread.run_sync(read)
    note(request, case_id=str(case_id))
    headers = {"Cache-Control": "no-store"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="case-{case_id}-bundle.json"'
    return Response(bundle, headers=headers)


def case_view(
    ledger: Ledger, credential: Credential, case_id: UUID, travel: Travel
) -> dict[str, Any]:
    """Everything the page shows (blocking: run it in a thread)."""
    actor, scope = credential.actor, credential.scope
    try:
        history = ledger.history(case_id, actor, scope=scope)
    except CaseNotFoundError:
        raise PageError(
            404, "没有这个案件", "案件不存在，或不在您的令牌可查看的服务中心内。"
        ) from None
    except NotPermitted:
        raise PageError(403, "您的角色不能查看案件", "案件页面需要可读取案件的角色。") from None
    latest = history[-1][1].originator_version
    case = _travelled(ledger, credential, case_id, travel, latest)
    moment = travel.moment or (case.modified_on if travel.version else utc_now())
    response = case_response(case, ledger, moment)
    shown = [(p, e) for p, e in history if e.originator_version <= case.version]
    leaves = ledger.audit.leaves(p for p, _ in shown)
    timeline = [_item(event_entry(p, e, leaves.get(p))) for p, e in shown]
    late = []
    if travel.occurred_at is not None:  # recorded later, happened by then: not in this state
        late = [
            _item(event_entry(p, e, None))
            for p, e in history
            if e.originator_version > case.version and e.occurred_at <= travel.occurred_at  # type: ignore[attr-defined]
        ]
    state = case.state
    return {
        "case_id": case_id,
        "case": case,
        "state": state,
        "latest": latest,
        "travel": travel,
        "past": travel != Travel(),
        "moment": moment,
        "travel_local": _local(travel.moment),
        "clock": _clock(response.clock, state, ledger, moment),
        "pauses": _pauses([e for _, e in shown], state),
        "timeline": timeline,
        "late": late,
        "exceptions": _exceptions(ledger, credential, case_id, state.exceptions),
        "zh": zh,
        "words": WORDS,
        "limit_text": limit_text,
    }


def _travelled(
    ledger: Ledger, credential: Credential, case_id: UUID, travel: Travel, latest: int
) -> Case:
    """The case at the moment asked about (now: the history's own last version)."""
    actor, scope = credential.actor, credential.scope
    try:
        if travel == Travel():
            return ledger.get_case(case_id, actor, latest, scope=scope)
        return read_case(
            ledger, case_id, actor, scope, travel.version, travel.as_of, travel.occurred_at
        )
    except VersionNotFoundError as e:
        raise PageError(404, f"案件没有版本 {e.version}", f"当前版本为 {latest}。") from None
    except NotYetOccurred:
        raise PageError(
            404,
            "所选业务时间案件尚未登记",
            f"所选时刻 {beijing(travel.occurred_at)} 早于案件的登记时间（业务时间）。",
        ) from None
    except CaseNotFoundError:
        raise PageError(
            404,
            "所选记录时间案件尚未记录",
            f"所选时刻 {beijing(travel.as_of)} 早于案件的第一条记录。",
        ) from None


def _local(moment: datetime | None) -> str:
    """A moment as a date-time picker's value in Beijing time."""
    return moment.astimezone(BEIJING).strftime("%Y-%m-%dT%H:%M:%S") if moment else ""


def _clock(
    reading: clock.ClockReading | None, state: CaseState, ledger: Ledger, moment: datetime
) -> dict[str, Any] | None:
    """The clock as the API reads it at `moment`, with the time left and the board's colour."""
    if reading is None or state.clock is None:
        return None
    timing = ledger.policies.timing(state.centre)
    left: timedelta | None = None
    if state.closed_at is not None:
        colour = Colour.GREEN if reading.status is clock.ClockStatus.MET else Colour.RED
    else:
        left, _ = clock.remaining(state.clock, timing.calendar, state.paused_since or moment)
        amber = timing.policy.board.amber_share
        colour = clock.colour_of(reading.status, left, reading.limit, amber)
    working = reading.limit.unit is LimitUnit.WORKING_DAYS
    return {"reading": reading, "left": left, "colour": colour.value, "working": working}


def _pauses(events: list[Any], state: CaseState) -> list[dict[str, Any]]:
    """Each pause: its span as the fold keeps it, who paused it and why, and which event ended
    it (found by folding the events with the aggregate's own fold)."""
    found: list[dict[str, Any]] = []
    folded: CaseState | None = None
    for event in events:
        was = folded.paused_since if folded is not None else None
        folded = Case.fold_any(folded, event)
        kind = type(event).__name__
        if kind == "ClockPaused":
            found.append({"paused": event, "ended_by": None})
        elif was is not None and folded.paused_since is None and found:
            found[-1]["ended_by"] = {"name": EVENT_NAMES.get(kind, kind), "actor": event.actor}
    spans: list[tuple[datetime, datetime | None]] = list(state.pauses)
    if state.paused_since is not None:
        spans.append((state.paused_since, None))
    if len(spans) != len(found):  # not ours to second-guess the fold: show its spans alone
        return [{"start": s, "end": e, "paused": None, "ended_by": None} for s, e in spans]
    return [{"start": s, "end": e, **f} for (s, e), f in zip(spans, found, strict=True)]


def _exceptions(
    ledger: Ledger, credential: Credential, case_id: UUID, records: list[ExceptionRecord]
) -> list[dict[str, Any]]:
    """Each exception, its layers, and its approval proof as `ledger verify` would check it."""
    if not records:
        return []
    try:
        keys = pinned_keys(ledger.settings.notary_key_path, ledger.settings.origin)
        verifiers: list[Verifier] | None = [Verifier(k.key) for k in keys]
    except (KeyFileError, NoteError, OSError):
        verifiers = None
    shown = []
    for record in records:
        decisions = {d.layer: d for d in record.decisions}
        layers = [
            {"number": n, "layer": layer, "decision": decisions.get(n)}
            for n, layer in enumerate(record.required_layers, start=1)
        ]
        item: dict[str, Any] = {"record": record, "layers": layers, "proof": None, "report": None}
        try:
            proof = build_approval_proof(
                ledger, case_id, record.exception_id, credential.actor, utc_now()
            )
        except NotSealedYet:
            shown.append(item)
            continue
        item["proof"] = proof
        if verifiers:
            item["report"] = verify_approval_proof(msgspec.json.encode(proof), verifiers)
        shown.append(item)
    return shown


def _item(entry: EventEntry) -> dict[str, Any]:
    """One event for the timeline, its fields already words (masked data only, as the API)."""
    return {
        "entry": entry,
        "name": EVENT_NAMES.get(entry.type, entry.type),
        "roles": "、".join(zh("role", r) for r in entry.actor.roles),
        "fields": [
            (FIELD_NAMES.get(name, name), text)
            for name, value in entry.data.items()
            if (text := shown(value))
        ],
    }


PAGES.extend([case_page, case_bundle])
