"""The ranking as a file for a report: CSV (UTF-8 with a byte order mark, so spreadsheets read Cyrillic and
Kazakh letters) and XLSX (openpyxl). Both hold the ranking's fields in their order, rates as fractions
(0.905 = 90.5 %), an empty cell where a figure is undefined. A cell that a spreadsheet would take for a
formula (=, +, -, @ first) is written as text (in CSV behind an apostrophe, in XLSX as a text cell), so no
export can carry a formula into a report."""

from __future__ import annotations

import csv
import io
from typing import Any

from .ranking import FIELDS

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv"


def _text_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _cells(row: dict[str, Any], escape: bool = True) -> list[Any]:
    return [_text_safe(row.get(name)) if escape else row.get(name) for name in FIELDS]


def ranking_csv(rows: list[dict[str, Any]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow(["" if cell is None else cell for cell in _cells(row)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def ranking_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    book = Workbook()
    sheet = book.active
    sheet.title = "ranking"
    sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", title)])
    sheet.append(list(FIELDS))
    for row in rows:
        # Control characters have no place in a worksheet (openpyxl refuses them): replaced, not fatal.
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("\ufffd", c) if isinstance(c, str) else c for c in _cells(row, escape=False)])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"   # text as it is, whatever it starts with: never a formula
    sheet.freeze_panes = "B3"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
