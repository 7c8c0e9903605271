"""RFC 9162 (Certificate Transparency v2) §2.1 Merkle Tree Hash over SHA-256.

Pure functions, no I/O. The log stores every *perfect* subtree hash once, addressed
by ``NodeId = (level, index)``: the node at level L and index i covers leaves
[i*2^L, (i+1)*2^L), level 0 being the leaf hashes. Perfect nodes never change once
complete, so they can be written append-only. The MTH of any range that appears in
the RFC recursion (a proof element, or the root at any past size) is the right-to-left
``node_hash`` fold of that range's perfect decomposition; the ``*_nodes`` functions
return those decompositions so a server can fetch every hash it needs in one query and
``assemble`` the exact PATH / SUBPROOF lists of RFC 9162 §2.1.3.1 / §2.1.4.1.

Verification (``verify_inclusion`` / ``verify_consistency``) follows §2.1.3.2 and
§2.1.4.2 literally and never raises on hostile input: it returns False.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "NodeId",
    "assemble",
    "consistency_proof_nodes",
    "inclusion_proof_nodes",
    "leaf_hash",
    "mth",
    "node_hash",
    "node_ids",
    "path",
    "proof",
    "range_nodes",
    "root_nodes",
    "subproof",
    "verify_consistency",
    "verify_inclusion",
]

NodeId = tuple[int, int]
"""(level, index) of a perfect subtree: it covers leaves [index*2^level, (index+1)*2^level)."""

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) = SHA-256() — the root of the empty tree (RFC 9162 §2.1.1)."""

_sha256 = hashlib.sha256
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the 0x00/0x01 prefixes keep leaves and nodes from colliding."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly smaller than n (n > 1): the RFC's k."""
    return 1 << ((n - 1).bit_length() - 1)


# ---------------------------------------------------------------------------
# Reference definitions, straight from RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1.
# Recursive and slow: they exist so tests can cross-check the node-based code.
# ---------------------------------------------------------------------------


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of the raw entries ``leaves`` (reference recursion, not for production)."""
    n = len(leaves)
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaf_hash(leaves[0])
    k = _split(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]): the inclusion proof of entry m (reference recursion, 0 <= m < n)."""
    n = len(leaves)
    if not 0 <= m < n:
        raise ValueError(f"leaf index {m} out of range for tree size {n}")
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def subproof(m: int, leaves: Sequence[bytes], start_from_old_root: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of RFC 9162 §2.1.4.1 (reference recursion)."""
    n = len(leaves)
    if m == n:
        return [] if start_from_old_root else [mth(leaves)]
    k = _split(n)
    if m <= k:
        return [*subproof(m, leaves[:k], start_from_old_root), mth(leaves[k:])]
    return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true): consistency of the first m entries (0 < m < n)."""
    if not 0 < m < len(leaves):
        raise ValueError(f"consistency proof needs 0 < {m} < {len(leaves)}")
    return subproof(m, leaves, True)


# ---------------------------------------------------------------------------
# Node-based proof plans: which stored perfect nodes make up each proof element.
# ---------------------------------------------------------------------------


def range_nodes(start: int, end: int) -> list[NodeId]:
    """Perfect decomposition (left to right, largest first) of the leaf range [start, end).

    Only meaningful for ranges produced by the RFC recursion (``start`` is a multiple of
    the smallest power of two >= ``end - start``); for those, the MTH of the range is the
    right-to-left ``node_hash`` fold of these nodes' hashes.
    """
    if not 0 <= start <= end:
        raise ValueError(f"bad leaf range [{start}, {end})")
    nodes: list[NodeId] = []
    width = end - start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            if start & ((1 << level) - 1):
                raise ValueError(f"leaf range [{start}, {end}) is not aligned")
            nodes.append((level, start >> level))
            start += 1 << level
    return nodes


def root_nodes(size: int) -> list[NodeId]:
    """Perfect decomposition of [0, size): enough stored nodes to rebuild any past root."""
    return range_nodes(0, size)


def inclusion_proof_nodes(index: int, size: int) -> list[list[NodeId]]:
    """Plan of PATH(index, D[size]): one list of perfect nodes per proof element."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} out of range for tree size {size}")
    siblings: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            start += k
    # PATH lists the sibling nearest the leaf first.
    return [range_nodes(a, b) for a, b in reversed(siblings)]


def consistency_proof_nodes(old_size: int, new_size: int) -> list[list[NodeId]]:
    """Plan of PROOF(old_size, D[new_size]); empty when old_size is 0 or equals new_size.

    The RFC defines the proof only for 0 < m < n; the trivial cases carry no hashes
    (``verify_consistency`` handles them by comparing roots).
    """
    if not 0 <= old_size <= new_size:
        raise ValueError(f"consistency proof needs 0 <= {old_size} <= {new_size}")
    if old_size in (0, new_size):
        return []
    siblings: list[tuple[int, int]] = []
    m, start, end, from_old_root = old_size, 0, new_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            siblings.append((start + k, end))
            end = start + k
        else:
            siblings.append((start, start + k))
            m -= k
            start += k
            from_old_root = False
    ranges = [] if from_old_root else [(start, end)]
    ranges.extend(reversed(siblings))
    return [range_nodes(a, b) for a, b in ranges]


def node_ids(*plans: Iterable[Iterable[NodeId]]) -> set[NodeId]:
    """Union of the node ids in the given plans: what to fetch, in one query."""
    return {node for plan in plans for element in plan for node in element}


def assemble(plan: Sequence[Sequence[NodeId]], nodes: Mapping[NodeId, bytes]) -> list[bytes]:
    """Fold each element's perfect node hashes right to left into that element's MTH.

    An empty element folds to ``EMPTY_ROOT`` (so ``assemble([root_nodes(0)], {})`` is the
    empty tree's root). A missing node raises KeyError naming it.
    """
    out: list[bytes] = []
    for element in plan:
        if not element:
            out.append(EMPTY_ROOT)
            continue
        acc = nodes[element[-1]]
        for node in reversed(element[:-1]):
            acc = _sha256(_NODE_PREFIX + nodes[node] + acc).digest()
        out.append(acc)
    return out


# ---------------------------------------------------------------------------
# Compact range of the append-only tree.
# ---------------------------------------------------------------------------


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
            h = _sha256(_NODE_PREFIX + hashes.pop() + h).digest()
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
            acc = _sha256(_NODE_PREFIX + h + acc).digest()
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


# ---------------------------------------------------------------------------
# Verification, RFC 9162 §2.1.3.2 and §2.1.4.2. Never raises: bad input is False.
# ---------------------------------------------------------------------------


def _is_size(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _is_hash_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(_is_hash(p) for p in value)


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, path: Sequence[bytes], root: bytes
) -> bool:
    """True iff ``path`` proves ``leaf_hash`` is leaf ``index`` of the tree (``size``, ``root``)."""
    if not (_is_size(index) and _is_size(size) and _is_hash(leaf_hash) and _is_hash(root)):
        return False
    if not _is_hash_list(path):
        return False
    # 1. leaf_index >= tree_size fails.
    if index >= size:
        return False
    # 2-3.
    fn, sn = index, size - 1
    r = leaf_hash
    # 4.
    for p in path:
        if sn == 0:  # a. more elements than the tree has levels
            return False
        if fn & 1 or fn == sn:  # b.
            r = _sha256(_NODE_PREFIX + p + r).digest()
            while fn and not fn & 1:  # ii.
                fn >>= 1
                sn >>= 1
        else:
            r = _sha256(_NODE_PREFIX + r + p).digest()
        fn >>= 1  # c.
        sn >>= 1
    # 5.
    return sn == 0 and r == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True iff ``proof`` shows tree (new_size, new_root) extends tree (old_size, old_root).

    Trivial cases, which the RFC leaves to the caller: equal sizes need equal roots and an
    empty proof; an empty old tree needs ``old_root == EMPTY_ROOT`` and an empty proof.
    """
    if not (_is_size(old_size) and _is_size(new_size) and old_size <= new_size):
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and _is_hash_list(proof)):
        return False
    if old_size == new_size:
        return len(proof) == 0 and old_root == new_root
    if old_size == 0:
        return len(proof) == 0 and old_root == EMPTY_ROOT
    return _verify_subproof(old_size, new_size, old_root, new_root, list(proof))


def _verify_subproof(
    first: int, second: int, first_hash: bytes, second_hash: bytes, path: list[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2 steps 1-7, for 0 < first < second."""
    # 1. An empty consistency_path fails.
    if not path:
        return False
    # 2. If first is an exact power of 2, prepend first_hash.
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    # 3.
    fn, sn = first - 1, second - 1
    # 4.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5.
    fr = sr = path[0]
    # 6.
    for c in path[1:]:
        if sn == 0:  # a.
            return False
        if fn & 1 or fn == sn:  # b.
            fr = _sha256(_NODE_PREFIX + c + fr).digest()
            sr = _sha256(_NODE_PREFIX + c + sr).digest()
            while fn and not fn & 1:  # iii.
                fn >>= 1
                sn >>= 1
        else:
            sr = _sha256(_NODE_PREFIX + sr + c).digest()
        fn >>= 1  # c.
        sn >>= 1
    # 7.
    return fr == first_hash and sr == second_hash and sn == 0
