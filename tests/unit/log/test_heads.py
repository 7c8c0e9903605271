"""The head map (`ledger.log.heads`): its bucket format, its tree against the RFC 9162 reference,
and the refusals that make a bucket prove exactly one head per case."""

from __future__ import annotations

import random
from uuid import UUID

import pytest

from ledger.log.heads import (
    BUCKETS,
    FORMAT,
    Head,
    HeadMap,
    HeadsError,
    HeadsTree,
    bucket_of,
    decode_bucket,
    encode_bucket,
    extension_line,
    merge_bucket,
    proven_head,
    root_from_extensions,
)
from ledger.log.merkle.proofs import verify_inclusion
from ledger.log.merkle.tree import leaf_hash, node_hash


def ids_in(bucket: int, n: int) -> list[UUID]:
    found = (UUID(int=i) for i in range(1 << 24) if bucket_of(UUID(int=i)) == bucket)
    return [next(found) for _ in range(n)]


def reference_root(leaves: dict[int, bytes]) -> bytes:
    """The perfect tree of BUCKETS leaves, level by level (RFC 9162 MTH for a power of two)."""
    level = [leaves.get(i, leaf_hash(FORMAT)) for i in range(BUCKETS)]
    while len(level) > 1:
        level = [node_hash(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def test_a_bucket_is_the_prefix_and_sorted_fixed_size_entries() -> None:
    a, b = sorted(ids_in(7, 2), key=lambda u: u.bytes)
    data = encode_bucket([Head(b, 2, 9), Head(a, 1, 3)])
    assert data == FORMAT + a.bytes + (1).to_bytes(8, "big") + (3).to_bytes(8, "big") + (
        b.bytes + (2).to_bytes(8, "big") + (9).to_bytes(8, "big")
    )
    assert decode_bucket(data, 7) == [Head(a, 1, 3), Head(b, 2, 9)]
    assert decode_bucket(FORMAT, 7) == []


@pytest.mark.parametrize(
    "mangle",
    [
        lambda d: d[:-1],  # a torn entry
        lambda d: b"case-ledger/heads/v0\n" + d[len(FORMAT) :],  # another format
        lambda d: d + d[len(FORMAT) : len(FORMAT) + 32],  # the first case twice
    ],
)
def test_a_malformed_or_duplicated_bucket_is_refused(mangle) -> None:
    data = encode_bucket([Head(u, 1, i) for i, u in enumerate(ids_in(3, 2))])
    with pytest.raises(HeadsError):
        decode_bucket(mangle(data), 3)


def test_a_case_cannot_hide_in_another_bucket() -> None:
    [stranger] = ids_in(4, 1)
    with pytest.raises(HeadsError, match="another bucket"):
        decode_bucket(encode_bucket([Head(stranger, 1, 0)]), 5)


def test_the_tree_matches_the_reference_and_its_paths_verify() -> None:
    rng = random.Random(13)
    leaves = {rng.randrange(BUCKETS): leaf_hash(rng.randbytes(40)) for _ in range(300)}
    tree = HeadsTree()
    items = list(leaves.items())
    tree.update(dict(items[:100]))  # in two steps, as checkpoints do
    tree.update(dict(items[100:]))

    assert tree.root() == reference_root(leaves)
    for bucket in [*list(leaves)[:20], 0, BUCKETS - 1, 12345]:
        digest = leaves.get(bucket, leaf_hash(FORMAT))
        assert verify_inclusion(digest, bucket, BUCKETS, tree.path(bucket), tree.root())
    assert HeadsTree().root() == reference_root({})


def test_a_head_map_folds_leaves_and_proves_each_case_head() -> None:
    heads = HeadMap()
    cases = [UUID(int=random.Random(i).getrandbits(128)) for i in range(50)]
    index = 0
    for version in (1, 2, 3):
        for case_id in cases:
            heads.fold(case_id, version, index)
            index += 1
    root = heads.root()
    for n, case_id in enumerate(cases[:10]):
        bucket = heads.encoded(bucket_of(case_id))
        path = heads.tree.path(bucket_of(case_id))
        assert proven_head(case_id, bucket, path, root) == Head(case_id, 3, 100 + n)
    [absent] = [u for u in ids_in(bucket_of(cases[0]), 3) if u not in cases][:1]
    bucket = heads.encoded(bucket_of(cases[0]))
    assert proven_head(absent, bucket, heads.tree.path(bucket_of(cases[0])), root) is None
    with pytest.raises(HeadsError, match="does not reach"):
        proven_head(cases[0], bucket, heads.tree.path(bucket_of(cases[0]) ^ 1), root)


def test_merging_replaces_a_cases_entry_and_keeps_the_others() -> None:
    a, b = ids_in(9, 2)
    stored = encode_bucket([Head(a, 1, 0), Head(b, 1, 1)])
    merged = merge_bucket(9, stored, [Head(a, 2, 5)])
    assert sorted(decode_bucket(merged, 9), key=lambda h: h.leaf_index) == [
        Head(b, 1, 1),
        Head(a, 2, 5),
    ]
    assert merge_bucket(9, None, [Head(a, 1, 0)]) == encode_bucket([Head(a, 1, 0)])


def test_the_heads_line_round_trips_and_is_refused_when_doubled_or_malformed() -> None:
    root = bytes(range(32))
    assert root_from_extensions([extension_line(root)]) == root
    assert root_from_extensions(["something else"]) is None
    with pytest.raises(HeadsError):
        root_from_extensions([extension_line(root), extension_line(root)])
    with pytest.raises(HeadsError):
        root_from_extensions(["case-ledger/heads/v1 AAAA"])
