"""The ranking as a file for a report (issue 16, item 5): CSV and XLSX hold the same figures as the JSON, in
the ranking's field order, and no cell becomes a formula."""

from __future__ import annotations

import csv
import io
import re

from hypothesis import given, settings, strategies as st
from openpyxl import load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from projections.export import ranking_csv, ranking_xlsx
from projections.ranking import FIELDS

ROW = {"key": "almaty-akimat", "filed": 12, "answered": 9, "response_rate": 0.75, "response_rate_due": None,
       "on_time_rate": 0.5, "rated": 4, "dissatisfied_share": 0.25, "escalated": 1, "escalation_share": 0.0833,
       "escalated_by_citizen": 1, "escalated_by_system": 0, "overdue": 2, "late_notices": 0, "reopened": 0,
       "median_response_working_days": 6.5}


def test_csv_and_xlsx_hold_the_rankings_fields_in_order():
    text = ranking_csv([ROW]).decode("utf-8")
    assert text.startswith("\ufeff")
    header, row = list(csv.reader(io.StringIO(text[1:])))
    assert header == list(FIELDS) and row[0] == "almaty-akimat" and row[FIELDS.index("response_rate_due")] == ""
    assert float(row[FIELDS.index("response_rate")]) == 0.75
    sheet = load_workbook(io.BytesIO(ranking_xlsx([ROW], "tyndau ranking by body"))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "tyndau ranking by body" and list(rows[1]) == list(FIELDS)
    assert rows[2][FIELDS.index("filed")] == 12 and rows[2][FIELDS.index("median_response_working_days")] == 6.5


@settings(max_examples=50, deadline=None)
@given(st.text(min_size=1, max_size=40).map(lambda t: "=" + t) | st.sampled_from(["+1", "-2", "@SUM(A1)", "=cmd|' /C calc'!A0"]))
def test_no_key_becomes_a_formula(key):
    row = dict(ROW, key=key)
    _, line = list(csv.reader(io.StringIO(ranking_csv([row]).decode("utf-8")[1:])))
    assert line[0] == "'" + key
    cell = load_workbook(io.BytesIO(ranking_xlsx([row], "t"))).active["A3"]
    written = re.sub(r"\r\n?", "\n", ILLEGAL_CHARACTERS_RE.sub("\ufffd", key))   # XML reads line ends as \n
    assert cell.data_type == "s" and cell.value == written
