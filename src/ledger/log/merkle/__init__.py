"""The RFC 9162 Merkle tree: hashes and proof plans (tree), the writer's frontier, proof checks.
Pure: imports nothing of ledger outside this package.
"""
