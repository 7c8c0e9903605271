"""`ledger demo`: the seed stories and a synthetic month, loaded through the HTTP API."""

from __future__ import annotations

import sys

import click

from ledger.config.settings import Settings


@click.command()
@click.option(
    "--url",
    envvar="LEDGER_URL",
    default="http://127.0.0.1:8000",
    show_default=True,
    help="The ledger to load (env LEDGER_URL)",
)
@click.option("--month", default=None, metavar="YYYY-MM", help="[default: the last full month]")
@click.option("--seed", default=1, show_default=True, type=int, help="Same seed, same month")
@click.option("--cases", default=300, show_default=True, type=click.IntRange(min=0))
@click.option("--workers", default=16, show_default=True, type=click.IntRange(1, 64))
def demo(url: str, month: str | None, seed: int, cases: int, workers: int) -> None:
    """Load the five seed stories and a synthetic month of cases through the HTTP API.

    Idempotent: a second run replays the first run's receipts and adds nothing. Tokens are
    minted with this machine's LEDGER_TOKEN_SECRET, so run it beside `ledger serve`.
    """
    from ledger.demo import parse_month, run

    try:
        month = parse_month(month) if month else None
    except ValueError:
        raise click.BadParameter("expected YYYY-MM", param_hint="--month") from None
    try:
        summary = run(
            Settings.from_env(),
            url,
            month=month,
            seed=seed,
            cases=cases,
            workers=workers,
            echo=click.echo,
        )
    except OSError as e:
        raise click.ClickException(
            f"cannot reach {url} ({e}); is `ledger serve` running?"
        ) from None
    sys.exit(1 if summary.errors else 0)
