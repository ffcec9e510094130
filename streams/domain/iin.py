"""The Kazakh individual identification number (IIN): format and control digit."""

_WEIGHTS_FIRST = tuple(range(1, 12))
_WEIGHTS_SECOND = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def control_digit(first_eleven: str) -> int | None:
    """The control digit for 11 leading digits, or None when no digit is valid."""
    digits = [int(c) for c in first_eleven]
    check = sum(w * d for w, d in zip(_WEIGHTS_FIRST, digits)) % 11
    if check == 10:
        check = sum(w * d for w, d in zip(_WEIGHTS_SECOND, digits)) % 11
        if check == 10:
            return None
    return check


def iin_problem(iin: object) -> str | None:
    """Why this is not a valid IIN, or None when it is."""
    if not isinstance(iin, str) or len(iin) != 12 or not iin.isascii() or not iin.isdigit():
        return "an IIN is a string of exactly 12 digits"
    month, day = int(iin[2:4]), int(iin[4:6])
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return f"IIN {iin[:6]}…: digits 3-6 must be a birth month and day"
    if iin[6] not in "0123456":
        return "IIN digit 7 (century and sex) must be 0-6"
    expected = control_digit(iin[:11])
    if expected is None or expected != int(iin[11]):
        return "IIN control digit does not match"
    return None


def make_iin(birth_yymmdd: str, century_sex: int, serial: int) -> str | None:
    """A valid IIN from its parts, or None when the parts admit no control digit (tests, simulator)."""
    first = f"{birth_yymmdd}{century_sex}{serial:04d}"
    digit = control_digit(first)
    return None if digit is None else first + str(digit)
