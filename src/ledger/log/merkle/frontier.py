"""The right edge of the append-only tree (Trillian's compact range): what the notary keeps.

O(log n) state is enough to keep appending and to compute the current root, so the writer never
reads old nodes.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.log.merkle.tree import EMPTY_ROOT, HASH_SIZE, NodeId, node_hash, root_nodes


class Frontier:
    """Right edge of an append-only tree: the roots of ``root_nodes(size)``, left to right.

    This is Trillian's compact range [0, size): O(log n) state that is enough to keep
    appending and to compute the current root, so the writer never reads old nodes.
    ``append`` returns every perfect node the new leaf completes, for the caller to store.
    """

    __slots__ = ("_hashes", "_size")

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ValueError(f"bad frontier size {size!r}")
        hashes = list(hashes)
        if len(hashes) != size.bit_count():
            raise ValueError(
                f"a frontier of size {size} has {size.bit_count()} hashes, got {len(hashes)}"
            )
        for h in hashes:
            if not isinstance(h, bytes) or len(h) != HASH_SIZE:
                raise ValueError("frontier hashes must be 32-byte SHA-256 digests")
        self._size = size
        self._hashes = hashes

    @property
    def size(self) -> int:
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """Hashes of ``root_nodes(size)``, in the same order."""
        return tuple(self._hashes)

    def nodes(self) -> list[tuple[NodeId, bytes]]:
        """The frontier as stored-node pairs (``root_nodes(size)`` zipped with ``hashes``)."""
        return list(zip(root_nodes(self._size), self._hashes, strict=True))

    def append(self, leaf_hash: bytes) -> list[tuple[NodeId, bytes]]:
        """Add one leaf hash; return [(node id, hash)] for the leaf and each node it completes."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError("leaf hash must be a 32-byte SHA-256 digest")
        hashes = self._hashes
        n = self._size
        h = bytes(leaf_hash)
        completed = [((0, n), h)]
        level = 0
        # Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
        while n & 1:
            h = node_hash(hashes.pop(), h)
            n >>= 1
            level += 1
            completed.append(((level, n), h))
        hashes.append(h)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """RFC 9162 MTH of all leaves so far (``EMPTY_ROOT`` for an empty tree)."""
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        acc = hashes[-1]
        for h in reversed(hashes[:-1]):
            acc = node_hash(h, acc)
        return acc

    def to_bytes(self) -> bytes:
        """8-byte big-endian size followed by the hashes: fits one bytea column."""
        return self._size.to_bytes(8, "big") + b"".join(self._hashes)

    @classmethod
    def from_bytes(cls, data: bytes) -> Frontier:
        """Inverse of ``to_bytes``; ValueError on any length mismatch."""
        if len(data) < 8:
            raise ValueError("frontier encoding is too short")
        size = int.from_bytes(data[:8], "big")
        body = data[8:]
        if len(body) != HASH_SIZE * size.bit_count():
            raise ValueError(f"frontier encoding of size {size} has the wrong length")
        return cls(size, [body[i : i + HASH_SIZE] for i in range(0, len(body), HASH_SIZE)])

    def copy(self) -> Frontier:
        return Frontier(self._size, self._hashes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Frontier):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"Frontier(size={self._size}, root={self.root().hex()})"
