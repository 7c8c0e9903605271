"""A witness's own HTTP service (c2sp.org/tlog-witness): `POST /add-checkpoint`, and `GET /` with
its verifier key. Separate from the ledger's app: a witness runs elsewhere, for someone else, and
holds nothing of the ledger but the log's public keys.
"""

from __future__ import annotations

from litestar import Litestar, Response, get, post
from litestar.datastructures import State
from litestar.params import RawBody

from ledger.log.witness import MAX_REQUEST_BYTES, Witness


def create_witness_app(witness: Witness) -> Litestar:
    """The witness's app; requests run in worker threads (the store blocks on its file lock)."""

    @post("/add-checkpoint", sync_to_thread=True, status_code=200)
    def add_checkpoint(body: RawBody, state: State) -> Response[bytes]:
        answer = state.witness.add_checkpoint(body)
        # Set the header itself: Litestar would add "; charset=utf-8" to a text/ media type,
        # and clients compare text/x.tlog.size exactly.
        return Response(
            answer.body, status_code=answer.status, headers={"Content-Type": answer.content_type}
        )

    @get(["/", "/health"], sync_to_thread=False)
    def verifier_key(state: State) -> Response[str]:
        return Response(f"{state.witness.verifier_key}\n", media_type="text/plain")

    return Litestar(
        route_handlers=[add_checkpoint, verifier_key],
        state=State({"witness": witness}),
        request_max_body_size=MAX_REQUEST_BYTES,
        openapi_config=None,
        logging_config=None,  # the CLI's JSON lines (ledger.config.logs), as for the ledger's app
    )
