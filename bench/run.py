"""`make bench`: every benchmark in turn; figures in bench/results/latest.json and latest.md."""

from __future__ import annotations

import subprocess
import sys
import time

STEPS = [["bench.replay"], ["bench.intake"], ["bench.freshness"]]


def main() -> int:
    started = time.monotonic()
    failed = []
    for step in STEPS:
        print(f"== {' '.join(step)}", flush=True)
        if subprocess.run([sys.executable, "-m", *step]).returncode != 0:
            failed.append(step[0])
    print(f"benchmarks done in {time.monotonic() - started:.0f}s; see bench/results/latest.md" +
          (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
