"""The built-in views: cases, exceptions and pushback, each folding events into its own tables.
May import `projections.base`, the rules and the domain; never the runtime, application or API.
"""
