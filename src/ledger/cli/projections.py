"""`ledger projections`: how far each read model has followed the log, rebuilding one, and the
operator's answer to an event a projection cannot apply (skip it, or retry it after a fix)."""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING

import click

from ledger.config.settings import Settings

if TYPE_CHECKING:
    from ledger.projections.failures import EventFailure
    from ledger.projections.status import ProjectionStatus


@click.group()
def projections() -> None:
    """The read models: how far each has followed the log, rebuilding one, and skipping or
    retrying an event one stopped before."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table")
def projections_status(as_json: bool) -> None:
    """For each projection: live generation, position, head, lag, state (ok, stopped, skipping)
    and any rebuild; then, for each stopped one, the event and why, and the events skipped."""
    import msgspec
    import psycopg

    from ledger.projections.configured import configured_projections
    from ledger.projections.status import read_status
    from ledger.store.database import open_database

    database = open_database(Settings.from_env())
    names = [p.name for p in configured_projections()]
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        statuses = read_status(conn, names)
    if as_json:
        click.echo(msgspec.json.encode(statuses).decode())
        return
    header = (
        "projection", "generation", "position", "head", "lag events", "lag s", "state", "rebuild"
    )  # fmt: skip
    rows = [header]
    for s in statuses:
        rebuild = "-"
        if s.rebuilding is not None:
            state = "running" if s.rebuild_running else "abandoned"
            state = "stopped" if s.rebuild_stopped else state
            rebuild = f"generation {s.rebuilding} at {s.rebuild_position or 0} ({state})"
        rows.append(
            (
                s.name,
                "-" if s.generation is None else str(s.generation),
                str(s.position),
                str(s.head),
                str(s.lag_events),
                "?" if s.lag_seconds is None else f"{s.lag_seconds:.1f}",
                s.state.upper() if s.stopped else s.state,
                rebuild,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    if not statuses:
        click.echo("(no projections registered)")
    for s in statuses:
        _explain(s)


def _explain(s: ProjectionStatus) -> None:
    """The lines under the table: why a projection stopped, what to do, what it skipped."""
    stops = (("", s.generation, s.stopped), ("the rebuild of ", s.rebuilding, s.rebuild_stopped))
    for what, generation, failure in stops:
        if failure is None:
            continue
        click.echo("")
        click.echo(f"{s.name}: {what}generation {generation} STOPPED before {failure.describe()}")
        click.echo(
            f"  failed first at {failure.first_failed_at:%Y-%m-%d %H:%M:%S%z}, last at "
            f"{failure.failed_at:%Y-%m-%d %H:%M:%S%z}, {failure.attempts} attempt(s)"
            + (f"; last retried by {failure.resolved_by}" if failure.resolved_by else "")
        )
        click.echo(f"  to go on without it: ledger projections skip {s.name} --reason TEXT")
        click.echo(f"  after a fix:         ledger projections retry {s.name}")
    if s.skipped:
        click.echo("")
    for failure in s.skipped:
        click.echo(f"{s.name}: SKIPPED {_skip_line(failure)}")


def _skip_line(failure: EventFailure) -> str:
    when = "?" if failure.resolved_at is None else f"{failure.resolved_at:%Y-%m-%d %H:%M:%S%z}"
    return (
        f"event {failure.position} ({failure.topic}, version {failure.originator_version} of "
        f"{failure.originator_id}) by {failure.resolved_by} at {when}: {failure.reason}"
        f" [it failed with {failure.error_class}: {failure.error}]"
    )


def _no_control_characters(_: click.Context, __: click.Parameter, value: str | None) -> str | None:
    if value is not None and any(ord(c) < 32 and c not in "\t\n" for c in value):
        raise click.BadParameter("control characters are not allowed")
    if value is not None and not value.strip():
        raise click.BadParameter("must not be empty")
    return value


def _known(name: str) -> None:
    """Refuse a name no configured projection has (a typo would otherwise say 'not stopped')."""
    from ledger.projections.configured import configured_projections

    known = {p.name for p in configured_projections()}
    if name not in known:
        raise click.BadParameter(
            f"unknown projection; known: {', '.join(sorted(known)) or 'none'}", param_hint="NAME"
        )


@projections.command("skip")
@click.argument("name")
@click.option(
    "--reason", required=True, callback=_no_control_characters, help="Why (kept on record)"
)
@click.option(
    "--position",
    type=click.IntRange(min=1),
    default=None,
    help="The event to skip, if the live view and a rebuild are stopped before different ones",
)
@click.option("--by", default=None, callback=_no_control_characters, help="Who [default: $USER]")
def projections_skip(name: str, reason: str, position: int | None, by: str | None) -> None:
    """Skip the event projection NAME is stopped before: the view goes on after it, knowingly
    missing it (status keeps showing it; a rebuild skips it too). Recorded with who and why."""
    import psycopg

    from ledger.projections.failures import NothingStopped, skip
    from ledger.store.database import open_database

    database = open_database(Settings.from_env())
    _known(name)
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        try:
            failure = skip(conn, name, by=by or getpass.getuser(), reason=reason, position=position)
        except NothingStopped as e:
            raise click.ClickException(str(e)) from None
    click.echo(f"{name}: skipped {_skip_line(failure)}")


@projections.command("retry")
@click.argument("name")
@click.option("--reason", default=None, callback=_no_control_characters, help="Why (on record)")
@click.option("--by", default=None, callback=_no_control_characters, help="Who [default: $USER]")
def projections_retry(name: str, reason: str | None, by: str | None) -> None:
    """Clear projection NAME's stop, so it applies the event again (after a fix: fix forward).
    If it fails again, it stops again with the record updated (one more attempt)."""
    import psycopg

    from ledger.projections.failures import NothingStopped, retry
    from ledger.store.database import open_database

    database = open_database(Settings.from_env())
    _known(name)
    with psycopg.connect(database.app_conninfo, autocommit=True) as conn:
        try:
            retried = retry(conn, name, by=by or getpass.getuser(), reason=reason)
        except NothingStopped as e:
            raise click.ClickException(str(e)) from None
    for failure in retried:
        click.echo(
            f"{name}: retrying event {failure.position} (attempt {failure.attempts + 1}); "
            "`ledger projections status` shows whether it passed"
        )


@projections.command("rebuild")
@click.argument("name")
@click.option(
    "--batch-size",
    default=None,
    type=click.IntRange(min=1),
    help="Events per transaction [default: 5000]",
)
def projections_rebuild(name: str, batch_size: int | None) -> None:
    """Build projection NAME again from the start beside the live one, swap it in when it has
    caught up, then drop the old generation. Reads keep working throughout. Events an operator
    skipped are skipped again; an event it cannot apply stops it with a record (exit 1)."""
    from ledger.config.logs import configure_logging
    from ledger.projections.batch import DEFAULT_BATCH
    from ledger.projections.configured import configured_projections
    from ledger.projections.rebuild import RebuildInProgress, RebuildStopped, rebuild
    from ledger.store.database import migrate as apply
    from ledger.store.database import open_database

    settings = Settings.from_env()
    configure_logging(settings.log_level)
    known = {p.name: p for p in configured_projections()}
    if name not in known:
        raise click.BadParameter(
            f"unknown projection; known: {', '.join(sorted(known)) or 'none'}", param_hint="NAME"
        )
    database = open_database(settings)
    apply(database)
    try:
        done = rebuild(database.app_conninfo, known[name], batch_size=batch_size or DEFAULT_BATCH)
    except (RebuildInProgress, RebuildStopped) as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"{done.name}: generation {done.generation} is live at position {done.position} "
        f"({done.events} events in {done.seconds:.1f} s); generation {done.old_generation} cleared"
    )
    if done.skipped:
        click.echo(
            f"{done.name}: skipped {len(done.skipped)} event(s) an operator skipped: "
            f"{', '.join(map(str, done.skipped))} (the view is missing them)"
        )
