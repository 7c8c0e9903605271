"""Settings: one frozen value built once from the environment and passed explicitly everywhere."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import msgspec

from ledger.rules.calendars import POLICY_ROOT, policy_dir


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    database_url: str | None
    """Owner connection (migrations). None: run a private embedded PostgreSQL in `data_dir`."""
    data_dir: Path
    app_role: str = "ledger_app"
    """The role the running ledger connects as: reads events, appends only through
    `ledger_append_events()` (migrations/0007_least_privilege.sql)."""
    app_password: str | None = None
    notary_role: str = "ledger_notary"
    """The role the notary connects as: reads events, appends to the verifiable log's tables."""
    notary_password: str | None = None
    token_secret: bytes
    pii_key: bytes
    snapshot_key: bytes = msgspec.field(default_factory=lambda: secrets.token_bytes(32))
    """MACs the snapshots this ledger writes (`ledger.store.snapshots`); outside the database, so
    no database role can forge a snapshot it trusts. `from_env` reads it from the environment or
    `secrets/snapshot.key`; the default, a fresh key per value, only costs replays."""
    vault_key: bytes = msgspec.field(default_factory=lambda: secrets.token_bytes(32))
    """The personal-data vault's master key (AES-256): wraps each data subject's key
    (`ledger.store.vault`); never in the database, so a dump alone reveals no raw identifier.
    `from_env` reads LEDGER_VAULT_KEY or `secrets/vault.key` (created on first use): every process
    sharing a database needs the same one, and losing it loses every raw value kept. The default,
    a fresh key per value, is for tests only."""
    pi_retention_years: int = 10
    """Years after every case of a data subject closed before `ledger pi erase` may destroy their
    raw values without an override (PIPL Art. 19 and 47: the shortest period needed; the office's
    保管期限表 sets it, typically 10 or 30 years). Local policy: LEDGER_PI_RETENTION_YEARS."""
    token_ttl_seconds: int = 8 * 3600
    """Lifetime of a token `ledger token create` makes when `--ttl` is not given (one shift)."""
    token_max_ttl_seconds: int = 7 * 24 * 3600
    """Longest lifetime a token may have; a longer one is refused at creation and on every
    request, so a leaked integration token dies within a week even if nobody revokes it."""
    max_body_bytes: int = 64 * 1024
    snapshot_interval: int = 50
    pool_size: int = 8
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    origin: str = "case-ledger.local/ledger"
    """The verifiable log's name (C2SP origin); one per jurisdiction's ledger."""
    notary_key: Path | None = None
    """Signer key file; default `<data_dir>/keys/notary.key`, created on first use."""
    checkpoint_every: float = 1.0
    """Seconds between checkpoints while events arrive (the contract promises at most 5)."""
    timer_every: float = 60.0
    """Seconds between the commitment breach timer's sweeps (`ledger.application.timers`)."""
    policy_dir: Path = POLICY_ROOT
    """Calendars and time-limit policies (`calendars/`, `time-limits/`)."""
    witnesses: tuple[str, ...] = ()
    """`URL=KEY` per witness the notary asks to cosign (C2SP tlog-witness submission prefix and
    cosigner verifier key, or a file holding it); LEDGER_WITNESSES, separated by spaces."""
    replica_urls: tuple[str, ...] = ()
    """Hot standbys of the database (streaming replication) that serve reads: case reads, history,
    bundles, proofs, board, indicators, registers, search (`ledger.store.replicas`); each is the
    standby's server and database, connected to as `app_role`. LEDGER_REPLICA_URLS, separated by
    spaces, or `ledger serve --replica-url` (repeatable)."""
    local_witness: bool = True
    """Run one witness in the notary's process, with its own key and storage in
    `<data_dir>/witness/`, so the witnessing path always runs (LEDGER_LOCAL_WITNESS=0: off)."""
    db_acquire_timeout: float = 1.0
    """Seconds a request waits for a pooled connection before answering 503 (database down or
    overloaded): with the connect timeout, what keeps an outage from hanging requests."""
    db_connect_timeout: int = 2
    """libpq `connect_timeout` of every connection (2 is libpq's minimum)."""
    statement_timeout: float = 10.0
    """Seconds one SQL statement on the request pool may run (0: no limit); a stuck lock or a
    runaway query then answers 503 instead of holding a thread."""
    db_probe_every: float = 0.5
    """Seconds between the database supervisor's probes (`ledger.store.supervisor`)."""
    max_connections: int = 4096
    """Open HTTP connections past which a new one is answered 503 and closed."""
    request_timeout: float = 10.0
    """Seconds a connection has to deliver a whole request (head and body), from its opening or
    from the first byte of its next request; a slower one is closed (the slowloris defence)."""
    keep_alive_timeout: int = 5
    """Seconds an idle keep-alive connection stays open after a response."""
    max_header_bytes: int = 16 * 1024
    """Most bytes of a request head (request line and headers) buffered while it is incomplete;
    past it the request answers 431 and its connection is closed (`ledger.cli.protocols`)."""
    backlog: int = 2048
    """The listening socket's accept queue."""
    max_parked_waits: int = 256
    """Read-your-writes waits parked at once in a process; past it a read answers 503 at once."""
    shutdown_timeout: int = 10
    """Seconds in-flight requests get to finish on SIGTERM/SIGINT/SIGHUP before they are cut."""
    workers: int | None = None
    """API worker processes `ledger serve` runs (LEDGER_WORKERS; `--workers` wins): None, one per
    core; 0 or 1, one process with the notary, projections and timers as threads
    (`ledger.cli.processes`)."""
    exit_with_parent: bool = True
    """`serve` and `worker` stop (as on SIGTERM) when the process that started them dies, so a
    SIGKILLed `uv run` wrapper leaves no server holding the port (LEDGER_EXIT_WITH_PARENT=0 to
    keep running, e.g. under nohup)."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("LEDGER_DATA_DIR", ".ledger")).resolve()
        values: dict[str, object] = {
            "database_url": env.get("LEDGER_DATABASE_URL") or None,
            "data_dir": data_dir,
            "app_password": env.get("LEDGER_APP_PASSWORD") or None,
            "notary_password": env.get("LEDGER_NOTARY_PASSWORD") or None,
            "token_secret": _secret(env, "LEDGER_TOKEN_SECRET", data_dir / "secrets" / "token.key"),
            "pii_key": _secret(env, "LEDGER_PII_KEY", data_dir / "secrets" / "pii.key"),
            "snapshot_key": _secret(
                env, "LEDGER_SNAPSHOT_KEY", data_dir / "secrets" / "snapshot.key"
            ),
            "vault_key": _secret(env, "LEDGER_VAULT_KEY", data_dir / "secrets" / "vault.key"),
        }
        if raw_key := env.get("LEDGER_NOTARY_KEY"):
            values["notary_key"] = Path(raw_key)
        values["policy_dir"] = policy_dir(env)
        values["witnesses"] = tuple(env.get("LEDGER_WITNESSES", "").split())
        values["replica_urls"] = tuple(env.get("LEDGER_REPLICA_URLS", "").split())
        for flag in ("local_witness", "exit_with_parent"):
            if (raw_flag := env.get(f"LEDGER_{flag.upper()}")) is not None:
                values[flag] = raw_flag.strip().lower() not in {"0", "false", "no", "off", ""}
        conversions: tuple[tuple[str, Callable[[str], object]], ...] = (
            ("snapshot_interval", int),
            ("pool_size", int),
            ("log_level", str),
            ("origin", str),
            ("checkpoint_every", float),
            ("timer_every", float),
            ("pi_retention_years", int),
            ("token_ttl_seconds", int),
            ("token_max_ttl_seconds", int),
            ("workers", int),
            *_LIMITS,
        )
        for name, conv in conversions:
            if (raw := env.get(f"LEDGER_{name.upper()}")) is not None:
                values[name] = conv(raw)
        values.update(overrides)
        return msgspec.convert(values, cls, from_attributes=False, strict=False)

    @property
    def notary_key_path(self) -> Path:
        return self.notary_key or self.data_dir / "keys" / "notary.key"


_LIMITS: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("db_acquire_timeout", float),
    ("db_connect_timeout", int),
    ("statement_timeout", float),
    ("db_probe_every", float),
    ("max_connections", int),
    ("request_timeout", float),
    ("keep_alive_timeout", int),
    ("max_header_bytes", int),
    ("backlog", int),
    ("max_parked_waits", int),
    ("shutdown_timeout", int),
)
"""Faults and abuse limits, each read from `LEDGER_<NAME>` (docs/DECISIONS.md, issue 14)."""


def _secret(env: dict[str, str], name: str, path: Path) -> bytes:
    """A hex key from the environment, else from `path`, created (0600) on first use."""
    if raw := env.get(name):
        return bytes.fromhex(raw)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return bytes.fromhex(path.read_text().strip())
