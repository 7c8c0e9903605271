"""Checking RFC 9162 inclusion and consistency proofs (§2.1.3.2, §2.1.4.2), literally.

Never raises on hostile input: a malformed size, hash or path is simply False.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.log.merkle.tree import EMPTY_ROOT, HASH_SIZE, node_hash


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
            r = node_hash(p, r)
            while fn and not fn & 1:  # ii.
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
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
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:  # iii.
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1  # c.
        sn >>= 1
    # 7.
    return fr == first_hash and sr == second_hash and sn == 0
