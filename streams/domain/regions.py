"""First-level KATO codes of Kazakhstan's regions (ISO 3166-2:KZ uses the same numbers since 2022)."""

REGIONS: dict[str, dict[str, str]] = {
    "10": {"en": "Abai Region", "kk": "Абай облысы", "ru": "область Абай"},
    "11": {"en": "Akmola Region", "kk": "Ақмола облысы", "ru": "Акмолинская область"},
    "15": {"en": "Aktobe Region", "kk": "Ақтөбе облысы", "ru": "Актюбинская область"},
    "19": {"en": "Almaty Region", "kk": "Алматы облысы", "ru": "Алматинская область"},
    "23": {"en": "Atyrau Region", "kk": "Атырау облысы", "ru": "Атырауская область"},
    "27": {"en": "West Kazakhstan Region", "kk": "Батыс Қазақстан облысы", "ru": "Западно-Казахстанская область"},
    "31": {"en": "Zhambyl Region", "kk": "Жамбыл облысы", "ru": "Жамбылская область"},
    "33": {"en": "Zhetisu Region", "kk": "Жетісу облысы", "ru": "область Жетісу"},
    "35": {"en": "Karaganda Region", "kk": "Қарағанды облысы", "ru": "Карагандинская область"},
    "39": {"en": "Kostanay Region", "kk": "Қостанай облысы", "ru": "Костанайская область"},
    "43": {"en": "Kyzylorda Region", "kk": "Қызылорда облысы", "ru": "Кызылординская область"},
    "47": {"en": "Mangystau Region", "kk": "Маңғыстау облысы", "ru": "Мангистауская область"},
    "55": {"en": "Pavlodar Region", "kk": "Павлодар облысы", "ru": "Павлодарская область"},
    "59": {"en": "North Kazakhstan Region", "kk": "Солтүстік Қазақстан облысы", "ru": "Северо-Казахстанская область"},
    "61": {"en": "Turkistan Region", "kk": "Түркістан облысы", "ru": "Туркестанская область"},
    "62": {"en": "Ulytau Region", "kk": "Ұлытау облысы", "ru": "область Ұлытау"},
    "63": {"en": "East Kazakhstan Region", "kk": "Шығыс Қазақстан облысы", "ru": "Восточно-Казахстанская область"},
    "71": {"en": "Astana (city)", "kk": "Астана қаласы", "ru": "город Астана"},
    "75": {"en": "Almaty (city)", "kk": "Алматы қаласы", "ru": "город Алматы"},
    "79": {"en": "Shymkent (city)", "kk": "Шымкент қаласы", "ru": "город Шымкент"},
}


def is_known_region(code: str) -> bool:
    return code in REGIONS
