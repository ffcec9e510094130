"""The first-level KATO codes of Kazakhstan's regions and their names, against the published table."""

from __future__ import annotations

import pytest

from streams.audit.dossier import TEXT
from streams.domain.regions import REGIONS, is_known_region

# /work/shared/DOMAIN.md, "Regions (first level of KATO; ISO 3166-2:KZ uses the same numbers since 2022)":
# code -> (en, kk, ru), copied from the table, not from the module.
PUBLISHED = {
    "10": ("Abai Region", "Абай облысы", "область Абай"),
    "11": ("Akmola Region", "Ақмола облысы", "Акмолинская область"),
    "15": ("Aktobe Region", "Ақтөбе облысы", "Актюбинская область"),
    "19": ("Almaty Region", "Алматы облысы", "Алматинская область"),
    "23": ("Atyrau Region", "Атырау облысы", "Атырауская область"),
    "27": ("West Kazakhstan Region", "Батыс Қазақстан облысы", "Западно-Казахстанская область"),
    "31": ("Zhambyl Region", "Жамбыл облысы", "Жамбылская область"),
    "33": ("Zhetisu Region", "Жетісу облысы", "область Жетісу"),
    "35": ("Karaganda Region", "Қарағанды облысы", "Карагандинская область"),
    "39": ("Kostanay Region", "Қостанай облысы", "Костанайская область"),
    "43": ("Kyzylorda Region", "Қызылорда облысы", "Кызылординская область"),
    "47": ("Mangystau Region", "Маңғыстау облысы", "Мангистауская область"),
    "55": ("Pavlodar Region", "Павлодар облысы", "Павлодарская область"),
    "59": ("North Kazakhstan Region", "Солтүстік Қазақстан облысы", "Северо-Казахстанская область"),
    "61": ("Turkistan Region", "Түркістан облысы", "Туркестанская область"),
    "62": ("Ulytau Region", "Ұлытау облысы", "область Ұлытау"),
    "63": ("East Kazakhstan Region", "Шығыс Қазақстан облысы", "Восточно-Казахстанская область"),
    "71": ("Astana (city)", "Астана қаласы", "город Астана"),
    "75": ("Almaty (city)", "Алматы қаласы", "город Алматы"),
    "79": ("Shymkent (city)", "Шымкент қаласы", "город Шымкент"),
}
CITIES = {"71", "75", "79"}
FORMED_2022 = {"10", "33", "62"}   # Abai, Zhetisu, Ulytau: formed on 8 June 2022


def test_the_codes_are_exactly_the_published_ones():
    assert set(REGIONS) == set(PUBLISHED)
    assert all(len(code) == 2 and code.isascii() and code.isdigit() for code in REGIONS)


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_english_and_kazakh_names_are_the_published_ones(code):
    en, kk, _ = PUBLISHED[code]
    assert (REGIONS[code]["en"], REGIONS[code]["kk"]) == (en, kk)


@pytest.mark.parametrize("code", sorted(set(PUBLISHED) - FORMED_2022))
def test_russian_names_are_the_published_ones(code):
    assert REGIONS[code]["ru"] == PUBLISHED[code][2]


@pytest.mark.parametrize("code", sorted(FORMED_2022))
def test_russian_names_of_the_regions_formed_in_2022_follow_the_decree(code):
    # DOMAIN.md: the decree's text as printed by news agencies spells «Жетису», «Улытау»; both spellings are the decree's.
    published = PUBLISHED[code][2]
    assert REGIONS[code]["ru"] in {published, published.replace("і", "и").replace("Ұ", "У")}


def test_cities_and_regions_are_named_as_such_in_every_language():
    for code, names in REGIONS.items():
        if code in CITIES:
            assert names["en"].endswith(" (city)") and names["kk"].endswith(" қаласы") and names["ru"].startswith("город ")
        else:
            assert names["en"].endswith(" Region") and names["kk"].endswith(" облысы") and "область" in names["ru"]


def test_every_language_the_dossier_is_written_in_has_a_name_for_every_region():
    for lang in TEXT:
        assert all(names.get(lang, "").strip() for names in REGIONS.values()), lang
    for lang in ("en", "kk", "ru"):
        assert len({names[lang] for names in REGIONS.values()}) == len(REGIONS), f"two regions share a {lang} name"


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_every_published_code_is_known(code):
    assert is_known_region(code)


@pytest.mark.parametrize("code", ["", "7", "075", "75 ", " 75", "99", "00", "KZ-75", "KZ75", "70", "76", "٧٥"])
def test_anything_else_is_unknown(code):
    assert not is_known_region(code)
