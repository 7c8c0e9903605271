"""What the verifiable log's endpoints answer: checkpoints and RFC 9162 proofs."""

from __future__ import annotations

from datetime import datetime

import msgspec


class CheckpointResponse(msgspec.Struct, kw_only=True):
    tree_size: int
    root_hash: str
    note: str
    created_at: datetime


class InclusionProofResponse(msgspec.Struct, kw_only=True):
    leaf_index: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]
    checkpoint: str


class ConsistencyProofResponse(
    msgspec.Struct, kw_only=True, rename={"from_size": "from", "to_size": "to"}
):
    from_size: int
    to_size: int
    proof: list[str]


class PublicKeyResponse(msgspec.Struct, kw_only=True):
    """One verifier key the log's key files pin: the current one signs new checkpoints, a retired
    one signed earlier checkpoints, which it still verifies."""

    key: str
    key_id: str
    name: str
    status: str
    since: datetime | None
    retired_at: datetime | None


class WitnessResponse(msgspec.Struct, kw_only=True):
    """A witness this log asks to cosign its checkpoints (C2SP tlog-witness): pin its key with
    `ledger verify --witness-key` (better: get it from the witness's operator)."""

    key: str
    key_id: str
    name: str
    where: str
    """`local` (the witness in the notary's process) or the witness's URL."""


class CheckpointSummary(msgspec.Struct, kw_only=True):
    """One signed checkpoint in the history (its note: `GET /audit/checkpoints/{tree_size}`)."""

    tree_size: int
    root_hash: str
    created_at: datetime


class CheckpointPage(msgspec.Struct, kw_only=True):
    """Checkpoints oldest first; `next_after` is the `after` of the next page (None: the last)."""

    checkpoints: list[CheckpointSummary]
    next_after: int | None
