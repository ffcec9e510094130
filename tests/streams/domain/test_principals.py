"""Who may send what (streams/domain/principals.py): every role × command cell, and the scope rules of bodies and the centre."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.domain.commands import COMMAND_FIELDS, CommandError, parse_command
from streams.domain.principals import (COMMANDS_OF, READS, ROLES, Principal, actor_record, authorize, may_read, may_send,
                                       regions_in_scope)
from tests.support.appeals import FIELDS, FILED_AT, PATHS, build, command

# The list, written out: the cells the table must allow; every other cell is refused.
ALLOWED = {
    ("gateway", "file"), ("gateway", "withdraw"), ("gateway", "rate"), ("gateway", "escalate"),
    ("body", "route"), ("body", "extend"), ("body", "answer"), ("body", "reopen"), ("body", "notify"),
    ("centre", "route"), ("centre", "answer"), ("centre", "extend"), ("centre", "notify"),
    ("system", "overdue"), ("system", "escalate"),
} | {("importer", kind) for kind in COMMAND_FIELDS}

PRINCIPALS = {
    "gateway": Principal("e-otinish", "gateway"),
    "body": Principal("almaty-clerk", "body", bodies=("almaty-akimat",)),
    "centre": Principal("pa-desk", "centre"),
    "importer": Principal("legacy-import", "importer"),
    "system": Principal("tyndau", "system"),
    "monitor": Principal("pa-monitor", "monitor", regions=("75",)),
    "auditor": Principal("court-7", "auditor"),
    "operator": Principal("ops", "operator"),
    "admin": Principal("root", "admin"),
}
# The state each command is tried on: one where the state machine would accept it.
STATE_FOR = {"file": "none", "route": "open", "extend": "open", "answer": "open", "escalate": "answered",
             "rate": "answered", "withdraw": "open", "reopen": "answered", "overdue": "open", "notify": "open"}


def parsed(kind: str, **changes):
    fields = dict(FIELDS[kind])
    if kind == "escalate":
        fields["by"] = "citizen"
    fields.update(changes)
    return parse_command(command(kind, 9, FILED_AT + timedelta(days=40), **fields))


def test_the_table_names_every_role_and_only_known_commands():
    assert set(COMMANDS_OF) == set(ROLES) == set(PRINCIPALS)
    assert all(set(kinds) <= set(COMMAND_FIELDS) for kinds in COMMANDS_OF.values())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("kind", list(COMMAND_FIELDS))
def test_each_role_and_command_is_allowed_or_refused(role, kind):
    principal = PRINCIPALS[role]
    state, _ = build(PATHS[STATE_FOR[kind]])
    if role == "centre" and kind in ("route", "answer", "extend", "notify"):
        state, _ = build(PATHS["escalated"])
    if role == "importer" and state is not None:
        state = replace(state, imported_by=principal.name)   # an importer acts on the appeals it moved in
    changes = {"by": "system", "reason": "overdue"} if (role, kind) == ("system", "escalate") else {}
    assert may_send(role, kind) is ((role, kind) in ALLOWED)
    if (role, kind) in ALLOWED:
        authorize(principal, parsed(kind, **changes), state)
    else:
        with pytest.raises(CommandError) as refused:
            authorize(principal, parsed(kind, **changes), state)
        assert refused.value.reason == "forbidden" and kind in refused.value.detail


def test_a_body_acts_only_on_appeals_assigned_to_one_of_its_bodies():
    state, _ = build(PATHS["open"])        # assigned to almaty-akimat
    authorize(Principal("clerk", "body", bodies=("astana-akimat", "almaty-akimat")), parsed("answer"), state)
    with pytest.raises(CommandError) as refused:
        authorize(Principal("clerk", "body", bodies=("astana-akimat",)), parsed("answer"), state)
    # Refused without learning which body holds the appeal.
    assert refused.value.reason == "forbidden" and "not assigned" in refused.value.detail
    assert "almaty-akimat" not in refused.value.detail
    with pytest.raises(CommandError):
        authorize(Principal("clerk", "body"), parsed("route"), state)    # a body credential with no bodies acts on none


@pytest.mark.parametrize("kind", ["route", "extend", "answer"])
def test_a_body_no_longer_acts_on_an_appeal_escalated_to_the_centre(kind):
    escalated, _ = build(PATHS["escalated"])   # still assigned to almaty-akimat
    with pytest.raises(CommandError) as refused:
        authorize(PRINCIPALS["body"], parsed(kind), escalated)
    assert refused.value.reason == "forbidden" and "escalated to the centre" in refused.value.detail
    authorize(PRINCIPALS["centre"], parsed("answer"), escalated)


def test_an_importer_acts_only_on_the_appeals_it_moved_in():
    state, _ = build(PATHS["open"])            # filed through the intake, not imported
    with pytest.raises(CommandError) as refused:
        authorize(PRINCIPALS["importer"], parsed("answer"), state)
    assert refused.value.reason == "forbidden" and "moved in" in refused.value.detail
    with pytest.raises(CommandError):
        authorize(PRINCIPALS["importer"], parsed("answer"), replace(state, imported_by="another-importer"))
    authorize(PRINCIPALS["importer"], parsed("answer"), replace(state, imported_by="legacy-import"))
    authorize(PRINCIPALS["importer"], parsed("file"), None)     # and files new ones


def test_the_centre_acts_only_on_escalated_appeals_in_any_region():
    escalated, _ = build(PATHS["escalated"])
    authorize(PRINCIPALS["centre"], parsed("answer"), escalated)
    open_state, _ = build(PATHS["open"])
    with pytest.raises(CommandError) as refused:
        authorize(PRINCIPALS["centre"], parsed("answer"), open_state)
    assert refused.value.reason == "forbidden" and "escalated" in refused.value.detail


@pytest.mark.parametrize("role, by, allowed", [("gateway", "citizen", True), ("gateway", "system", False),
                                               ("gateway", "monitor", False), ("system", "system", True),
                                               ("system", "citizen", False), ("importer", "monitor", True)])
def test_an_escalation_is_by_whom_the_principal_is(role, by, allowed):
    state, _ = build(PATHS["answered"])
    state = replace(state, imported_by="legacy-import")
    escalation = parsed("escalate", by=by)
    if allowed:
        authorize(PRINCIPALS[role], escalation, state)
    else:
        with pytest.raises(CommandError, match="escalates by"):
            authorize(PRINCIPALS[role], escalation, state)


def test_the_event_names_the_principal_with_its_scope():
    actor, imported_by = actor_record(PRINCIPALS["body"], parsed("answer"))
    assert actor == {"role": "body", "id": "almaty-clerk", "bodies": ["almaty-akimat"], "regions": []} and imported_by is None
    assert actor_record(PRINCIPALS["gateway"], parsed("file"))[0]["id"] == "e-otinish"


def test_only_an_importer_carries_over_the_actor_a_command_names():
    claimed = parsed("answer", actor={"role": "centre", "id": "someone-else"})
    with pytest.raises(CommandError) as refused:
        authorize(PRINCIPALS["body"], claimed, build(PATHS["open"])[0])
    assert refused.value.reason == "forbidden" and "actor" in refused.value.detail
    authorize(PRINCIPALS["importer"], claimed, replace(build(PATHS["open"])[0], imported_by="legacy-import"))
    assert actor_record(PRINCIPALS["importer"], claimed) == (
        {"role": "centre", "id": "someone-else", "bodies": [], "regions": []}, "legacy-import")
    # A moved history that names no actor gets the default of its command type (decided by the state machine).
    assert actor_record(PRINCIPALS["importer"], parsed("answer")) == (None, "legacy-import")


def test_read_rights_name_known_roles_and_personal_data_is_for_auditors_only():
    assert all(set(roles) <= set(ROLES) for roles in READS.values())
    assert [role for role in ROLES if may_read(role, "personal")] == ["auditor"]
    assert [role for role in ROLES if may_read(role, "administer")] == ["admin"]
    assert not may_read("monitor", "history") and may_read("monitor", "figures")
    assert not may_read("admin", "no-such-right")


def test_a_monitor_sees_its_regions_and_the_others_national_figures():
    assert regions_in_scope(PRINCIPALS["monitor"]) == ("75",)
    assert regions_in_scope(Principal("pa", "monitor")) == ()
    assert regions_in_scope(Principal("x", "auditor", regions=("75",))) == ()


@settings(max_examples=300, deadline=None)
@given(role=st.sampled_from(ROLES), kind=st.sampled_from(list(COMMAND_FIELDS)),
       path=st.sampled_from(sorted(PATHS)), bodies=st.lists(st.sampled_from(["almaty-akimat", "astana-akimat", ""]), max_size=2),
       imported_by=st.sampled_from([None, "legacy-import", "other"]), by=st.sampled_from(["citizen", "system", "monitor"]))
def test_any_principal_command_and_state_is_allowed_or_forbidden_never_an_exception(
        role, kind, path, bodies, imported_by, by):
    state, _ = build(PATHS[path])
    state = replace(state, imported_by=imported_by) if state is not None else None
    principal = Principal("p", role, bodies=tuple(bodies))
    try:
        authorize(principal, parsed(kind, **({"by": by} if kind == "escalate" else {})), state)
    except CommandError as refused:
        assert refused.reason == "forbidden" and refused.detail
    actor, imported = actor_record(principal, parsed(kind))
    assert (imported is not None) == (role == "importer")


def test_a_body_still_gives_the_notices_it_owes_on_an_appeal_escalated_since():
    """APC Art. 76: the notice of an extension within 3 working days is the body's to give, even if the citizen has
    escalated in the meantime; every other act on an escalated appeal is the centre's."""
    state, _ = build(PATHS["escalated"])
    clerk = PRINCIPALS["body"]
    authorize(clerk, parsed("notify"), state)
    with pytest.raises(CommandError) as refused:
        authorize(clerk, parsed("answer"), state)
    assert refused.value.reason == "forbidden" and "escalated" in refused.value.detail
