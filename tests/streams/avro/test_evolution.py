"""The schema evolution gate, with Apache Avro's own compatibility checker."""

from __future__ import annotations

import json
import shutil

from streams.avro import codec
from streams.avro.evolution import incompatibilities


def test_every_schema_is_fully_compatible_with_every_released_version():
    assert codec.released_versions(), "schemas/released/ must keep the released versions"
    problems = incompatibilities()
    assert problems == [], "\n".join(problems)


def test_an_incompatible_change_fails_with_the_schema_and_the_reason(tmp_path):
    changed = tmp_path / "schemas"
    shutil.copytree(codec.settings.SCHEMAS_DIR, changed, ignore=shutil.ignore_patterns("released"))
    path = changed / "kz.tyndau.AppealRated.avsc"
    schema = json.loads(path.read_text())
    schema["fields"].append({"name": "channel", "type": "string"})     # a new field without a default
    path.write_text(json.dumps(schema))
    problems = incompatibilities(changed)
    assert any(p.startswith("the current kz.tyndau.AppealRated cannot read data written with v1") and "channel" in p
               for p in problems), problems
    assert any(p.startswith("the current kz.tyndau.AppealEvent cannot read data written with v1") for p in problems), problems

    path.write_text(json.dumps(dict(schema, fields=schema["fields"][:-1] + [{"name": "channel", "type": "string", "default": "web"}])))
    assert incompatibilities(changed) == [], "a field with a default is a compatible change"
