"""Where events live: the PostgreSQL database (embedded or configured), migrations, the event store;
beside them, the personal-data vault (raw identifiers, encrypted per data subject).
May import config, rules and the domain only.
"""
