"""The projections' rebuild, as the HTTP admin view asks for it and the projector carries it out.

A module of its own that registers nothing with the app, so the admin view can import it
without starting the projector.
"""

from __future__ import annotations

import time
from typing import Any


class Rebuild:
    """idle → requested → running → done; a request is refused while one is requested or running."""

    def __init__(self) -> None:
        self._reset("idle")

    def _reset(self, state: str) -> None:
        self.state = state
        self.events_total = self.events_done = 0
        self.started_at: str | None = None
        self.ends: dict[Any, int] = {}
        self.starts: dict[Any, int] = {}
        self._started = 0.0
        self.elapsed_s: float | None = None

    def request(self) -> bool:
        """Ask for a rebuild; False when one is already requested or running."""
        if self.state in ("requested", "running"):
            return False
        self._reset("requested")
        return True

    @property
    def requested(self) -> bool:
        return self.state == "requested"

    def start(self, starts: dict[Any, int], ends: dict[Any, int]) -> None:
        """The projections are empty and the consumer is back at `starts`; `ends` is where the rebuild is done."""
        self.state, self.starts, self.ends = "running", dict(starts), dict(ends)
        self.events_total, self.events_done = sum(ends[tp] - starts[tp] for tp in ends), 0
        self._started = time.monotonic()
        self.started_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def progress(self, positions: dict[Any, int]) -> None:
        """The consumer's positions now; the rebuild is done when they reach the ends."""
        self.events_done = sum(min(positions[tp], end) - self.starts[tp] for tp, end in self.ends.items())
        if self.events_done >= self.events_total:
            self.state, self.elapsed_s = "done", round(time.monotonic() - self._started, 3)

    def status(self) -> dict[str, Any]:
        """What GET /v1/admin/rebuild answers (the partitions and offsets stay inside)."""
        if self.state in ("idle", "requested"):
            return {"state": self.state}
        out: dict[str, Any] = {"state": self.state, "events_total": self.events_total, "events_done": self.events_done,
                               "started_at": self.started_at}
        if self.state == "running":
            out["elapsed_s"] = round(time.monotonic() - self._started, 3)
        else:
            out["elapsed_s"] = self.elapsed_s
            out["events_per_s"] = round(self.events_total / self.elapsed_s, 1) if self.elapsed_s else None
        return out


rebuild = Rebuild()


def request_rebuild() -> bool:
    return rebuild.request()


def rebuild_status() -> dict[str, Any]:
    return rebuild.status()
