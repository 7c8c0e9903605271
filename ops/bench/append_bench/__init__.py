"""The pieces of `ops/bench/append.py`, one per phase: the baseline application (a), the seeded
cases (b), the interleaved in-process loops (a, b), the POST load (c), the GET latency (d), the
plan of a mode and the table.

It may import `support`, the `ledger` package and the libraries; not the other benches'.
"""
