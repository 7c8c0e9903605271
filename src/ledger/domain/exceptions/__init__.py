"""Exceptions to the rules (特事特办, 容缺受理, 告知承诺): records, approval, 承诺书, proofs.
They import only stdlib, msgspec, eventsourcing.domain and the rest of ledger.domain."""
