"""Process-wide tuning of a long-running worker (or a replay that stands in for one)."""

from __future__ import annotations

import gc

from .. import settings


def tune_gc() -> None:
    """Collect the young generation less often and leave start-up objects out of collections.

    Projection and intake allocate a few small dicts per event, nearly all short-lived; with
    CPython's default threshold the cyclic collector ran every 700 allocations and, as the
    state cache grew, its older-generation passes walked hundreds of thousands of live objects.
    """
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(settings.GC_GEN0_THRESHOLD, gen1, gen2)
