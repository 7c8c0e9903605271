"""The case domain: the `Case` aggregate, its command groups, events, state, rules and values.
It imports nothing of ledger outside ledger.domain: only stdlib, eventsourcing.domain, msgspec."""
