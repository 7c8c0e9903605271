"""12345 work orders on a case: their records, the commands and events of each step, their clocks.
May import the rest of ledger.domain only (stdlib, msgspec and eventsourcing.domain outside it)."""
