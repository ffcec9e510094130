"""The Merkle tree's upkeep and its queries, on the embedded engine: how fast the projector's tree writer adds
leaves, and what a worker's reads of the tree cost once a partition holds many (issue 17).

One partition's tree of --leaves leaves is written in batches of --batch, as the projector writes them (each batch
one insert into merkle_nodes). Then, on that tree, each of these is timed --repeat times (the median kept):
loading a partition's right edge (a projector's start, each checkpoint's signing), the leaf indexes of an appeal's
events by their offsets, and the inclusion proofs of those events against the whole tree.

    python -m bench.merkle [--leaves 1000000] [--batch 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import statistics
import sys
import tempfile
import time

from tqdm import tqdm

from .harness import record


def main() -> int:
    from projections.clickhouse import client, migrate
    from projections.proofs import inclusion_proofs, leaf_indexes
    from projections.tree import COLUMNS, TreeWriter, load_edge

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leaves", type=int, default=1_000_000, help="leaves in the partition's tree")
    parser.add_argument("--batch", type=int, default=5000, help="leaves per insert, as a projector batch")
    parser.add_argument("--repeat", type=int, default=5, help="timings of each read (the median is kept)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="tyndau-bench-merkle-") as folder:
        db = client(f"chdb://{folder}")
        migrate(db)
        writer, partition = TreeWriter(db), 0
        started = time.perf_counter()
        with tqdm(total=args.leaves, unit=" leaves", desc="tree", disable=None, file=sys.stderr) as bar:
            for start in range(0, args.leaves, args.batch):
                # An event every other offset: the transaction markers between batches take offsets too.
                records = [(partition, 2 * i, b"", {"hash": hashlib.sha256(i.to_bytes(8, "big")).hexdigest()})
                           for i in range(start, min(args.leaves, start + args.batch))]
                rows, edges = writer.rows(records)
                db.insert("merkle_nodes", rows, column_names=COLUMNS)
                writer.advance(edges)
                bar.update(len(records))
        upkeep = args.leaves / (time.perf_counter() - started)

        def median_ms(step) -> float:
            times = []
            for _ in range(args.repeat):
                began = time.perf_counter()
                step()
                times.append((time.perf_counter() - began) * 1000)
            return round(statistics.median(times), 1)

        edge = load_edge(db, partition)
        assert edge.size == args.leaves and edge.root() == writer.edges[partition].root()
        rng = random.Random(17)
        offsets = [2 * rng.randrange(args.leaves) for _ in range(8)]   # an appeal's eight events, spread over the log
        indexes = leaf_indexes(db, partition, offsets)
        assert sorted(indexes.values()) == sorted(o // 2 for o in set(offsets))
        root, _ = inclusion_proofs(db, partition, indexes.values(), args.leaves)
        assert root == edge.root()
        load = median_ms(lambda: load_edge(db, partition))
        find = median_ms(lambda: leaf_indexes(db, partition, offsets))
        prove = median_ms(lambda: inclusion_proofs(db, partition, indexes.values(), args.leaves))

    workload = f"one partition's tree of {args.leaves:,} leaves, written in batches of {args.batch:,}, embedded chDB"
    how = "bench/merkle.py: TreeWriter.rows and one insert per batch; reads timed with perf_counter, median of " \
          f"{args.repeat}"
    record({
        "merkle_upkeep_leaves_per_s": {"value": round(upkeep), "unit": "leaves/s", "how": how, "workload": workload},
        "merkle_load_edge_ms": {"value": load, "unit": "ms", "how": how, "workload": workload + "; load_edge"},
        "merkle_leaf_indexes_ms": {"value": find, "unit": "ms", "how": how, "workload": workload + "; 8 offsets"},
        "merkle_inclusion_proofs_ms": {"value": prove, "unit": "ms", "how": how,
                                       "workload": workload + "; 8 proofs against the whole tree"},
    })
    print(f"tree upkeep {upkeep:,.0f} leaves/s; load_edge {load} ms; leaf_indexes {find} ms; 8 proofs {prove} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
