"""Case Ledger: an event-sourced, tamper-evident case ledger for service centres."""

__version__ = "0.1.0"
