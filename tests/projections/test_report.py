"""The monthly report of a region (projections/report.py) as a PDF in Kazakh and Russian, read back with poppler.

Issue 16, item 5: figures, trend, bodies and the overdue list, on the dossier's PDF stack; each page is also
turned into an image in test-artifacts/ (report-kk-1.png, report-ru-1.png) for a reader to look at."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from projections.report import OVERDUE_SHOWN, render_report
from streams.audit.dossier import font_path
from streams.cli.watch import dashboard_codes
from streams.settings import ROOT

KPIS = {"filed": 31, "answered": 25, "response_rate": 25 / 31, "on_time_rate": 0.96, "rated": 12, "dissatisfied_share": 0.25,
        "escalated": 3, "escalation_share": 3 / 31, "overdue": 4, "median_response_working_days": 7.5}


def figures(overdue: int = 4) -> dict:
    return {"region": "47", "month": "2025-03", "from": "2025-03-01", "to": "2025-03-31", "today": "2025-06-01",
            "kpis": KPIS,
            "trend": [{"day": f"2025-03-{d:02d}", "until": f"2025-03-{d:02d}", "filed": d % 4, "answered": d % 3} for d in range(1, 32)],
            "bodies": [{"key": "aktau-akimat", **KPIS}, {"key": "zhanaozen-akimat", **{**KPIS, "filed": 9, "response_rate": None}}],
            "categories": [{"key": "roads", **KPIS}],
            "overdue": [{"appeal_id": f"ov-{n:04d}", "body": "aktau-akimat", "category": "roads", "stage": "body",
                         "received_on": "2025-03-03", "due_on": "2025-03-24"} for n in range(overdue)]}


def text_of(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("lang, words", [
    ("kk", ["Өңір бойынша айлық есеп: Маңғыстау облысы", "2025 ж. наурыз", "Жауап үлесі", "80.6%", "Жолдар", "Органдар",
            "Мерзімі өткен өтініштер"]),
    ("ru", ["Ежемесячный отчёт по региону: Мангистауская область", "март 2025 г.", "Доля ответов", "80.6%", "Дороги",
            "Органы", "Просроченные обращения"]),
])
def test_the_report_prints_the_figures_trend_bodies_and_overdue_appeals(tmp_path, lang, words):
    out = tmp_path / f"report-{lang}.pdf"
    render_report(figures(), lang, out, font_path(), dashboard_codes()["category"])
    text = text_of(out)
    for word in words + ["aktau-akimat", "zhanaozen-akimat", "ov-0000", "ov-0003", "03-24"]:
        assert word in text, (word, text[:2000])
    assert shutil.which("pdftoppm"), "poppler-utils is missing: run `make test` (it installs it)"
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", str(out), str(artifacts / f"report-{lang}")], check=True)
    assert (artifacts / f"report-{lang}-1.png").stat().st_size > 10_000


def test_a_long_overdue_list_says_how_many_it_leaves_out(tmp_path):
    out = tmp_path / "long.pdf"
    render_report(figures(overdue=OVERDUE_SHOWN + 7), "ru", out, font_path(), {})
    text = text_of(out)
    assert f"ov-{OVERDUE_SHOWN - 1:04d}" in text and f"ov-{OVERDUE_SHOWN:04d}" not in text
    assert "ещё 7 обращений не вошли в список" in text
    render_report(figures(overdue=1000), "kk", out, font_path(), {})
    assert "тағы кемінде 800 өтініш тізімде жоқ" in text_of(out)
