"""Statements composed once, sent as the bytes they render to."""

from __future__ import annotations

from psycopg.sql import Composable


def rendered(statement: Composable) -> bytes:
    """`statement` as the bytes psycopg would send. psycopg renders a composed statement again at
    every execute: 12 µs for one of the append's, 150 µs for a literal of 66 topics (micro-runs,
    docs/PROFILE.md). What is composed here is fixed names and literals; in ASCII, their bytes are
    the same under any connection's encoding, so rendering them once without a connection is
    exact, and anything else is refused."""
    text = statement.as_bytes(None)
    if not text.isascii():
        raise ValueError(f"only ASCII statements are rendered ahead of a connection: {text!r}")
    return text
