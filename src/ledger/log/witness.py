"""A transparency-log witness (c2sp.org/tlog-witness): it cosigns a log's checkpoint only when
the checkpoint is consistent with the last one it cosigned for that origin.

A log that later shows anyone a rolled-back or forked tree cannot get it cosigned: the witness
remembers, outside the log's database and keys, the largest tree it vouched for. Its state is a
SQLite file of its own (`WitnessStore`); the check against that state and its update are one
`BEGIN IMMEDIATE` transaction, so two racing requests cannot move it backwards (the race the
spec describes). Refusals of correctly signed requests are kept, append-only, as evidence.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import structlog

from ledger.log.cosignature import Cosigner
from ledger.log.merkle.proofs import verify_consistency
from ledger.log.merkle.tree import EMPTY_ROOT, HASH_SIZE
from ledger.log.signed_note import (
    _TREE_SIZE,
    Checkpoint,
    NoteError,
    Verifier,
    _b64decode,
    parse_checkpoint,
    split_note,
)

log = structlog.get_logger("ledger.witness")

TEXT = "text/plain; charset=utf-8"
SIZE_CONTENT_TYPE = "text/x.tlog.size"
"""The 409 answer that tells the log which size the witness last cosigned."""
MAX_PROOF_LINES = 63
MAX_REQUEST_BYTES = 1 << 16
STORE_FILE = "witness.sqlite3"
_MAX_SIZE = (1 << 63) - 1  # SQLite integers are signed 64-bit


class WitnessAnswer(NamedTuple):
    """An HTTP answer, whichever transport carries it."""

    status: int
    body: bytes
    content_type: str = TEXT


@dataclass(frozen=True, slots=True)
class Cosigned:
    """The latest checkpoint the witness cosigned for one origin."""

    size: int
    root: bytes
    note: str = ""


@dataclass(frozen=True, slots=True)
class Refusal:
    """A refused request whose checkpoint a trusted log key signed: kept as evidence."""

    at: str
    origin: str
    old: int
    size: int
    status: int
    reason: str
    body: bytes


class _Refused(Exception):
    def __init__(
        self,
        status: int,
        reason: str,
        *,
        inconsistent: bool = False,
        evidence: bool = True,
        known_size: int | None = None,
        where: dict[str, object] | None = None,
    ) -> None:
        super().__init__(reason)
        self.status, self.reason, self.inconsistent = status, reason, inconsistent
        self.evidence = evidence
        """Worth keeping, when the log's key signed it: it may show a rollback or a fork."""
        self.known_size = known_size
        """For a stale old size: the size last cosigned, which the 409 answer names."""
        self.where = where or {}
        """What the request was about (origin, old, size), once it is known."""


@dataclass(frozen=True, slots=True)
class _Request:
    old: int
    proof: list[bytes]
    note: str
    text: str
    """The checkpoint text the log signed, which the cosignature covers."""


def _parse_request(body: bytes) -> _Request:
    """``old <N>\\n``, up to 63 base64 hashes, an empty line, then the signed checkpoint."""
    if len(body) > MAX_REQUEST_BYTES:
        raise _Refused(400, f"request larger than {MAX_REQUEST_BYTES} bytes")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "request is not UTF-8") from None
    head, blank, note = decoded.partition("\n\n")
    if not blank:
        raise _Refused(400, "no empty line after the consistency proof")
    old_line, *proof_lines = head.split("\n")
    size_text = old_line.removeprefix("old ")
    if size_text == old_line or not _TREE_SIZE.fullmatch(size_text) or int(size_text) > _MAX_SIZE:
        raise _Refused(400, f"bad old size line {old_line[:40]!r}")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise _Refused(400, f"more than {MAX_PROOF_LINES} consistency proof lines")
    proof = [_b64decode(line) for line in proof_lines]
    hashes = [h for h in proof if h is not None and len(h) == HASH_SIZE]
    if len(hashes) != len(proof):
        raise _Refused(400, "a consistency proof line is not base64 of a 32-byte hash")
    try:
        text, _ = split_note(note)
    except NoteError as e:
        raise _Refused(400, str(e)) from None
    return _Request(old=int(size_text), proof=hashes, note=note, text=text)


def _judge(request: _Request, checkpoint: Checkpoint, latest: Cosigned) -> _Refused | None:
    """The spec's checks against the state, in its order: the first that fails, or None."""
    old, size, root = request.old, checkpoint.size, checkpoint.root
    if old > size:
        return _Refused(400, f"old size {old} exceeds the checkpoint's size {size}")
    if old != latest.size:
        # Routine for a log that does not know (old 0 asks); suspect when the tree is not larger.
        fork = size == latest.size and root != latest.root
        return _Refused(
            409,
            f"old size {old} is not the latest cosigned size {latest.size}"
            + (", and the root at that size differs" if fork else ""),
            inconsistent=fork,
            evidence=size <= latest.size,
            known_size=latest.size,
        )
    if old == size and root != latest.root:
        return _Refused(409, f"a different root at the cosigned size {size}", inconsistent=True)
    if old == 0 and request.proof:
        return _Refused(422, "the consistency proof from size 0 must be empty")
    if not verify_consistency(old, size, latest.root, root, request.proof):
        return _Refused(422, f"no consistency from {old} to {size}", inconsistent=True)
    return None


class Witness:
    """Checks and cosigns checkpoints of the logs it is configured with (origin -> log keys)."""

    def __init__(
        self,
        signer: Cosigner,
        logs: Mapping[str, Sequence[Verifier]],
        store: WitnessStore,
        clock: Callable[[], int] = lambda: int(time.time()),
    ) -> None:
        self.signer = signer
        self.logs = {origin: list(keys) for origin, keys in logs.items()}
        self.store = store
        self.clock = clock

    @property
    def verifier_key(self) -> str:
        return self.signer.verifier_key

    def add_checkpoint(self, body: bytes) -> WitnessAnswer:
        """Answer one add-checkpoint request (status, body, content type) as the spec says."""
        try:
            request, checkpoint = self._admit(body)
        except _Refused as e:
            return self._refused(e)
        origin, old, size = checkpoint.origin, request.old, checkpoint.size
        with self.store.transaction() as tx:
            latest = tx.latest(origin) or Cosigned(0, EMPTY_ROOT)
            if (refusal := _judge(request, checkpoint, latest)) is None:
                line = self.signer.cosign(request.text, self.clock())
                tx.cosigned(origin, size, checkpoint.root, request.note)
            elif refusal.evidence:
                tx.refuse(origin, old, size, refusal.status, refusal.reason, body)
        if refusal is not None:
            refusal.where = {"origin": origin, "old": old, "size": size, "latest": latest.size}
            return self._refused(refusal)
        log.info("witness.cosigned", origin=origin, old=old, size=size)
        return WitnessAnswer(200, line.encode())

    def _admit(self, body: bytes) -> tuple[_Request, Checkpoint]:
        """The request, if well-formed, of a known log and signed by one of its keys."""
        request = _parse_request(body)
        try:
            checkpoint = parse_checkpoint(request.text)
        except NoteError as e:
            raise _Refused(400, str(e)) from None
        where: dict[str, object] = {
            "origin": checkpoint.origin,
            "old": request.old,
            "size": checkpoint.size,
        }
        if (keys := self.logs.get(checkpoint.origin)) is None:
            raise _Refused(404, "unknown origin", where=where)
        if not any(_signs(key, request.note) for key in keys):
            raise _Refused(403, "no signature by a trusted log key", where=where)
        if checkpoint.size > _MAX_SIZE:
            raise _Refused(400, "tree size too large", where=where)
        return request, checkpoint

    @staticmethod
    def _refused(refusal: _Refused) -> WitnessAnswer:
        """Log the refusal and answer it; a 409 for a stale old size names the cosigned size."""
        fields = {**refusal.where, "status": refusal.status, "reason": refusal.reason}
        if refusal.inconsistent:  # a signed checkpoint that contradicts one cosigned before
            log.error("witness.inconsistent", **fields)
        elif refusal.evidence:
            log.warning("witness.refused", **fields)
        else:  # a log asking which size to prove from
            log.info("witness.refused", **fields)
        if refusal.known_size is not None:
            return WitnessAnswer(409, f"{refusal.known_size}\n".encode(), SIZE_CONTENT_TYPE)
        return WitnessAnswer(refusal.status, f"{refusal.reason}\n".encode())


def _signs(key: Verifier, note: str) -> bool:
    try:
        key.verify(note)
    except NoteError:
        return False
    return True


# --- storage -----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cosigned (
    origin TEXT PRIMARY KEY,
    size INTEGER NOT NULL CHECK (size >= 0),
    root BLOB NOT NULL CHECK (length(root) = 32),
    note TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS refused (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    origin TEXT NOT NULL,
    old INTEGER NOT NULL,
    size INTEGER NOT NULL,
    status INTEGER NOT NULL,
    reason TEXT NOT NULL,
    body BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS refused_no_update BEFORE UPDATE ON refused
BEGIN SELECT RAISE(ABORT, 'refused requests are evidence: append-only'); END;
CREATE TRIGGER IF NOT EXISTS refused_no_delete BEFORE DELETE ON refused
BEGIN SELECT RAISE(ABORT, 'refused requests are evidence: append-only'); END;
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


class _Transaction:
    """The state as seen, and changed, inside one write transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def latest(self, origin: str) -> Cosigned | None:
        row = self._conn.execute(
            "SELECT size, root, note FROM cosigned WHERE origin = ?", (origin,)
        ).fetchone()
        return None if row is None else Cosigned(row[0], bytes(row[1]), row[2])

    def cosigned(self, origin: str, size: int, root: bytes, note: str) -> None:
        self._conn.execute(
            "INSERT INTO cosigned (origin, size, root, note, updated_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root, "
            "note = excluded.note, updated_at = excluded.updated_at",
            (origin, size, root, note, _now()),
        )

    def refuse(
        self, origin: str, old: int, size: int, status: int, reason: str, body: bytes
    ) -> None:
        self._conn.execute(
            "INSERT INTO refused (at, origin, old, size, status, reason, body) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (_now(), origin, old, size, status, reason, body),
        )


class WitnessStore:
    """The witness's own state: a SQLite file (WAL) in its directory, one connection per call."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = directory / STORE_FILE
        conn = self._connect()
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.executescript(_SCHEMA)
        finally:
            conn.close()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        conn.execute("PRAGMA synchronous=FULL")  # a cosigned state survives a power cut
        return conn

    @contextmanager
    def transaction(self) -> Iterator[_Transaction]:
        """One write transaction, taken before the state is read (BEGIN IMMEDIATE): a second
        request waits for this one's commit, then judges against what it wrote."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield _Transaction(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def latest(self, origin: str) -> Cosigned | None:
        conn = self._connect()
        try:
            return _Transaction(conn).latest(origin)
        finally:
            conn.close()

    def refusals(self) -> list[Refusal]:
        conn = self._connect()
        try:
            rows = conn.execute(
                "SELECT at, origin, old, size, status, reason, body FROM refused ORDER BY id"
            ).fetchall()
        finally:
            conn.close()
        return [Refusal(r[0], r[1], r[2], r[3], r[4], r[5], bytes(r[6])) for r in rows]
