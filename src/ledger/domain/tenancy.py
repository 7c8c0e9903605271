"""Which centres a credential may act in: the one place cross-centre access is decided.

A token names its centres, or its jurisdictions (a policy file's centres), or every centre (`*`,
for a jurisdiction's auditors and the national dashboard). A case outside the scope does not
exist for the credential (404: its existence is not disclosed); naming an outside centre in a
request is refused (403), and every list is filtered to the scope, so search never crosses it.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from ledger.domain.errors import OutOfScope

EVERY_CENTRE = "*"
"""The claim a jurisdiction-wide credential carries instead of a list of centres."""


class Scope(msgspec.Struct, frozen=True):
    """The centres a credential may act in; `centres is None` means every centre."""

    centres: frozenset[str] | None

    @classmethod
    def every_centre(cls) -> Scope:
        return cls(centres=None)

    @classmethod
    def of(cls, centres: Iterable[str]) -> Scope:
        named = frozenset(centres)
        return cls(centres=None) if EVERY_CENTRE in named else cls(centres=named)

    def admits(self, centre: str) -> bool:
        return self.centres is None or centre in self.centres

    def require(self, centre: str, field: str = "centre") -> None:
        """Refuse a request that names a centre outside the scope."""
        if not self.admits(centre):
            raise OutOfScope(field, centre, sorted(self.centres or ()))

    def narrow(self, centre: str | None) -> list[str] | None:
        """The centres a list may show: the one asked for (once admitted), else the scope's;
        None: no filter (every centre)."""
        if centre is not None:
            self.require(centre)
            return [centre]
        return None if self.centres is None else sorted(self.centres)
