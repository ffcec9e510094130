"""Personal data rules: keyed pseudonyms, payloads without personal fields, and the public feed's payloads."""

from __future__ import annotations

import copy
import hashlib
import hmac
from datetime import timedelta

import pytest
from fastavro.validation import validate
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.avro import codec
from streams.domain.appeal import decide
from streams.domain.chain import seal
from streams.domain.commands import parse_command
from streams.domain.events import BY_NAME
from streams.domain.privacy import PERSONAL_FIELDS, citizen_ref_of, pseudonym, public_payload, published_payload
from tests.support.appeals import FIELDS, FILED_AT, NOW, build, command

KEY = "test-key"
EVERY_TYPE = ["file", "route", "extend", "notify", "escalate", "answer", "rate", "reopen", "overdue", "withdraw"]
_, CHAIN = build(EVERY_TYPE)
# A rating with a comment, which FIELDS leaves out: built by the domain code like the rest.
_answered, _ = build(["file", "answer"])
RATED_WITH_COMMENT = seal(decide(_answered, parse_command(command("rate", 7, FILED_AT + timedelta(days=3), satisfied=True,
                                                                  score=5, comment="the clerk was rude")), NOW))
EVENTS_BUILT = CHAIN + [RATED_WITH_COMMENT]
IIN = FIELDS["file"]["citizen"]["iin"]
# What the citizen and the bodies wrote in their own words, or what identifies the citizen.
PERSONAL_VALUES = [IIN, FIELDS["file"]["citizen"]["name"], FIELDS["file"]["text"], FIELDS["route"]["reason"],
                   FIELDS["extend"]["reason"], FIELDS["answer"]["text"], FIELDS["withdraw"]["reason"], FIELDS["reopen"]["reason"],
                   "the clerk was rude"]

keys = st.text(min_size=1, max_size=30)
iins = st.text(alphabet="0123456789", min_size=12, max_size=12)


def strings(value) -> set[str]:
    """Every string anywhere in a payload."""
    if isinstance(value, dict):
        return set().union(*map(strings, value.values()))
    return {value} if isinstance(value, str) else set()


def by_type(kind: str) -> dict:
    return next(e for e in CHAIN if e["event_type"] == kind)


def ids(event: dict) -> str:
    return event["event_type"] + ("+comment" if event["payload"].get("comment") else "")


@settings(max_examples=200, deadline=None)
@given(iins, keys)
def test_pseudonym_is_a_keyed_hmac_sha256_of_the_iin(iin, key):
    """README: citizen_ref is an HMAC-SHA256 pseudonym of the IIN keyed by TYNDAU_PSEUDONYM_KEY."""
    ref = pseudonym(iin, key)
    full = hmac.new(key.encode(), iin.encode(), hashlib.sha256).hexdigest()
    assert len(ref) >= 32 and full.startswith(ref)
    assert ref == pseudonym(iin, key)
    assert not hashlib.sha256(iin.encode()).hexdigest().startswith(ref)     # not a plain, unkeyed hash


@settings(max_examples=200, deadline=None)
@given(iins, keys, keys)
def test_another_key_gives_another_pseudonym(iin, key, other):
    if key != other:
        assert pseudonym(iin, key) != pseudonym(iin, other)


@settings(max_examples=200, deadline=None)
@given(iins, iins, keys)
def test_another_citizen_gets_another_pseudonym(iin, other, key):
    if iin != other:
        assert pseudonym(iin, key) != pseudonym(other, key)


def test_citizen_ref_is_the_filings_citizen_and_empty_otherwise():
    assert citizen_ref_of(CHAIN[0], KEY) == pseudonym(IIN, KEY)
    assert all(citizen_ref_of(e, KEY) == "" for e in CHAIN[1:])


def test_personal_fields_are_the_event_lists_for_every_type_that_has_any():
    # The citizen and every free text of the README's command format, and a notice's outgoing number (it may be
    # the citizen's phone or address); escalations and overdue notices carry none.
    assert PERSONAL_FIELDS == {"filed": ("citizen",), "routed": ("reason",), "extended": ("reason",), "answered": ("text",),
                               "rated": ("comment",), "withdrawn": ("reason",), "reopened": ("reason",),
                               "notified": ("reference",)}


@pytest.mark.parametrize("event", EVENTS_BUILT, ids=ids)
def test_public_payload_drops_exactly_the_personal_fields(event):
    before = copy.deepcopy(event)
    dropped = set(BY_NAME[event["event_type"]].personal)
    public = public_payload(event)
    assert set(public) == set(event["payload"]) - dropped
    assert all(public[k] == event["payload"][k] for k in public)
    assert public is not event["payload"]
    assert event == before, "the event itself is left as it was"


@pytest.mark.parametrize("event", EVENTS_BUILT, ids=ids)
def test_no_personal_value_survives_in_a_public_or_published_payload(event):
    for payload in (public_payload(event), published_payload(event, KEY)):
        assert not strings(payload) & set(PERSONAL_VALUES), event["event_type"]


def test_the_events_built_do_hold_the_personal_values():
    assert set(PERSONAL_VALUES) <= set().union(*(strings(e["payload"]) for e in EVENTS_BUILT))


def test_published_filing_replaces_the_citizen_by_citizen_ref():
    filed = CHAIN[0]
    before = copy.deepcopy(filed)
    published = published_payload(filed, KEY)
    assert set(published) == set(filed["payload"]) - {"citizen"} | {"citizen_ref"}
    assert published["citizen_ref"] == pseudonym(IIN, KEY)
    assert all(published[k] == filed["payload"][k] for k in published if k != "citizen_ref")
    assert published_payload(filed, "another key")["citizen_ref"] != published["citizen_ref"]
    assert filed == before


@pytest.mark.parametrize("event", EVENTS_BUILT[1:], ids=ids)
def test_published_payload_keeps_every_field_and_nulls_the_personal_ones(event):
    before = copy.deepcopy(event)
    personal = set(PERSONAL_FIELDS.get(event["event_type"], ()))
    published = published_payload(event, KEY)
    assert set(published) == set(event["payload"])
    assert all(published[k] is None for k in personal)
    assert all(published[k] == event["payload"][k] for k in set(published) - personal)
    assert event == before


@pytest.mark.parametrize("event", EVENTS_BUILT, ids=ids)
def test_published_payload_fits_the_public_feeds_record(event):
    name = "PublicAppealFiled" if event["event_type"] == "filed" else BY_NAME[event["event_type"]].record
    assert validate(published_payload(event, KEY), codec.load(f"{codec.NAMESPACE}.{name}").parsed, raise_errors=True)


def test_the_full_filing_does_not_fit_the_public_record():
    assert not validate(by_type("filed")["payload"], codec.load(codec.PUBLIC_FILED).parsed, raise_errors=False)
