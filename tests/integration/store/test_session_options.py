"""Every connection of the request pool carries the session options (`session_options`), the
first ones too: eventsourcing opens the pool while it builds the recorder, and options set on
the pool after that reached only connections made later, so the first `pool_size` connections
ran without a statement timeout (and with JIT) for their whole life."""

from __future__ import annotations

from contextlib import ExitStack
from datetime import timedelta

from ledger.application.service import Ledger
from ledger.config.settings import Settings
from ledger.store.database import Database


def test_every_pooled_connection_has_the_statement_timeout_and_no_jit(
    settings: Settings, database: Database
) -> None:
    ledger = Ledger(settings, database)  # a fresh pool: its first connections are the question
    try:
        pool = ledger.store.datastore.pool
        with ExitStack() as stack:  # hold them all at once, so each is a different connection
            conns = [stack.enter_context(pool.connection()) for _ in range(settings.pool_size)]
            query = (
                "SELECT current_setting('statement_timeout')::interval AS timeout, "
                "current_setting('jit') AS jit"
            )
            seen = [c.execute(query).fetchone() for c in conns]
        assert len({id(c) for c in conns}) == settings.pool_size
        expected = {"timeout": timedelta(seconds=settings.statement_timeout), "jit": "off"}
        assert seen == [expected] * settings.pool_size
    finally:
        ledger.close()
