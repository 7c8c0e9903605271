"""Tables written as files people open in Excel: CSV (UTF-8 with a BOM, CRLF) and XLSX (openpyxl).

CSV: the BOM makes Excel read the Chinese headers as UTF-8; a text cell starting with = + - @ (or
tab / CR) gets a leading ' so no spreadsheet runs it as a formula (CSV injection); times in
Beijing time, rates as percentages, durations in words. XLSX: a bold, frozen header row, times as
Beijing date-times, rates as numbers formatted as percentages, every text cell stored as text
(never as a formula). The file name goes in Content-Disposition twice: ASCII, and Chinese as
RFC 5987 `filename*=UTF-8''…`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any, NamedTuple
from urllib.parse import quote

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ledger.api.ui.format import BEIJING, duration, percent
from ledger.api.ui.labels import yes_no

CSV_TYPE = "text/csv"  # Litestar adds "; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


class Percent(NamedTuple):
    """A rate written as a percentage (93.8% in CSV, 0.938 formatted 0.0% in Excel)."""

    value: float | None


class Sheet(NamedTuple):
    title: str
    headers: list[str]
    rows: list[list[Any]]
    truncated: bool = False


_WORDS: list[tuple[type, Callable[[Any], str]]] = [
    (Percent, lambda v: "" if v.value is None else percent(v.value)),
    (bool, yes_no),
    (datetime, lambda v: v.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")),
    (date, date.isoformat),
    (timedelta, duration),
    (Enum, lambda v: str(v.value)),
]
"""How a cell reads, by its type (first match): rates as percentages, Beijing times, durations
in words (2天3小时), 是/否."""


def words(value: Any) -> str:
    if value is None:
        return ""
    return next((say(value) for kind, say in _WORDS if isinstance(value, kind)), str(value))


def csv_text(value: Any) -> str:
    """`words`, and text that a spreadsheet would take for a formula defused with a leading '."""
    shown = words(value)
    return "'" + shown if isinstance(value, str) and shown.startswith(_FORMULA) else shown


def to_csv(sheet: Sheet) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(sheet.headers)
    writer.writerows([csv_text(v) for v in row] for row in sheet.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, Percent):
        cell = WriteOnlyCell(sheet, value=value.value)
        cell.number_format = "0.0%"
    elif isinstance(value, datetime):
        naive = value.astimezone(BEIJING).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=naive)
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        cell = WriteOnlyCell(sheet, value=value)
    elif value is None:
        cell = WriteOnlyCell(sheet, value=None)
    else:  # text (and 是/否, durations): stored as text, never as a formula
        cell = WriteOnlyCell(sheet, value=words(value))
        cell.data_type = "s"
    return cell


def to_xlsx(sheets: list[Sheet]) -> bytes:
    book = Workbook(write_only=True)
    for s in sheets:
        sheet = book.create_sheet(re.sub(r"[\[\]:*?/\\]", "-", s.title)[:31])
        sheet.freeze_panes = "A2"
        for i, header in enumerate(s.headers, start=1):
            sheet.column_dimensions[get_column_letter(i)].width = max(10, 2 * len(header) + 2)
        bold = []
        for header in s.headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = Font(bold=True)
            cell.data_type = "s"
            bold.append(cell)
        sheet.append(bold)
        for row in s.rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def disposition(filename: str, zh_filename: str) -> str:
    """attachment, an ASCII name for old clients and the Chinese one per RFC 5987 / 6266."""
    return f"attachment; filename=\"{filename}\"; filename*=UTF-8''{quote(zh_filename, safe='')}"
