"""The checkpoint keys from settings (streams/auth/checkpoint_keys.py): the signer of TYNDAU_CHECKPOINT_KEY and, after a
rotation, the retired keys of TYNDAU_CHECKPOINT_KEYS_PREVIOUS, which still verify what they signed."""

from __future__ import annotations

import pytest

from streams import settings
from streams.auth import checkpoint_keys
from streams.domain.checkpoint import Signer, open_note, sign_note


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    def reset():
        checkpoint_keys.checkpoint_signer.cache_clear()
        checkpoint_keys.checkpoint_verifiers.cache_clear()
    reset()
    yield monkeypatch
    reset()


def test_the_development_key_signs_by_default():
    signer = checkpoint_keys.checkpoint_signer()
    assert signer.name == "tyndau-development" and str(signer) == settings.DEVELOPMENT_CHECKPOINT_KEY
    assert checkpoint_keys.checkpoint_verifiers() == (signer.verifier,)


def test_after_a_rotation_a_checkpoint_signed_by_the_retired_key_still_verifies(fresh):
    old, new = Signer("tyndau-2025", bytes([5]) * 32), Signer("tyndau-2026", bytes([6]) * 32)
    note = sign_note("tyndau/appeals.events/0\n3\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n", old)
    fresh.setattr(settings, "CHECKPOINT_KEY", str(new))
    fresh.setattr(settings, "CHECKPOINT_KEYS_PREVIOUS", (str(old.verifier),))
    verifiers = checkpoint_keys.checkpoint_verifiers()
    assert verifiers == (new.verifier, old.verifier)
    assert open_note(note, list(verifiers))[1] == [old.verifier]


def test_a_malformed_setting_names_itself(fresh):
    fresh.setattr(settings, "CHECKPOINT_KEY", "PRIVATE+KEY+x")
    with pytest.raises(checkpoint_keys.CheckpointKeyError, match="^TYNDAU_CHECKPOINT_KEY: a signer key is"):
        checkpoint_keys.checkpoint_signer()
    fresh.setattr(settings, "CHECKPOINT_KEY", settings.DEVELOPMENT_CHECKPOINT_KEY)
    checkpoint_keys.checkpoint_signer.cache_clear()
    fresh.setattr(settings, "CHECKPOINT_KEYS_PREVIOUS", ("nope",))
    with pytest.raises(checkpoint_keys.CheckpointKeyError, match="^TYNDAU_CHECKPOINT_KEYS_PREVIOUS: "):
        checkpoint_keys.checkpoint_verifiers()
