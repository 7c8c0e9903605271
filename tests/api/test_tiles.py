"""The log as C2SP tlog-tiles: a client that knows only /checkpoint and /tile/... follows it."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pymerkle import InmemoryTree

from ledger.log.audit import consistency_prover
from ledger.log.cosignature import generate_cosigner_key
from ledger.log.keys import load_signer
from ledger.log.leaf import encode_leaf
from ledger.log.merkle.proofs import verify_inclusion
from ledger.log.merkle.tree import (
    NodeId,
    assemble,
    inclusion_proof_nodes,
    leaf_hash,
    node_hash,
    root_nodes,
)
from ledger.log.notary import Notary
from ledger.log.signed_note import Verifier, verify_checkpoint
from ledger.log.tiles import FULL_CACHE, WIDTH, Tile, split_entry_bundle
from ledger.log.witnesses import configured_witnesses
from ledger.log.witnessing import CosignatureCollector
from tests.api.support import assert_problem
from tests.conftest import actor, register

CLERK = actor("clerk-tiles", "clerk", unit="人社")
MIN_SIZE = 2 * WIDTH + 40
"""Two full level-0 tiles, a partial one, and a partial level-1 tile of width 2."""


@pytest.fixture(scope="module")
def size(settings: Any, database: Any, ledger: Any) -> Iterator[int]:
    """A log of more than MIN_SIZE leaves, all in the latest checkpoint, whose right edge is a
    partial tile (the session's other tests leave the log at any size, a multiple of the tile
    width too: then there is no partial tile to test)."""
    signer = load_signer(settings.notary_key_path, settings.origin)
    notary = Notary(database.notary_conninfo, signer, settings.origin)
    grown = notary.catch_up()
    while grown < MIN_SIZE or grown % WIDTH == 0:
        case_id = register(ledger, CLERK).case_id
        for _ in range(50):
            ledger.append(case_id, CLERK, "VisitRecorded")
        grown = notary.catch_up()
    notary.close()
    # The one-command set-up's local witness cosigns the latest checkpoint (`/checkpoint` then
    # carries its line, which the Go client checks).
    for witness in configured_witnesses(settings):
        collector = CosignatureCollector(
            database.notary_conninfo,
            [(witness.verifier, witness.client)],
            consistency_prover(database.notary_conninfo),
        )
        assert collector.collect_once() == 1
        collector.close()
    yield grown


class TileClient:
    """What a tlog-tiles client does: every hash comes from a tile, nothing else is asked."""

    def __init__(self, client: Any, tree_size: int) -> None:
        self.client, self.tree_size = client, tree_size
        self.fetched: dict[str, Any] = {}

    def tile(self, level: int, index: int) -> list[bytes]:
        width = min(WIDTH, (self.tree_size >> (8 * level)) - index * WIDTH)
        path = "/" + Tile(level, index, width).path()
        if path not in self.fetched:
            response = self.client.get(path)
            assert response.status_code == 200, (path, response.text)
            assert response.headers["content-type"] == "application/octet-stream"
            assert len(response.content) == 32 * width
            self.fetched[path] = response
        data = self.fetched[path].content
        return [data[i : i + 32] for i in range(0, len(data), 32)]

    def node(self, level: int, index: int) -> bytes:
        """The perfect subtree (level, index): 2^r hashes of the tile level below, folded."""
        tile_level, rise = divmod(level, 8)
        first = index << rise
        hashes = self.tile(tile_level, first // WIDTH)[first % WIDTH :][: 1 << rise]
        assert len(hashes) == 1 << rise
        while len(hashes) > 1:
            hashes = [node_hash(a, b) for a, b in zip(hashes[::2], hashes[1::2], strict=True)]
        return hashes[0]

    def nodes(self, plan: list[list[NodeId]]) -> dict[NodeId, bytes]:
        return {n: self.node(*n) for element in plan for n in element}


def test_a_tiles_client_recomputes_the_signed_root_and_an_inclusion_proof(
    client, size, settings
) -> None:
    verifier = Verifier(client.get("/audit/public-key").text.strip())
    note = client.get("/checkpoint")
    signed = verify_checkpoint(note.text, verifier, expected_origin=settings.origin)
    tiles = TileClient(client, signed.size)

    plan = [root_nodes(signed.size)]
    root = assemble(plan, tiles.nodes(plan))[0]
    index = signed.size // 3
    path_plan = inclusion_proof_nodes(index, signed.size)
    audit_path = assemble(path_plan, tiles.nodes(path_plan))
    leaf = tiles.tile(0, index // WIDTH)[index % WIDTH]
    position = client.get(f"/audit/checkpoints/{signed.size}")  # the note, by size, as well
    served = served_proof(client, signed.size, index)

    assert note.headers["content-type"] == "text/plain; charset=utf-8"
    assert note.text == client.get("/audit/checkpoint").text == position.text
    assert signed.size >= MIN_SIZE and root == signed.root
    assert served["leaf_hash"] == leaf.hex() and served["audit_path"] == [
        h.hex() for h in audit_path
    ]
    assert verify_inclusion(leaf, index, signed.size, audit_path, signed.root)
    assert any("/tile/1/" in p for p in tiles.fetched)  # the upper levels came from level 1


def test_entry_bundles_hash_to_the_level_0_tiles_and_pymerkle_agrees_on_the_root(
    client, size, token_for, settings
) -> None:
    verifier = Verifier(client.get("/audit/public-key").text.strip())
    signed = verify_checkpoint(client.get("/checkpoint").text, verifier, settings.origin)
    tiles = TileClient(client, signed.size)
    auditor = token_for("aud-tiles", "auditor")

    entries: list[bytes] = []
    for index in range(-(-signed.size // WIDTH)):
        width = min(WIDTH, signed.size - index * WIDTH)
        bundle = client.get("/" + Tile(None, index, width).path(), headers=auditor)
        assert bundle.status_code == 200, bundle.text
        chunk = split_entry_bundle(bundle.content)
        assert [leaf_hash(e) for e in chunk] == tiles.tile(0, index)
        entries.extend(chunk)

    assert len(entries) == signed.size
    assert all(e.startswith(b"case-ledger/leaf/v1\n") for e in entries)
    assert InmemoryTree.init_from_entries(entries).get_root() == signed.root


def test_full_tiles_are_immutable_and_partial_ones_exist_only_at_the_right_edge(
    client, size
) -> None:
    tree_size = int(
        client.get("/audit/checkpoint", headers={"Accept": "application/json"}).json()["tree_size"]
    )
    edge, width = divmod(tree_size, WIDTH)

    full = client.get("/tile/0/000")
    partial = client.get(f"/tile/0/{edge:03d}.p/{width}")
    narrower = client.get(f"/tile/0/{edge:03d}.p/1")  # an earlier checkpoint's right edge
    level_1 = client.get(f"/tile/1/000.p/{tree_size // WIDTH}")

    assert full.headers["cache-control"] == FULL_CACHE and len(full.content) == 8192
    assert partial.status_code == 200 and "immutable" not in partial.headers["cache-control"]
    assert narrower.content == partial.content[:32] and level_1.status_code == 200
    assert_problem(client.get("/tile/0/000.p/12"), 404)  # its full tile is served
    assert_problem(client.get(f"/tile/0/{edge:03d}"), 404)  # not full yet
    assert_problem(client.get(f"/tile/0/{edge:03d}.p/{width + 1}"), 404)  # past the checkpoint
    assert_problem(client.get(f"/tile/0/{edge + 1:03d}.p/1"), 404)
    assert_problem(client.get("/tile/1/000"), 404)
    assert_problem(client.get("/tile/0/x000/000"), 404)  # not spelled canonically
    assert_problem(client.get("/tile/0/0"), 404)  # not a tile path at all


def test_entry_bundles_need_a_reading_role_because_they_hold_the_events(
    client, size, token_for
) -> None:
    anonymous = client.get("/tile/entries/000")
    dashboard = client.get("/tile/entries/000", headers=token_for("dash", "dashboard"))
    auditor = client.get("/tile/entries/000", headers=token_for("aud", "auditor"))

    assert anonymous.status_code == 401 and dashboard.status_code == 403
    assert auditor.status_code == 200 and auditor.headers["cache-control"].startswith("private")
    assert client.get("/tile/000").status_code == 404  # no level: not a tile path


def test_an_outsider_re_derives_bookkeeping_leaves_and_a_reader_any_leaf(
    client, size, token_for
) -> None:
    tiles = TileClient(client, size)
    auditor = token_for("aud-leaves", "auditor")
    public = []
    for index in range(12):  # registrations: series and number-index leaves among the case's
        anonymous = client.get(f"/audit/leaves/{index}")
        read = client.get(f"/audit/leaves/{index}", headers=auditor)
        assert read.status_code == 200, read.text
        leaf = read.json()
        entry = base64.b64decode(leaf["entry"])
        payload = base64.b64decode(leaf["payload"])
        # The entry is the leaf's canonical bytes, and its hash is the tiles' level-0 hash.
        assert entry == encode_leaf(
            leaf["position"], UUID(leaf["originator_id"]), leaf["version"], leaf["topic"], payload
        )
        assert leaf_hash(entry) == tiles.tile(0, 0)[index]
        if leaf["topic"].startswith("ledger.domain.case_number:"):
            assert leaf["bookkeeping"] and anonymous.status_code == 200
            assert anonymous.json() == leaf
            public.append(index)
        else:
            assert not leaf["bookkeeping"]
            assert_problem(anonymous, 401)
    assert public, "registrations write case-number leaves"
    assert client.get(f"/audit/leaves/{size}", headers=auditor).status_code == 404
    case_leaf = next(i for i in range(12) if i not in public)
    dashboard = client.get(f"/audit/leaves/{case_leaf}", headers=token_for("dash-l", "dashboard"))
    assert_problem(dashboard, 403)  # a dashboard reads views, not case content


def served_proof(client: Any, tree_size: int, index: int) -> dict[str, Any]:
    """/audit/proofs/inclusion for leaf `index` (it takes the event's position: find it)."""
    for position in range(index + 1, index + 10_000):
        proof = client.get(
            "/audit/proofs/inclusion", params={"position": position, "tree_size": tree_size}
        )
        if proof.status_code == 200 and proof.json()["leaf_index"] == index:
            return dict(proof.json())
    raise AssertionError(f"no event has leaf index {index}")


GO_VERIFIER = Path(__file__).parent / "tlog_go" / "main.go"
GOPATH = Path("/usr/share/gocode")  # Debian's golang-golang-x-mod-dev: x/mod sumdb/note, sumdb/tlog


def test_go_sumdb_tlog_verifies_the_checkpoint_and_reads_the_tiles(
    client, size, token_for, tmp_path
) -> None:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        missing = "needs `go` and golang.org/x/mod in /usr/share/gocode (golang-golang-x-mod-dev)"
        if os.environ.get("CI"):  # .ci/run installs both: there a missing one is a failure
            pytest.fail(missing)
        pytest.skip(missing)
    key = client.get("/audit/public-key").text.strip()
    witnesses = [w["key"] for w in client.get("/audit/witnesses").json()]
    assert len(witnesses) == 1  # the local witness
    note = client.get("/checkpoint").text
    tree_size = int(note.split("\n")[1])
    index = tree_size - 3  # in the partial level-0 tile: the right edge is the hard part
    mirror_tiles(client, tree_size, tmp_path / "log", token_for("aud-go", "auditor"), note, index)
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(tmp_path / "gocache"),
        "GOFLAGS": "",
        "GOPROXY": "off",
    }
    binary = tmp_path / "verify_tiles"
    subprocess.run(
        [go, "build", "-o", str(binary), str(GO_VERIFIER)],
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=300,
    )

    run = subprocess.run(
        [str(binary), str(tmp_path / "log"), key, str(index), *witnesses],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert run.returncode == 0, run.stderr
    verified = json.loads(run.stdout)
    served = served_proof(client, tree_size, index)
    assert verified["size"] == tree_size and verified["proof"] == served["audit_path"]
    assert verified["witnesses"] == [w.split("+")[0] for w in witnesses]
    # A witness key that did not cosign: Go refuses the checkpoint.
    stranger = generate_cosigner_key("witness.example/stranger")[1]
    refused = subprocess.run(
        [str(binary), str(tmp_path / "log"), key, str(index), stranger],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert "no valid cosignature by witness witness.example/stranger" in refused.stderr


def mirror_tiles(
    client: Any, tree_size: int, root: Path, auditor: dict[str, str], note: str, index: int
) -> None:
    """Copy the checkpoint, every hash tile of `tree_size` and leaf `index`'s entry bundle into
    a directory laid out as the URLs are (what a static mirror of the log holds)."""
    root.mkdir(parents=True)
    (root / "checkpoint").write_text(note)
    tiles = []
    level = 0
    while (hashes := tree_size >> (8 * level)) > 0:
        tiles += [Tile(level, n) for n in range(hashes // WIDTH)]
        if hashes % WIDTH:
            tiles.append(Tile(level, hashes // WIDTH, hashes % WIDTH))
        level += 1
    edge = index // WIDTH
    tiles.append(Tile(None, edge, min(WIDTH, tree_size - edge * WIDTH)))
    for tile in tiles:
        response = client.get("/" + tile.path(), headers=auditor if tile.level is None else {})
        assert response.status_code == 200, (tile.path(), response.text)
        target = root / tile.path()
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(response.content)
