"""RFC 9162 (Certificate Transparency v2) §2.1 Merkle Tree Hash: hashes and proof plans.

Pure functions, no I/O. The log stores every *perfect* subtree hash once, addressed
by ``NodeId = (level, index)``: the node at level L and index i covers leaves
[i*2^L, (i+1)*2^L), level 0 being the leaf hashes. Perfect nodes never change once
complete, so they can be written append-only. The MTH of any range that appears in
the RFC recursion (a proof element, or the root at any past size) is the right-to-left
``node_hash`` fold of that range's perfect decomposition; the ``*_nodes`` functions
return those decompositions so a server can fetch every hash it needs in one query and
``assemble`` the exact PATH / SUBPROOF lists of RFC 9162 §2.1.3.1 / §2.1.4.1.

The writer's compact range is `frontier.Frontier`; checking proofs is `proofs`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

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
            acc = node_hash(nodes[node], acc)
        out.append(acc)
    return out
