"""The published verifier key is pinned to the key files the server reads: no database role, not
even the tables' owner, can make `/audit/public-key` serve another key (issue 13, item 3)."""

from __future__ import annotations

from typing import Any

import psycopg

from ledger.log.keys import load_signer
from ledger.log.signed_note import generate_key


def test_an_owner_who_rewrites_the_stored_verifier_key_does_not_change_the_published_key(
    client: Any, settings: Any, database: Any
) -> None:
    pinned = load_signer(settings.notary_key_path, settings.origin).verifier_key
    _, attacker = generate_key(settings.origin)
    with psycopg.connect(database.owner_conninfo, autocommit=True) as conn:
        conn.execute("UPDATE ledger_notary_state SET verifier_key = %s", (attacker,))

    served = client.get("/audit/public-key")
    listed = client.get("/audit/public-keys")

    assert served.status_code == 200, served.text
    assert served.text.strip() == pinned != attacker
    assert listed.status_code == 200, listed.text
    assert [k["key"] for k in listed.json()] == [pinned]
