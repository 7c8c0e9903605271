"""The people's interface: zh-CN pages served by `ledger serve` (duty board, case page, indicators,
registers, exports), rendered on the server from the same read functions as the JSON API, every
asset served from here (no CDN), signed in with the same bearer tokens held in a cookie.

It may import the rest of `ledger.api` (the reads it renders) and what the API may import; the
API imports only `pages.router` and the templates' filters from it."""
