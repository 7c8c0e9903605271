"""C2SP tlog-tiles paths and the rule for which tiles a checkpoint lets the log serve."""

from __future__ import annotations

import pytest

from ledger.log.tiles import (
    Tile,
    TileNotServed,
    check_served,
    encode_index,
    entry_bundle,
    parse_path,
    split_entry_bundle,
)


@pytest.mark.parametrize(
    ("index", "spelled"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_a_tile_index_is_spelled_in_x_prefixed_groups_of_three_digits(index, spelled) -> None:
    assert encode_index(index) == spelled
    assert parse_path(f"3/{spelled}.p/17") == Tile(3, index, 17)
    assert parse_path(f"entries/{spelled}") == Tile(None, index)


@pytest.mark.parametrize(
    "path",
    [
        "00/000",
        "64/000",
        "-1/000",
        "0/0",
        "0/x000/001",
        "0/001/x002",
        "0/x1/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/07",
        "0/abc",
        "entry/000",
        "0/000.p/",
    ],
)
def test_only_the_canonical_spelling_of_a_tile_is_accepted(path) -> None:
    with pytest.raises(TileNotServed):
        parse_path(path)


def test_a_tree_of_70000_leaves_has_the_tiles_the_spec_lists() -> None:
    size = 70_000  # tlog-tiles: 273 full level-0 tiles, 0.p/112, a full level-1 tile, 1.p/17, 2.p/1
    served = [Tile(0, 272), Tile(0, 273, 112), Tile(1, 0), Tile(1, 1, 17), Tile(2, 0, 1)]
    refused = [Tile(0, 273), Tile(0, 273, 113), Tile(1, 1), Tile(2, 0), Tile(3, 0, 1)]
    earlier = [Tile(0, 273, 1), Tile(1, 1, 16)]  # right-edge tiles of smaller checkpoints
    deleted = [Tile(0, 272, 200), Tile(1, 0, 5)]  # partial tiles whose full tile is served

    for tile in served + earlier:
        check_served(tile, size)
    for tile in refused + deleted:
        with pytest.raises(TileNotServed):
            check_served(tile, size)


def test_an_empty_tree_has_no_tiles() -> None:
    for tile in (Tile(0, 0), Tile(0, 0, 1), Tile(None, 0, 1)):
        with pytest.raises(TileNotServed):
            check_served(tile, 0)


def test_entry_bundles_are_uint16_length_prefixed_and_refuse_larger_entries() -> None:
    entries = [b"", b"a", b"x" * 300]

    bundle = entry_bundle(entries)

    assert bundle[:3] == b"\x00\x00\x00" and split_entry_bundle(bundle) == entries
    with pytest.raises(ValueError, match="uint16"):
        entry_bundle([b"x" * 65_536])
    with pytest.raises(ValueError, match="truncated"):
        split_entry_bundle(bundle[:-1])
