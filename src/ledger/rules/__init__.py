"""The rule files (policies/): working-day calendars and time-limit policies, as domain values.
May import the domain only.
"""
