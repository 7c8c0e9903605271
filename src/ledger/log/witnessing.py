"""The log's side of witnessing: ask each configured witness to cosign the latest checkpoint and
keep what they return (table ledger_cosignatures, migrations/0010_cosignatures.sql).

A checkpoint cosigned by witnesses who each checked it against the last one they saw cannot be
quietly replaced: rolling the log back or forking it would need those witnesses' keys too. The
collector follows the notary (woken by its NOTIFY), sends each witness the consistency proof from
the size that witness last cosigned, re-syncs once on a 409 that names another size, checks every
cosignature against the witness's pinned key before storing it, and never stops for an
unreachable witness or database: it logs, backs off and tries again.
"""

from __future__ import annotations

import base64
import http.client
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import psycopg
import structlog

from ledger.log.cosignature import CosignatureVerifier
from ledger.log.notary import SEALED_CHANNEL
from ledger.log.signed_note import _TREE_SIZE, NoteError, split_note
from ledger.log.witness import MAX_REQUEST_BYTES, SIZE_CONTENT_TYPE, Witness, WitnessAnswer
from ledger.store.connection import LazyConnection

log = structlog.get_logger("ledger.witness")

MAX_BACKOFF = 60.0
"""Seconds, at most, between two attempts at a witness that failed or refused."""


class WitnessClient(Protocol):
    """How the log reaches one witness's add-checkpoint."""

    def add_checkpoint(self, body: bytes) -> WitnessAnswer: ...


class HttpWitness:
    """A witness over HTTP; ``url`` is its submission prefix (``…/add-checkpoint`` is added)."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"witness URL must be http(s): {url!r}")
        self.url = url.rstrip("/") + "/add-checkpoint"
        self.timeout = timeout

    def add_checkpoint(self, body: bytes) -> WitnessAnswer:
        request = urllib.request.Request(
            self.url, data=body, method="POST", headers={"Content-Type": "text/plain"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return _answer(response.status, response.read(MAX_REQUEST_BYTES), response.headers)
        except urllib.error.HTTPError as e:  # every non-2xx answer
            with e:
                return _answer(e.code, e.read(MAX_REQUEST_BYTES), e.headers)

    def __repr__(self) -> str:
        return f"HttpWitness({self.url})"


def _answer(status: int, body: bytes, headers: Any) -> WitnessAnswer:
    return WitnessAnswer(status, body, headers.get("Content-Type", ""))


class LocalWitness:
    """A witness in this process: the same `Witness.add_checkpoint`, without HTTP."""

    def __init__(self, witness: Witness) -> None:
        self.witness = witness

    def add_checkpoint(self, body: bytes) -> WitnessAnswer:
        return self.witness.add_checkpoint(body)


def add_checkpoint_body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    """The add-checkpoint request: ``old <N>``, the proof (base64, one a line), a blank line and
    the signed checkpoint."""
    hashes = "".join(base64.b64encode(h).decode("ascii") + "\n" for h in proof)
    return f"old {old}\n{hashes}\n{note}".encode()


def _reported_size(answer: WitnessAnswer) -> int | None:
    """The size in a 409 ``text/x.tlog.size`` answer; None for any other answer."""
    if answer.status != 409 or answer.content_type.split(";")[0].strip() != SIZE_CONTENT_TYPE:
        return None
    text = answer.body.decode("ascii", "replace")
    if not text.endswith("\n") or not _TREE_SIZE.fullmatch(text[:-1]):
        return None
    return int(text[:-1])


COSIGNED_CHANNEL = "ledger_cosigned"
"""NOTIFYed after cosignatures are stored: a bundle request waiting for them wakes up."""


class CosignatureCollector:
    """Gets the latest checkpoint cosigned by every witness; `prove(old, new)` is the log's
    consistency proof (e.g. `AuditLog.consistency_proof`)."""

    def __init__(
        self,
        conninfo: str,
        witnesses: Sequence[tuple[CosignatureVerifier, WitnessClient]],
        prove: Callable[[int, int], list[bytes]],
        *,
        interval: float = 1.0,
    ) -> None:
        self.conninfo = conninfo
        self.witnesses = list(witnesses)
        self.prove = prove
        self.interval = interval
        self._conn = LazyConnection(conninfo)
        self._failures: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}

    def collect_once(self) -> int:
        """Ask each witness that has not cosigned the latest checkpoint; returns how many
        cosignatures were stored. A witness that fails is skipped until its back-off ends."""
        conn = self._conn.get()
        latest = conn.execute(
            "SELECT tree_size, note FROM ledger_checkpoints ORDER BY tree_size DESC LIMIT 1"
        ).fetchone()
        if latest is None:
            return 0
        size, note = latest
        cosigned = dict(
            conn.execute(
                "SELECT witness, max(tree_size) FROM ledger_cosignatures GROUP BY witness"
            ).fetchall()
        )
        stored = 0
        for verifier, client in self.witnesses:
            name = verifier.witness
            if cosigned.get(name) == size or time.monotonic() < self._retry_at.get(name, 0.0):
                continue
            try:
                found = self._cosign(verifier, client, cosigned.get(name, 0), size, note)
            except (OSError, http.client.HTTPException) as e:
                log.warning("witness.unreachable", witness=name, client=repr(client), error=str(e))
                found = None
            if found is None:
                self._back_off(name)
                continue
            line, timestamp = found
            inserted = conn.execute(
                "INSERT INTO ledger_cosignatures (tree_size, witness, timestamp, line) "
                "VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (size, name, timestamp, line),
            ).rowcount
            stored += inserted
            self._failures.pop(name, None)
            self._retry_at.pop(name, None)
            log.info("witness.cosignature_stored", witness=name, size=size, timestamp=timestamp)
        if stored:
            conn.execute(f"NOTIFY {COSIGNED_CHANNEL}")
        return stored

    def _cosign(
        self, verifier: CosignatureVerifier, client: WitnessClient, old: int, size: int, note: str
    ) -> tuple[str, int] | None:
        """This witness's verified cosignature line on `note`, or None (logged)."""
        name = verifier.witness
        for attempt in (1, 2):
            answer = client.add_checkpoint(add_checkpoint_body(old, self.prove(old, size), note))
            if answer.status == 200:
                return self._verified(verifier, note, answer.body)
            reported = _reported_size(answer)
            if reported is not None and reported > size:
                # The witness cosigned a larger tree of this log than the log now has.
                log.error("witness.ahead", witness=name, witness_size=reported, size=size)
                return None
            if reported is not None and attempt == 1:
                log.info("witness.resync", witness=name, old=old, witness_size=reported)
                old = reported
                continue
            log.error(
                "witness.refused",
                witness=name,
                old=old,
                size=size,
                status=answer.status,
                answer=answer.body[:200].decode("utf-8", "replace"),
            )
            return None
        return None

    @staticmethod
    def _verified(
        verifier: CosignatureVerifier, note: str, response: bytes
    ) -> tuple[str, int] | None:
        try:
            text, lines = split_note(note + response.decode("utf-8"))
            found = verifier.verify_lines(text, lines)
        except (NoteError, UnicodeDecodeError) as e:
            log.error("witness.bad_cosignature", witness=verifier.witness, error=str(e))
            return None
        if found is None:
            log.error(
                "witness.bad_cosignature", witness=verifier.witness, error="no line of its key"
            )
        return found

    def _back_off(self, name: str) -> None:
        failures = self._failures[name] = self._failures.get(name, 0) + 1
        self._retry_at[name] = time.monotonic() + min(MAX_BACKOFF, 2.0 ** (failures - 1))

    def run(self, stop: threading.Event) -> None:
        """Collect after each sealing (NOTIFY) or every `interval` seconds until `stop` is set."""
        log.info("witness.collector_started", witnesses=[v.witness for v, _ in self.witnesses])
        while not stop.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as listener:
                    listener.execute(f"LISTEN {SEALED_CHANNEL}")
                    while not stop.is_set():
                        self.collect_once()
                        for _ in listener.notifies(timeout=self.interval, stop_after=1):
                            pass
            except psycopg.OperationalError as e:
                log.warning("witness.database_unavailable", error=str(e))
            except Exception:  # never let one bad answer or bug stop the collector
                log.exception("witness.collector_failed")
            self.close()
            stop.wait(1.0)
        self.close()

    def close(self) -> None:
        self._conn.close()


def start_collector_thread(
    collector: CosignatureCollector,
) -> tuple[threading.Thread, threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=collector.run, args=(stop,), name="witnessing", daemon=True)
    thread.start()
    return thread, stop
