"""The IIN: its 12-digit format, birth month and day, century digit and control digit."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.domain.iin import control_digit, iin_problem, make_iin
from tests.support.messages import json_values

digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def expected_control(first_eleven: str) -> int | None:
    """DOMAIN.md: weights 1..11 over the first 11 digits, sum mod 11; if that is 10, weights 3,4,5,6,7,8,9,10,11,1,2;
    if it is 10 again, the number is invalid."""
    d = [int(c) for c in first_eleven]
    first = sum(w * x for w, x in zip(FIRST_WEIGHTS, d)) % 11
    if first != 10:
        return first
    second = sum(w * x for w, x in zip(SECOND_WEIGHTS, d)) % 11
    return None if second == 10 else second


@settings(max_examples=400, deadline=None)
@given(digits)
def test_control_digit_follows_the_two_pass_rule(first_eleven):
    assert control_digit(first_eleven) == expected_control(first_eleven)


def test_the_first_pass_the_second_pass_and_no_digit_at_all():
    # Worked by hand. 90010130123: 9·1 + 1·4 + 1·6 + 3·7 + 1·9 + 2·10 + 3·11 = 102 ≡ 3 (mod 11).
    assert control_digit("90010130123") == 3
    # 00000000010: first pass 1·10 = 10, so the second pass: 1·1 = 1.
    assert control_digit("00000000010") == 1
    # 10000000010: 1·1 + 1·10 = 11 ≡ 0, the first pass stands.
    assert control_digit("10000000010") == 0
    # 90010130080: first 9 + 4 + 6 + 21 + 80 = 120 ≡ 10; second 27 + 6 + 8 + 27 + 8 = 76 ≡ 10: no valid digit,
    # so no IIN of a man born 1 January 1990 (century-and-sex digit 3) has serial 0080.
    assert control_digit("90010130080") is None
    assert make_iin("900101", 3, 80) is None
    assert all(iin_problem(f"90010130080{d}") == "IIN control digit does not match" for d in range(10))


@settings(max_examples=400, deadline=None)
@given(st.dates(), st.integers(1, 6), st.integers(0, 9999))
def test_make_iin_gives_a_valid_iin_or_none_when_no_control_digit_exists(birth, century_sex, serial):
    yymmdd = birth.strftime("%y%m%d")
    iin = make_iin(yymmdd, century_sex, serial)
    first = f"{yymmdd}{century_sex}{serial:04d}"
    if expected_control(first) is None:
        assert iin is None
    else:
        assert iin == first + str(expected_control(first))
        assert iin_problem(iin) is None


@settings(max_examples=300, deadline=None)
@given(st.dates(), st.integers(1, 6), st.integers(0, 9999), st.integers(1, 9))
def test_any_other_control_digit_is_refused(birth, century_sex, serial, shift):
    iin = make_iin(birth.strftime("%y%m%d"), century_sex, serial)
    if iin is not None:
        wrong = iin[:11] + str((int(iin[11]) + shift) % 10)
        assert iin_problem(wrong) == "IIN control digit does not match"


@settings(max_examples=200, deadline=None)
@given(json_values | st.text(alphabet="0123456789١٢٣٤", max_size=14) | st.binary(max_size=12) | st.integers())
def test_iin_problem_never_raises_and_accepts_only_twelve_ascii_digits(value):
    problem = iin_problem(value)
    assert problem is None or isinstance(problem, str)
    if not (isinstance(value, str) and len(value) == 12 and all(c in "0123456789" for c in value)):
        assert problem == "an IIN is a string of exactly 12 digits"


def _structured(yy: int, mm: int, dd: int, century_sex: int, serial: int, control: int | None) -> str:
    first = f"{yy:02d}{mm:02d}{dd:02d}{century_sex}{serial:04d}"
    if control is None:   # the right control digit, where there is one
        control = expected_control(first) or 0
    return first + str(control)


# Mostly near-valid IINs (months 0-13, days 0-32, any century digit, the right or a wrong control digit), some random digits.
iins = st.builds(_structured, st.integers(0, 99), st.integers(0, 13), st.integers(0, 32), st.integers(0, 9), st.integers(0, 9999),
                 st.none() | st.integers(0, 9)) | st.text(alphabet="0123456789", min_size=12, max_size=12)


@settings(max_examples=400, deadline=None)
@given(iins)
def test_iin_problem_agrees_with_the_documented_structure(iin):
    """DOMAIN.md: YYMMDD of birth, one digit for century and sex, four serial digits, one control digit."""
    month, day = int(iin[2:4]), int(iin[4:6])
    valid = 1 <= month <= 12 and 1 <= day <= 31 and iin[6] in "0123456" and expected_control(iin[:11]) == int(iin[11])
    assert (iin_problem(iin) is None) == valid, (iin, iin_problem(iin))


@pytest.mark.parametrize("iin, words", [
    ("90010130123", "exactly 12 digits"),
    ("9001013012333", "exactly 12 digits"),
    ("90010130123a", "exactly 12 digits"),
    ("９００１０１３０１２３３", "exactly 12 digits"),      # full-width digits are digits to str.isdigit, not to an IIN
    (900101301233, "exactly 12 digits"),
    ("901301301233", "month and day"),
    ("900001301233", "month and day"),
    ("900100301233", "month and day"),
    ("900132301233", "month and day"),
    ("900101701233", "digit 7"),
    ("900101901233", "digit 7"),
    ("900101301234", "control digit"),
])
def test_each_problem_is_named(iin, words):
    problem = iin_problem(iin)
    assert problem is not None and words in problem


def test_a_month_and_day_problem_quotes_only_the_birth_digits():
    problem = iin_problem("901301301233")
    assert "901301" in problem and "301233" not in problem
