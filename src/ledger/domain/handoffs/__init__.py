"""Hand-offs of a case between units (转办): the record of each and the commands that move custody.
They import only stdlib, msgspec, eventsourcing.domain and the rest of ledger.domain."""
