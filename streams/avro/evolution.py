"""The schema evolution gate: every schema must stay fully compatible with each released version.

Full compatibility, checked with Apache Avro's own checker (the `avro` package): the current
schema reads data written with a released one (backward), and a released reader reads data
written with the current one (forward).
"""

from __future__ import annotations

from pathlib import Path

import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

from . import codec


def parse(name: str, directory: Path | None) -> avro.schema.Schema:
    return avro.schema.parse(codec.schema_json(name, directory))


def incompatibilities(current_dir: Path | None = None, released: list[Path] | None = None) -> list[str]:
    """One sentence per incompatibility, naming the schema, the released version and what breaks."""
    released = codec.released_versions() if released is None else released
    checker = ReaderWriterCompatibilityChecker()
    problems: list[str] = []
    for version in released:
        # Every record on its own (precise messages: which field breaks) and the messages' records.
        names = sorted(p.name[: -len(".avsc")] for p in version.glob("*.avsc"))
        for name in names:
            if not codec.schema_path(name, current_dir).exists():
                problems.append(f"{name} was released in {version.name} but is gone from schemas/")
                continue
            new, old = parse(name, current_dir), parse(name, version)
            for reader, writer, direction in ((new, old, f"the current {name} cannot read data written with {version.name}"),
                                              (old, new, f"a {version.name} reader of {name} cannot read data written now")):
                result = checker.get_compatibility(reader, writer)
                if result.compatibility is not SchemaCompatibilityType.compatible:
                    where = "; ".join(sorted(f"{m} at {loc}" for m, loc in zip(result.messages, result.locations)))
                    problems.append(f"{direction}: {where or 'incompatible'}")
    return problems
