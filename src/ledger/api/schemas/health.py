"""What `GET /health` answers."""

from __future__ import annotations

import msgspec


class Health(msgspec.Struct, kw_only=True):
    status: str
    database: str
    position: int | None
