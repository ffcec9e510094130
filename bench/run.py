"""`make bench`: every benchmark in turn; figures in bench/results/latest.json and latest.md."""

from __future__ import annotations

import subprocess
import sys
import time

STEPS = [["bench.replay"], ["bench.intake"], ["bench.freshness"]]


def main() -> int:
    from .harness import LATEST, RESULTS, record

    started = time.monotonic()
    failed = []
    # A fresh file per run, so no figure of an earlier run passes for this one's; the last is kept.
    if LATEST.exists():
        LATEST.replace(RESULTS / "previous.json")
    for step in STEPS:
        print(f"== {' '.join(step)}", flush=True)
        if subprocess.run([sys.executable, "-m", *step]).returncode != 0:
            failed.append(step[0])
    record({}, run={"seconds": round(time.monotonic() - started), "steps": [s[0] for s in STEPS], "failed": failed,
                    "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    print(f"benchmarks done in {time.monotonic() - started:.0f}s; see bench/results/latest.md" +
          (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
