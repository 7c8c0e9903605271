"""办不成事 reports on a case and the consultations its windows answer: their records, deadlines,
and the commands and events that build them. May import the rest of ledger.domain only (stdlib,
msgspec and eventsourcing.domain outside it)."""
