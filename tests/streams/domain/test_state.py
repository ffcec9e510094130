"""The appeal's state record (streams/domain/state.py): what the fold reaches, and what each stage keeps."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from streams.domain.state import BODY, CENTRE, STAGES, STATUSES, AppealState
from tests.support.appeals import PATHS, build


@pytest.mark.parametrize("name", [n for n in PATHS if n != "none"])
def test_every_path_ends_in_a_known_status_and_stage(name):
    state, _ = build(PATHS[name])
    assert state.status in STATUSES and state.stage in STAGES


def test_the_state_is_frozen_and_its_dict_leaves_out_the_command_ids():
    state, _ = build(["file", "answer"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.status = "open"
    assert "command_ids" not in state.as_dict() and state.as_dict()["status"] == "answered"


def test_the_bodys_figures_stay_once_the_centre_takes_the_appeal():
    """README, terms and owners: an escalation starts the centre's stage; the body's first answer is kept."""
    state, _ = build(["file", "answer", "rate", "escalate"])
    assert (state.stage, state.body_answered_on, state.body_satisfied) == (CENTRE, date(2021, 3, 2), False)
    assert state.centre_received_on is not None and state.centre_answered_on is None
    filed, _ = build(["file"])
    assert filed.stage == BODY and filed.body_due_on == filed.due_on and filed.term_started_on == filed.received_on


def test_every_field_added_after_the_first_release_has_a_default():
    """Rows and states written before a field existed still load (projections/rows.py rebuilds states by name)."""
    required = [f.name for f in dataclasses.fields(AppealState)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    assert required == ["appeal_id", "sequence", "last_hash", "status", "region", "body", "category", "channel",
                        "filed_at", "received_on", "due_on", "forward_by"]
