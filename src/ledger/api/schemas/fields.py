"""The constrained scalars every request shares, and `Strict`: a request refuses unknown fields."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

Text = Annotated[str, Meta(min_length=1, max_length=2000)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Item = Annotated[str, Meta(min_length=1, max_length=200)]
Items = Annotated[list[Item], Meta(min_length=1, max_length=100)]
When = Annotated[datetime, Meta(tz=True)]


class Strict(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Unknown fields are refused: a misspelt field must not silently vanish."""
