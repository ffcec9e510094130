"""projections/clickhouse.py against the embedded engine: migrations, statement splitting, named queries and their parameters."""

from __future__ import annotations

import math
import os
import re
import uuid
from datetime import date

import clickhouse_connect
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projections import clickhouse
from projections.clickhouse import (CHOICES, GROUPABLE_COLUMNS, OPTIONAL_PARAMETERS, QueryParameterError, check_parameters,
                                    migrate, migration_files, named_query, placeholders, query_names, redact, run_query,
                                    statements)
from streams.domain import bounds
from tests.support.messages import json_values, nasty_values

FILES = sorted(name for name in os.listdir(clickhouse.MIGRATIONS) if name.endswith(".sql"))
fuzz = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture
def fresh(db):
    """A client of the same engine (chDB: one per process) whose default database is new and empty."""
    name = f"fresh_{uuid.uuid4().hex[:10]}"
    db.command(f"CREATE DATABASE {name}")
    other = clickhouse_connect.get_client(dsn=f"chdb://{db.path}", database=name)
    try:
        yield other
    finally:
        other.close()
        db.command(f"DROP DATABASE {name} SYNC")


def tables(db, database: str) -> set[str]:
    rows = db.query("SELECT name FROM system.tables WHERE database = {d:String}", parameters={"d": database}).result_rows
    return {name for (name,) in rows}


# --- migrations ---------------------------------------------------------------------------------------------------


def test_migrate_applies_every_migration_once_in_order_then_none(fresh):
    assert migrate(fresh) == FILES
    assert tables(fresh, fresh.database) == {"schema_migrations", "appeal_events", "appeals", "appeal_versions",
                                             "projection_errors", "merkle_nodes"}
    # 005 made the business dates Date32; 007 dropped 004's view; 009 added the stages' columns, 010 the versions.
    types = dict(fresh.query("SELECT name, type FROM system.columns WHERE database = {d:String} AND table = 'appeals'",
                             parameters={"d": fresh.database}).result_rows)
    assert types["received_on"] == "Date32" and types["answered_on"] == "Nullable(Date32)"
    assert types["body_answered_on"] == types["centre_due_on"] == "Nullable(Date32)"
    assert types["notices_owed"] == "Array(Tuple(String, Date32, String))" and types["body_late_notices"] == "UInt16"
    assert types["centre_response_working_days"] == "Nullable(UInt16)"
    versions = dict(fresh.query("SELECT name, type FROM system.columns WHERE database = {d:String} AND table = 'appeal_versions'",
                                parameters={"d": fresh.database}).result_rows)
    assert versions.pop("valid_on") == "Date32" and versions == types     # every state column, the same types
    assert migrate(fresh) == []
    assert migrate(fresh) == []
    recorded = fresh.query("SELECT version, name FROM schema_migrations ORDER BY version").result_rows   # no FINAL: every row
    assert recorded == [(int(name.split("_", 1)[0]), name) for name in FILES]


def test_migrate_on_the_migrated_engine_applies_none_and_lists_each_file(db):
    assert migrate(db) == []
    rows = run_query("applied_migrations", {}, db)
    assert sorted(row["version"] for row in rows) == [int(name[:3]) for name in FILES]
    names = [name for (name,) in db.query("SELECT name FROM schema_migrations FINAL ORDER BY version").result_rows]
    assert names == FILES


def test_statements_split_at_a_semicolon_that_ends_a_line(tmp_path):
    sql = tmp_path / "x.sql"
    sql.write_text("-- a comment; with semicolons;\n"
                   "CREATE TABLE t (s String DEFAULT 'a;b', n UInt8);\n"
                   "   -- an indented comment;\n"
                   "INSERT INTO t VALUES ('one; two', 1), (';', 2);  \t\n"
                   "\n"
                   "SELECT ';' AS semi,\n"
                   "       'x;y' AS other\n"
                   "FROM t;\n"
                   "SELECT 1\n")
    assert statements(sql) == ["CREATE TABLE t (s String DEFAULT 'a;b', n UInt8)",
                               "INSERT INTO t VALUES ('one; two', 1), (';', 2)",
                               "SELECT ';' AS semi,\n       'x;y' AS other\nFROM t",
                               "SELECT 1"]


def test_statements_of_a_file_of_comments_only_are_none(tmp_path):
    sql = tmp_path / "x.sql"
    sql.write_text("-- nothing;\n\n  -- at all;\n")
    assert statements(sql) == []


def test_statements_of_the_real_migrations_run_on_the_engine(fresh):
    counts = {path.name: len(statements(path)) for _, path in migration_files()}
    assert counts["005_dates_to_2149.sql"] == 1     # one ALTER with several MODIFY COLUMN clauses
    assert all(n >= 1 for n in counts.values())
    for _, path in migration_files():
        for statement in statements(path):
            assert not statement.rstrip().endswith(";") and "\n--" not in statement
            fresh.command(statement)


def test_migration_files_are_ordered_by_number(monkeypatch, tmp_path):
    for name in ("010_later.sql", "002_second.sql", "001_first.sql", "notes.txt"):
        (tmp_path / name).write_text("SELECT 1\n")
    monkeypatch.setattr(clickhouse, "MIGRATIONS", tmp_path)
    assert [(n, p.name) for n, p in migration_files()] == [(1, "001_first.sql"), (2, "002_second.sql"), (10, "010_later.sql")]


def test_migration_files_are_ordered_by_number_not_by_name(monkeypatch, tmp_path):
    for name in ("9_nine.sql", "010_ten.sql"):
        (tmp_path / name).write_text("SELECT 1\n")
    monkeypatch.setattr(clickhouse, "MIGRATIONS", tmp_path)
    assert [n for n, _ in migration_files()] == [9, 10]


@pytest.mark.parametrize("name", ["schema.sql", "v2_schema.sql", "_002.sql"])
def test_migration_files_reject_a_name_without_its_number(monkeypatch, tmp_path, name):
    (tmp_path / "001_first.sql").write_text("SELECT 1\n")
    (tmp_path / name).write_text("SELECT 1\n")
    monkeypatch.setattr(clickhouse, "MIGRATIONS", tmp_path)
    with pytest.raises(SystemExit) as exited:
        migration_files()
    assert name in str(exited.value) and "must start with its number" in str(exited.value)


def test_the_real_migrations_are_numbered_1_to_n():
    assert [n for n, _ in migration_files()] == list(range(1, len(FILES) + 1))


# --- named queries and their parameters -----------------------------------------------------------------------------


def test_query_names_lists_every_sql_file_of_projections_queries():
    on_disk = {name[:-4] for name in os.listdir(clickhouse.QUERIES) if name.endswith(".sql")}
    assert query_names() == on_disk
    assert {"ranking", "kpis", "trend", "history", "states_by_id", "applied_migrations", "ping"} <= on_disk
    for name in on_disk:
        text = named_query(name)
        assert text.startswith(("SELECT", "WITH")), name
        assert not any(line.strip().startswith("--") for line in text.splitlines()), name
    with pytest.raises(KeyError):
        named_query("no_such_query")


PERIOD = {"from": "2031-01-01", "to": "2031-12-31"}


def test_check_parameters_wants_exactly_the_placeholders():
    assert check_parameters("ping", {}) == {}
    with pytest.raises(QueryParameterError, match=r"^it takes no parameters; unknown: \['x'\]$"):
        check_parameters("ping", {"x": 1})
    with pytest.raises(QueryParameterError, match=r"^it takes from, regions, to, today; missing: from, today$"):
        check_parameters("kpis", {"to": "2031-01-01"})
    with pytest.raises(QueryParameterError, match=r"^it takes from, limit, regions, to; unknown: \['by', 'z'\]; missing: from, limit, to$"):
        check_parameters("escalations", {"z": 1, "by": "region"})
    for value in ([], "limit=1", None, 5, [["limit", 1]]):
        with pytest.raises(QueryParameterError, match="the parameters are a JSON object"):
            check_parameters("escalations", value)


def test_check_parameters_array_of_ids():
    assert check_parameters("escalations", {**PERIOD, "limit": 1, "regions": ["71", "62"]})["regions"] == ["71", "62"]
    assert check_parameters("escalations", {**PERIOD, "limit": 1, "regions": []})["regions"] == []
    for bad in ("71", [71], ["a\x00"], ["x" * 129], ["7"] * 1001, None):
        with pytest.raises(QueryParameterError, match="regions must be a list of at most 1000 ids"):
            check_parameters("escalations", {**PERIOD, "limit": 1, "regions": bad})


def test_check_parameters_string():
    assert check_parameters("history", {"appeal_id": "A-1"}) == {"appeal_id": "A-1"}
    assert check_parameters("history", {"appeal_id": ""}) == {"appeal_id": ""}
    longest = "ж" * bounds.MAX_TEXT_CHARS
    assert check_parameters("history", {"appeal_id": longest}) == {"appeal_id": longest}
    message = f"^appeal_id must be a string of at most {bounds.MAX_TEXT_CHARS} characters$"
    for bad in (longest + "ж", "\ud800", 12, None, ["A-1"], {"a": 1}, True):
        with pytest.raises(QueryParameterError, match=message):
            check_parameters("history", {"appeal_id": bad})


def test_check_parameters_dates_are_within_the_bounds():
    ok = check_parameters("kpis", {"from": "1970-01-01", "to": "2149-12-31", "today": "2031-02-28"})
    assert ok == {"from": date(1970, 1, 1), "to": date(2149, 12, 31), "today": date(2031, 2, 28), "regions": []}
    message = f"^from must be a date YYYY-MM-DD between {bounds.EARLIEST_DAY} and {bounds.LATEST_DAY}$"
    for bad in ("1969-12-31", "2150-01-01", "2031-02-29", "31.01.2031", "2031-01-01T00:00", "", None, 20310101,
                "2031-01-01 ", ["2031-01-01"]):
        with pytest.raises(QueryParameterError, match=message):
            check_parameters("kpis", {"from": bad, "to": "2031-01-01", "today": "2031-01-01"})


@pytest.mark.parametrize("query, name, bits", [("escalations", "limit", 32), ("appeal_states", "offset", 64)])
def test_check_parameters_unsigned_integers_are_in_range(query, name, bits):
    others = {"appeal_states": {"limit": 1}, "escalations": {"from": "2031-01-01", "to": "2031-01-01"}}[query]
    for good in (0, 1, 2 ** bits - 1):
        assert check_parameters(query, {name: good, **others})[name] == good
    for bad in (-1, 2 ** bits, True, False, 1.0, "1", None, [1]):
        with pytest.raises(QueryParameterError, match=f"^{name} must be a whole number from 0 to {2 ** bits - 1}$"):
            check_parameters(query, {name: bad, **others})


def test_check_parameters_identifier_is_only_a_groupable_column():
    period = {"from": "2031-01-01", "to": "2031-12-31", "today": "2032-01-01", "region": ""}
    assert GROUPABLE_COLUMNS == ("region", "body", "category")
    for column in GROUPABLE_COLUMNS:
        assert check_parameters("ranking", {"by": column, **period})["by"] == column
    for bad in ("citizen_ref", "appeal_id", "Region", "region ", "region; DROP TABLE appeals", "", None, ["region"]):
        with pytest.raises(QueryParameterError, match="^by must be one of region, body, category$"):
            check_parameters("ranking", {"by": bad, **period})


def test_check_parameters_refuses_a_placeholder_type_it_does_not_take(monkeypatch):
    assert placeholders("states_by_id") == {"ids": "Array(String)"}
    assert check_parameters("states_by_id", {"ids": ["A-1"]}) == {"ids": ["A-1"]}
    monkeypatch.setattr(clickhouse, "placeholders", lambda name: {"n": "Float64"})
    with pytest.raises(QueryParameterError, match=r"^n has the type Float64, which this endpoint does not take$"):
        check_parameters("any", {"n": 1.5})


def test_the_scope_of_regions_may_be_left_out_and_is_then_national():
    assert check_parameters("escalations", {**PERIOD, "limit": 3}) == {
        "limit": 3, "regions": [], "from": date(2031, 1, 1), "to": date(2031, 12, 31)}
    assert "regions" not in check_parameters("ping", {})


def test_the_stage_is_the_body_or_the_centre_and_the_body_when_left_out():
    """README, the ranking's figures: a figure counts the receiving bodies' handling or the centre's, nothing else."""
    period = {"by": "region", "from": "2031-01-01", "to": "2031-12-31", "today": "2032-01-01", "region": ""}
    assert placeholders("ranking")["stage"] == "String"
    assert check_parameters("ranking", period)["stage"] == "body"
    assert check_parameters("ranking", dict(period, stage="centre"))["stage"] == "centre"
    for bad in ("Centre", "centre ", "", "citizen", None, 1, ["body"]):
        with pytest.raises(QueryParameterError, match="^stage must be one of body, centre$"):
            check_parameters("ranking", dict(period, stage=bad))


# The server's own clock and zone: a figure computed with them depends on where and when the engine runs.
SERVER_CLOCK = re.compile(r"\b(today|now|now64|yesterday)\s*\(|\btoDate\s*\(", re.IGNORECASE)


def sql_files() -> list:
    return sorted(p for folder in ("queries", "migrations", "maintenance") for p in (clickhouse.HERE / folder).glob("*.sql"))


def test_no_sql_takes_a_date_from_the_servers_clock_or_zone():
    """DOMAIN.md: the day an appeal is received, answered or overdue is the region's legal local date, and
    "today" is Kazakhstan's: every date a figure uses is a parameter computed in Kazakhstan
    (streams/domain/localtime.py), never today(), now(), yesterday() or toDate() on the ClickHouse
    server's clock and zone."""
    offenders = {path.name for path in sql_files() if SERVER_CLOCK.search(path.read_text())}
    # History: 004 created a view on today() that 007 dropped; an applied migration is never edited.
    assert offenders == {"004_daily_region_body_category.sql"}
    assert "DROP VIEW IF EXISTS daily_region_body_category" in (clickhouse.MIGRATIONS / "007_drop_unused_daily_view.sql").read_text()
    assert {p.name for p in sql_files()} >= {"ranking.sql", "kpis.sql", "overdue.sql", "trend.sql", "010_appeal_versions.sql"}
    for clock in ("today()", "now64(6)", "NOW ()", "yesterday()", "toDate(filed_at)", "x < toDate (now())"):
        assert SERVER_CLOCK.search(clock), clock
    for parameter in ("{today:Date32}", "toDate32OrNull(x)", "body_due_on <", "'today'", "toDateTime64(x, 6, 'UTC')"):
        assert not SERVER_CLOCK.search(parameter), parameter


def parameters_for(name: str, valid: st.SearchStrategy, invalid: st.SearchStrategy) -> st.SearchStrategy:
    """Dictionaries with some, all or more than the query's placeholders, valid values or anything."""
    keys = sorted(placeholders(name))
    value = valid | invalid
    return st.one_of(st.fixed_dictionaries({k: value for k in keys}),
                     st.dictionaries(st.sampled_from(keys) | st.text(max_size=8), value, max_size=6) if keys
                     else st.dictionaries(st.text(max_size=8), value, max_size=3))


VALID = {
    "String": st.text(max_size=30),
    "Date32": st.dates(bounds.EARLIEST_DAY, bounds.LATEST_DAY).map(date.isoformat),
    "UInt8": st.integers(0, 2 ** 8 - 1),
    "UInt16": st.integers(0, 2 ** 16 - 1),
    "UInt32": st.integers(0, 2 ** 32 - 1),
    "UInt64": st.integers(0, 2 ** 64 - 1),
    "Identifier": st.sampled_from(GROUPABLE_COLUMNS),
    "Array(String)": st.lists(st.sampled_from(["71", "62", "75", "A-1"]), max_size=3),
}


@st.composite
def any_call(draw):
    name = draw(st.sampled_from(sorted(query_names())))
    kinds = set(placeholders(name).values())
    valid = st.one_of(*(VALID.get(k, st.just("x")) for k in kinds)) if kinds else st.none()
    return name, draw(json_values | parameters_for(name, valid, nasty_values | st.integers(-2 ** 70, 2 ** 70)))


@fuzz
@given(any_call())
def test_check_parameters_never_raises_anything_but_query_parameter_error(call):
    name, parameters = call
    try:
        checked = check_parameters(name, parameters)
    except QueryParameterError as error:
        assert str(error)
        return
    assert isinstance(parameters, dict) and set(checked) == set(parameters) | (set(OPTIONAL_PARAMETERS) & set(placeholders(name)))
    assert set(checked) == set(placeholders(name))
    for key, kind in placeholders(name).items():
        value = checked[key]
        if kind == "Date32":
            assert isinstance(value, date) and bounds.EARLIEST_DAY <= value <= bounds.LATEST_DAY
        elif kind.startswith("UInt"):
            assert type(value) is int and 0 <= value
        elif kind == "Identifier":
            assert value in GROUPABLE_COLUMNS
        elif kind == "Array(String)":
            assert isinstance(value, list) and all(isinstance(v, str) for v in value)
        elif key in CHOICES:
            assert value in CHOICES[key]
        else:
            assert kind == "String" and isinstance(value, str)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_parameters_that_pass_the_check_are_accepted_by_the_engine(db, data):
    name = data.draw(st.sampled_from(sorted(n for n in query_names() if n != "states_by_id")))
    parameters = data.draw(st.fixed_dictionaries({k: st.sampled_from(CHOICES[k]) if k in CHOICES else VALID[kind]
                                                  for k, kind in placeholders(name).items()}))
    if "limit" in parameters:
        parameters["limit"] = min(parameters["limit"], 10)
    rows = run_query(name, check_parameters(name, parameters), db)
    assert isinstance(rows, list) and all(isinstance(row, dict) for row in rows)


# --- the connection -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dsn, shown", [
    ("http://default:s3cret@ch.example:8123/tyndau", "http://***@ch.example:8123/tyndau"),
    ("https://reader:pa:ss@10.0.0.5:8443", "https://***@10.0.0.5:8443"),
    ("http://ch.example:8123/tyndau", "http://ch.example:8123/tyndau"),
    ("chdb:///var/lib/tyndau/clickhouse", "chdb:///var/lib/tyndau/clickhouse"),
    ("user:secret@ch.example:8123", "***@ch.example:8123"),   # no scheme: still no password shown
    ("not a dsn", "not a dsn"),
])
def test_redact_hides_the_credentials(dsn, shown):
    assert redact(dsn) == shown


def test_redact_hides_a_password_holding_an_at_sign():
    shown = redact("http://default:p@ssw0rd@ch.example:8123/tyndau")
    assert "ssw0rd" not in shown and shown == "http://***@ch.example:8123/tyndau"


def test_redact_hides_an_access_token_in_the_query_string():
    assert "T0KEN" not in redact("https://ch.example:8443/tyndau?access_token=T0KEN")


def test_run_query_returns_one_dict_per_row(db):
    assert run_query("ping", {}, db) == [{"ok": 1}]
    versions = run_query("applied_migrations", {}, db)
    assert all(set(row) == {"version"} for row in versions) and len(versions) == len(FILES)
    [kpis] = run_query("kpis", check_parameters("kpis", {"from": "1970-01-01", "to": "1970-01-02", "today": "1970-01-03"}), db)
    assert kpis["filed"] == 0 and kpis["response_rate"] is None


def test_run_query_turns_nan_into_none(db, monkeypatch):
    # The SQL is ours; the engine computes the values (0/0 and nan are NaN in ClickHouse).
    sql = "SELECT 0 / 0 AS ratio, nan AS n, inf AS big, 1.5 AS x, 'nan' AS word, CAST(NULL, 'Nullable(Float64)') AS none"
    monkeypatch.setattr(clickhouse, "named_query", lambda name: sql)
    [row] = run_query("anything", {}, db)
    assert row == {"ratio": None, "n": None, "big": math.inf, "x": 1.5, "word": "nan", "none": None}


def test_the_migrations_that_add_folded_figures_ask_for_a_refold_of_existing_rows():
    """Rows folded before 009-011 lack the stages' figures, the versions and the body of record: a worker that applies
    them to a projection that has rows rebuilds it from the log (streams/cli/system.py); older ones need not."""
    from projections.clickhouse import needs_refold

    assert needs_refold(["009_stages_and_terms.sql"]) and needs_refold(["008_imported_by.sql", "011_stage_body_and_imports.sql"])
    assert not needs_refold(["008_imported_by.sql"]) and not needs_refold([])
