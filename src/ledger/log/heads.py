"""The head map: every originator's latest version and leaf, committed to in each checkpoint.

An inclusion proof shows that an event is in the log, not that a bundle holds all of a case's
events. So each checkpoint also signs the root of a map from originator (case) id to its head
(version, leaf index) as of that checkpoint, in an extension line:

    case-ledger/heads/v1 <base64 root>

The map is a perfect RFC 9162 Merkle tree of 2^16 buckets. An originator lives in bucket
SHA-256(id)[:2] (big-endian); a bucket's leaf is

    b"case-ledger/heads/v1\\n" || entries sorted by id, each id (16) || version u64 || leaf u64

and an empty bucket is the prefix alone. A bundle carries its case's whole bucket and the
bucket's audit path. The verifier checks the path to the signed root at index = the case's
bucket, that the entries are strictly sorted and all belong to that bucket (so no id appears
twice and none is hidden elsewhere), and that the case's entry names the bundle's last event.
A bundle missing its newest events, or with an edited version, then fails: the signed head says
otherwise. Buckets hold n/65,536 entries (15 at a million cases, 32 bytes each).

Pure: no I/O. The notary keeps the map (`ledger.log.notary`), `verify --database` re-derives it.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import pairwise
from uuid import UUID

from ledger.log.merkle.proofs import verify_inclusion
from ledger.log.merkle.tree import leaf_hash, node_hash

FORMAT = b"case-ledger/heads/v1\n"
EXTENSION = "case-ledger/heads/v1"
"""The checkpoint extension line's keyword; the base64 root follows after one space."""
LEVELS = 16
BUCKETS = 1 << LEVELS
_ENTRY = struct.Struct(">16sQQ")


@dataclass(frozen=True, slots=True)
class Head:
    case_id: UUID
    version: int
    leaf_index: int


class HeadsError(ValueError):
    """A bucket or a heads line was malformed."""


def bucket_of(case_id: UUID) -> int:
    return int.from_bytes(hashlib.sha256(case_id.bytes).digest()[:2], "big")


def encode_bucket(heads: Iterable[Head]) -> bytes:
    entries = sorted(heads, key=lambda h: h.case_id.bytes)
    return FORMAT + b"".join(_ENTRY.pack(h.case_id.bytes, h.version, h.leaf_index) for h in entries)


def decode_bucket(data: bytes, bucket: int) -> list[Head]:
    """The bucket's heads; HeadsError unless they are well formed, strictly sorted by id and
    all of them belong in `bucket`."""
    if not data.startswith(FORMAT) or (len(data) - len(FORMAT)) % _ENTRY.size:
        raise HeadsError("malformed heads bucket")
    heads = [
        Head(UUID(bytes=raw), version, leaf)
        for raw, version, leaf in _ENTRY.iter_unpack(data[len(FORMAT) :])
    ]
    ids = [h.case_id.bytes for h in heads]
    if any(a >= b for a, b in pairwise(ids)):
        raise HeadsError("heads bucket is not strictly sorted by case id")
    if any(bucket_of(h.case_id) != bucket for h in heads):
        raise HeadsError(f"heads bucket {bucket} holds a case of another bucket")
    return heads


def merge_bucket(bucket: int, stored: bytes | None, heads: Iterable[Head]) -> bytes:
    """The stored bucket with `heads` replacing (or joining) their cases' entries."""
    merged = {h.case_id: h for h in (decode_bucket(stored, bucket) if stored else ())}
    merged.update((h.case_id, h) for h in heads)
    return encode_bucket(merged.values())


_EMPTY = [leaf_hash(FORMAT)]
for _ in range(LEVELS):
    _EMPTY.append(node_hash(_EMPTY[-1], _EMPTY[-1]))


class HeadsTree:
    """The bucket tree, storing only the nodes that differ from an empty map's."""

    __slots__ = ("_levels",)

    def __init__(self) -> None:
        self._levels: list[dict[int, bytes]] = [{} for _ in range(LEVELS + 1)]

    def update(self, buckets: Mapping[int, bytes]) -> None:
        """Set the leaf hashes of `buckets` (bucket -> hash) and recompute their ancestors."""
        levels = self._levels
        levels[0].update(buckets)
        touched = set(buckets)
        for level in range(LEVELS):
            below, above, empty = levels[level], levels[level + 1], _EMPTY[level]
            touched = {i >> 1 for i in touched}
            for i in touched:
                above[i] = node_hash(below.get(2 * i, empty), below.get(2 * i + 1, empty))

    def root(self) -> bytes:
        return self._levels[LEVELS].get(0, _EMPTY[LEVELS])

    def path(self, bucket: int) -> list[bytes]:
        """The RFC 9162 audit path of leaf `bucket` in the tree of BUCKETS leaves."""
        return [
            self._levels[level].get((bucket >> level) ^ 1, _EMPTY[level]) for level in range(LEVELS)
        ]


def proven_head(case_id: UUID, bucket: bytes, path: list[bytes], root: bytes) -> Head | None:
    """The head of `case_id` that `bucket` and its audit `path` prove under the map's `root`
    (None: the map has no such case); HeadsError if they do not reach the root."""
    index = bucket_of(case_id)
    heads = decode_bucket(bucket, index)
    if not verify_inclusion(leaf_hash(bucket), index, BUCKETS, path, root):
        raise HeadsError(f"bucket {index} does not reach the signed heads root")
    return next((h for h in heads if h.case_id == case_id), None)


def extension_line(root: bytes) -> str:
    return f"{EXTENSION} {base64.b64encode(root).decode('ascii')}"


def root_from_extensions(extensions: Iterable[str]) -> bytes | None:
    """The heads root a checkpoint signs, or None for a checkpoint without one (before 0.2)."""
    found = [line for line in extensions if line.startswith(EXTENSION + " ")]
    if not found:
        return None
    if len(found) > 1:
        raise HeadsError("checkpoint has more than one heads line")
    try:
        root = base64.b64decode(found[0][len(EXTENSION) + 1 :], validate=True)
    except ValueError:
        raise HeadsError("heads line is not base64") from None
    if len(root) != 32:
        raise HeadsError("heads root is not 32 bytes")
    return root


class HeadMap:
    """Originator heads by bucket, and the tree over them: what the notary and the database
    verifier keep as they fold leaves in order."""

    def __init__(self) -> None:
        self.buckets: dict[int, dict[UUID, Head]] = {}
        self.tree = HeadsTree()
        self._dirty: set[int] = set()

    def load(self, bucket: int, data: bytes) -> None:
        """Take a stored bucket as it is (the notary's restart)."""
        self.buckets[bucket] = {h.case_id: h for h in decode_bucket(data, bucket)}
        self._dirty.add(bucket)

    def fold(self, case_id: UUID, version: int, leaf_index: int) -> int:
        """Record a leaf; returns its bucket."""
        bucket = bucket_of(case_id)
        self.buckets.setdefault(bucket, {})[case_id] = Head(case_id, version, leaf_index)
        self._dirty.add(bucket)
        return bucket

    def encoded(self, bucket: int) -> bytes:
        return encode_bucket(self.buckets.get(bucket, {}).values())

    def commit(self) -> dict[int, bytes]:
        """Hash the buckets changed since the last commit into the tree; returns them encoded."""
        changed = {b: self.encoded(b) for b in self._dirty}
        self.tree.update({b: leaf_hash(data) for b, data in changed.items()})
        self._dirty = set()
        return changed

    def root(self) -> bytes:
        if self._dirty:
            self.commit()
        return self.tree.root()
