"""A region's monthly report as a printable PDF (kk, ru): its figures, the trend of the month, its bodies, its
categories and its overdue appeals, on the PDF stack of the court dossier (fpdf2, the DejaVu fonts).

The figures are those of the ranking (README: the ranking's figures) for the appeals the region received in the
month, as they stood at the end of `today`; the overdue list is of those appeals, overdue at the end of `today`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fpdf.fonts import FontFace

from streams.domain.regions import REGIONS

MONTHS = {
    "kk": "қаңтар ақпан наурыз сәуір мамыр маусым шілде тамыз қыркүйек қазан қараша желтоқсан".split(),
    "ru": "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь".split(),
}
TEXT = {
    "kk": {"title": "Өңір бойынша айлық есеп", "month": "{year} ж. {month}", "period": "Кезең: {start} — {end} аралығында түскен өтініштер",
           "as_of": "Көрсеткіштер {today} күнінің соңындағы жағдай бойынша", "figures": "Негізгі көрсеткіштер",
           "trend": "Күн сайын түскені мен жауап берілгені", "bodies": "Органдар", "categories": "Санаттар",
           "overdue": "Мерзімі өткен өтініштер", "none": "жоқ", "appeal": "Өтініш", "body": "Орган", "category": "Санат",
           "stage": "Кезең", "received": "Түскен күні", "due": "Мерзімі", "generated": "Есеп tyndau тізілімінің проекцияларынан жасалды",
           "more": "тағы {n} өтініш тізімде жоқ", "at_least": "кемінде",
           "stages": {"body": "орган", "centre": "орталық"},
           "fields": {"filed": "Түскені", "answered": "Жауап берілді", "response_rate": "Жауап үлесі", "on_time_rate": "Уақытында",
                      "rated": "Бағаланды", "dissatisfied_share": "Наразы", "escalated": "Орталыққа",
                      "escalation_share": "Орталыққа үлесі", "overdue": "Мерзімі өтті",
                      "median_response_working_days": "Жауап медианасы, жұмыс күні"}},
    "ru": {"title": "Ежемесячный отчёт по региону", "month": "{month} {year} г.", "period": "Период: обращения, поступившие с {start} по {end}",
           "as_of": "Показатели на конец дня {today}", "figures": "Основные показатели",
           "trend": "По дням: поступило и отвечено", "bodies": "Органы", "categories": "Категории",
           "overdue": "Просроченные обращения", "none": "нет", "appeal": "Обращение", "body": "Орган", "category": "Категория",
           "stage": "Этап", "received": "Поступило", "due": "Срок", "generated": "Отчёт сформирован из проекций реестра tyndau",
           "more": "ещё {n} обращений не вошли в список", "at_least": "не менее",
           "stages": {"body": "орган", "centre": "центр"},
           "fields": {"filed": "Поступило", "answered": "Отвечено", "response_rate": "Доля ответов", "on_time_rate": "В срок",
                      "rated": "Оценено", "dissatisfied_share": "Недовольны", "escalated": "В центр",
                      "escalation_share": "Доля в центр", "overdue": "Просрочено",
                      "median_response_working_days": "Медиана ответа, раб. дни"}},
}
FIGURES = ("filed", "answered", "response_rate", "on_time_rate", "rated", "dissatisfied_share", "escalated",
           "escalation_share", "overdue", "median_response_working_days")
TABLE = ("filed", "answered", "response_rate", "on_time_rate", "dissatisfied_share", "escalated", "overdue")
RATES = {"response_rate", "on_time_rate", "dissatisfied_share", "escalation_share"}
OVERDUE_SHOWN = 200
OVERDUE_PAGE = 1000   # the most overdue appeals a report asks for (the API's largest page)


def shown(field: str, value: Any) -> str:
    if value is None:
        return "—"
    if field in RATES:
        return f"{100 * value:.1f}%"
    if field == "median_response_working_days":
        return f"{value:.1f}"
    return str(value)


def month_title(lang: str, month: str) -> str:
    year, number = month.split("-")
    return TEXT[lang]["month"].format(year=year, month=MONTHS[lang][int(number) - 1])


def render_report(figures: dict[str, Any], lang: str, out: Path, fonts: Path, categories: dict | None = None) -> None:
    """figures: region, month (YYYY-MM), from, to, today, kpis, trend, bodies, categories, overdue (the API's
    answers); categories: the dashboard's names of the category codes (codes.js), by code and language."""
    from fpdf import FPDF

    t = TEXT[lang]
    pdf = FPDF(orientation="P", format="A4")
    pdf.set_auto_page_break(True, margin=14)
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_page()
    region = figures["region"]
    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(0, 8, f"{t['title']}: {REGIONS[region][lang]}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 12)
    pdf.cell(0, 7, month_title(lang, figures["month"]), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(0, 5, t["period"].format(start=figures["from"], end=figures["to"]), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 5, t["as_of"].format(today=figures["today"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)

    heading(pdf, t["figures"])
    kpis = figures["kpis"]
    for i, field in enumerate(FIGURES):
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(60, 6, t["fields"][field], border="B")
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(30, 6, shown(field, kpis.get(field)), border="B", align="R")
        if i % 2:
            pdf.ln()
        else:
            pdf.cell(5, 6, "")
    pdf.ln(4)

    heading(pdf, t["trend"])
    draw_trend(pdf, figures["trend"], t)

    heading(pdf, t["bodies"])
    rows_table(pdf, t, t["body"], figures["bodies"], lambda key: key)
    heading(pdf, t["categories"])
    names = categories or {}
    rows_table(pdf, t, t["category"], figures["categories"], lambda key: names.get(key, {}).get(lang, key))

    heading(pdf, t["overdue"])
    overdue = figures["overdue"]
    if not overdue:
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(0, 6, t["none"], new_x="LMARGIN", new_y="NEXT")
    else:
        rows = [(o["appeal_id"], o["body"], names.get(o["category"], {}).get(lang, o["category"]),
                 t["stages"].get(o["stage"], o["stage"]), str(o["received_on"]), str(o["due_on"])) for o in overdue[:OVERDUE_SHOWN]]
        table(pdf, (t["appeal"], t["body"], t["category"], t["stage"], t["received"], t["due"]), rows,
              (50, 46, 30, 18, 23, 23), ("LEFT",) * 6)
        if len(overdue) > OVERDUE_SHOWN:   # a list as long as the page asked for may have been cut: "at least"
            more = len(overdue) - OVERDUE_SHOWN
            pdf.set_font("DejaVu", "", 8)
            pdf.cell(0, 5, t["more"].format(n=f"{t['at_least']} {more}" if len(overdue) >= OVERDUE_PAGE else more),
                     new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 7)
    pdf.cell(0, 5, t["generated"], new_x="LMARGIN", new_y="NEXT")
    out.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(out))


def heading(pdf, text: str) -> None:
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")


def table(pdf, heads: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[float, ...], align: tuple[str, ...]) -> None:
    """A table whose headings wrap onto more lines rather than being cut; cells too long for one line wrap too."""
    pdf.set_font("DejaVu", "", 7)
    pdf.set_fill_color(255, 255, 255)
    with pdf.table(col_widths=widths, text_align=align, line_height=4.2, width=sum(widths), align="LEFT",
                   headings_style=FontFace(emphasis="BOLD", fill_color=(238, 241, 244)), first_row_as_headings=True) as grid:
        for line in (heads, *rows):
            row = grid.row()
            for value in line:
                row.cell(value)
    pdf.ln(3)


def rows_table(pdf, t: dict, first: str, rows: list[dict], name) -> None:
    if not rows:
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(0, 6, t["none"], new_x="LMARGIN", new_y="NEXT")
        return
    table(pdf, (first, *(t["fields"][f] for f in TABLE)),
          [(name(r["key"]), *(shown(f, r.get(f)) for f in TABLE)) for r in rows],
          (50, *(20,) * len(TABLE)), ("LEFT", *("RIGHT",) * len(TABLE)))


def draw_trend(pdf, points: list[dict], t: dict) -> None:
    """Filed as bars and answered as a line, per day, with a value axis and a date axis (the day of the month)."""
    left, top, width, height = pdf.l_margin + 10, pdf.get_y() + 2, 170, 45
    top_value = max([1, *(max(p["filed"], p["answered"]) for p in points)])
    step = next(s for s in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 10 ** 9) if s >= top_value / 5)
    axis_top = -(-top_value // step) * step
    pdf.set_font("DejaVu", "", 6)
    pdf.set_draw_color(200, 205, 212)
    for v in range(0, axis_top + 1, step):
        y = top + height - height * v / axis_top
        pdf.line(left, y, left + width, y)
        pdf.text(left - 1 - pdf.get_string_width(str(v)), y + 1, str(v))
    n = max(1, len(points))
    slot = width / n
    pdf.set_fill_color(0, 129, 163)
    for i, p in enumerate(points):
        h = height * p["filed"] / axis_top
        if h:
            pdf.rect(left + i * slot + slot * 0.15, top + height - h, slot * 0.7, h, style="F")
        if i % max(1, n // 10) == 0 or i == n - 1:
            pdf.text(left + i * slot + slot * 0.1, top + height + 3.5, str(p["day"])[8:10])
    pdf.set_draw_color(30, 122, 67)
    pdf.set_line_width(0.5)
    for i in range(1, len(points)):
        y0 = top + height - height * points[i - 1]["answered"] / axis_top
        y1 = top + height - height * points[i]["answered"] / axis_top
        pdf.line(left + (i - 0.5) * slot, y0, left + (i + 0.5) * slot, y1)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_xy(pdf.l_margin, top + height + 5)
    pdf.set_font("DejaVu", "", 8)
    pdf.set_fill_color(0, 129, 163)
    pdf.rect(left, pdf.get_y() + 1.2, 4, 2.5, style="F")
    pdf.set_x(left + 5)
    pdf.cell(30, 5, t["fields"]["filed"])
    pdf.set_draw_color(30, 122, 67)
    pdf.set_line_width(0.5)
    pdf.line(left + 36, pdf.get_y() + 2.5, left + 40, pdf.get_y() + 2.5)
    pdf.set_line_width(0.2)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_x(left + 41)
    pdf.cell(40, 5, t["fields"]["answered"], new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
