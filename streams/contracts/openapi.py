"""The OpenAPI 3.1 document of the intake, generated from the one command specification (domain/commands.py)."""

from __future__ import annotations

from typing import Any

from ..domain import bounds
from ..domain.commands import CITIZEN_FIELDS, CITIZEN_IDENTIFIERS, COMMAND_FIELDS, COMMON_FIELDS, Field

_JSON_TYPES = {"string": {"type": "string"}, "datetime": {"type": "string", "format": "date-time"},
               "date": {"type": "string", "format": "date"}, "boolean": {"type": "boolean"},
               "integer": {"type": "integer"}, "object": {"type": "object"}}


def _property(spec: Field) -> dict[str, Any]:
    prop = dict(_JSON_TYPES[spec.kind])
    if spec.choices:
        prop["enum"] = list(spec.choices)
    if spec.minimum is not None:
        prop["minimum"] = spec.minimum
    if spec.maximum is not None:
        prop["maximum"] = spec.maximum
    if spec.kind == "string":
        prop["maxLength"] = spec.max_length
    if spec.doc:
        prop["description"] = spec.doc
    return prop


def _object(specs: tuple[Field, ...]) -> dict[str, Any]:
    return {"type": "object", "properties": {s.name: _property(s) for s in specs},
            "required": [s.name for s in specs if s.required]}


def openapi_document() -> dict[str, Any]:
    schemas: dict[str, Any] = {"Citizen": dict(_object(CITIZEN_FIELDS),
                                               oneOf=[{"required": [name]} for name in CITIZEN_IDENTIFIERS])}
    for kind, specs in COMMAND_FIELDS.items():
        schema = _object(COMMON_FIELDS + specs)
        schema["properties"]["type"] = {"const": kind}
        if kind == "file":
            schema["properties"]["citizen"] = {"$ref": "#/components/schemas/Citizen"}
        schemas[f"{kind.capitalize()}Command"] = schema
    schemas["Command"] = {"oneOf": [{"$ref": f"#/components/schemas/{k.capitalize()}Command"} for k in COMMAND_FIELDS],
                          "discriminator": {"propertyName": "type"}}
    schemas["Outcome"] = {"type": "object", "required": ["status"], "properties": {
        "status": {"enum": ["accepted", "rejected", "duplicate", "pending"]},
        "command_id": {"type": ["string", "null"]}, "request_id": {"type": "string"},
        "event": {"type": "object", "description": "The appended AppealEvent (accepted)"},
        "reason": {"type": "string", "description": "Reason code (rejected, duplicate)"},
        "detail": {"type": "string"}, "appeal_id": {"type": ["string", "null"]}}}
    outcome = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Outcome"}}}}
    schemas["Error"] = {"type": "object", "required": ["error"], "properties": {
        "error": {"type": "string", "description": "What is wrong and what to do"},
        "reason": {"type": "string", "description": "malformed, for a body that is not a JSON object"},
        "request_id": {"type": "string", "description": "On a 500: quote it when reporting the failure"}}}
    error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    wait = {"name": "wait", "in": "query", "schema": {"type": "number", "minimum": 0, "default": 10},
            "description": f"Seconds to wait for the outcome (at most {bounds.MAX_WAIT_SECONDS:g} are waited); 0 returns at once with status pending"}
    responses = {"201": {"description": "Appended: the event", **outcome},
                 "200": {"description": "Already appended earlier (duplicate command id)", **outcome},
                 "202": {"description": "Sent; the outcome was not known within `wait`", **outcome},
                 "422": {"description": "Rejected, with the reason", **outcome},
                 "400": {"description": "Not a JSON object (bad syntax, not UTF-8, nested over 1,024 deep), or a bad `wait`", **error},
                 "413": {"description": f"The body is over {bounds.MAX_COMMAND_BYTES} bytes", **error},
                 "415": {"description": "The body is not Content-Type: application/json (UTF-8)", **error}}
    refusals = {"401": {"description": "No valid credential (Authorization: Bearer <token>)", **error},
                "403": {"description": "The credential's role or scope does not allow this", **error},
                "429": {"description": "Over the principal's rate limit; retry after the Retry-After header", **error}}
    responses.update(refusals)
    return {
        "openapi": "3.1.0",
        "info": {"title": "tyndau intake", "version": "1", "description": "Commands for citizens' appeals; each becomes an event on appeals.events or a record on appeals.rejected. Every call sends a credential (tyndau token issue); the event names its principal as the actor."},
        "security": [{"bearer": []}],
        "paths": {
            "/v1/commands": {"post": {"operationId": "sendCommand", "parameters": [wait],
                                      "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Command"}}}},
                                      "responses": responses}},
            "/v1/commands/{type}": {"post": {"operationId": "sendTypedCommand", "parameters": [
                wait, {"name": "type", "in": "path", "required": True, "schema": {"enum": list(COMMAND_FIELDS)}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}},
                "responses": responses}},
            "/v1/outcomes/{command_id}": {"get": {"operationId": "getOutcome", "parameters": [
                {"name": "command_id", "in": "path", "required": True, "schema": {"type": "string"}},
                {"name": "purpose", "in": "query", "schema": {"type": "string"},
                 "description": "Required of an auditor reading a filing's personal data (recorded on appeals.access)"}],
                "responses": {"200": {"description": "The outcome; personal fields only for auditors", **outcome},
                              "404": {"description": "Unknown or pending"}, **refusals}}},
            "/v1/me": {"get": {"operationId": "whoAmI", "responses": {
                "200": {"description": "The caller's principal: name, role, bodies, regions"}, **refusals}}},
        },
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA), from `tyndau token issue`"}}},
    }
