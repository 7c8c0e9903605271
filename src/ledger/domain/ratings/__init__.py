"""好差评 ratings of a case's service: their records, who may record them, and the commands and
events that build them. May import the rest of ledger.domain only (stdlib, msgspec and
eventsourcing.domain outside it)."""
