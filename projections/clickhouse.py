"""The ClickHouse connection (embedded chDB or a server, one DSN), migrations and named queries."""

from __future__ import annotations

import asyncio
import math
import re
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

import clickhouse_connect

from streams import settings
from streams.domain import bounds

HERE = Path(__file__).resolve().parent
MIGRATIONS = HERE / "migrations"
QUERIES = HERE / "queries"

_lock = threading.Lock()
_clients: dict[str, Any] = {}
# Every use of the engine in a worker goes through this one thread: chDB is one engine per
# process, and this keeps inserts and queries from running into each other.
_db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clickhouse")


async def in_db_thread(fn, *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(_db_thread, fn, *args)


def client(dsn: str | None = None):
    """One client per DSN and process: chDB allows one engine per process and one process per folder."""
    dsn = dsn or settings.CLICKHOUSE_DSN
    with _lock:
        if dsn not in _clients:
            if dsn.startswith("chdb://"):
                path = dsn[len("chdb://"):]
                if path.startswith("/"):
                    Path(path).mkdir(parents=True, exist_ok=True)
            try:
                _clients[dsn] = clickhouse_connect.get_client(dsn=dsn)
            except Exception as error:  # the driver raises several kinds; all mean "cannot open"
                raise SystemExit(
                    f"cannot open ClickHouse at {redact(dsn)}: {error}. An embedded chDB folder can be open in "
                    "one process only: stop the worker, or ask it over HTTP (the CLI does this by default)."
                ) from None
        return _clients[dsn]


def redact(dsn: str) -> str:
    """The DSN without its credentials: the user and password (up to the last '@' before the host,
    as the driver reads it) and the query string (the driver takes access_token and others from it)."""
    parts = urllib.parse.urlsplit(dsn)
    if "@" not in parts.netloc and not parts.query:   # not a URL with credentials: at most a stray user:password@
        return "***@" + dsn.rsplit("@", 1)[1] if "@" in dsn else dsn
    netloc = "***@" + parts.netloc.rsplit("@", 1)[1] if "@" in parts.netloc else parts.netloc
    return f"{parts.scheme}://{netloc}{parts.path}" + ("?***" if parts.query else "")


def statements(path: Path) -> list[str]:
    text = "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("--"))
    # Statements end with a semicolon at the end of a line (a ";" inside a string stays put).
    return [s.strip() for s in re.split(r";[ \t]*$", text, flags=re.MULTILINE) if s.strip()]


def migration_files() -> list[tuple[int, Path]]:
    out = []
    for path in MIGRATIONS.glob("*.sql"):
        number = path.name.split("_", 1)[0]
        if not re.fullmatch(r"[0-9]+", number):
            raise SystemExit(f"migration {path.name} must start with its number, e.g. 005_name.sql")
        out.append((int(number), path))
    return sorted(out)


def migrate(db=None) -> list[str]:
    """Apply the numbered migrations not yet recorded in schema_migrations; the names applied."""
    db = db or client()
    files = migration_files()
    first_number, first = files[0]
    for statement in statements(first):
        db.command(statement)
    done = {row["version"] for row in run_query("applied_migrations", {}, db)}
    applied = []
    for number, path in files:
        if number in done:
            continue
        for statement in statements(path):
            db.command(statement)
        db.insert("schema_migrations", [[number, path.name, datetime.now(timezone.utc)]],
                  column_names=["version", "name", "applied_at"])
        applied.append(path.name)
    return applied


REFOLD_MARK = "-- refold:"   # a migration whose new columns only a fold of the whole log can fill


def needs_refold(applied: list[str]) -> bool:
    """Whether one of these migrations (names as migrate returns them) leaves rows the fold must fill again."""
    return any((MIGRATIONS / name).read_text(encoding="utf-8").startswith(REFOLD_MARK) for name in applied)


def truncate_projections(db=None) -> None:
    db = db or client()
    for statement in statements(HERE / "maintenance" / "truncate.sql"):
        db.command(statement)


@lru_cache(maxsize=None)
def named_query(name: str) -> str:
    path = QUERIES / f"{name}.sql"
    if not path.exists():
        raise KeyError(f"no query named {name} in {QUERIES}")
    return "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("--")).strip()


# Columns a query may group by ({by:Identifier}): none of them identifies a citizen.
GROUPABLE_COLUMNS = ("region", "body", "category")
_PLACEHOLDER = re.compile(r"\{(\w+):([^{}]+)\}")
_UNSIGNED_BITS = {"UInt8": 8, "UInt16": 16, "UInt32": 32, "UInt64": 64}


class QueryParameterError(ValueError):
    """A named query's parameters that do not match its placeholders."""


# Placeholders a caller may leave out, and their value then: `regions` limits figures to some regions
# (a regional monitor's scope), none = national; `stage` chooses whose handling a figure counts, the
# receiving bodies' unless the centre's is asked for.
OPTIONAL_PARAMETERS: dict[str, Any] = {"regions": [], "stage": "body"}
# String placeholders that take one of a few words only.
CHOICES: dict[str, tuple[str, ...]] = {"stage": ("body", "centre")}


@lru_cache(maxsize=None)
def query_names() -> frozenset[str]:
    return frozenset(path.name[: -len(".sql")] for path in QUERIES.glob("*.sql"))


@lru_cache(maxsize=None)
def placeholders(name: str) -> dict[str, str]:
    """The query's parameters and their ClickHouse types, from its {name:Type} placeholders."""
    return dict(_PLACEHOLDER.findall(named_query(name)))


def _checked(name: str, kind: str, value: Any) -> Any:
    if kind == "String" and name in CHOICES:
        if isinstance(value, str) and value in CHOICES[name]:
            return value
        raise QueryParameterError(f"{name} must be one of {', '.join(CHOICES[name])}")
    if kind == "String":
        if isinstance(value, str) and len(value) <= bounds.MAX_TEXT_CHARS and bounds.encodable(value):
            return value
        raise QueryParameterError(f"{name} must be a string of at most {bounds.MAX_TEXT_CHARS} characters")
    if kind in ("Date", "Date32"):
        day = bounds.parse_day(value)
        if day is None or not bounds.day_in_bounds(day):
            raise QueryParameterError(f"{name} must be a date YYYY-MM-DD between {bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}")
        return day
    if kind in _UNSIGNED_BITS:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2 ** _UNSIGNED_BITS[kind]:
            raise QueryParameterError(f"{name} must be a whole number from 0 to {2 ** _UNSIGNED_BITS[kind] - 1}")
        return value
    if kind == "Array(String)":
        if (not isinstance(value, list) or len(value) > 1000
                or not all(isinstance(v, str) and bounds.text_problem(v, bounds.MAX_ID_CHARS, free_text=False) is None
                           for v in value)):
            raise QueryParameterError(f"{name} must be a list of at most 1000 ids (printable, at most {bounds.MAX_ID_CHARS} characters)")
        return value
    if kind == "Identifier":
        if value not in GROUPABLE_COLUMNS:
            raise QueryParameterError(f"{name} must be one of {', '.join(GROUPABLE_COLUMNS)}")
        return value
    raise QueryParameterError(f"{name} has the type {kind}, which this endpoint does not take")


def check_parameters(name: str, parameters: Any) -> dict[str, Any]:
    """The parameters of a named query, each checked against its placeholder's type; exactly the
    placeholders, no more and no fewer (those of OPTIONAL_PARAMETERS may be left out).
    QueryParameterError says what is wrong."""
    if not isinstance(parameters, dict):
        raise QueryParameterError("the parameters are a JSON object, {\"name\": value, …}")
    expected = placeholders(name)
    unknown = sorted(set(parameters) - set(expected))
    missing = sorted(set(expected) - set(parameters) - set(OPTIONAL_PARAMETERS))
    if unknown or missing:
        raise QueryParameterError(f"it takes {', '.join(sorted(expected)) or 'no parameters'}"
                                  + (f"; unknown: {bounds.shown(unknown)}" if unknown else "")
                                  + (f"; missing: {', '.join(missing)}" if missing else ""))
    given = {**{k: v for k, v in OPTIONAL_PARAMETERS.items() if k in expected}, **parameters}
    return {key: _checked(key, expected[key], value) for key, value in given.items()}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def run_query(name: str, parameters: dict[str, Any], db=None) -> list[dict[str, Any]]:
    db = db or client()
    result = db.query(named_query(name), parameters=parameters)
    return [{k: _clean(v) for k, v in zip(result.column_names, row)} for row in result.result_rows]
