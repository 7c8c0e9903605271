"""The verifiable log: leaves, the Merkle tree, signed checkpoints, the notary, proofs and audits.
May import the store, config, rules and domain; never the application, projections or API.
"""
