"""The "pushback" view's tables: their columns and the rows each derives from a case's state.

One row per item: 12345 work orders (`view_hotline_tickets`) and every dispatch of them
(`view_hotline_dispatches`), 办不成事 reports (`view_unresolved`) with their root causes
(`view_root_causes`) and improvement actions (`view_improvements`), the consultations the
windows answered (`view_consultations`; these three in `unresolved_items`), and 好差评 ratings
(`view_ratings`). Nothing here can leak what it does not hold: no row names who rated (the events
never record it), a confidential order's summary is NULL in its row, and no applicant field is
copied into a row. Each touched case has all its rows rewritten (items are never removed, so an
upsert per key is a rewrite); one write per table.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import msgspec
import psycopg

from ledger.domain.hotline.records import HotlineTicket, ReviewResult, UnitRole
from ledger.domain.ratings.records import Rating
from ledger.domain.state import CaseState
from ledger.domain.unresolved.records import UnresolvedReport
from ledger.domain.values import Decision, TimeLimit
from ledger.projections.views.tables import ViewTable
from ledger.projections.views.unresolved_items import (
    CONSULTATIONS,
    IMPROVEMENTS,
    ROOT_CAUSES,
    consultation_rows,
    improvement_rows,
    root_cause_rows,
)

_TICKET_COLUMNS = (
    ("ticket_id", "uuid"),
    ("case_id", "uuid"),
    ("case_no", "text"),
    ("centre", "text"),
    ("ticket_no", "text"),
    ("category", "text"),
    ("urgency", "text"),
    ("confidential", "bool"),
    ("summary", "text"),
    ("status", "text"),
    ("received_at", "timestamptz"),
    ("lead_unit", "text"),
    ("assist_units", "text[]"),
    ("rounds", "int4"),
    ("returns_requested", "int4"),
    ("returns_approved", "int4"),
    ("designated", "bool"),
    ("dispatched_at", "timestamptz"),
    ("sign_for_due", "timestamptz"),
    ("signed_for_at", "timestamptz"),
    ("reply_due", "timestamptz"),
    ("reply_limit", "text"),
    ("reply_source", "text"),
    ("extensions_approved", "int4"),
    ("first_contact_at", "timestamptz"),
    ("replies", "int4"),
    ("reworks", "int4"),
    ("unit_claims_resolved", "bool"),
    ("closure", "text"),
    ("closed_at", "timestamptz"),
    ("first_closed_at", "timestamptz"),
    ("follow_ups", "int4"),
    ("followed_up_at", "timestamptz"),
    ("reachable", "bool"),
    ("citizen_resolved", "bool"),
    ("satisfaction", "text"),
    ("reopen_count", "int4"),
    ("merged_into_case", "uuid"),
    ("merged_into_ticket", "text"),
    ("supervisions", "int4"),
    ("last_supervision", "text"),
    ("replied_at", "timestamptz"),
    ("order_due", "timestamptz"),
    ("order_limit", "text"),
    ("order_started_at", "timestamptz"),
    ("contact_due", "timestamptz"),
    ("follow_up_due", "timestamptz"),
    ("closure_followed_up_at", "timestamptz"),
)
_DISPATCH_COLUMNS = (
    ("ticket_id", "uuid"),
    ("seq", "int4"),
    ("case_id", "uuid"),
    ("centre", "text"),
    ("unit", "text"),
    ("role", "text"),
    ("designated", "bool"),
    ("dispatched_at", "timestamptz"),
    ("sign_for_due", "timestamptz"),
    ("signed_for_at", "timestamptz"),
    ("returned_at", "timestamptz"),
    ("complex", "bool"),
)
_UNRESOLVED_COLUMNS = (
    ("report_id", "uuid"),
    ("case_id", "uuid"),
    ("case_no", "text"),
    ("centre", "text"),
    ("department", "text"),
    ("matter_code", "text"),
    ("matter_name", "text"),
    ("cause", "text"),
    ("resolvability", "text"),
    ("tier", "text"),
    ("description", "text"),
    ("reported_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("due_source", "text"),
    ("team_lead", "text"),
    ("team_size", "int4"),
    ("team_assigned_at", "timestamptz"),
    ("closure", "text"),
    ("explanation", "text"),
    ("redirected_to", "text"),
    ("closed_at", "timestamptz"),
    ("root_causes", "int4"),
    ("actions_open", "int4"),
    ("actions_completed", "int4"),
    ("due_limit", "text"),
    ('"window"', "text"),  # the window and unit it concerns (0017)
    ("unit", "text"),
    ("negative_answer", "bool"),
    ("feedbacks", "int4"),
    ("fed_back_at", "timestamptz"),
    ("verified_at", "timestamptz"),
)
_RATING_COLUMNS = (
    ("rating_id", "uuid"),
    ("case_id", "uuid"),
    ("centre", "text"),
    ("department", "text"),
    ('"window"', "text"),
    ("matter_code", "text"),
    ("level", "int4"),
    ("channel", "text"),
    ("is_default", "bool"),
    ("real_name", "bool"),
    ("rated_at", "timestamptz"),
    ("validity", "text"),
    ("appeal_upheld", "bool"),
    ("excluded", "bool"),
    ("rectify_due", "timestamptz"),
    ("rectification", "text"),
    ("rectified_at", "timestamptz"),
    ("rerated_level", "int4"),
)

_TICKETS = ViewTable("view_hotline_tickets", _TICKET_COLUMNS, key="generation, ticket_id")
_DISPATCHES = ViewTable(
    "view_hotline_dispatches", _DISPATCH_COLUMNS, key="generation, ticket_id, seq"
)
_UNRESOLVED = ViewTable("view_unresolved", _UNRESOLVED_COLUMNS, key="generation, report_id")
_RATINGS = ViewTable("view_ratings", _RATING_COLUMNS, key="generation, rating_id")


class Rows:
    """The rows (columns after generation) of each pushback table, case by case."""

    def __init__(self) -> None:
        self.tickets: list[tuple[Any, ...]] = []
        self.dispatches: list[tuple[Any, ...]] = []
        self.unresolved: list[tuple[Any, ...]] = []
        self.root_causes: list[tuple[Any, ...]] = []
        self.improvements: list[tuple[Any, ...]] = []
        self.ratings: list[tuple[Any, ...]] = []
        self.consultations: list[tuple[Any, ...]] = []

    def add(self, case_id: UUID, state: CaseState) -> None:
        for ticket in state.tickets:
            self.tickets.append(ticket_row(case_id, state, ticket))
            self.dispatches += dispatch_rows(case_id, state, ticket)
        for report in state.unresolved:
            self.unresolved.append(unresolved_row(case_id, state, report))
            self.root_causes += root_cause_rows(case_id, state, report)
            self.improvements += improvement_rows(case_id, state, report)
        for rating in state.ratings:
            self.ratings.append(rating_row(case_id, state, rating))
        self.consultations += consultation_rows(case_id, state)

    def write(self, cur: psycopg.Cursor[Any], generation: int) -> None:
        """Each table once, rows of every touched case together."""
        _TICKETS.write(cur, generation, self.tickets)
        _DISPATCHES.write(cur, generation, self.dispatches)
        _UNRESOLVED.write(cur, generation, self.unresolved)
        ROOT_CAUSES.write(cur, generation, self.root_causes)
        IMPROVEMENTS.write(cur, generation, self.improvements)
        _RATINGS.write(cur, generation, self.ratings)
        CONSULTATIONS.write(cur, generation, self.consultations)


def limit_text(limit: TimeLimit) -> str:
    """A limit as the view stores it: "13 working_days"."""
    return f"{limit.value} {limit.unit.value}"


def parse_limit(text: str | None) -> TimeLimit | None:
    if not text:
        return None
    value, unit = text.split(" ", 1)
    return msgspec.convert({"value": int(value), "unit": unit}, TimeLimit)


def ticket_row(case_id: UUID, state: CaseState, t: HotlineTicket) -> tuple[Any, ...]:
    """The `view_hotline_tickets` columns (after generation) of one 12345 order of a case."""
    lead = t.lead
    assists = [d.unit for d in t.dispatches if d.role is UnitRole.ASSIST and d.returned_at is None]
    running, order = t.reply_clock, t.order_clock
    last_reply = t.replies[-1] if t.replies else None
    last = t.follow_ups[-1] if t.follow_ups else None
    reached = next((f for f in reversed(t.follow_ups) if f.reachable), None)
    closure_follow_up = t.closure_follow_up
    return (
        t.ticket_id,
        case_id,
        state.case_no,
        state.centre,
        t.ticket_no,
        t.category.value,
        t.urgency.value,
        t.confidential,
        None if t.confidential else t.summary,
        t.status.value,
        t.received_at,
        lead.unit if lead else None,
        assists,
        t.rounds,
        len(t.returns),
        sum(1 for r in t.returns if r.decision is Decision.APPROVE),
        lead.designated if lead else False,
        lead.dispatched_at if lead else None,
        lead.sign_for_due if lead else None,
        lead.signed_for_at if lead else None,
        running.due_at if running else None,
        limit_text(running.limit) if running else None,
        running.source if running else None,
        sum(1 for x in t.extensions if x.decision is Decision.APPROVE),
        t.first_contact_at,
        len(t.replies),
        sum(1 for r in t.replies if r.review is ReviewResult.REWORK),
        last_reply.unit_claims_resolved if last_reply else None,
        t.closure.value if t.closure else None,
        t.closed_at,
        t.first_closed_at,
        len(t.follow_ups),
        last.at if last else None,
        last.reachable if last else None,
        reached.resolved if reached else None,
        reached.satisfaction.value if reached and reached.satisfaction else None,
        t.reopen_count,
        t.merged_into_case,
        t.merged_into_ticket,
        len(t.supervisions),
        t.supervisions[-1][0].value if t.supervisions else None,
        last_reply.replied_at if last_reply else None,
        order.due_at if order else None,
        limit_text(order.limit) if order else None,
        order.started_at if order else None,
        t.contact_due,
        t.follow_up_due,
        closure_follow_up.at if closure_follow_up else None,
    )


def dispatch_rows(case_id: UUID, state: CaseState, t: HotlineTicket) -> list[tuple[Any, ...]]:
    """The `view_hotline_dispatches` columns (after generation) of every dispatch of an order."""
    return [
        (
            t.ticket_id,
            seq,
            case_id,
            state.centre,
            d.unit,
            d.role.value,
            d.designated,
            d.dispatched_at,
            d.sign_for_due,
            d.signed_for_at,
            d.returned_at,
            d.complex,
        )
        for seq, d in enumerate(t.dispatches, start=1)
    ]


def unresolved_row(case_id: UUID, state: CaseState, r: UnresolvedReport) -> tuple[Any, ...]:
    """The `view_unresolved` columns (after generation) of one 办不成事 report of a case."""
    team = r.team
    return (
        r.report_id,
        case_id,
        state.case_no,
        state.centre,
        state.department,
        state.matter.code,
        state.matter.name,
        r.cause.value,
        r.resolvability.value,
        r.tier.value,
        r.description,
        r.reported_at,
        r.clock.due_at if r.clock else None,
        r.clock.source if r.clock else None,
        team.lead if team else None,
        len({team.lead, *team.members}) if team else 0,
        team.assigned_at if team else None,
        r.closure.value if r.closure else None,
        r.explanation,
        r.redirected_to,
        r.closed_at,
        len(r.root_causes),
        sum(1 for a in r.actions if a.completed_at is None),
        sum(1 for a in r.actions if a.completed_at is not None),
        limit_text(r.clock.limit) if r.clock else None,
        # the window and unit it concerns; a report from before they were kept: the case's now
        r.window if r.unit is not None else state.window,
        r.unit or state.department,
        r.negative_answer,
        len(r.feedbacks),
        r.feedbacks[-1].given_at if r.feedbacks else None,
        r.verifications[-1].verified_at if r.verified else None,
    )


def rating_row(case_id: UUID, state: CaseState, r: Rating) -> tuple[Any, ...]:
    """The `view_ratings` columns (after generation) of a case's rating: never who rated."""
    bad = r.bad_review
    return (
        r.rating_id,
        case_id,
        state.centre,
        state.department,
        state.window,
        state.matter.code,
        r.level,
        r.channel.value if r.channel else None,
        r.default,
        r.real_name,
        r.rated_at,
        bad.validity.value if bad and bad.validity else None,
        bad.appeal_upheld if bad else None,
        bad.excluded if bad else False,
        bad.rectify_due if bad else None,
        bad.rectification.value if bad and bad.rectification else None,
        bad.rectified_at if bad else None,
        bad.rerated_level if bad else None,
    )
