"""The 12345 section summed by PostgreSQL: `hotline`'s definitions as two aggregate queries
over the pushback view's dispatches and tickets, so a report reads a row per unit instead of
every order and dispatch touching P.

Why: a month of 100,000 cases touches some 3,700 orders and as many dispatches here; reading them
(about 85 ms), decoding each into a `TicketRow` or `DispatchRow` and tallying them in Python cost
more than all the cases' sums. As in `summed`, `hotline` stays the definition: each flag below
restates one of its predicates under the same name, and
`tests/integration/projections/test_summed_pushback.py` checks over drawn orders with every
boundary that both give the same section. The waits are summed in exact microseconds on both
sides (`hotline.waited_microseconds`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from ledger.domain.hotline.records import Satisfaction, TicketClosure, TicketStatus
from ledger.projections.indicators.hotline_tally import HotlineTally
from ledger.projections.indicators.summed import in_period, touching


def _merged(ticket: str) -> str:
    """`TicketRow.merged` over the ticket row `ticket`."""
    return f"({ticket}.merged_into_case IS NOT NULL OR {ticket}.status = '{_MERGED}')"


_MERGED = TicketStatus.MERGED.value


def dispatches_query(dispatches: str) -> str:
    """Per unit and in total, over `dispatches` (`FROM view_hotline_dispatches v … LEFT JOIN
    view_hotline_tickets t … WHERE …`, ending in a condition), from one scan: the counted
    dispatches and their 签收 outcomes (`sign_for_outcome`), and the orders with a decided lead
    dispatch and those whose every such dispatch was signed in time (`hotline_tally.
    _orders_signed_for`, 及时签收率: per (lead unit, order), and per order alone for the total, so
    an order led by two units counts once in it). Each row carries zeros for the other's sums."""
    return f"""
WITH d AS MATERIALIZED ({_dispatches(dispatches)}), o AS (
  SELECT GROUPING(key) = 1 AS total, key, bool_and(outcome) AS in_time FROM d
  WHERE lead AND outcome IS NOT NULL GROUP BY GROUPING SETS ((key, ticket_id), (ticket_id))
)
SELECT GROUPING(key) = 1 AS total, key, count(*) AS dispatches,
  count(outcome) AS sign_for_decided, count(*) FILTER (WHERE outcome) AS signed_in_time,
  0 AS orders_sign_for_decided, 0 AS orders_signed_in_time
FROM d GROUP BY GROUPING SETS ((key), ())
UNION ALL
SELECT total, key, 0, 0, 0, count(*), count(*) FILTER (WHERE in_time) FROM o GROUP BY total, key"""


def _dispatches(dispatches: str) -> str:
    """The dispatches counted (dispatched in P, a known sign_for_due, the order not merged), each
    with its outcome: `sign_for_outcome`, where an approved 退单 or the order's closure by the
    due ends the round unsigned (`least` skips the one not set)."""
    return f"""
  SELECT v.unit AS key, v.ticket_id, v.role = 'lead' AS lead,
    CASE WHEN v.signed_for_at IS NOT NULL THEN v.signed_for_at <= v.sign_for_due
      WHEN least(v.returned_at, t.closed_at) <= v.sign_for_due THEN NULL
      WHEN v.sign_for_due <= %(now)s THEN false END AS outcome
  {dispatches} AND {in_period("v.dispatched_at")} AND v.sign_for_due IS NOT NULL
    AND NOT coalesce({_merged("t")}, false)"""


def _flags() -> str:
    """What each ticket row `v` counts as in P (`hotline`'s predicates, under their names)."""
    alive = f"NOT {_merged('v')}"

    def decided(due: str, done: str) -> str:  # contact_outcome, follow_up_outcome
        return (
            f"CASE WHEN {_merged('v')} OR NOT {in_period(due)} THEN NULL WHEN {done} <= {due} "
            f"THEN true WHEN {due} <= %(now)s THEN false END"
        )

    flags = {
        "received": in_period("v.received_at"),  # ticket_received
        "contact": decided("v.contact_due", "v.first_contact_at"),  # contact_outcome
        # ticket_due, unit_due: not merged, the clock's deadline in P and passed
        "due": f"({alive} AND {in_period('v.order_due')} AND v.order_due <= %(now)s)",
        "unit_due": f"({alive} AND {in_period('v.reply_due')} AND v.reply_due <= %(now)s)",
        # ticket_closed: first closed in P, not redirected
        "closed": (
            f"({alive} AND {in_period('v.first_closed_at')} "
            f"AND v.closure IS DISTINCT FROM '{TicketClosure.REDIRECTED.value}')"
        ),
        "follow_up": decided("v.follow_up_due", "v.closure_followed_up_at"),  # follow_up_outcome
        "followed_up": f"({alive} AND {in_period('v.followed_up_at')})",  # ticket_followed_up
        # waited_microseconds
        "waited": (
            f"CASE WHEN {alive} AND v.rounds >= 1 AND {in_period('v.closed_at')} THEN "
            "(extract(epoch FROM v.closed_at) - extract(epoch FROM v.received_at)) * 1000000 END"
        ),
    }
    return ",\n    ".join(f"{sql} AS {name}" for name, sql in flags.items())


_RECEIVED_ALIVE = "received AND NOT merged"
_DISPATCHED = f"{_RECEIVED_ALIVE} AND rounds >= 1"
_ANSWERED = "followed_up AND satisfaction IS NOT NULL"
_TICKET_SUMS = {  # HotlineTally.add_ticket, field by field
    "received": "received",
    "merged": "received AND merged",
    "answered_at_intake": (
        f"{_RECEIVED_ALIVE} AND closure = '{TicketClosure.ANSWERED_AT_INTAKE.value}'"
    ),
    "dispatched": _DISPATCHED,
    "returned": f"{_DISPATCHED} AND returns_requested >= 1",
    "contacted_in_time": "contact",
    "due": "due",
    "on_time": "due AND closed_at <= order_due",  # ticket_on_time
    "extended": "due AND extensions_approved >= 1",  # ticket_extended
    "unit_due": "unit_due",
    # unit_on_time: closed by its reply, the last reply by the round's deadline
    "unit_on_time": (
        f"unit_due AND closure = '{TicketClosure.REPLIED.value}' AND replied_at <= reply_due"
    ),
    "closed": "closed",
    "reopened": "closed AND reopen_count >= 1",
    "closed_followed_up": "closed AND follow_ups >= 1",
    "closed_replied": "closed AND replies >= 1",
    "unit_resolved": "closed AND replies >= 1 AND unit_claims_resolved",
    "followed_up_in_time": "follow_up",
    "followed_up": "followed_up",
    "answered": _ANSWERED,
    # is_content: 满意, or 基本满意 where the centre's policy counts it
    "content": (
        f"{_ANSWERED} AND (satisfaction = '{Satisfaction.SATISFIED.value}' OR (satisfaction = "
        f"'{Satisfaction.BASICALLY_SATISFIED.value}' AND basic_counts))"
    ),
    "citizen_resolved": f"{_ANSWERED} AND citizen_resolved",
}
_OTHER_SUMS = {
    "rounds": f"coalesce(sum(rounds) FILTER (WHERE {_DISPATCHED}), 0)",
    "contact_decided": "count(contact)",
    "follow_up_due": "count(follow_up)",
    "waits": "count(waited)",
    "wait_total": "coalesce(sum(waited), 0)::bigint",
    "wait_max": "max(waited)::bigint",
}


def tickets_query(tickets: str) -> str:
    """Per lead unit (null: no unit holds it) and in total, `HotlineTally.add_ticket`'s counts
    over the tickets touching P, of `tickets` (`FROM view_hotline_tickets v … WHERE …`, ending
    in a condition). 基本满意 counts as content in the centres the parameters say
    (`basic_counts` is `basic_default`, flipped in `basic_flipped`)."""
    moments = ("received_at", "reply_due", "order_due", "contact_due", "closed_at",
               "first_closed_at", "follow_up_due", "followed_up_at")  # fmt: skip
    sums = ",\n  ".join(
        [f"count(*) FILTER (WHERE {sql}) AS {name}" for name, sql in _TICKET_SUMS.items()]
        + [f"{sql} AS {name}" for name, sql in _OTHER_SUMS.items()]
    )
    touched = "received OR contact IS NOT NULL OR due OR unit_due OR closed " + (
        "OR follow_up IS NOT NULL OR followed_up OR waited IS NOT NULL"
    )
    return f"""
WITH c AS (
  SELECT v.lead_unit AS key, coalesce({_merged("v")}, false) AS merged, v.rounds,
    v.returns_requested, v.closure, v.closed_at, v.order_due, v.extensions_approved,
    v.replied_at, v.reply_due, v.reopen_count, v.follow_ups, v.replies, v.unit_claims_resolved,
    v.satisfaction, v.citizen_resolved,
    (v.centre = ANY(%(basic_flipped)s)) <> %(basic_default)s AS basic_counts,
    {_flags()}
  {tickets} AND ({touching(*moments)})
)
SELECT GROUPING(key) = 1 AS total, key,
  {sums}
FROM c WHERE {touched} GROUP BY GROUPING SETS ((key), ())"""


def summed_hotline(
    rows: Iterable[Mapping[str, Any]], *, grouped: bool
) -> tuple[HotlineTally, dict[str | None, HotlineTally]]:
    """`hotline_tally.tally_hotline`'s result from the two queries' rows, summed per (total,
    key); the units' tallies only when `grouped` (by department)."""
    fields: defaultdict[tuple[bool, str | None], dict[str, Any]] = defaultdict(dict)
    for row in rows:
        sums = fields[row["total"], row["key"]]  # the total's key is null (GROUPING)
        for name, value in row.items():
            if name not in ("total", "key"):
                sums[name] = value if name == "wait_max" else value + sums.get(name, 0)
    tallies = {at: HotlineTally(**sums) for at, sums in fields.items()}
    total = tallies.pop((True, None), HotlineTally())
    groups = {key: tally for (_, key), tally in tallies.items()} if grouped else {}
    return total, groups
