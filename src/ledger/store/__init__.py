"""Where events live: the PostgreSQL database (embedded or configured), migrations, the event store.
May import config, rules and the domain only.
"""
