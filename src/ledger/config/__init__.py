"""How a process is configured: settings from the environment and JSON-lines logging.
May import rules and the domain only.
"""
