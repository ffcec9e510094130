"""Command parsing: every malformed shape gets a reason code and a message that says what to fix."""

from __future__ import annotations

import pytest

from streams.domain.commands import CommandError, parse_command
from streams.domain.iin import iin_problem

BASE = {"command_id": "c", "appeal_id": "a", "at": "2021-03-01T09:15:00+06:00"}
FILE = dict(BASE, type="file", region="75", body="b", category="roads", channel="eotinish",
            citizen={"iin": "900101301233", "name": "Aida"})


@pytest.mark.parametrize("obj, reason, words", [
    ([1, 2], "malformed", "JSON object"),
    (dict(BASE, type="delete"), "unknown_type", "must be one of"),
    ({"type": "answer", "appeal_id": "a", "at": BASE["at"], "outcome": "resolved"}, "missing_field", "command_id is required"),
    (dict(BASE, type="answer", outcome="maybe"), "invalid_field", "resolved, explained, refused"),
    (dict(BASE, type="answer", outcome="resolved", at="2021-03-01T09:15:00"), "invalid_field", "UTC offset"),
    (dict(BASE, type="rate", satisfied="yes"), "invalid_field", "true or false"),
    (dict(BASE, type="rate", satisfied=True, score=6), "invalid_field", "between 1 and 5"),
    (dict(BASE, type="extend", until="20 April"), "invalid_field", "YYYY-MM-DD"),
    (dict(BASE, type="escalate", reason="overdue", by="president"), "invalid_field", "citizen, system, monitor"),
    (dict(FILE, region="99"), "unknown_region", "KATO"),
    (dict(FILE, citizen={"iin": "900101301234", "name": "A"}), "invalid_iin", "control digit"),
    (dict(FILE, citizen={"name": "A"}), "missing_field", "iin .a person. or bin"),
    (dict(FILE, actor={"role": "king", "id": "x"}), "invalid_field", "actor"),
])
def test_bad_commands_are_named(obj, reason, words):
    with pytest.raises(CommandError, match=words) as error:
        parse_command(obj)
    assert error.value.reason == reason


def test_a_good_filing_parses():
    command = parse_command(FILE)
    assert command.type == "file" and command.at.utcoffset().total_seconds() == 6 * 3600


def test_iin_control_digit():
    # DOMAIN.md: weights 1..11 over the first 11 digits, sum mod 11.
    # 9 0 0 1 0 1 3 0 1 2 3 -> 9+0+0+4+0+6+21+0+9+20+33 = 102; 102 mod 11 = 3.
    assert iin_problem("900101301233") is None
    assert iin_problem("900101301232") == "IIN control digit does not match"
    assert "12 digits" in iin_problem("9001013012")
    assert "month" in iin_problem("901301301233")
