"""`python -m ledger.cli ...`: how `ledger serve --workers N` starts its children, with the same
interpreter, whether or not the `ledger` script is on PATH."""

from ledger.cli.main import main

main()
