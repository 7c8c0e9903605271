"""What `GET /approvals` and the duty board's `exceptions_waiting` section answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

import msgspec

from ledger.api.schemas.view_reads import Lag
from ledger.domain.exceptions.records import ExceptionKind
from ledger.domain.values import Role


class PendingApproval(msgspec.Struct, kw_only=True):
    exception_id: UUID
    case_id: UUID
    case_no: str
    centre: str
    department: str
    kind: ExceptionKind
    rule_waived: str
    layer: int
    """The layer waiting, 1-based, of `layers`."""
    layers: int
    role: Role
    title: str
    """The layer's title in the policy, e.g. 部门负责人（首席代表）."""
    requested_by: str
    requested_at: datetime
    waiting_since: datetime
    """The request, or the previous layer's decision."""
    waiting: timedelta
    after_the_fact: bool = False
    """A ratification: the exception was executed before it was asked for."""
    executed_by: str | None = None
    """Who executed a ratification's exception (never one of its approvers)."""
    acting_up: int = 0
    """Layers decided so far by a deputy standing in for the absent holder (AB岗)."""


class ApprovalsResponse(msgspec.Struct, kw_only=True):
    role: Role
    centre: str | None
    approvals: list[PendingApproval]
    """Oldest waiting first, at most `limit`."""
    as_of_position: int
    lag: Lag


class RoleWaiting(msgspec.Struct, kw_only=True):
    role: Role
    count: int
    oldest: list[PendingApproval]
    """The longest waiting, oldest first (at most 5)."""


class ExceptionsWaiting(msgspec.Struct, kw_only=True):
    """The duty board's section: exception requests waiting, per approver role (role order)."""

    as_of_position: int
    """The "exceptions" view's position (the board's own `as_of_position` is the cases view's)."""
    lag: Lag
    roles: list[RoleWaiting]
