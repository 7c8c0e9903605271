"""What a client is told while the database is down: every API client, and anyone who can reach
`/health`, reads `DatabaseStatus.describe()` in a 503. The driver's words name the database's
host, port, socket path and role, so they stay in the server's log; the embedded server's own
message, which names none, is shown."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger.store.supervisor import IN_THE_LOG, NOT_RUNNING, DatabaseStatus

DRIVER = (
    'connection failed: connection to server at "10.9.8.7", port 6543 failed: FATAL: password '
    'authentication failed for user "ledger_app"'
)


def test_the_drivers_words_are_not_told_the_supervisors_own_are() -> None:
    since = datetime.now(UTC)
    hidden = DatabaseStatus(state="down", since=since, last_error=DRIVER).describe()
    shown = DatabaseStatus(state="restarting", since=since, last_error=NOT_RUNNING).describe()
    recovered = DatabaseStatus(state="up", since=since, last_error=DRIVER).describe()

    assert hidden.startswith("the database is unreachable since") and hidden.endswith(IN_THE_LOG)
    for leak in ("10.9.8.7", "6543", "ledger_app", "password"):
        assert leak not in hidden
    assert shown.endswith(NOT_RUNNING)
    assert recovered.startswith("the database answers") and "10.9.8.7" not in recovered
