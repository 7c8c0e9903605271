"""Case Ledger: an event-sourced, tamper-evident case ledger for government service centres.
Parts, lowest first: domain, rules, config, store, log, application | projections, api, demo, cli;
each may import only the parts below it (pyproject.toml's import contracts; docs/ARCHITECTURE.md).
"""

__version__ = "0.1.0"
