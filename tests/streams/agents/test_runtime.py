"""tune_gc (streams/agents/runtime.py): generation 0's threshold from TYNDAU_GC_GEN0_THRESHOLD, start-up objects frozen."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from streams.settings import ROOT

# In a child process: tune_gc changes the whole interpreter's collector.
PROBE = r"""
import gc, json, weakref

class Thing:
    pass

gc.disable()                       # only tune_gc's own collection runs from here on
before = gc.get_threshold()
kept = [Thing()]
kept.append(kept)                  # a live cycle from start-up
garbage = Thing()
garbage.me = garbage               # an unreachable cycle: collected, not frozen
gone = weakref.ref(garbage)
del garbage

from streams.agents.runtime import tune_gc
tune_gc()

later = [Thing()]
later.append(later)
tracked = {id(o) for o in gc.get_objects()}   # the collected generations; frozen objects are in none
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count(),
                  "garbage_collected": gone() is None, "start_up_frozen": id(kept) not in tracked,
                  "later_tracked": id(later) in tracked}))
"""


def tuned(**env: str) -> tuple[subprocess.CompletedProcess, dict | None]:
    environment = {k: v for k, v in os.environ.items() if k != "TYNDAU_GC_GEN0_THRESHOLD"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=dict(environment, **env), capture_output=True,
                          text=True, timeout=60)
    return done, json.loads(done.stdout.splitlines()[-1]) if done.returncode == 0 else None


def test_tune_gc_sets_generation_0_from_the_environment_and_freezes_start_up_objects():
    done, seen = tuned(TYNDAU_GC_GEN0_THRESHOLD="12345")
    assert done.returncode == 0, done.stderr[-2000:]
    assert seen["after"] == [12345, *seen["before"][1:]]        # generations 1 and 2 keep their thresholds
    assert seen["frozen"] > 1000 and seen["start_up_frozen"] is True
    assert seen["garbage_collected"] is True and seen["later_tracked"] is True


def test_tune_gc_defaults_to_50000():
    done, seen = tuned()
    assert done.returncode == 0, done.stderr[-2000:]
    assert seen["after"][0] == 50_000 and seen["before"][0] != 50_000


def test_a_threshold_that_is_not_a_number_stops_with_a_message():
    done, seen = tuned(TYNDAU_GC_GEN0_THRESHOLD="lots")
    assert done.returncode != 0 and seen is None
    assert "TYNDAU_GC_GEN0_THRESHOLD='lots' is not a whole number" in done.stderr
