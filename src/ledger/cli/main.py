"""The `ledger` command group; each subcommand lives in the module named for what it does."""

from __future__ import annotations

import click

from ledger.cli.audit import keys, verify
from ledger.cli.demo import demo
from ledger.cli.pi import pi
from ledger.cli.projections import projections
from ledger.cli.running import migrate, serve, worker
from ledger.cli.tokens import token
from ledger.cli.witness import witness


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Case Ledger: an event-sourced, tamper-evident case ledger for service centres."""


for command in (serve, worker, migrate, projections, verify, keys, token, pi, demo, witness):
    main.add_command(command)
