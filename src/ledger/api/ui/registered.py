"""Imports every page module, so each adds its handlers to `pages.PAGES` (one list to mount)."""

from __future__ import annotations

from ledger.api.ui import (  # noqa: F401
    board,
    case_page,
    exports,
    indicators,
    login_link,
    registers,
)
