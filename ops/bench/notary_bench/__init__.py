"""The pieces of `ops/bench/notary.py`: the plan and its sizes, the pre-fill of realistic rows,
the baselines of the notary's parts (1), the notary's own runs and profile (1), inclusion proofs
(2), bundles (3), and the table.

It may import `support`, the `ledger` package and the libraries; not the other benches'.
"""
