"""The projector's checkpoint timer (issue 17; README "Checkpoints"): every TYNDAU_CHECKPOINT_SECONDS (default 300)
it signs, with TYNDAU_CHECKPOINT_KEY, the tree of each partition that grew since this process last signed it
(streams/agents/signing.py). 0 turns it off: checkpoints are then signed on demand only (`tyndau checkpoint`)."""

from __future__ import annotations

import logging

from .. import settings
from ..app import app
from .signing import checkpoint_now

log = logging.getLogger(__name__)

if settings.CHECKPOINT_SECONDS > 0:
    @app.timer(settings.CHECKPOINT_SECONDS)
    async def sign_checkpoints() -> None:
        try:
            await checkpoint_now()
        except Exception:   # the next run tries again; a checkpoint is never half written (one record per partition)
            log.exception("could not sign the checkpoints; trying again in %.0f s", settings.CHECKPOINT_SECONDS)
