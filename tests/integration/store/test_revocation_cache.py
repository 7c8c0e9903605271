"""A serving process's memory of tokens found not revoked: it vouches for a token only while it
hears every revocation, forgets one as its revocation's NOTIFY arrives, and never keeps an answer
that raced a revocation."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import psycopg
import pytest

from ledger.store.database import Database
from ledger.store.revocations import RevocationCache, is_revoked, revoke


@pytest.fixture
def cache(database: Database) -> Iterator[RevocationCache]:
    watching = RevocationCache(database.app_conninfo).start()
    yield watching
    watching.close()


def counting(database: Database) -> tuple[Callable[[str], bool], list[str]]:
    """The table lookup, recording each token it was asked about."""
    asked: list[str] = []

    def look_up(token_id: str) -> bool:
        asked.append(token_id)
        with psycopg.connect(database.app_conninfo) as conn:
            return is_revoked(conn, token_id)

    return look_up, asked


def revoke_now(database: Database, token_id: str) -> None:
    revoke(database.owner_conninfo, token_id, subject="s", expires_at=None,
           revoked_by="test", reason="lost")  # fmt: skip


def until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_known_token_is_not_looked_up_again_until_it_is_revoked(
    database: Database, cache: RevocationCache
) -> None:
    look_up, asked = counting(database)
    assert not cache.is_revoked("t-1", look_up)
    assert not cache.is_revoked("t-1", look_up)
    assert asked == ["t-1"]

    revoke_now(database, "t-1")

    assert until(lambda: cache.is_revoked("t-1", look_up))  # the NOTIFY dropped it
    assert cache.is_revoked("t-1", look_up)
    assert asked[-1] == "t-1" and len(asked) >= 3  # looked up again, every time now


def test_a_lookup_that_raced_a_revocation_is_not_remembered(
    database: Database, cache: RevocationCache
) -> None:
    look_up, asked = counting(database)

    def racing(token_id: str) -> bool:
        answer = look_up(token_id)  # read before the revocation commits: not revoked
        generation = cache._generation
        revoke_now(database, token_id)
        assert until(lambda: cache._generation != generation)  # its NOTIFY was heard
        return answer

    assert not cache.is_revoked("t-2", racing)
    assert cache.is_revoked("t-2", look_up)  # asked again, and refused
    assert asked == ["t-2", "t-2"]


def test_without_a_live_listen_every_request_looks_its_token_up(database: Database) -> None:
    look_up, asked = counting(database)
    closed = RevocationCache(database.app_conninfo)  # never started: hears nothing
    for _ in range(3):
        assert not closed.is_revoked("t-3", look_up)
    assert asked == ["t-3"] * 3

    started = RevocationCache(database.app_conninfo).start()
    started.is_revoked("t-3", look_up)
    started.close()  # stops listening: forgets, and vouches for nothing
    started.is_revoked("t-3", look_up)
    assert asked == ["t-3"] * 5


def test_a_revocation_by_sql_is_heard_too(database: Database, cache: RevocationCache) -> None:
    look_up, _ = counting(database)
    assert not cache.is_revoked("t-4", look_up)
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO ledger_revoked_tokens (token_id, subject, revoked_by, reason) "
            "VALUES ('t-4', 's', 'dba', 'by hand')"
        )
    assert until(lambda: cache.is_revoked("t-4", look_up))


def test_it_vouches_only_for_a_token_looked_up_and_not_revoked_since(
    database: Database, cache: RevocationCache
) -> None:
    """`vouches` is what lets a request check its token on the event loop (`Ledger.
    authenticate_known`): never for a token not yet looked up, nor once revoked."""
    look_up, _ = counting(database)
    assert not cache.vouches("t-v")
    assert not cache.is_revoked("t-v", look_up)
    assert cache.vouches("t-v")
    revoke_now(database, "t-v")
    assert until(lambda: not cache.vouches("t-v"))
    assert cache.is_revoked("t-v", look_up)
    assert not cache.vouches("t-v")
    cache.close()
    assert not cache.vouches("t-v")
