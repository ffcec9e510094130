"""The OpenAPI document built without a worker (streams/contracts/openapi.py): every command field, with its bounds."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import jsonschema
import pytest

from streams.contracts.openapi import openapi_document
from streams.domain.bounds import MAX_WAIT_SECONDS
from streams.domain import bounds
from streams.domain.commands import COMMAND_FIELDS, COMMON_FIELDS, CommandError, parse_command
from streams.settings import ROOT
from tests.support.appeals import FIELDS
from tests.support.messages import FILING

JSON_TYPES = {"string": "string", "datetime": "string", "date": "string", "boolean": "boolean", "integer": "integer",
              "object": "object"}


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(json.dumps(openapi_document()))     # as a client reads it


def schema_name(kind: str) -> str:
    return f"{kind.capitalize()}Command"


def test_building_the_documents_imports_no_faust():
    probe = ("import json, sys\n"
             "from streams.contracts.openapi import openapi_document\n"
             "from streams.contracts.asyncapi import asyncapi_document\n"
             "openapi_document(); asyncapi_document()\n"
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'faust', 'mode', 'aiokafka', 'aiohttp'})))\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == []


@pytest.mark.parametrize("kind", list(COMMAND_FIELDS))
def test_each_command_type_has_its_schema_with_every_field_and_its_bounds(document, kind):
    schema = document["components"]["schemas"][schema_name(kind)]
    specs = COMMON_FIELDS + COMMAND_FIELDS[kind]
    assert schema["type"] == "object"
    assert list(schema["properties"]) == [s.name for s in specs]
    assert schema["required"] == [s.name for s in specs if s.required]
    assert schema["properties"]["type"] == {"const": kind}
    for spec in specs:
        prop = schema["properties"][spec.name]
        if spec.kind == "string" and spec.name != "type":
            assert prop["type"] == "string" and prop["maxLength"] == spec.max_length, spec.name


def test_every_command_type_of_the_readme_has_a_schema(document):
    schemas = document["components"]["schemas"]
    for kind in ("file", "route", "extend", "answer", "escalate", "rate", "withdraw", "reopen", "overdue"):
        assert schemas[f"{kind.capitalize()}Command"]["properties"]["type"] == {"const": kind}


def test_the_citizen_schema_bounds_each_of_its_fields(document):
    citizen = document["components"]["schemas"]["Citizen"]
    assert citizen["required"] == ["name"] and citizen["oneOf"] == [{"required": ["iin"]}, {"required": ["bin"]}]
    assert list(citizen["properties"]) == ["iin", "bin", "name", "contact"]
    assert citizen["properties"]["iin"]["maxLength"] == bounds.MAX_ID_CHARS == 128
    assert citizen["properties"]["name"]["maxLength"] == citizen["properties"]["contact"]["maxLength"] == bounds.MAX_NAME_CHARS


def test_the_bounds_are_the_ones_the_readme_documents(document):
    schemas = document["components"]["schemas"]
    assert schemas["AnswerCommand"]["properties"]["outcome"]["enum"] == ["resolved", "explained", "refused"]
    escalate = schemas["EscalateCommand"]["properties"]
    assert escalate["reason"]["enum"] == ["overdue", "dissatisfied", "repeated", "citizen_request"]
    assert escalate["by"]["enum"] == ["citizen", "system", "monitor"]
    score = schemas["RateCommand"]["properties"]["score"]
    assert (score["type"], score["minimum"], score["maximum"]) == ("integer", 1, 5)
    assert "score" not in schemas["RateCommand"]["required"]
    assert schemas["FileCommand"]["properties"]["text"]["maxLength"] == bounds.MAX_TEXT_CHARS == 10_000
    assert schemas["FileCommand"]["properties"]["appeal_id"]["maxLength"] == bounds.MAX_ID_CHARS == 128
    assert schemas["ExtendCommand"]["properties"]["until"] == {"type": "string", "format": "date"}
    assert list(schemas["OverdueCommand"]["properties"]) == [s.name for s in COMMON_FIELDS]


def test_command_is_one_of_the_command_types_and_every_reference_resolves(document):
    schemas = document["components"]["schemas"]
    assert schemas["Command"] == {"oneOf": [{"$ref": f"#/components/schemas/{schema_name(k)}"} for k in COMMAND_FIELDS],
                                  "discriminator": {"propertyName": "type"}}
    references = []

    def walk(value):
        if isinstance(value, dict):
            if "$ref" in value:
                references.append(value["$ref"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(document)
    assert len(references) > len(COMMAND_FIELDS)
    for ref in references:
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas, ref


def test_the_intake_paths_and_responses(document):
    send = document["paths"]["/v1/commands"]["post"]
    assert set(send["responses"]) == {"200", "201", "202", "400", "401", "403", "413", "415", "422", "429"}
    assert document["security"] == [{"bearer": []}]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert str(bounds.MAX_COMMAND_BYTES) in send["responses"]["413"]["description"]
    [wait] = send["parameters"]
    assert wait["name"] == "wait" and wait["schema"] == {"type": "number", "minimum": 0, "default": 10}
    assert f"at most {MAX_WAIT_SECONDS:g}" in wait["description"]
    typed = document["paths"]["/v1/commands/{type}"]["post"]
    assert typed["parameters"][1]["schema"] == {"enum": list(COMMAND_FIELDS)}
    assert document["openapi"] == "3.1.0" and document["paths"]["/v1/outcomes/{command_id}"]["get"]["operationId"] == "getOutcome"


def test_every_schema_is_valid_json_schema_2020_12(document):
    """OpenAPI 3.1's schema objects are JSON Schema 2020-12 (discriminator is an extra keyword it ignores)."""
    for name, schema in document["components"]["schemas"].items():
        jsonschema.Draft202012Validator.check_schema(schema)


def command_validator(document: dict) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator({"$ref": "#/components/schemas/Command", "components": document["components"]})


AT = datetime(2003, 3, 1, 9, 15, tzinfo=timezone(timedelta(hours=5)))


def valid_command(kind: str) -> dict:
    fields = json.loads(json.dumps(FIELDS[kind]))     # a copy: the cases below change it
    return {"type": kind, "command_id": f"c-{kind}", "appeal_id": "a-1", "at": AT.isoformat(), **fields}


@pytest.mark.parametrize("kind", list(COMMAND_FIELDS))
def test_a_command_the_parser_takes_is_valid_against_the_document(document, kind):
    command = valid_command(kind)
    parse_command(command)
    assert list(command_validator(document).iter_errors(command)) == []


def test_the_readme_filing_is_valid_against_the_document(document):
    parse_command(FILING)
    assert list(command_validator(document).iter_errors(FILING)) == []


def changed(kind: str, **fields) -> dict:
    command = valid_command(kind)
    for name, value in fields.items():
        target = command
        if name.startswith("citizen_"):
            target, name = command["citizen"], name[len("citizen_"):]
        if value is ...:
            del target[name]
        else:
            target[name] = value
    return command


@pytest.mark.parametrize("command", [
    changed("answer", outcome="maybe"),
    changed("answer", outcome=...),
    changed("rate", score=6),
    changed("rate", score=0),
    changed("rate", score=True),
    changed("rate", satisfied="yes"),
    changed("escalate", by="mayor"),
    changed("extend", until=...),
    changed("file", citizen=...),
    changed("file", citizen_name="x" * (bounds.MAX_NAME_CHARS + 1)),
    changed("file", citizen_iin=...),
    changed("file", text="x" * (bounds.MAX_TEXT_CHARS + 1)),
    changed("withdraw", command_id="c" * (bounds.MAX_ID_CHARS + 1)),
    changed("route", to_body=17),
    changed("answer", type="nope"),
], ids=lambda c: f"{c['type']}")
def test_a_command_the_parser_refuses_is_invalid_against_the_document(document, command):
    with pytest.raises(CommandError):
        parse_command(command)
    assert list(command_validator(document).iter_errors(command)) != []
