"""The indicators: pure arithmetic over view rows (timeliness, 12345, 办不成事, 好差评), no I/O.
May import the domain (its values and calendar); never the views, application or API.
"""
