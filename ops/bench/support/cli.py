"""The arguments the benches share and the start-up every run does before it measures."""

from __future__ import annotations

import argparse
import os
import sys
import warnings

from ledger.config.logs import configure_logging


def parser(doc: str | None, quick_help: str, *, events: bool = False) -> argparse.ArgumentParser:
    """`--quick` (help: `quick_help`) and, with `events`, `--events N`; described by the first
    line of the script's docstring."""
    made = argparse.ArgumentParser(description=doc.splitlines()[0] if doc else None)
    made.add_argument("--quick", action="store_true", help=quick_help)
    if events:
        made.add_argument("--events", type=int, help="pre-fill this many events instead")
    return made


def quiet() -> None:
    """No DeprecationWarnings in the table; the ledger's JSON log lines at info, as the server
    writes them, but to /dev/null."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    real_stdout = sys.stdout
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (the log handler keeps it for the run)
    try:
        configure_logging("info")
    finally:
        sys.stdout = real_stdout
