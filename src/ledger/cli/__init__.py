"""The `ledger` command: serve, worker, migrate, projections, verify, keys, token, demo.
May import every other part; nothing imports it.
"""
