"""What a read of the verifiable log can answer besides the thing asked for."""

from __future__ import annotations

from ledger.domain.errors import LedgerError


class AuditNotFound(LedgerError):
    """No such leaf, checkpoint or tree size."""


class NotSealedYet(LedgerError):
    """The notary has not sealed (or checkpointed) this yet; it will within seconds."""
