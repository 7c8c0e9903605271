"""The log as C2SP tlog-tiles (https://c2sp.org/tlog-tiles): hash tiles and entry bundles.

A tile at tile level L and index N holds the Merkle Tree Hashes of Merkle level 8L with indexes
[256N, 256N + W): at L = 0 the leaf hashes (`ledger_leaves.leaf_hash`), above them the hashes of
perfect subtrees of 256^L leaves, which the notary stores as `ledger_tree_nodes` rows
(level = 8L, idx). So every tile is a range read of stored rows; nothing is recomputed.

An entry bundle at index N holds the leaves [256N, 256N + W) as tlog-tiles entries (a big-endian
uint16 length, then the bytes): each entry is the leaf's canonical bytes (`ledger.log.leaf`),
rebuilt from the stored event, so SHA-256(0x00 || entry) is the leaf hash in the level-0 tile.

What is served is bounded by the latest signed checkpoint of size S: a full tile only once
S covers all of it; a partial tile of width W (1..255) only at the right edge, while its full tile
is not available yet, and only if S covers its W hashes. That serves every partial tile of every
checkpoint whose full tile does not exist yet, as the spec requires, and none past the latest
checkpoint; once the full tile exists its partial tiles are 404 (the spec allows deleting them,
and clients fall back to the full tile).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ledger.log.leaf import encode_leaf

HEIGHT = 8
"""Merkle levels per tile: a full tile is 2^8 = 256 hashes."""
WIDTH = 1 << HEIGHT
MAX_LEVEL = 63
MAX_ENTRY = 0xFFFF
"""An entry bundle's length prefix is a uint16."""
FULL_CACHE = "public, max-age=31536000, immutable"
PARTIAL_CACHE = "public, max-age=60"

_NUMBER = re.compile(r"0|[1-9][0-9]*")
_GROUP = re.compile(r"[0-9]{3}")


class TileNotServed(ValueError):
    """No such tile: a malformed path, or one the latest checkpoint does not cover."""


@dataclass(frozen=True)
class Tile:
    """A hash tile (`level` 0..63) or an entry bundle (`level` None), `width` hashes wide."""

    level: int | None
    index: int
    width: int = WIDTH

    @property
    def partial(self) -> bool:
        return self.width < WIDTH

    @property
    def hash_level(self) -> int:
        """The Merkle level of the hashes in this tile (entry bundles: the leaves, 0)."""
        return HEIGHT * (self.level or 0)

    def path(self) -> str:
        """`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`."""
        level = "entries" if self.level is None else str(self.level)
        suffix = f".p/{self.width}" if self.partial else ""
        return f"tile/{level}/{encode_index(self.index)}{suffix}"


def encode_index(index: int) -> str:
    """1234067 -> `x001/x234/067`: zero-padded groups of three digits, all but the last x-ed."""
    if index < 0:
        raise ValueError(f"negative tile index {index}")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    return "/".join([*(f"x{g}" for g in reversed(groups[1:])), groups[0]])


def parse_path(path: str) -> Tile:
    """The tile a request path after `/tile/` names (`0/x001/234.p/17`, `entries/005`).

    Only the canonical spelling is accepted (no extra leading zeros or groups, W in 1..255), so
    each tile has exactly one URL and a cache never holds two copies of it.
    """
    head, _, rest = path.strip("/").partition("/")
    if head == "entries":
        level = None
    elif _NUMBER.fullmatch(head) and int(head) <= MAX_LEVEL:
        level = int(head)
    else:
        raise TileNotServed(f"bad tile level {head!r}")
    rest, dot, width_part = rest.partition(".p/")
    width = WIDTH
    if dot:
        if not _NUMBER.fullmatch(width_part) or not 1 <= int(width_part) < WIDTH:
            raise TileNotServed(f"bad partial tile width {width_part!r}")
        width = int(width_part)
    groups = rest.split("/")
    if not all(g.startswith("x") for g in groups[:-1]):
        raise TileNotServed(f"bad tile index {rest!r}")
    digits = [g.removeprefix("x") for g in groups[:-1]] + groups[-1:]
    if not all(_GROUP.fullmatch(d) for d in digits):
        raise TileNotServed(f"bad tile index {rest!r}")
    index = int("".join(digits))
    if encode_index(index) != rest:
        raise TileNotServed(f"tile index {rest!r} is not spelled canonically")
    return Tile(level, index, width)


def available_width(tile: Tile, tree_size: int) -> int:
    """How many of the tile's hashes a tree of `tree_size` leaves has (0..256)."""
    hashes = tree_size >> tile.hash_level
    return max(0, min(WIDTH, hashes - tile.index * WIDTH))


def check_served(tile: Tile, tree_size: int) -> None:
    """Refuse a tile the checkpoint of `tree_size` leaves does not cover (see the module doc)."""
    available = available_width(tile, tree_size)
    # A partial tile only while its full tile is not available; a full tile only once it is.
    ok = (available < WIDTH and tile.width <= available) if tile.partial else available == WIDTH
    if not ok:
        raise TileNotServed(f"{tile.path()} is not in the tree of size {tree_size}")


def entry_bundle(entries: Iterable[bytes]) -> bytes:
    """Entries, each as a big-endian uint16 length and the bytes."""
    out = []
    for entry in entries:
        if len(entry) > MAX_ENTRY:
            raise ValueError(f"an entry of {len(entry)} bytes does not fit a uint16 length")
        out.append(struct.pack(">H", len(entry)) + entry)
    return b"".join(out)


def split_entry_bundle(data: bytes) -> list[bytes]:
    """The entries of a bundle (what a client does)."""
    entries, offset = [], 0
    while offset < len(data):
        if offset + 2 > len(data):
            raise ValueError("truncated entry bundle")
        (length,) = struct.unpack_from(">H", data, offset)
        entry = data[offset + 2 : offset + 2 + length]
        if len(entry) != length:
            raise ValueError("truncated entry bundle")
        entries.append(entry)
        offset += 2 + length
    return entries


Fetch = Callable[[str, tuple[Any, ...]], list[dict[str, Any]]]


class TileStore:
    """Reads tiles from the notary's tables (through the audit log's connection pool)."""

    def __init__(self, fetch: Fetch) -> None:
        self._fetch = fetch

    def hashes(self, tile: Tile) -> bytes:
        """The tile's hashes, concatenated (32 bytes each)."""
        assert tile.level is not None
        first = tile.index * WIDTH
        if tile.level == 0:
            rows = self._fetch(
                "SELECT leaf_hash AS hash FROM ledger_leaves "
                "WHERE leaf_index >= %s AND leaf_index < %s ORDER BY leaf_index",
                (first, first + tile.width),
            )
        else:
            rows = self._fetch(
                "SELECT hash FROM ledger_tree_nodes "
                "WHERE level = %s AND idx >= %s AND idx < %s ORDER BY idx",
                (tile.hash_level, first, first + tile.width),
            )
        if len(rows) != tile.width:
            raise TileNotServed(f"{tile.path()}: {len(rows)} of {tile.width} hashes are stored")
        return b"".join(bytes(r["hash"]) for r in rows)

    def entries(self, tile: Tile) -> bytes:
        """The entry bundle: each leaf's canonical bytes, rebuilt from the stored event."""
        first = tile.index * WIDTH
        rows = self._fetch(
            "SELECT l.leaf_index, l.position, l.originator_id, l.originator_version, "
            "e.topic, e.state FROM ledger_leaves l "
            "LEFT JOIN ledger_events e ON e.notification_id = l.position "
            "WHERE l.leaf_index >= %s AND l.leaf_index < %s ORDER BY l.leaf_index",
            (first, first + tile.width),
        )
        if len(rows) != tile.width:
            raise TileNotServed(f"{tile.path()}: {len(rows)} of {tile.width} leaves are stored")
        missing = [r["leaf_index"] for r in rows if r["state"] is None]
        if missing:
            # The leaf exists but its event does not: the log is damaged (`ledger verify
            # --database` says so); there is no honest entry to serve for it.
            raise TileNotServed(f"{tile.path()}: the events of leaves {missing[:3]} are missing")
        try:
            return entry_bundle(
                encode_leaf(
                    r["position"],
                    r["originator_id"],
                    r["originator_version"],
                    r["topic"],
                    bytes(r["state"]),
                )
                for r in rows
            )
        except ValueError as e:
            raise TileNotServed(f"{tile.path()}: {e}") from None
