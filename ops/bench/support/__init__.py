"""What the three benchmarks share: one place for each piece of their machinery.

- `run`: one run's temp dir and everything it started (`Run`), the teardown, printing the table.
- `postgres`: the embedded or configured server, a fresh migrated bench database, CHECKPOINT,
  autovacuum watching.
- `server`: `ledger serve` as a subprocess on 127.0.0.1.
- `cpu`: CPU accounting per phase (this process, the server, PostgreSQL, other people's).
- `timing`: `Result`, nearest-rank percentiles.
- `report`: progress lines, the table's header, verdicts, the contention warning, the facts.
- `cli`: the arguments every bench takes and the start-up they share.
- `events`: COPY into ledger_events and the check that pre-filled rows decode.
- `cases`: the bench's clerk, auditor and centre, and a case built through the real API.

It may import the `ledger` package and the libraries; never a bench's own package. The scripts
(`ops/bench/*.py`) are run as files, so Python puts ops/bench first on sys.path and `support`
imports as a top-level package: no path insert is needed.
"""
