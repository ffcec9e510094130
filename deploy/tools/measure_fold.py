"""How fast one process folds the ledger from its bytes: Avro decode + evolve per event, on one core, no I/O.

What a ledger process does per event when it folds a partition again from appeals.events (a lost state
volume, a repartitioning's re-keyed copy), before Kafka's fetch and RocksDB's writes are counted: an upper
bound on the refold rate, for deploy/CAPACITY.md's refold times. The events are the simulator's, judged by
the domain code as the ledger judges an importer's commands (as bench/replay.py builds its log).

    .venv/bin/python deploy/tools/measure_fold.py [--appeals 30000]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))

from bench.replay import simulated_events  # noqa: E402
from streams.avro import codec  # noqa: E402
from streams.domain.appeal import evolve  # noqa: E402


def judged_events(appeals: int) -> list[tuple[str, bytes]]:
    return [(appeal_id, codec.encode_event(event)) for appeal_id, event, _ in simulated_events(appeals, seed=7)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appeals", type=int, default=30_000)
    args = parser.parse_args()
    events = judged_events(args.appeals)
    values, keys = [v for _, v in events], [k for k, _ in events]
    best = None
    for _ in range(3):   # the best of three: the machine's other work only slows a run down
        started = time.perf_counter()
        states: dict = {}
        for start in range(0, len(values), 5000):   # in the batches a fetch brings
            for event in codec.decode_many(values[start:start + 5000], keys[start:start + 5000]):
                states[event["appeal_id"]] = evolve(states.get(event["appeal_id"]), event)
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    print(json.dumps({"events": len(values), "appeals": len(states), "fold_seconds": round(best, 3),
                      "fold_events_per_s": round(len(values) / best)}, indent=1))


if __name__ == "__main__":
    main()
