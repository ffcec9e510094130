"""`make bench`: every benchmark in turn; figures in bench/results/latest.json and latest.md.

    python -m bench.run                 all steps, into a fresh results file (the last kept as previous.json)
    python -m bench.run --only soak     one step (replay, intake, restart, failover, freshness, merkle, soak), merged into latest.json
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

STEPS = ["replay", "intake", "restart", "failover", "freshness", "merkle", "soak"]


def main() -> int:
    from .harness import LATEST, RESULTS, record

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", choices=STEPS, metavar="NAME",
                        help=f"run only this step ({', '.join(STEPS)}); may be given more than once")
    args = parser.parse_args()
    steps = args.only or STEPS
    started = time.monotonic()
    failed = []
    # A fresh file per full run, so no figure of an earlier run passes for this one's; the last is kept.
    if not args.only and LATEST.exists():
        LATEST.replace(RESULTS / "previous.json")
    for step in steps:
        print(f"== bench.{step}", flush=True)
        if subprocess.run([sys.executable, "-m", f"bench.{step}"]).returncode != 0:
            failed.append(step)
    record({}, run={"seconds": round(time.monotonic() - started), "steps": [f"bench.{s}" for s in steps], "failed": failed,
                    "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})
    print(f"benchmarks done in {time.monotonic() - started:.0f}s; see bench/results/latest.md" +
          (f"; FAILED: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
