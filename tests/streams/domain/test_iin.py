"""The IIN: its 12-digit format, birth date, century digit and control digit; and the BIN of a legal entity."""

from __future__ import annotations

import calendar
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.domain.iin import bin_problem, control_digit, iin_problem, make_bin, make_iin
from tests.support.messages import json_values

digits = st.text(alphabet="0123456789", min_size=11, max_size=11)
FIRST_WEIGHTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# Digit 7: 1-2 born in the 1800s, 3-4 in the 1900s, 5-6 in the 2000s (odd a man, even a woman).
CENTURY = {1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}
births = st.dates(date(1800, 1, 1), date(2099, 12, 31))
sexes = st.sampled_from([1, 2])


def century_sex(birth: date, sex: int) -> int:
    """The digit 7 of someone born on `birth`: 1/2 in the 1800s, 3/4 in the 1900s, 5/6 in the 2000s."""
    return 2 * (birth.year // 100 - 18) + sex


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
@given(births, sexes, st.integers(0, 9999))
def test_make_iin_gives_a_valid_iin_or_none_when_no_control_digit_exists(birth, sex, serial):
    yymmdd, digit7 = birth.strftime("%y%m%d"), century_sex(birth, sex)
    iin = make_iin(yymmdd, digit7, serial)
    first = f"{yymmdd}{digit7}{serial:04d}"
    if expected_control(first) is None:
        assert iin is None
    else:
        assert iin == first + str(expected_control(first))
        assert iin_problem(iin) is None
        assert iin_problem(iin, today=birth) is None          # born today is not a birth in the future


@settings(max_examples=300, deadline=None)
@given(births, sexes, st.integers(0, 9999), st.integers(1, 9))
def test_any_other_control_digit_is_refused(birth, sex, serial, shift):
    iin = make_iin(birth.strftime("%y%m%d"), century_sex(birth, sex), serial)
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


def _with_control(first: str, control: int | None) -> str:
    """Eleven digits and a control digit: the given one, or (None) the right one where there is one."""
    return first + str(expected_control(first) or 0 if control is None else control)


def _structured(yy: int, mm: int, dd: int, century_sex: int, serial: int, control: int | None) -> str:
    return _with_control(f"{yy:02d}{mm:02d}{dd:02d}{century_sex}{serial:04d}", control)


# Mostly near-valid IINs (months 0-13, days 0-32, any century digit, the right or a wrong control digit), some random digits.
iins = st.builds(_structured, st.integers(0, 99), st.integers(0, 13), st.integers(0, 32), st.integers(0, 9), st.integers(0, 9999),
                 st.none() | st.integers(0, 9)) | st.text(alphabet="0123456789", min_size=12, max_size=12)


def is_real_birth_date(yymmdd: str, digit7: str) -> bool:
    """DOMAIN.md: YYMMDD of birth; digit 7 gives the century. Digit 0 gives none: a date of 20YY, the most lenient
    reading (29 February of a YY divisible by 4)."""
    year = CENTURY.get(int(digit7), 2000) + int(yymmdd[:2])
    month, day = int(yymmdd[2:4]), int(yymmdd[4:6])
    return 1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1]


@settings(max_examples=400, deadline=None)
@given(iins)
def test_iin_problem_agrees_with_the_documented_structure(iin):
    """DOMAIN.md: YYMMDD of birth, one digit for century and sex, four serial digits, one control digit."""
    valid = (iin[6] in "0123456" and is_real_birth_date(iin[:6], iin[6])
             and expected_control(iin[:11]) == int(iin[11]))
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


def test_a_month_and_day_problem_quotes_no_digit_of_the_iin():
    """Rejections are kept for ever (issue 15): a reason must not carry a birth date."""
    problem = iin_problem("901301301233")
    assert "digits 3-6" in problem and "901301" not in problem and "301233" not in problem


def iin_born(yymmdd: str, digit7: int) -> str:
    """A valid-control-digit IIN for this birth and digit 7 (the first serial that admits a control digit)."""
    return next(iin for serial in range(20) if (iin := make_iin(yymmdd, digit7, serial)))


def test_31_february_is_no_birth_date():
    problem = iin_problem(iin_born("900231", 3))
    assert problem is not None and "no real birth date" in problem and "1900s" in problem
    assert iin_problem(iin_born("900230", 4)) is not None and iin_problem(iin_born("900431", 5)) is not None


def test_29_february_only_in_a_leap_year_of_the_century_digit_7_gives():
    """DOMAIN.md / the IIN rules: digit 7 gives the century. 2000 was a leap year, 1900 was not (Gregorian rule)."""
    assert iin_problem(iin_born("000229", 5)) is None        # 29 February 2000, a man
    assert iin_problem(iin_born("000229", 6)) is None
    for digit7 in (3, 4):                                     # 29 February 1900 never was
        problem = iin_problem(iin_born("000229", digit7))
        assert problem is not None and "no real birth date" in problem and "1900s" in problem
    assert iin_problem(iin_born("960229", 3)) is None and iin_problem(iin_born("970229", 3)) is not None


def test_digit_7_zero_has_no_century_and_is_accepted_for_any_real_day():
    """Digit 0 is outside the rules' 1-6 but found on some foreigners' and legacy numbers: the appeal is still taken.
    With no century, the six digits must be a day of some century, and the future cannot be told."""
    assert iin_problem(iin_born("900101", 0)) is None
    assert iin_problem(iin_born("000229", 0)) is None        # a day in 2000
    assert "any century" in iin_problem(iin_born("010229", 0))
    assert iin_problem(iin_born("990101", 0), today=date(2024, 1, 1)) is None


def test_a_birth_after_today_is_refused():
    today = date(2026, 5, 4)
    assert iin_problem(iin_born("260504", 5), today=today) is None                 # born today
    problem = iin_problem(iin_born("260505", 6), today=today)
    assert problem is not None and "future" in problem and "260505" not in problem
    assert iin_problem(iin_born("260505", 6)) is None                              # no today given: not checked
    assert iin_problem(iin_born("260505", 4), today=today) is None                 # 5 May 1926
    assert "future" in iin_problem(iin_born("990101", 5), today=today)             # 2099


def test_a_problem_never_quotes_the_iin():
    today = date(2026, 5, 4)
    for iin in (iin_born("900231", 3), iin_born("260505", 6), "901301301233", iin_born("010229", 0)):
        problem = iin_problem(iin, today=today)
        assert problem is not None and iin[:6] not in problem and iin[6:] not in problem, problem


@settings(max_examples=300, deadline=None)
@given(json_values | st.text(alphabet="0123456789", min_size=12, max_size=12) | st.binary(max_size=12) | st.integers(),
       st.none() | st.dates())
def test_iin_problem_never_raises_with_or_without_today(value, today):
    problem = iin_problem(value, today=today)
    assert problem is None or isinstance(problem, str)


# The BIN -------------------------------------------------------------------------------------------------------
# Rules for forming identification numbers (Government Decree No. 406 of 22 May 2007): digits 1-4 the year and month
# of registration, 5 the type (4 resident legal entity, 5 non-resident legal entity, 6 individual entrepreneur in joint
# entrepreneurship), 6 the unit (0 head unit, 1 branch, 2 representative office, 3 peasant farm in joint
# entrepreneurship), 7-11 a serial number, 12 the IIN's control digit.

def test_known_bins_are_valid():
    # The examples of python-stdnum's kz.bin module, both well-formed published BINs.
    assert bin_problem("940140000385") is None
    assert bin_problem("990140004654") is None


@pytest.mark.parametrize("bin_, words", [
    ("94014000038", "exactly 12 digits"),
    ("94014000038a", "exactly 12 digits"),
    ("９４０１４００００３８５", "exactly 12 digits"),
    (940140000385, "exactly 12 digits"),
    (None, "exactly 12 digits"),
    ("940040000385", "month of registration"),
    ("941340000385", "month of registration"),
    ("940130000385", "digit 5"),
    ("940170000385", "digit 5"),
    ("940144000385", "digit 6"),
    ("940149000385", "digit 6"),
    ("940140000386", "control digit"),
])
def test_each_bin_problem_is_named(bin_, words):
    problem = bin_problem(bin_)
    assert problem is not None and words in problem, problem


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 99), st.integers(1, 12), st.sampled_from([4, 5, 6]), st.sampled_from([0, 1, 2, 3]),
       st.integers(0, 99999))
def test_make_bin_gives_a_valid_bin_or_none_when_no_control_digit_exists(yy, mm, entity, unit, serial):
    made = make_bin(f"{yy:02d}{mm:02d}", entity, unit, serial)
    first = f"{yy:02d}{mm:02d}{entity}{unit}{serial:05d}"
    if expected_control(first) is None:
        assert made is None
    else:
        assert made == first + str(expected_control(first)) and bin_problem(made) is None


def _bin(yy: int, mm: int, entity: int, unit: int, serial: int, control: int | None) -> str:
    return _with_control(f"{yy:02d}{mm:02d}{entity}{unit}{serial:05d}", control)


# Mostly near-valid BINs (months 0-13, any type and unit digit, the right or a wrong control digit), some random digits.
bins = st.builds(_bin, st.integers(0, 99), st.integers(0, 13), st.integers(0, 9), st.integers(0, 9), st.integers(0, 99999),
                 st.none() | st.integers(0, 9)) | st.text(alphabet="0123456789", min_size=12, max_size=12)


@settings(max_examples=400, deadline=None)
@given(bins)
def test_bin_problem_agrees_with_the_documented_structure(bin_):
    valid = (1 <= int(bin_[2:4]) <= 12 and bin_[4] in "456" and bin_[5] in "0123"
             and expected_control(bin_[:11]) == int(bin_[11]))
    assert (bin_problem(bin_) is None) == valid, (bin_, bin_problem(bin_))


@settings(max_examples=200, deadline=None)
@given(json_values | st.text(alphabet="0123456789١٢٣٤", max_size=14) | st.binary(max_size=12) | st.integers())
def test_bin_problem_never_raises_and_accepts_only_twelve_ascii_digits(value):
    problem = bin_problem(value)
    assert problem is None or isinstance(problem, str)
    if not (isinstance(value, str) and len(value) == 12 and all(c in "0123456789" for c in value)):
        assert problem == "a BIN is a string of exactly 12 digits"


def test_an_iin_is_not_taken_for_a_bin():
    # 900101301233: digits 3-4 are month 01, but digit 5 (a day's first digit, 0) is no entity type.
    assert "digit 5" in bin_problem("900101301233")
