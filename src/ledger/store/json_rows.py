"""Rows sent to PostgreSQL as one JSON parameter, typed there by a row type
(`json_populate_recordset`).

psycopg dumps a Python list (an array parameter, a list of composites) element by element in
Python: 82-94 µs for the one event of an append as a list of composites, 103-105 µs for its
receipt as seven one-element arrays, against 7-10 µs each as one JSON document that msgspec
encodes in C (docs/DECISIONS.md, "A case loaded in one statement; the append's rows as JSON").
The live views' batches and the append both send their rows this way.
"""

from __future__ import annotations

from typing import Any

import msgspec
import psycopg

_ENCODER = msgspec.json.Encoder()


class NulInText(psycopg.DataError):
    """A text value held a NUL, which PostgreSQL's text refuses. Its own class, so that a
    projection's failure record, which keeps no message (`failures.describe_error`), says
    what failed by its class name."""


def bytea(raw: bytes | None) -> str | None:
    """Bytes as bytea's hex input, which the row type parses into a `bytea` field."""
    return None if raw is None else "\\x" + raw.hex()


def json_rows(objects: list[dict[str, Any]]) -> str:
    """The objects as one JSON array. (JSON has no NaN or infinity, which msgspec writes as null:
    callers send none.)

    A NUL in a text value is refused here, in psycopg's words, before anything is sent: the
    server would refuse it too, but its error quotes the JSON around the NUL, which is the row (an
    applicant's name, say), into failure records and logs."""
    encoded = _ENCODER.encode(objects)
    if b"\\u0000" in encoded and any(_has_nul(v) for o in objects for v in o.values()):
        raise NulInText("PostgreSQL text fields cannot contain NUL (0x00) bytes")
    return encoded.decode()


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    return isinstance(value, list | tuple) and any(_has_nul(v) for v in value)
