"""A statement rendered once is the bytes psycopg would render at every execute, or is refused."""

from __future__ import annotations

import pytest
from psycopg.sql import SQL, Identifier, Literal

from ledger.projections.batch import BatchWriter
from ledger.projections.configured import configured_projections
from ledger.store.statements import rendered


def test_names_and_a_literal_list_render_as_psycopg_renders_them() -> None:
    statement = SQL("SELECT 1 FROM {0}.{1} WHERE topic = ANY({2}) AND note = {3}").format(
        Identifier("public"), Identifier('odd"name'), Literal(["a:B.c", "d'e"]), Literal("x\\y")
    )

    assert rendered(statement) == (
        b'SELECT 1 FROM "public"."odd""name" WHERE topic = ANY(\'{a:B.c,d\'\'e}\') '
        b"AND note =  E'x\\\\y'"  # psycopg's own spacing before an escaped string
    )


def test_every_projections_topics_render_once() -> None:
    for projection in configured_projections():
        writer = BatchWriter("", projection)
        if writer.topics is not None:
            assert all(t.encode() in writer._select_topics for t in writer.topics)  # type: ignore[operator]


def test_a_name_outside_ascii_is_refused() -> None:
    with pytest.raises(ValueError, match="only ASCII"):
        rendered(SQL("SELECT 1 FROM {0}").format(Identifier("案件")))
