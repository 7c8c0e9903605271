"""The wire shapes (msgspec Structs) clients send and receive, one module per concept; never the
domain's events themselves. May import ledger.domain (its values, the clock's reading) only."""
