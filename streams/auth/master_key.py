"""The master key that wraps the appeals' data keys, from settings (streams/domain/sealing.py has the interface).

TYNDAU_MASTER_KEY is the active key (64 hex digits); TYNDAU_MASTER_KEYS_PREVIOUS lists the ones it replaced,
which still open the data keys they wrapped. A KMS would implement sealing.MasterKey's wrap and unwrap
instead; nothing else changes.
"""

from __future__ import annotations

from functools import lru_cache

from .. import settings
from ..domain.sealing import LocalMasterKey, parse_key


class MasterKeyError(ValueError):
    """A master key setting that is not a 256-bit key: which one, and how to fix it."""


@lru_cache(maxsize=None)
def master_key() -> LocalMasterKey:
    """The configured master keys (MasterKeyError when a setting is malformed)."""
    try:
        active = parse_key(settings.MASTER_KEY, "TYNDAU_MASTER_KEY")
        previous = tuple(parse_key(k, "TYNDAU_MASTER_KEYS_PREVIOUS") for k in settings.MASTER_KEYS_PREVIOUS)
    except ValueError as error:
        raise MasterKeyError(str(error)) from None
    return LocalMasterKey(active, previous)
