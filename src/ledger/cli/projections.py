"""`ledger projections`: how far each read model has followed the log, and rebuilding one."""

from __future__ import annotations

import click

from ledger.config.settings import Settings


@click.group()
def projections() -> None:
    """The read models: how far each has followed the log, and rebuilding one."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON array instead of a table")
def projections_status(as_json: bool) -> None:
    """For each projection: live generation, position, head, lag, and any rebuild."""
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
    header = ("projection", "generation", "position", "head", "lag events", "lag s", "rebuild")
    rows = [header]
    for s in statuses:
        rebuild = "-"
        if s.rebuilding is not None:
            state = "running" if s.rebuild_running else "abandoned"
            rebuild = f"generation {s.rebuilding} at {s.rebuild_position or 0} ({state})"
        rows.append(
            (
                s.name,
                "-" if s.generation is None else str(s.generation),
                str(s.position),
                str(s.head),
                str(s.lag_events),
                "?" if s.lag_seconds is None else f"{s.lag_seconds:.1f}",
                rebuild,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for r in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    if not statuses:
        click.echo("(no projections registered)")


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
    caught up, then drop the old generation. Reads keep working throughout."""
    from ledger.config.logs import configure_logging
    from ledger.projections.batch import DEFAULT_BATCH
    from ledger.projections.configured import configured_projections
    from ledger.projections.rebuild import RebuildInProgress, rebuild
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
    except RebuildInProgress as e:
        raise click.ClickException(str(e)) from None
    click.echo(
        f"{done.name}: generation {done.generation} is live at position {done.position} "
        f"({done.events} events in {done.seconds:.1f} s); generation {done.old_generation} cleared"
    )
