"""The projector's checkpoint timer (streams/agents/checkpoints.py): registered with its interval, and none when the
interval is 0 (checkpoints on demand only)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from streams.settings import ROOT

TIMERS = """
import json
from streams.app import app
from streams.agents import checkpoints
print(json.dumps(sorted(f"{t.__module__}.{t.__qualname__}" for t in app._app_tasks)))
"""


def timers(**env: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", TIMERS], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_timer_runs_with_its_interval_and_not_at_all_at_zero():
    assert "streams.agents.checkpoints.sign_checkpoints" in timers(TYNDAU_CHECKPOINT_SECONDS="300")
    assert "streams.agents.checkpoints.sign_checkpoints" not in timers(TYNDAU_CHECKPOINT_SECONDS="0")
