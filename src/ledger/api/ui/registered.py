"""Imports every page module, so each adds its handlers to `pages.PAGES` (one list to mount)."""

from __future__ import annotations
