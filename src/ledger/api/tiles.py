"""The log as C2SP tlog-tiles: `/checkpoint`, `/tile/<L>/<N>[.p/<W>]`, `/tile/entries/<N>[.p/<W>]`.

Standard tiles clients and monitors follow the log with these alone: the latest signed note, and
tiles of stored hashes from which any root or proof is recomputed (`ledger.log.tiles`). Full
tiles never change, so they are cached for a year as immutable; a tile past the latest
checkpoint is 404.

Hash tiles and the checkpoint are public, like the proofs (hashes only). Entry bundles hold the
events' content (masked identifiers, notes), so they need a reading role, as a case bundle does.
`/audit/leaves/<index>` serves one leaf's content: public for bookkeeping leaves (case-number
series), so an outsider re-derives those; a reading role for a case's.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import Parameter

from ledger.api.auth import credential
from ledger.api.contract import PROBLEMS
from ledger.application.service import Ledger
from ledger.domain.permissions import require_read
from ledger.domain.tenancy import EVERY_CENTRE
from ledger.log.audit import LeafEntry
from ledger.log.errors import AuditNotFound
from ledger.log.tiles import FULL_CACHE, PARTIAL_CACHE, Tile, TileNotServed, parse_path

OCTET_STREAM = "application/octet-stream"
TilePath = Annotated[
    str,
    Parameter(
        min_length=3,
        max_length=64,  # level 63, index below 2^63 in x-groups, and .p/255 fit well within 64
        description="`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`; N in x-prefixed groups of three "
        "digits (`x001/x234/067`). Any other spelling is 404.",
    ),
]


class TilesController(Controller):
    path = "/"
    tags = ["audit"]  # noqa: RUF012 (Litestar declares it as an instance attribute)
    security = [{}]  # noqa: RUF012 public, but for entry bundles (below)

    @get(
        "/checkpoint",
        sync_to_thread=True,
        media_type=MediaType.TEXT,
        summary="tlog-tiles: the latest signed checkpoint",
    )
    def checkpoint(self, ledger: NamedDependency[Ledger]) -> Response[str]:
        return Response(
            ledger.audit.checkpoint().note,
            media_type=MediaType.TEXT,  # Litestar adds "; charset=utf-8"
            headers={"Cache-Control": "no-cache"},
        )

    @get(
        "/tile/{tile_path:path}",
        sync_to_thread=True,
        media_type=OCTET_STREAM,
        summary="tlog-tiles: a hash tile or an entry bundle",
        description="`/tile/<L>/<N>[.p/<W>]`: the hashes of Merkle level 8L (256, or W at the "
        "right edge). `/tile/entries/<N>[.p/<W>]`: each entry a big-endian uint16 length and the "
        "leaf's bytes (`case-ledger/leaf/v1`), which hash (RFC 9162, 0x00 prefix) to the level-0 "
        "tile's hashes; entry bundles hold the events' content, so they need a bearer token of a "
        "reading role. Full tiles are immutable; anything past the latest checkpoint is 404.",
        opt={PROBLEMS: (401, 403)},  # entry bundles
    )
    def tile(
        self, request: Request[Any, Any, Any], ledger: NamedDependency[Ledger], tile_path: TilePath
    ) -> Response[bytes]:
        tile = _parse(tile_path)
        cache = PARTIAL_CACHE if tile.partial else FULL_CACHE
        if tile.level is None:  # an entry bundle
            found = credential(request, ledger)
            require_read(found.actor.roles)
            # A bundle holds the events of every centre's cases: jurisdiction-wide tokens only.
            found.scope.require(EVERY_CENTRE, field="tile")
            cache = cache.replace("public", "private")
        return Response(
            ledger.audit.tile(tile), media_type=OCTET_STREAM, headers={"Cache-Control": cache}
        )


class LeafController(Controller):
    path = "/audit/leaves"
    tags = ["audit"]  # noqa: RUF012 (Litestar declares it as an instance attribute)
    security = [{}, {"bearer": []}]  # noqa: RUF012 public for bookkeeping leaves

    @get(
        "/{leaf_index:int}",
        sync_to_thread=True,
        summary="One leaf's content: the stored event and its canonical bytes",
        description="SHA-256(0x00 || entry) is the leaf's hash in the tiles and proofs, so the "
        "leaf can be re-derived. Bookkeeping leaves (case-number series and index: no personal "
        "data) are public; a case's leaf needs a bearer token of a reading role.",
        opt={PROBLEMS: (401, 403)},  # a case's leaf
    )
    def leaf(
        self,
        request: Request[Any, Any, Any],
        ledger: NamedDependency[Ledger],
        leaf_index: Annotated[int, Parameter(ge=0, le=2**62)],
    ) -> LeafEntry:
        entry = ledger.audit.leaf_entry(leaf_index)
        if not entry.bookkeeping:
            found = credential(request, ledger)
            require_read(found.actor.roles)
            ledger.require_in_scope(entry.originator_id, found.scope)
        return entry


def _parse(path: str) -> Tile:
    try:
        return parse_path(path)
    except TileNotServed as e:
        raise AuditNotFound(str(e)) from None
