"""RFC 9162 Merkle tree: published vectors, the RFC's own recursive definitions, an
independent implementation (pymerkle), and verifiers that must refuse every tampering.

A verifier that says yes too easily is worse than none: the log's whole promise is that
a client can check the server. immudb's client SDKs (< 1.4.1, GHSA-672p-m5jq-mrh8)
accepted a falsified proof from a malicious server. So proofs here are checked three
ways — against published vectors, against the RFC's recursive PATH/SUBPROOF, and
against pymerkle's verifier — and every altered leaf, index, size, root or proof
element must be refused.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from pymerkle import InclusionProof, InmemoryTree, InvalidProof
from pymerkle import verify_consistency as pymerkle_verify_consistency
from pymerkle import verify_inclusion as pymerkle_verify_inclusion

from ledger.log.merkle.frontier import Frontier
from ledger.log.merkle.proofs import verify_consistency, verify_inclusion
from ledger.log.merkle.tree import (
    EMPTY_ROOT,
    NodeId,
    assemble,
    consistency_proof_nodes,
    inclusion_proof_nodes,
    leaf_hash,
    mth,
    node_hash,
    node_ids,
    path,
    proof,
    range_nodes,
    root_nodes,
    subproof,
)

h = bytes.fromhex

# --- Published vectors -----------------------------------------------------------------
# Leaves, per-level node hashes, roots for sizes 0..8 and compact ranges:
# transparency-dev/merkle testonly/constants.go (commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1),
# the RFC 6962 reference data carried over from Trillian's merkle/testonly.
LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
_NH = NODE_HASHES
COMPACT_TREES: list[list[bytes]] = [
    [],
    [_NH[0][0]],
    [_NH[1][0]],
    [_NH[1][0], _NH[0][2]],
    [_NH[2][0]],
    [_NH[2][0], _NH[0][4]],
    [_NH[2][0], _NH[1][2]],
    [_NH[2][0], _NH[1][2], _NH[0][6]],
    [_NH[3][0]],
]

# Inclusion and consistency proofs: transparency-dev/merkle proof/verify_test.go
# (commit 02194e9afb6c1d95b5381350007963aa70fff472), `inclusionProofs` and
# `consistencyProofs`. The Go table numbers leaves from 1; the index here is 0-based.
INCLUSION_PROOFS: list[tuple[int, int, list[bytes]]] = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]
CONSISTENCY_PROOFS: list[tuple[int, int, list[bytes]]] = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
# From the same file: a hash that is no node of the reference tree.
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


# --- Helpers -----------------------------------------------------------------------------


def build(entries: list[bytes]) -> tuple[Frontier, dict[NodeId, bytes]]:
    """Append entries to a Frontier, storing every completed node as the server would."""
    frontier = Frontier()
    store: dict[NodeId, bytes] = {}
    for entry in entries:
        for node, digest in frontier.append(leaf_hash(entry)):
            assert node not in store, "a perfect node is completed exactly once"
            store[node] = digest
    return frontier, store


def served_inclusion(store: dict[NodeId, bytes], index: int, size: int) -> list[bytes]:
    plan = inclusion_proof_nodes(index, size)
    return assemble(plan, {n: store[n] for n in node_ids(plan)})


def served_consistency(store: dict[NodeId, bytes], old: int, new: int) -> list[bytes]:
    plan = consistency_proof_nodes(old, new)
    return assemble(plan, {n: store[n] for n in node_ids(plan)})


def root_at(store: dict[NodeId, bytes], size: int) -> bytes:
    return assemble([root_nodes(size)], store)[0]


def flip(digest: bytes, bit: int = 3) -> bytes:
    return bytes([digest[0] ^ (1 << bit)]) + digest[1:]


RNG = random.Random(9162)
ENTRIES = [RNG.randbytes(RNG.randrange(0, 40)) for _ in range(64)]
FRONTIER_64, STORE_64 = build(ENTRIES)


# --- Hashing and the published tree ------------------------------------------------------


def test_the_hash_primitives_follow_rfc_9162() -> None:
    assert EMPTY_ROOT == hashlib.sha256(b"").digest() == ROOTS[0]
    assert leaf_hash(b"ab") == hashlib.sha256(b"\x00ab").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )


def test_the_reference_mth_matches_the_published_roots() -> None:
    for size, root in enumerate(ROOTS):
        assert mth(LEAF_INPUTS[:size]) == root, size


def test_frontier_matches_published_roots_nodes_and_compact_ranges() -> None:
    frontier = Frontier()
    store: dict[NodeId, bytes] = {}
    assert frontier.root() == ROOTS[0]
    assert list(frontier.hashes) == COMPACT_TREES[0]
    for size, entry in enumerate(LEAF_INPUTS, start=1):
        store.update(frontier.append(leaf_hash(entry)))
        assert frontier.size == size
        assert frontier.root() == ROOTS[size], size
        assert list(frontier.hashes) == COMPACT_TREES[size], size
        assert root_at(store, size) == ROOTS[size]
    # Node addressing: (level, index) is exactly the published level/index layout.
    published = {
        (level, index): digest
        for level, row in enumerate(NODE_HASHES)
        for index, digest in enumerate(row)
    }
    assert store == published


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_PROOFS)
def test_inclusion_proofs_match_the_published_vectors(
    index: int, size: int, expected: list[bytes]
) -> None:
    _, store = build(LEAF_INPUTS[:size])
    assert served_inclusion(store, index, size) == expected
    assert path(index, LEAF_INPUTS[:size]) == expected
    leaf = leaf_hash(LEAF_INPUTS[index])
    assert verify_inclusion(leaf, index, size, expected, ROOTS[size])
    assert_inclusion_tampering_fails(leaf, index, size, expected, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "expected"), CONSISTENCY_PROOFS)
def test_consistency_proofs_match_the_published_vectors(
    old: int, new: int, expected: list[bytes]
) -> None:
    _, store = build(LEAF_INPUTS[:new])
    assert served_consistency(store, old, new) == expected
    if old < new:
        assert proof(old, LEAF_INPUTS[:new]) == expected
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)
    if expected:
        assert_consistency_tampering_fails(old, new, ROOTS[old], ROOTS[new], expected)


# --- Tampering: ported from corruptInclusionProof / corruptConsistencyProof ----------------


def assert_inclusion_tampering_fails(
    leaf: bytes, index: int, size: int, good: list[bytes], root: bytes
) -> None:
    """Every probe must be refused. Sizes are probed as the Go tests do (x2, /2): a path
    alone cannot tell size n from a neighbour whose tree has the same shape along it,
    which is why the size is only ever taken from the signed checkpoint with its root."""
    probes: list[tuple[str, bytes, int, int, list[bytes], bytes]] = [
        ("index - 1", leaf, index - 1, size, good, root),
        ("index + 1", leaf, index + 1, size, good, root),
        ("index ^ 2", leaf, index ^ 2, size, good, root),
        ("size * 2", leaf, index, size * 2, good, root),
        ("size / 2", leaf, index, size // 2, good, root),
        ("wrong leaf", leaf_hash(b"WrongLeaf"), index, size, good, root),
        ("flipped leaf", flip(leaf), index, size, good, root),
        ("empty root", leaf, index, size, good, EMPTY_ROOT),
        ("random root", leaf, index, size, good, SOME_HASH),
        ("flipped root", leaf, index, size, good, flip(root)),
        ("trailing garbage", leaf, index, size, [*good, b""], root),
        ("trailing root", leaf, index, size, [*good, root], root),
        ("preceding garbage", leaf, index, size, [b"", *good], root),
        ("preceding root", leaf, index, size, [root, *good], root),
        ("short leaf", leaf[:31], index, size, good, root),
        ("long root", leaf, index, size, good, root + b"\x00"),
        ("negative index", leaf, -1, size, good, root),
        ("index == size", leaf, size, size, good, root),
    ]
    for i in range(len(good)):
        bad = list(good)
        bad[i] = flip(bad[i])
        probes.append((f"flipped proof[{i}]", leaf, index, size, bad, root))
    if good:
        probes.append(("removed component", leaf, index, size, good[:-1], root))
    if len(good) > 1:
        probes.append(
            ("inserted component", leaf, index, size, [good[0], SOME_HASH, *good[1:]], root)
        )
        probes.append(("reversed", leaf, index, size, good[::-1], root))
    wrongly_verified = [
        desc for desc, lf, ix, sz, pf, rt in probes if verify_inclusion(lf, ix, sz, pf, rt)
    ]
    assert wrongly_verified == [], (index, size)


def assert_consistency_tampering_fails(
    old: int, new: int, old_root: bytes, new_root: bytes, good: list[bytes]
) -> None:
    probes: list[tuple[str, int, int, bytes, bytes, list[bytes]]] = [
        ("old - 1", old - 1, new, old_root, new_root, good),
        ("old + 1", old + 1, new, old_root, new_root, good),
        ("old ^ 2", old ^ 2, new, old_root, new_root, good),
        ("new * 2", old, new * 2, old_root, new_root, good),
        ("new / 2", old, new // 2, old_root, new_root, good),
        ("wrong old root", old, new, SOME_HASH, new_root, good),
        ("wrong new root", old, new, old_root, SOME_HASH, good),
        ("flipped old root", old, new, flip(old_root), new_root, good),
        ("flipped new root", old, new, old_root, flip(new_root), good),
        ("swapped roots", old, new, new_root, old_root, good),
        ("empty proof", old, new, old_root, new_root, []),
        ("trailing garbage", old, new, old_root, new_root, [*good, b""]),
        ("trailing old root", old, new, old_root, new_root, [*good, old_root]),
        ("trailing new root", old, new, old_root, new_root, [*good, new_root]),
        ("preceding garbage", old, new, old_root, new_root, [b"", *good]),
        ("preceding old root", old, new, old_root, new_root, [old_root, *good]),
        ("preceding new root", old, new, old_root, new_root, [new_root, *good]),
        ("preceding proof[0]", old, new, old_root, new_root, [good[0], *good]),
        ("truncated proof", old, new, old_root, new_root, good[:-1]),
        ("reversed sizes", new, old, new_root, old_root, good),
    ]
    for i in range(len(good)):
        bad = list(good)
        bad[i] = flip(bad[i], 4)
        probes.append((f"flipped proof[{i}]", old, new, old_root, new_root, bad))
    wrongly_verified = [
        desc
        for desc, o, n, ro, rn, pf in probes
        if (o, n, ro, rn, pf) != (old, new, old_root, new_root, good)
        and verify_consistency(o, n, ro, rn, pf)
    ]
    assert wrongly_verified == [], (old, new)


def test_inclusion_edge_cases_are_refused() -> None:
    # transparency-dev/merkle TestVerifyInclusion probes, plus our type checks.
    for index, size in [(0, 0), (0, 1), (1, 0), (2, 1)]:
        assert not verify_inclusion(SOME_HASH, index, size, [], b"")
        assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
        assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)
    single = leaf_hash(b"data")
    assert verify_inclusion(single, 0, 1, [], single)
    assert not verify_inclusion(single, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], single)
    assert not verify_inclusion(single, True, 2, [single], single)  # bool is no index
    assert not verify_inclusion(single, 0, 1, "not a list", single)  # type: ignore[arg-type]
    assert not verify_inclusion(single, 0, 1, [None], single)  # type: ignore[list-item]
    assert not verify_inclusion(single, 0.0, 1, [], single)  # type: ignore[arg-type]


def test_overlong_path_is_refused_even_when_it_reaches_the_root() -> None:
    # RFC 9162 §2.1.3.2 step 4a: once sn is 0 the path must end. Without that check, leaf 2
    # of the size-3 tree "proves" to be leaf 0 of a size-1 tree: H(0x01 || MTH(D[0:2]) || l2)
    # is the size-3 root. Sizes are only trusted with their root, but the verifier must not
    # rely on every caller getting that right.
    l2 = leaf_hash(LEAF_INPUTS[2])
    left = root_at(build(LEAF_INPUTS[:2])[1], 2)
    assert node_hash(left, l2) == ROOTS[3]
    assert verify_inclusion(l2, 2, 3, [left], ROOTS[3])
    assert not verify_inclusion(l2, 0, 1, [left], ROOTS[3])


def test_consistency_edge_cases_are_refused_or_trivial() -> None:
    some, other = leaf_hash(b"1"), leaf_hash(b"2")
    # Trivial sizes: equal sizes need equal roots and no proof; size 0 needs the empty root.
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert verify_consistency(1, 1, some, some, [])
    assert verify_consistency(0, 5, EMPTY_ROOT, some, [])
    assert not verify_consistency(0, 5, some, other, [])
    assert not verify_consistency(1, 1, some, other, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT])
    assert not verify_consistency(0, 1, EMPTY_ROOT, some, [EMPTY_ROOT])
    assert not verify_consistency(1, 1, some, some, [EMPTY_ROOT])
    # Time travel and empty proofs.
    assert not verify_consistency(1, 0, some, other, [])
    assert not verify_consistency(2, 1, some, other, [])
    assert not verify_consistency(1, 2, some, other, [])
    # Bad types never raise.
    assert not verify_consistency(-1, 2, some, other, [some])
    assert not verify_consistency(1, 2, b"short", other, [some])
    assert not verify_consistency(1, 2, some, other, [b"short"])
    assert not verify_consistency(1, 2, some, other, None)  # type: ignore[arg-type]


# --- Node-based plans == the RFC's recursive definitions ----------------------------------


def test_frontier_root_equals_mth_for_every_size() -> None:
    frontier = Frontier()
    assert frontier.root() == mth([])
    for size, entry in enumerate(ENTRIES, start=1):
        frontier.append(leaf_hash(entry))
        assert frontier.root() == mth(ENTRIES[:size]), size
        assert root_at(STORE_64, size) == mth(ENTRIES[:size]), size


def test_every_stored_node_is_the_mth_of_its_range() -> None:
    for (level, index), digest in STORE_64.items():
        start = index << level
        assert digest == mth(ENTRIES[start : start + (1 << level)])
    # And the store holds exactly the perfect nodes of a 64-leaf tree.
    assert set(STORE_64) == {(lv, i) for lv in range(7) for i in range(64 >> lv)}


def test_inclusion_plans_match_rfc_path_for_all_sizes_and_indices() -> None:
    for size in range(1, 65):
        leaves = ENTRIES[:size]
        root = mth(leaves)
        for index in range(size):
            served = served_inclusion(STORE_64, index, size)
            assert served == path(index, leaves), (index, size)
            assert verify_inclusion(leaf_hash(leaves[index]), index, size, served, root)


def test_consistency_plans_match_rfc_proof_for_all_pairs() -> None:
    for new in range(1, 65):
        leaves = ENTRIES[:new]
        new_root = mth(leaves)
        for old in range(1, new):
            served = served_consistency(STORE_64, old, new)
            assert served == proof(old, leaves), (old, new)
            assert served == subproof(old, leaves, True)
            assert verify_consistency(old, new, mth(ENTRIES[:old]), new_root, served)


def test_tampered_proofs_fail_for_all_sizes_up_to_32() -> None:
    for size in range(1, 33):
        root = root_at(STORE_64, size)
        for index in range(size):
            good = served_inclusion(STORE_64, index, size)
            assert_inclusion_tampering_fails(leaf_hash(ENTRIES[index]), index, size, good, root)
        for old in range(1, size):
            good = served_consistency(STORE_64, old, size)
            assert_consistency_tampering_fails(old, size, root_at(STORE_64, old), root, good)


def test_proof_from_another_leaf_or_size_fails() -> None:
    size = 21
    root = root_at(STORE_64, size)
    for index in range(size):
        good = served_inclusion(STORE_64, index, size)
        for other in range(size):
            if other != index:
                assert not verify_inclusion(leaf_hash(ENTRIES[other]), index, size, good, root)
                assert not verify_inclusion(leaf_hash(ENTRIES[index]), other, size, good, root)


def test_plans_are_small_and_fetchable_in_one_query() -> None:
    plan_i = inclusion_proof_nodes(5, 21)
    plan_c = consistency_proof_nodes(13, 21)
    wanted = node_ids(plan_i, plan_c, [root_nodes(13)], [root_nodes(21)])
    fetched = {n: STORE_64[n] for n in wanted}
    assert assemble(plan_i, fetched) == path(5, ENTRIES[:21])
    assert assemble(plan_c, fetched) == proof(13, ENTRIES[:21])
    with pytest.raises(KeyError):
        assemble(plan_i, {})
    assert assemble([root_nodes(0)], {}) == [EMPTY_ROOT]
    # Each element is at most one node per level; a proof has at most ~2 log2(n) nodes.
    big = 10**12 + 12345
    assert sum(map(len, inclusion_proof_nodes(big - 7, big))) <= 2 * big.bit_length()
    assert sum(map(len, consistency_proof_nodes(big // 3, big))) <= 2 * big.bit_length()


def test_plan_arguments_are_checked() -> None:
    for index, size in [(0, 0), (3, 3), (-1, 3)]:
        with pytest.raises(ValueError, match="out of range"):
            inclusion_proof_nodes(index, size)
    with pytest.raises(ValueError):
        consistency_proof_nodes(5, 3)
    with pytest.raises(ValueError):
        consistency_proof_nodes(-1, 3)
    assert consistency_proof_nodes(0, 7) == consistency_proof_nodes(7, 7) == []
    with pytest.raises(ValueError, match="aligned"):
        range_nodes(1, 3)
    assert range_nodes(8, 15) == [(2, 2), (1, 6), (0, 14)]
    assert root_nodes(13) == [(3, 0), (2, 2), (0, 12)]


# --- Frontier ---------------------------------------------------------------------------


def test_append_reports_each_completed_node_once() -> None:
    frontier = Frontier()
    assert frontier.append(leaf_hash(ENTRIES[0])) == [((0, 0), STORE_64[(0, 0)])]
    frontier.append(leaf_hash(ENTRIES[1]))
    frontier.append(leaf_hash(ENTRIES[2]))
    completed = frontier.append(leaf_hash(ENTRIES[3]))
    assert [node for node, _ in completed] == [(0, 3), (1, 1), (2, 0)]
    assert frontier.nodes() == [((2, 0), STORE_64[(2, 0)])]


def test_frontier_serialises_and_resumes() -> None:
    frontier = Frontier()
    for size, entry in enumerate(ENTRIES[:40], start=1):
        frontier.append(leaf_hash(entry))
        restored = Frontier.from_bytes(frontier.to_bytes())
        assert restored == frontier
        assert restored.size == size
        assert len(frontier.to_bytes()) == 8 + 32 * size.bit_count()
    resumed = Frontier.from_bytes(frontier.to_bytes())
    for entry in ENTRIES[40:]:
        resumed.append(leaf_hash(entry))
    assert resumed.root() == FRONTIER_64.root()
    assert Frontier(5, [STORE_64[(2, 0)], STORE_64[(0, 4)]]).root() == mth(ENTRIES[:5])


def test_frontier_refuses_inconsistent_state() -> None:
    data = FRONTIER_64.to_bytes()
    for bad in [b"", data[:7], data[:-1], data + b"\x00", (3).to_bytes(8, "big") + b"x" * 32]:
        with pytest.raises(ValueError):
            Frontier.from_bytes(bad)
    with pytest.raises(ValueError):
        Frontier(3, [EMPTY_ROOT])
    with pytest.raises(ValueError):
        Frontier(1, [b"short"])
    with pytest.raises(ValueError):
        Frontier(-1, [])
    with pytest.raises(ValueError):
        Frontier().append(b"short")


def test_an_append_does_work_only_for_the_nodes_it_completes() -> None:
    """Appending never revisits old nodes: over n appends the frontier hands back each perfect
    node of the tree exactly once, and it holds one hash per set bit of n (no wall-clock bound)."""
    frontier = Frontier()
    leaf = leaf_hash(b"x")
    completed: list[NodeId] = []
    n = 100_000
    for _ in range(n):
        completed.extend(node for node, _ in frontier.append(leaf))
    perfect_nodes = sum(n >> level for level in range(n.bit_length()))
    assert len(completed) == len(set(completed)) == perfect_nodes
    assert frontier.size == n and len(frontier.hashes) == n.bit_count()


# --- Independent implementation: pymerkle -------------------------------------------------


def test_pymerkle_agrees_on_roots_and_accepts_our_inclusion_proofs() -> None:
    """pymerkle (an unrelated codebase) computes the same roots and accepts our paths.

    pymerkle's inclusion proof path is [leaf hash] + RFC PATH with a "rule" saying which
    side each sibling is on, so our served PATH is fed to pymerkle's own verifier. Its
    consistency proofs use a different (non-RFC) decomposition that cannot carry our
    SUBPROOF; there we check that pymerkle's proofs verify against *our* roots at both
    sizes, and that every element of our proof is pymerkle's root of the same range.
    """
    tree = InmemoryTree.init_from_entries(ENTRIES)
    for size in range(1, 65):
        root = root_at(STORE_64, size)
        assert tree.get_root(size) == root
        for index in range(size):
            ours = served_inclusion(STORE_64, index, size)
            theirs = tree.prove_inclusion(index + 1, size)
            assert theirs.path[1:] == ours
            leaf = leaf_hash(ENTRIES[index])
            fed = InclusionProof("sha256", True, size, index + 1, theirs.rule, [leaf, *ours])
            pymerkle_verify_inclusion(leaf, root, fed, index=index + 1, size=size)
            if ours:
                forged = InclusionProof(
                    "sha256", True, size, index + 1, theirs.rule, [leaf, *ours[:-1], flip(ours[-1])]
                )
                with pytest.raises(InvalidProof):
                    pymerkle_verify_inclusion(leaf, root, forged, index=index + 1, size=size)


def test_pymerkle_confirms_our_consistency_proofs_and_roots() -> None:
    tree = InmemoryTree.init_from_entries(ENTRIES)
    for new in range(2, 33):
        new_root = FRONTIER_64.root() if new == 64 else root_at(STORE_64, new)
        for old in range(1, new):
            old_root = root_at(STORE_64, old)
            theirs = tree.prove_consistency(old, new)
            pymerkle_verify_consistency(old_root, new_root, theirs, prior_size=old, later_size=new)
            with pytest.raises(InvalidProof):
                pymerkle_verify_consistency(flip(old_root), new_root, theirs)
            served = served_consistency(STORE_64, old, new)
            for element, plan in zip(served, consistency_proof_nodes(old, new), strict=True):
                start = plan[0][1] << plan[0][0]
                end = (plan[-1][1] + 1) << plan[-1][0]
                assert element == InmemoryTree.init_from_entries(ENTRIES[start:end]).get_root()
