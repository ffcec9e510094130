"""The schema evolution gate: within a major version every schema stays fully compatible; a new
major version reads all data of the ones before it.

Checked with Apache Avro's own checker (the `avro` package). The current schemas (`schemas/`)
belong to the newest released major version (v1, then v2, …):
- against each release of that major version (v2, v2.1, …): full compatibility — the current
  schema reads data written with the release (backward), and the release reads data written now
  (forward);
- against each release of an older major version (v1, v1.1, v1.2): backward — the current schema
  reads everything ever written with it. Older readers cannot read the new major's data; that is
  what a major version means (README: moving to v2).
"""

from __future__ import annotations

from pathlib import Path

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from . import codec


def parse(name: str, directory: Path | None) -> avro.schema.Schema:
    return avro.schema.parse(codec.schema_json(name, directory))


def major(version: Path) -> int:
    number = codec.release_number(version.name)
    if number is None:
        raise ValueError(f"{version} is not a release folder named vMAJOR or vMAJOR.MINOR")
    return number[0]


def incompatibilities(current_dir: Path | None = None, released: list[Path] | None = None) -> list[str]:
    """One sentence per incompatibility, naming the schema, the released version and what breaks."""
    released = codec.released_versions() if released is None else released
    current_major = max((major(v) for v in released), default=1)
    checker = ReaderWriterCompatibilityChecker()
    problems: list[str] = []
    for version in released:
        full = major(version) == current_major
        # Every record on its own (precise messages: which field breaks) and the messages' records.
        names = sorted(p.name[: -len(".avsc")] for p in version.glob("*.avsc"))
        for name in names:
            if not codec.schema_path(name, current_dir).exists():
                problems.append(f"{name} was released in {version.name} but is gone from schemas/")
                continue
            new, old = parse(name, current_dir), parse(name, version)
            directions = [(new, old, f"the current {name} cannot read data written with {version.name}")]
            if full:
                directions.append((old, new, f"a {version.name} reader of {name} cannot read data written now"))
            for reader, writer, direction in directions:
                result = checker.get_compatibility(reader, writer)
                if result.compatibility is not SchemaCompatibilityType.compatible:
                    where = "; ".join(sorted(f"{m} at {loc}" for m, loc in zip(result.messages, result.locations)))
                    problems.append(f"{direction}: {where or 'incompatible'}")
    return problems
