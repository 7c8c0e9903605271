"""The Ledger service (load, decide, save in one transaction), bearer tokens, and the timers.
May import the log, store, config, rules and domain; never projections, the API or the CLI.
"""
