"""Kazakh identification numbers: the IIN of a person and the BIN of a legal entity, format and control digit."""

from __future__ import annotations

from datetime import date

_WEIGHTS_FIRST = tuple(range(1, 12))
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

# IIN digit 7 -> the first year of the birth century (odd: a man, even: a woman). Digit 0 has no century:
# see iin_problem.
_CENTURY = {"1": 1800, "2": 1800, "3": 1900, "4": 1900, "5": 2000, "6": 2000}

# BIN digit 5: who was registered; digit 6: which unit of it (the Rules for forming identification numbers,
# Government Decree No. 406 of 22 May 2007, under the Law "On national registers of identification numbers").
BIN_ENTITY_TYPES = {
    "4": "resident legal entity",
    "5": "non-resident legal entity",
    "6": "individual entrepreneur in joint entrepreneurship",
}
BIN_UNITS = {
    "0": "head unit",
    "1": "branch",
    "2": "representative office",
    "3": "peasant (farm) enterprise in joint entrepreneurship",
}


def control_digit(first_eleven: str) -> int | None:
    """The control digit for 11 leading digits, or None when no digit is valid (IIN and BIN alike)."""
    digits = [int(c) for c in first_eleven]
    check = sum(w * d for w, d in zip(_WEIGHTS_FIRST, digits)) % 11
    if check == 10:
        check = sum(w * d for w, d in zip(_WEIGHTS_SECOND, digits)) % 11
        if check == 10:
            return None
    return check


def _twelve_digits(value: object) -> bool:
    # str.isdigit alone takes full-width and other scripts' digits.
    return isinstance(value, str) and len(value) == 12 and value.isascii() and value.isdigit()


def _control_matches(number: str) -> bool:
    expected = control_digit(number[:11])
    return expected is not None and expected == int(number[11])


def _birth_date(yymmdd: str, century_digit: str) -> date | None:
    """The birth date the first six digits give in digit 7's century, or None when there is no such day."""
    # Digit 0 names no century; 2000+YY is the reading that admits every date some century has
    # (29 February of a YY divisible by 4 is real in 2000+YY, even where it is not in 1900+YY).
    year = _CENTURY.get(century_digit, 2000) + int(yymmdd[:2])
    try:
        return date(year, int(yymmdd[2:4]), int(yymmdd[4:6]))
    except ValueError:
        return None


def iin_problem(iin: object, today: date | None = None) -> str | None:
    """Why this is not a valid IIN, or None when it is; `today` (the local date) also refuses births after it.

    Digit 7 gives the century and sex: 1-2 the 1800s, 3-4 the 1900s, 5-6 the 2000s. Digit 0 is outside the
    rules' 1-6 but is reported on numbers formed for some foreigners and in legacy records whose century was
    not recorded; it is accepted, because refusing a real number would refuse its holder's appeal (the state must
    answer every appeal), while a wrong number only costs a pseudonym. With digit 0 the first six digits must
    still be a day of some century, and no birth is in the future (the 1900s reading is always past).

    Messages quote no digit of it: an IIN identifies a person, and rejections are kept for ever."""
    if not _twelve_digits(iin):
        return "an IIN is a string of exactly 12 digits"
    month, day = int(iin[2:4]), int(iin[4:6])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return "IIN digits 3-6 must be a birth month and day"
    if iin[6] not in "0123456":
        return "IIN digit 7 (century and sex) must be 0-6"
    born = _birth_date(iin[:6], iin[6])
    if born is None:
        century = f"the {_CENTURY[iin[6]]}s" if iin[6] in _CENTURY else "any century"
        return f"IIN digits 1-6 are no real birth date in {century} (month and day)"
    if today is not None and iin[6] in _CENTURY and born > today:
        return f"IIN digits 1-7 give a birth in the future (after {today.isoformat()})"
    if not _control_matches(iin):
        return "IIN control digit does not match"
    return None


def make_iin(birth_yymmdd: str, century_sex: int, serial: int) -> str | None:
    """A valid IIN from its parts, or None when the parts admit no control digit (tests, simulator)."""
    first = f"{birth_yymmdd}{century_sex}{serial:04d}"
    digit = control_digit(first)
    return None if digit is None else first + str(digit)


def bin_problem(bin: object) -> str | None:
    """Why this is not a valid BIN (business identification number), or None when it is.

    12 digits: YYMM of registration, the entity type (BIN_ENTITY_TYPES), the unit (BIN_UNITS), a five-digit
    serial number, and the IIN's control digit. The two-digit year has no century, so any YY is accepted."""
    if not _twelve_digits(bin):
        return "a BIN is a string of exactly 12 digits"
    if not 1 <= int(bin[2:4]) <= 12:
        return f"BIN {bin[:4]}…: digits 3-4 must be the month of registration, 01-12"
    if bin[4] not in BIN_ENTITY_TYPES:
        return "BIN digit 5 (entity type) must be 4 (resident), 5 (non-resident) or 6 (joint entrepreneurship)"
    if bin[5] not in BIN_UNITS:
        return "BIN digit 6 (unit) must be 0 (head unit), 1 (branch), 2 (representative office) or 3 (farm)"
    if not _control_matches(bin):
        return "BIN control digit does not match"
    return None


def make_bin(registered_yymm: str, entity_type: int, unit: int, serial: int) -> str | None:
    """A BIN from its parts, or None when the parts admit no control digit (tests, simulator)."""
    first = f"{registered_yymm}{entity_type}{unit}{serial:05d}"
    digit = control_digit(first)
    return None if digit is None else first + str(digit)
