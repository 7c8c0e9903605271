"""A leaf of the verifiable log: the canonical bytes of one stored event (DESIGN §6).

Length-prefixed binary, so an independent verifier can rebuild it from a bundle without any
JSON canonicalisation: the payload goes in exactly as PostgreSQL stores it.

    b"case-ledger/leaf/v1\\n"
    position            u64 big-endian   (notification id)
    case id             16 bytes         (originator id)
    version             u64 big-endian
    topic               u32 length + UTF-8
    payload             u32 length + bytes, as stored
    recorded_at         u32 length + UTF-8, the payload's own `timestamp` (RFC 3339)
"""

from __future__ import annotations

import struct
from uuid import UUID

import msgspec

FORMAT = b"case-ledger/leaf/v1\n"
BOOKKEEPING_TOPICS = "ledger.domain.case_number:"
"""Topics whose leaves are bookkeeping, not a case's history: case-number series and the
number-to-case index. They hold no personal data, so their entries are public (an outsider can
re-derive those leaves); every other topic's content needs a reading role."""


def is_bookkeeping(topic: str) -> bool:
    return topic.startswith(BOOKKEEPING_TOPICS)


class _Stamp(msgspec.Struct):
    timestamp: str = ""


_stamp = msgspec.json.Decoder(_Stamp)


def recorded_at_of(payload: bytes) -> str:
    """The server time the event was recorded, as the stored payload spells it."""
    try:
        return _stamp.decode(payload).timestamp
    except msgspec.DecodeError:
        return ""


def encode_leaf(
    position: int, originator_id: UUID, version: int, topic: str, payload: bytes
) -> bytes:
    topic_bytes = topic.encode()
    recorded = recorded_at_of(payload).encode()
    return b"".join(
        (
            FORMAT,
            struct.pack(">Q", position),
            originator_id.bytes,
            struct.pack(">QI", version, len(topic_bytes)),
            topic_bytes,
            struct.pack(">I", len(payload)),
            payload,
            struct.pack(">I", len(recorded)),
            recorded,
        )
    )
