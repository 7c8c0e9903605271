"""Snapshots whose state is a msgspec Struct, so they decode to the typed values events fold to."""

from __future__ import annotations

from typing import Any

import msgspec
from eventsourcing.domain import Snapshot


class TypedSnapshot(Snapshot):
    """Subclasses narrow `state` to a Struct naming every attribute of their aggregate."""

    def mutate(self, _: None) -> Any:
        if isinstance(self.state, msgspec.Struct):
            object.__setattr__(self, "state", msgspec.structs.asdict(self.state))
        return super().mutate(_)
