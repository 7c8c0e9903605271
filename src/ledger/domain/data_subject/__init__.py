"""The data subject of a case (个人信息主体): who they are when two ID numbers turn out to be one
person (identity reconciliation), and what they or their family agreed to (consent records).
May import the rest of ledger.domain only (stdlib, msgspec and eventsourcing.domain outside it)."""
