"""The Litestar HTTP API: the app, its endpoints, their wire shapes and the error mapping.
May import ledger.application, .projections, .log, .domain, .config and .rules; not cli, demo."""
