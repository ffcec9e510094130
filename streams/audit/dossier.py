"""A court dossier of one appeal: its history from the ledger as a document a judge can read (kk, ru)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..domain.regions import REGIONS

FONT_DIRS = [Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu")]

TEXT = {
    "kk": {
        "title": "Азаматтың өтініші бойынша құжаттама", "appeal": "Өтініш", "citizen": "Өтініш беруші",
        "iin": "ЖСН", "bin": "БСН", "contact": "Байланыс", "received": "Түскен күні", "body": "Жауапты орган", "region": "Өңір",
        "category": "Санат", "channel": "Арна", "deadlines": "Мерзімдер",
        "due": "Жауап беру мерзімі (ӘРПК 76-бап, 15 жұмыс күні)", "forward": "Қайта жолдау мерзімі (ӘРПК 65-бап, 3 жұмыс күні)",
        "events": "Оқиғалар тізбегі", "seq": "№", "type": "Оқиға", "when": "Болған уақыты", "recorded": "Тіркелген уақыты",
        "actor": "Орындаушы", "imported": "көшірген", "details": "Мәліметтер", "hash": "Хэш", "prev": "Алдыңғы хэш",
        "chain_ok": "Хэш тізбегі тексерілді: бұзушылық жоқ.", "chain_bad": "Хэш тізбегі БҰЗЫЛҒАН:",
        "how": "Тексеру тәсілі",
        "how_text": ("Әр оқиғаның хэші = SHA-256(алдыңғы хэш, 64 он алтылық таңба ‖ оқиғаның канондық байттары). "
                     "Канондық байттар: хэшсіз оқиға, кілттері сұрыпталған, бос орынсыз JSON, UTF-8, уақыт UTC. "
                     "Бірінші оқиғаның алдыңғы хэші — 64 нөл. Кез келген өзгеріс хэшті және одан кейінгі тізбекті бұзады. "
                     "Тексеру командасы: tyndau verify."),
        "types": {"filed": "Түсті", "routed": "Қайта жолданды", "extended": "Мерзім ұзартылды", "answered": "Жауап берілді",
                  "escalated": "Орталыққа жіберілді", "rated": "Бағаланды", "withdrawn": "Кері қайтарылды",
                  "reopened": "Қайта ашылды", "overdue": "Мерзімі өтті",
                  "notified": "Өтініш берушіге хабарланды"},
        "generated": "Құжат tyndau тізілімінен жасалды",
        "erased": "дербес деректер жойылды: {day}",
        "proofs": "Тізілімге енгізілгенінің дәлелі (RFC 9162)", "proof_none": "Оқиғаларды қамтитын қол қойылған бақылау нүктесі әлі жоқ: {why}",
        "checkpoint": "Қол қойылған бақылау нүктесі", "leaf": "жапырақ", "of": "ағаштағы жазба саны", "path": "дәлел жолы",
        "keys": "Тексеру кілті", "pending": "Келесі бақылау нүктесімен дәлелденетін оқиғалар",
        "proof_how": ("Тексеру: бақылау нүктесінің қолтаңбасын жарияланған кілтпен (C2SP signed-note, Ed25519) тексеріңіз; "
                      "әр оқиға үшін r = SHA-256(0x00 ‖ хэш), содан кейін жолдағы әр h үшін RFC 9162 §2.1.3.2 бойынша "
                      "SHA-256(0x01 ‖ h ‖ r) немесе SHA-256(0x01 ‖ r ‖ h) (жапырақ нөмірі жазба санынан кем болуы тиіс); "
                      "нәтиже түбір хэшке тең болуы керек (толық алгоритм: README, «Checkpoints»). "
                      "Команда: tyndau prove --check ФАЙЛ."),
    },
    "ru": {
        "title": "Досье по обращению гражданина", "appeal": "Обращение", "citizen": "Заявитель",
        "iin": "ИИН", "bin": "БИН", "contact": "Контакт", "received": "Дата поступления", "body": "Ответственный орган", "region": "Регион",
        "category": "Категория", "channel": "Канал", "deadlines": "Сроки",
        "due": "Срок ответа (АППК ст. 76, 15 рабочих дней)", "forward": "Срок перенаправления (АППК ст. 65, 3 рабочих дня)",
        "events": "Последовательность событий", "seq": "№", "type": "Событие", "when": "Время события", "recorded": "Время записи",
        "actor": "Исполнитель", "imported": "перенёс", "details": "Сведения", "hash": "Хэш", "prev": "Предыдущий хэш",
        "chain_ok": "Цепочка хэшей проверена: нарушений нет.", "chain_bad": "Цепочка хэшей НАРУШЕНА:",
        "how": "Как проверить",
        "how_text": ("Хэш каждого события = SHA-256(предыдущий хэш, 64 шестнадцатеричных знака ‖ канонические байты события). "
                     "Канонические байты: событие без хэша в JSON с упорядоченными ключами, без пробелов, UTF-8, время в UTC. "
                     "Предыдущий хэш первого события — 64 нуля. Любое изменение ломает хэш и всю цепочку после него. "
                     "Команда проверки: tyndau verify."),
        "types": {"filed": "Поступило", "routed": "Перенаправлено", "extended": "Срок продлён", "answered": "Дан ответ",
                  "escalated": "Направлено в центр", "rated": "Оценено", "withdrawn": "Отозвано",
                  "reopened": "Открыто повторно", "overdue": "Просрочено",
                  "notified": "Заявитель уведомлён"},
        "generated": "Документ сформирован из реестра tyndau",
        "erased": "персональные данные удалены {day}",
        "proofs": "Доказательство включения в реестр (RFC 9162)", "proof_none": "Подписанной контрольной точки, покрывающей события, пока нет: {why}",
        "checkpoint": "Подписанная контрольная точка", "leaf": "лист", "of": "записей в дереве", "path": "путь доказательства",
        "keys": "Ключ проверки", "pending": "События, доказываемые следующей контрольной точкой",
        "proof_how": ("Проверка: подпись контрольной точки проверяется опубликованным ключом (C2SP signed-note, Ed25519); "
                      "для каждого события r = SHA-256(0x00 ‖ хэш), затем для каждого h пути по RFC 9162 §2.1.3.2 "
                      "SHA-256(0x01 ‖ h ‖ r) или SHA-256(0x01 ‖ r ‖ h) (номер листа меньше числа записей); итог должен "
                      "совпасть с корневым хэшем (полный алгоритм: README, раздел «Checkpoints»). "
                      "Команда: tyndau prove --check ФАЙЛ."),
    },
}


def _details(event: dict[str, Any]) -> str:
    p = event["payload"]
    kind = event["type"]
    if kind == "routed":
        return f"{p['from_body']} → {p['to_body']}" + ("" if p.get("within_deadline") else " (!)")
    if kind == "extended":
        return f"{p['previous_due_on']} → {p['due_on']}"
    if kind == "answered":
        return f"{p['outcome']}, {p['answered_on']}" + ("" if p.get("on_time") else " (!)")
    if kind == "escalated":
        return f"{p['reason']} / {p['by']}" + (f", → {p['due_on']}" if p.get("due_on") else "")
    if kind == "notified":
        return f"{p['kind']}, {p['channel']}, ≤ {p['due_on']}" + ("" if p.get("on_time") else " (!)")
    if kind == "rated":
        return ("+" if p["satisfied"] else "−") + (f" {p['score']}/5" if p.get("score") else "")
    if kind in ("reopened", "overdue"):
        return str(p.get("due_on", ""))
    return ""


def actor_text(event: dict[str, Any], t: dict[str, Any]) -> str:
    """Who acted, and for an event moved in from another system, which importer moved it."""
    text = f"{event['actor']['role']}: {event['actor']['id']}"
    return f"{text} ({t['imported']} {event['imported_by']})" if event.get("imported_by") else text


def dossier_json(history: dict[str, Any], lang: str, proof: dict[str, Any] | None = None) -> dict[str, Any]:
    filed = history["events"][0]["payload"] if history["events"] else {}
    return {"appeal_id": history["appeal_id"], "lang": lang, "citizen": filed.get("citizen"),
            "erased_on": history.get("erased_on"),
            "received_on": filed.get("received_on"), "due_on": filed.get("due_on"), "forward_by": filed.get("forward_by"),
            "category": filed.get("category"), "channel": filed.get("channel"), "events": history["events"],
            "chain_ok": history["chain_ok"], "problems": history["problems"], "state": history.get("state"),
            "proof": proof}


def font_path() -> Path:
    for directory in FONT_DIRS:
        if (directory / "DejaVuSans.ttf").exists():
            return directory
    raise SystemExit("the dossier needs the DejaVu fonts (Cyrillic and Kazakh letters): apt-get install fonts-dejavu-core")


def render_pdf(history: dict[str, Any], lang: str, out: Path, proof: dict[str, Any] | None = None,
               no_proof: str = "") -> None:
    from fpdf import FPDF

    t = TEXT[lang]
    fonts = font_path()
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_auto_page_break(True, margin=12)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    data = dossier_json(history, lang)
    first = history["events"][0] if history["events"] else {}
    citizen = data["citizen"] or {}
    if data["erased_on"] or "erased_on" in citizen:   # the data key was destroyed: "erased on DATE" in place of the fields
        erased = t["erased"].format(day=data["erased_on"] or citizen["erased_on"])
        citizen = {"name": erased, "iin": erased, "contact": erased}

    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, f"{t['title']}: {history['appeal_id']}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    region = first.get("region", "")
    for label, value in ((t["citizen"], citizen.get("name", "")), (t["iin"], citizen.get("iin") or "—") if not citizen.get("bin") else (t["bin"], citizen["bin"]),
                         (t["contact"], citizen.get("contact") or "—"), (t["received"], data["received_on"]),
                         (t["body"], first.get("body", "")), (t["region"], f"{region} {REGIONS.get(region, {}).get(lang, '')}"),
                         (t["category"], data["category"]), (t["channel"], data["channel"])):
        pdf.cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, t["deadlines"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    pdf.cell(0, 6, f"{t['due']}: {data['due_on']}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 6, f"{t['forward']}: {data['forward_by']}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, t["events"], new_x="LMARGIN", new_y="NEXT")
    widths = (10, 38, 40, 40, 40, 50, 55)
    pdf.set_font("DejaVu", "B", 8)
    for width, head in zip(widths, (t["seq"], t["type"], t["when"], t["recorded"], t["actor"], t["body"], t["details"])):
        pdf.cell(width, 6, head, border=1)
    pdf.ln()
    for e in history["events"]:
        pdf.set_font("DejaVu", "", 8)
        cells = (str(e["sequence"]), t["types"].get(e["type"], e["type"]), e["occurred_at"][:19].replace("T", " ") + " UTC",
                 e["recorded_at"][:19].replace("T", " ") + " UTC", actor_text(e, t), e["body"], _details(e))
        for width, value in zip(widths, cells):
            pdf.cell(width, 6, value[:60], border=1)
        pdf.ln()
        pdf.set_font("DejaVu", "", 6.5)
        pdf.cell(0, 4, f"    {t['hash']}: {e['hash']}    {t['prev']}: {e['prev_hash']}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 10)
    if history["chain_ok"]:
        pdf.cell(0, 6, t["chain_ok"], new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.cell(0, 6, t["chain_bad"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        for p in history["problems"]:
            pdf.cell(0, 5, f"  {t['seq']} {p['sequence']}: {p['problem']}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    proofs_section(pdf, t, proof, no_proof)
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, t["how"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, t["how_text"])
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 7)
    pdf.cell(0, 5, t["generated"], new_x="LMARGIN", new_y="NEXT")
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))


def proofs_section(pdf, t: dict[str, Any], proof: dict[str, Any] | None, no_proof: str) -> None:
    """The events' inclusion proofs, the signed checkpoint they are proven against, and how to check them by hand."""
    pdf.set_font("DejaVu", "B", 10)
    pdf.cell(0, 6, t["proofs"], new_x="LMARGIN", new_y="NEXT")
    if not proof:
        pdf.set_font("DejaVu", "", 8)
        pdf.multi_cell(0, 4.5, t["proof_none"].format(why=no_proof or "—"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        return
    c = proof["checkpoint"]
    pdf.set_font("DejaVu", "", 8)
    pdf.cell(0, 5, f"{t['checkpoint']}: {c['origin']}, {c['tree_size']} · {c['written_at']} · {c['key_id']}",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 6.5)
    pdf.multi_cell(0, 3.5, c["note"].strip(), new_x="LMARGIN", new_y="NEXT")
    for key in proof.get("keys", []):
        pdf.multi_cell(0, 3.5, f"{t['keys']}: {key}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    for e in proof["events"]:
        pdf.set_font("DejaVu", "", 7)
        pdf.cell(0, 4.5, f"{t['seq']} {e['sequence']}: {t['leaf']} {e['leaf_index']} / {e['tree_size']} {t['of']}",
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 6)
        pdf.multi_cell(0, 3.2, f"{t['path']}: " + " ".join(e["audit_path"]), new_x="LMARGIN", new_y="NEXT")
    if proof.get("pending"):
        pdf.set_font("DejaVu", "", 7)
        pdf.cell(0, 4.5, f"{t['pending']}: " + ", ".join(str(n) for n in proof["pending"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 8)
    pdf.multi_cell(0, 4.5, t["proof_how"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
