"""The court dossier: a PDF that reads back in Kazakh and Russian with every event and its hash."""

from __future__ import annotations

import json
import subprocess

import pytest

pytestmark = pytest.mark.integration


def test_dossier_pdf_reads_back_in_kazakh_and_russian(worker, audit_appeals, tmp_path):
    appeal_id = next(a for a, c in audit_appeals.events_by_appeal.items() if len(c) >= 3)
    for lang, words in (("kk", ["Азаматтың өтініші бойынша құжаттама", "ЖСН", "Хэш тізбегі тексерілді"]),
                        ("ru", ["Досье по обращению гражданина", "ИИН", "Цепочка хэшей проверена"])):
        out = tmp_path / f"dossier-{lang}.pdf"
        made = worker.tool("dossier", appeal_id, "--out", str(out), "--lang", lang, "--purpose", "court case 2-100/2026")
        assert made.returncode == 0, made.stderr
        text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True).stdout
        for word in words + [appeal_id, "Азамат"]:
            assert word in text, (lang, word)
        history = worker.get(f"/v1/appeals/{appeal_id}/history")
        for event in history["events"]:
            assert event["hash"] in text
        png = subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(out), str(tmp_path / lang)])
        assert png.returncode == 0 and any(tmp_path.glob(f"{lang}*.png"))
    as_json = json.loads(worker.tool("dossier", appeal_id, "--json", "--purpose", "court case 2-100/2026").stdout)
    assert as_json["citizen"]["iin"] and as_json["chain_ok"] is True
