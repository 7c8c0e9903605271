"""The verifiable log over HTTP: checkpoints, the public keys, the witnesses, inclusion and
consistency proofs.

These are public, as a transparency log's are: they reveal hashes, never an event's content.
The verifier keys are served from the key files this process reads (`ledger.log.keys`), never
from the database, so no database role can change the key an auditor is told to pin.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.exceptions import ServiceUnavailableException
from litestar.params import Parameter, QueryParameter

from ledger.api.contract import PROBLEMS, ROUTED, also_answering
from ledger.api.reads import read_routed
from ledger.api.schemas.audit import (
    CheckpointPage,
    CheckpointResponse,
    CheckpointSummary,
    ConsistencyProofResponse,
    InclusionProofResponse,
    PublicKeyResponse,
    WitnessResponse,
)
from ledger.application.service import Ledger
from ledger.log.audit import Checkpoint
from ledger.log.keys import KeyFileError, PinnedKey, pinned_keys
from ledger.log.signed_note import NoteError
from ledger.log.witnesses import WitnessConfigError, published_witnesses

Size = Annotated[int, Parameter(ge=0, le=2**62)]
MAX_CHECKPOINTS = 1000
"""The most checkpoints one page of `GET /audit/checkpoints` lists."""


class AuditController(Controller):
    path = "/audit"
    tags = ["audit"]  # noqa: RUF012 (Litestar declares it as an instance attribute)
    security = [{}]  # noqa: RUF012 public: no token needed

    @get(
        "/checkpoint",
        sync_to_thread=True,
        summary="The latest signed checkpoint",
        description="A C2SP signed note (text/plain); JSON with Accept: application/json.",
        operation_class=also_answering(MediaType.TEXT),
    )
    def checkpoint(
        self, request: Request[Any, Any, Any], ledger: NamedDependency[Ledger]
    ) -> Response[Any]:
        return _checkpoint_response(request, ledger.audit.checkpoint())

    @get(
        "/checkpoints/{tree_size:int}",
        sync_to_thread=True,
        summary="The checkpoint the notary signed at this tree size",
        description="A C2SP signed note (text/plain); JSON with Accept: application/json. "
        "404 if the notary never signed a checkpoint of this size (`GET /audit/checkpoints` "
        "lists those it signed).",
        operation_class=also_answering(MediaType.TEXT),
    )
    def checkpoint_at(
        self,
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        tree_size: Size,
    ) -> Response[Any]:
        return _checkpoint_response(request, ledger.audit.checkpoint(tree_size))

    @get(
        "/checkpoints",
        sync_to_thread=True,
        summary="Every signed checkpoint's tree size and root, oldest first",
        description="Keyset pages by tree size: `after` is the previous page's `next_after` "
        "(absent: from the smallest). A log only grows, so oldest first lets "
        "a monitor or witness resume where it stopped.",
    )
    def checkpoints(
        self,
        ledger: NamedDependency[Ledger],
        after: Annotated[int | None, Parameter(ge=0, le=2**62, required=False)] = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_CHECKPOINTS)] = 100,
    ) -> CheckpointPage:
        found = ledger.audit.checkpoints(after, limit + 1)
        page = found[:limit]
        return CheckpointPage(
            checkpoints=[
                CheckpointSummary(
                    tree_size=c.tree_size, root_hash=c.root_hash.hex(), created_at=c.created_at
                )
                for c in page
            ],
            next_after=page[-1].tree_size if len(found) > limit else None,
        )

    @get(
        "/public-key",
        sync_to_thread=True,
        media_type=MediaType.TEXT,
        summary="The log's C2SP verifier key (name+id+key)",
    )
    def public_key(self, ledger: NamedDependency[Ledger]) -> str:
        return _pinned(ledger)[0].key + "\n"

    @get(
        "/public-keys",
        sync_to_thread=True,
        summary="Every verifier key of the log: the current one, then the retired ones",
        description="A checkpoint verifies under the key that signed it: the current key signs "
        "new checkpoints, a retired key the ones before its rotation (`ledger keys rotate`).",
    )
    def public_keys(self, ledger: NamedDependency[Ledger]) -> list[PublicKeyResponse]:
        return [
            PublicKeyResponse(
                key=k.key,
                key_id=k.key_id,
                name=k.name,
                status=k.status,
                since=k.since,
                retired_at=k.retired_at,
            )
            for k in _pinned(ledger)
        ]

    @get(
        "/witnesses",
        sync_to_thread=True,
        summary="The witnesses that cosign this log's checkpoints",
        description="Each served checkpoint carries their cosignatures (c2sp.org/tlog-cosignature) "
        "after the log's signature. Read from the key files and configuration, not the database.",
    )
    def witnesses(self, ledger: NamedDependency[Ledger]) -> list[WitnessResponse]:
        settings = ledger.settings
        try:
            found = published_witnesses(settings.data_dir / "witness", settings.witnesses)
        except (WitnessConfigError, NoteError, OSError) as e:
            raise ServiceUnavailableException(
                f"the witnesses' keys are not available: {e}"
            ) from None
        return [
            WitnessResponse(key=v.key, key_id=f"{v.key_id:08x}", name=v.name, where=where)
            for v, where in found
        ]

    @get(
        "/proofs/inclusion",
        sync_to_thread=True,
        summary="RFC 9162 inclusion proof of one event",
        opt={PROBLEMS: (404,), ROUTED: True},  # 404: no such position, or not in that tree
    )
    def inclusion(
        self,
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        position: Annotated[int, Parameter(ge=1, le=2**62)],
        tree_size: Annotated[int | None, Parameter(ge=1, le=2**62)] = None,
    ) -> InclusionProofResponse:
        proof = read_routed(
            request, ledger, lambda reader: reader.audit.inclusion_proof(position, tree_size)
        )
        return InclusionProofResponse(
            leaf_index=proof.leaf_index,
            tree_size=proof.tree_size,
            leaf_hash=proof.leaf_hash.hex(),
            audit_path=[h.hex() for h in proof.audit_path],
            checkpoint=proof.checkpoint.note,
        )

    @get(
        "/proofs/consistency",
        sync_to_thread=True,
        summary="RFC 9162 consistency proof between two tree sizes",
        description="0 <= from <= to <= the latest checkpoint's size; from the empty tree (from=0) "
        "or to the same size the proof is the empty list.",
        opt={PROBLEMS: (404,), ROUTED: True},  # 404: to beyond the latest checkpoint
    )
    def consistency(
        self,
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        from_size: Annotated[int, QueryParameter(name="from", ge=0, le=2**62)],
        to_size: Annotated[int, QueryParameter(name="to", ge=0, le=2**62)],
    ) -> ConsistencyProofResponse:
        proof = read_routed(
            request, ledger, lambda reader: reader.audit.consistency_proof(from_size, to_size)
        )
        return ConsistencyProofResponse(
            from_size=from_size, to_size=to_size, proof=[h.hex() for h in proof]
        )


def _checkpoint_response(request: Request[Any, Any, Any], checkpoint: Checkpoint) -> Response[Any]:
    """The signed note as text/plain, or JSON when the client prefers it."""
    if request.accept.best_match([MediaType.TEXT, MediaType.JSON]) == MediaType.JSON:
        return Response(
            CheckpointResponse(
                tree_size=checkpoint.tree_size,
                root_hash=checkpoint.root_hash.hex(),
                note=checkpoint.note,
                created_at=checkpoint.created_at,
            )
        )
    return Response(checkpoint.note, media_type=MediaType.TEXT)


def _pinned(ledger: Ledger) -> list[PinnedKey]:
    """The keys the key files pin (read on each request: a few small files)."""
    try:
        return pinned_keys(ledger.settings.notary_key_path, ledger.settings.origin)
    except KeyFileError as e:
        raise ServiceUnavailableException(f"the log's verifier key is not available: {e}") from None
