"""The key that signs the ledger's checkpoints and the keys that verify them, from settings.

TYNDAU_CHECKPOINT_KEY is the signer (a C2SP signer key, streams/domain/checkpoint.py); TYNDAU_CHECKPOINT_KEYS_PREVIOUS
lists the verifier keys of the ones it replaced, so that the checkpoints they signed still verify. Witnesses get
the verifier keys from the AsyncAPI document and GET /v1/checkpoints/keys.
"""

from __future__ import annotations

from functools import lru_cache

from .. import settings
from ..domain.checkpoint import NoteError, Signer, Verifier, parse_signer, parse_verifier


class CheckpointKeyError(ValueError):
    """A checkpoint key setting that is not a key: which one, and how to fix it."""


@lru_cache(maxsize=None)
def checkpoint_signer() -> Signer:
    try:
        return parse_signer(settings.CHECKPOINT_KEY.strip())
    except NoteError as error:
        raise CheckpointKeyError(f"TYNDAU_CHECKPOINT_KEY: {error}; make one with `tyndau checkpoint --new-key NAME`") from None


@lru_cache(maxsize=None)
def checkpoint_verifiers() -> tuple[Verifier, ...]:
    """The active key's verifier first, then the retired ones'."""
    try:
        previous = tuple(parse_verifier(k) for k in settings.CHECKPOINT_KEYS_PREVIOUS)
    except NoteError as error:
        raise CheckpointKeyError(f"TYNDAU_CHECKPOINT_KEYS_PREVIOUS: {error}") from None
    return (checkpoint_signer().verifier, *previous)
