"""Revoked tokens (`ledger_revoked_tokens`, migration 0012): read by the application role on every
request; written only by the owner role through `ledger token revoke`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
import psycopg
from psycopg.rows import class_row, tuple_row

_IS_REVOKED = "SELECT EXISTS (SELECT 1 FROM ledger_revoked_tokens WHERE token_id = %s)"


class Revocation(msgspec.Struct, frozen=True, kw_only=True):
    token_id: str
    subject: str
    expires_at: datetime | None
    revoked_at: datetime
    revoked_by: str
    reason: str


def is_revoked(conn: psycopg.Connection[Any], token_id: str) -> bool:
    with conn.cursor(row_factory=tuple_row) as cur:
        row = cur.execute(_IS_REVOKED, (token_id,), prepare=True).fetchone()
    return bool(row and row[0])


def revoke(
    owner_conninfo: str,
    token_id: str,
    *,
    subject: str,
    expires_at: datetime | None,
    revoked_by: str,
    reason: str,
) -> Revocation:
    """Record the revocation; revoking twice keeps the first record (who and why, first)."""
    with psycopg.connect(owner_conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ledger_revoked_tokens (token_id, subject, expires_at, revoked_by, reason)"
            " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (token_id) DO NOTHING",
            (token_id, subject, expires_at, revoked_by, reason),
        )
        with conn.cursor(row_factory=class_row(Revocation)) as cur:
            cur.execute("SELECT * FROM ledger_revoked_tokens WHERE token_id = %s", (token_id,))
            row = cur.fetchone()
    assert row is not None
    return row


def revocations(conninfo: str) -> list[Revocation]:
    with (
        psycopg.connect(conninfo) as conn,
        conn.cursor(row_factory=class_row(Revocation)) as cur,
    ):
        cur.execute("SELECT * FROM ledger_revoked_tokens ORDER BY revoked_at, token_id")
        return cur.fetchall()
