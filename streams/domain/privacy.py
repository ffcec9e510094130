"""Which data is personal, and what others see instead: payloads without it, citizens as keyed pseudonyms.

The projections, the public feed and the auditors' views without `personal` all apply these rules.
"""

from __future__ import annotations

import hmac
from typing import Any

from .events import EVENTS

# Free text and identifying fields that never leave the ledger for a projection or a public feed.
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {e.name: e.personal for e in EVENTS if e.personal}


def pseudonym(iin: str, key: str) -> str:
    """A keyed pseudonym: the same citizen gets the same value, which reveals nothing without the key."""
    return hmac.digest(key.encode(), iin.encode(), "sha256").hex()[:32]


def citizen_ref_of(event: dict[str, Any], key: str) -> str:
    """The pseudonym of a filing's applicant (its IIN's, or a legal entity's BIN's: the two never coincide, an
    IIN's digits 5-6 being a day of the month and a BIN's a type digit 4-6); the event's own citizen_ref when
    it carries one (schema v2); "" for any other event or a filing without the applicant in clear."""
    if event["event_type"] != "filed":
        return ""
    if event.get("citizen_ref"):
        return event["citizen_ref"]
    citizen = event["payload"].get("citizen") or {}
    number = citizen.get("iin") or citizen.get("bin")
    return pseudonym(number, key) if number else ""


def public_payload(event: dict[str, Any]) -> dict[str, Any]:
    """The payload with its personal fields left out (projections, auditors' views)."""
    dropped = PERSONAL_FIELDS.get(event["event_type"], ())
    return {k: v for k, v in event["payload"].items() if k not in dropped}


def published_payload(event: dict[str, Any], key: str) -> dict[str, Any]:
    """The payload as the public feed's Avro record holds it: a filing's citizen replaced by its
    pseudonym, every other personal field kept as null (the public schema has it nullable)."""
    if event["event_type"] == "filed":
        payload = public_payload(event)
        payload["citizen_ref"] = citizen_ref_of(event, key)
        return payload
    payload = dict(event["payload"])
    for name in PERSONAL_FIELDS.get(event["event_type"], ()):
        payload[name] = None
    return payload
