"""The pieces of `ops/bench/projections.py`: the plan and its sizes, the pre-fill of synthetic
months, the views both runs build, our catch-up (1), the library's per-event pattern (2),
read-your-writes (3), and the table.

It may import `support`, the `ledger` package and the libraries; not the other benches'.
"""
