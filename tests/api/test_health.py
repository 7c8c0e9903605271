"""`GET /health` is anonymous: when the database fails under it, the 503 says so in the ledger's
words, and the driver's (the database's host, port and role) go to the log only."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from litestar.testing import TestClient
from structlog.testing import capture_logs

from ledger.application.service import Ledger


def test_health_when_the_database_fails_under_it_names_no_host_port_or_role(
    client: TestClient[Any], ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused() -> int:
        raise psycopg.OperationalError(
            'connection to server at "10.9.8.7", port 6543 failed: FATAL: password '
            'authentication failed for user "ledger_app"'
        )

    monkeypatch.setattr(ledger.recorder, "max_notification_id", refused)
    with capture_logs() as logs:
        answer = client.get("/health")  # anonymous

    assert answer.status_code == 503 and "does not answer" in answer.text
    assert "10.9.8.7" not in answer.text and "ledger_app" not in answer.text
    assert any("10.9.8.7" in str(e.get("error")) for e in logs)  # the operator's log has it
