"""The layout's rules (ARCHITECTURE.md), checked on the source: imports point one way, modules stay
small, SQL lives in .sql files, and every module with logic has its own test file."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from streams.settings import ROOT

SOURCES = ("streams", "projections", "bench")

# What each part may import of tyndau's own code (besides itself). Read top to bottom, it is the
# data flow: the domain needs nothing; the command line may use everything.
MAY_IMPORT: dict[str, set[str]] = {
    "streams.domain": set(),
    "streams.settings": set(),
    "streams.topics": {"streams.settings"},
    "streams.telemetry": set(),
    "streams.avro": {"streams.domain", "streams.settings"},
    "streams.auth": {"streams.domain", "streams.settings"},
    "streams.kafka": {"streams.domain", "streams.avro", "streams.settings", "streams.topics"},
    "streams.app": {"streams.settings", "streams.kafka"},
    "projections": {"streams.domain", "streams.avro", "streams.settings"},
    "streams.contracts": {"streams.domain", "streams.avro", "streams.settings", "streams.topics"},
    "streams.clients": {"streams.domain", "streams.avro", "streams.kafka", "streams.settings", "streams.topics",
                        "streams.auth"},
    "streams.audit": {"streams.domain", "streams.avro", "streams.kafka", "streams.settings", "streams.topics"},
    "streams.devtools": {"streams.domain", "streams.kafka", "streams.settings"},
    "streams.agents": {"streams.domain", "streams.avro", "streams.kafka", "streams.settings", "streams.topics", "streams.app",
                       "streams.auth", "projections", "streams.telemetry"},
    "streams.http": {"streams.domain", "streams.avro", "streams.kafka", "streams.settings", "streams.topics", "streams.app",
                     "streams.agents", "streams.audit", "streams.contracts", "streams.auth", "projections", "streams.telemetry"},
    "streams.consumer": {"streams.clients"},
    "streams.cli": {"*"},   # the command line may use everything; nothing imports it
}
# Libraries that do I/O or need a running service: the domain and the Avro layer use none of them.
IO_LIBRARIES = {"aiokafka", "faust", "clickhouse_connect", "chdb", "urllib", "socket", "asyncio", "subprocess", "http",
                "aiohttp", "requests", "threading"}
# SQL keywords as SQL is written (upper case), so that prose ("select a region") is not taken for a query.
SQL = re.compile(r"\b(SELECT\s+\S|INSERT\s+INTO|CREATE\s+(TABLE|VIEW|MATERIALIZED\s+VIEW|DATABASE)|ALTER\s+TABLE|"
                 r"DROP\s+(TABLE|VIEW|DATABASE)|TRUNCATE\s+TABLE|RENAME\s+TABLE|OPTIMIZE\s+TABLE)")
# What a pure domain never calls: time is a parameter (STYLE.md).
CLOCK = re.compile(r"\b(datetime|date)\.(now|today|utcnow)\(|\btime\.(time|monotonic|perf_counter)\(")
# Modules without logic of their own, so without a test file: data, a shim, an entry point.
WITHOUT_LOGIC = {
    "streams/__init__.py", "streams/consumer.py", "streams/cli/__main__.py", "streams/cli/common.py",
    "streams/agents/channels.py", "projections/__init__.py",
}


def python_files(*tops: str) -> list[Path]:
    return sorted(p for top in tops for p in (ROOT / top).rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module the file imports, at the top or inside a function, relative imports resolved."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            out.add(target)
            out.update(f"{target}.{alias.name}" for alias in node.names)   # `from streams import settings`
    return out


def part_of(module: str) -> str | None:
    """The entry of MAY_IMPORT a module belongs to (the longest matching prefix)."""
    matches = [part for part in MAY_IMPORT if module == part or module.startswith(part + ".")]
    return max(matches, key=len) if matches else None


def own_code(target: str) -> bool:
    return target.split(".")[0] in ("streams", "projections") and target != "streams"


def test_every_module_belongs_to_a_part():
    """A new folder or module must be given its place in MAY_IMPORT (and ARCHITECTURE.md) before it is used."""
    unplaced = [str(p.relative_to(ROOT)) for p in python_files("streams", "projections")
                if module_name(p) != "streams" and part_of(module_name(p)) is None]
    assert unplaced == []


def test_imports_point_one_way():
    wrong = []
    for path in python_files("streams", "projections"):
        own = part_of(module_name(path))
        if own is None or "*" in MAY_IMPORT[own]:
            continue
        for target in filter(own_code, imported(path)):
            other = part_of(target)
            if other != own and other not in MAY_IMPORT[own]:
                wrong.append(f"{path.relative_to(ROOT)} imports {target} ({own} may import {sorted(MAY_IMPORT[own]) or 'nothing'})")
    assert wrong == []


def test_nothing_imports_the_command_line():
    wrong = [f"{path.relative_to(ROOT)} imports {target}" for path in python_files(*SOURCES)
             if part_of(module_name(path)) != "streams.cli"
             for target in imported(path) if target == "streams.cli" or target.startswith("streams.cli.")]
    assert wrong == []


def test_the_domain_and_the_avro_layer_do_no_io():
    """No network, no processes, no threads (the Avro layer reads the schema files, nothing else)."""
    wrong = [f"{path.relative_to(ROOT)} imports {target}"
             for path in python_files("streams/domain", "streams/avro")
             for target in imported(path) if target.split(".")[0] in IO_LIBRARIES]
    assert wrong == []


def test_the_domain_reads_no_clock():
    wrong = [f"{path.relative_to(ROOT)}: {match.group(0)}" for path in python_files("streams/domain")
             for match in CLOCK.finditer(path.read_text(encoding="utf-8"))]
    assert wrong == []


def test_the_contracts_are_built_without_faust():
    wrong = [f"{path.relative_to(ROOT)} imports {target}" for path in python_files("streams/contracts")
             for target in imported(path) if target.split(".")[0] == "faust"]
    assert wrong == []


def test_at_most_six_modules_sit_directly_in_streams():
    modules = sorted(p.name for p in (ROOT / "streams").glob("*.py") if p.name != "__init__.py")
    assert len(modules) <= 6, modules


def test_no_module_outside_the_tests_is_longer_than_400_lines():
    long = {str(p.relative_to(ROOT)): n for p in python_files(*SOURCES)
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}


def test_no_python_string_holds_sql():
    """Queries and DDL live in projections/queries, migrations and maintenance (and bench/sql)."""
    found = []
    for path in python_files(*SOURCES):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):   # an f-string: its literal parts, the placeholders as {}
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if SQL.search(text):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def test_every_worker_module_and_view_module_is_registered():
    """A module that defines an agent, task, timer or page but is missing from the list would never run."""
    from streams import http
    from streams.agents.roles import ROLE_MODULES

    listed = {name for names in ROLE_MODULES.values() for name in names} | set(http.VIEW_MODULES)
    defining = {module_name(path) for path in python_files("streams")
                if re.search(r"^\s*@app\.(agent|task|timer|crontab|service|page)\b|\bapp\.tables\.add\(", path.read_text(encoding="utf-8"), re.MULTILINE)}
    assert defining - listed == set(), "defines stream processing or views but is not registered"
    assert listed - defining == set(), "registered but defines nothing"


def expected_test_file(path: Path) -> Path:
    relative = path.relative_to(ROOT)
    if path.name == "__init__.py":
        return ROOT / "tests" / relative.parent / f"test_{relative.parent.name}.py"
    return ROOT / "tests" / relative.parent / f"test_{path.stem}.py"


def test_tests_mirror_the_tree():
    """Each module with logic has tests/<its folder>/test_<its name>.py (a package's own code: test_<package>.py)."""
    missing = []
    for path in python_files("streams", "projections"):
        relative = str(path.relative_to(ROOT))
        if relative in WITHOUT_LOGIC or (path.name == "__init__.py" and not ast.parse(path.read_text()).body[1:]):
            continue
        if not expected_test_file(path).exists():
            missing.append(f"{relative}: {expected_test_file(path).relative_to(ROOT)}")
    assert missing == []


def test_no_test_imports_another_test_module():
    """Shared fixtures are in tests/conftest.py, shared helpers in tests/support/."""
    wrong = []
    for path in python_files("tests"):
        for target in imported(path):
            leaf = target.split(".")[-1]
            if target.startswith("tests.") and (leaf.startswith("test_") or leaf == "conftest"):
                wrong.append(f"{path.relative_to(ROOT)} imports {target}")
    assert wrong == []


# What the docs name but a run writes (ignored by git): the benchmarks' figures.
WRITTEN_BY_A_RUN = ("bench/results/",)


def test_every_file_the_docs_name_exists():
    """README.md and ARCHITECTURE.md name files by path; each of them is there (or is what a run writes)."""
    missing = []
    for doc in ("README.md", "ARCHITECTURE.md"):
        text = (ROOT / doc).read_text(encoding="utf-8")
        for path in sorted(set(re.findall(r"`((?:streams|projections|tests|bench|deploy|schemas)/[\w./-]+\.\w+)`", text))):
            if "NNN" not in path and not path.startswith(WRITTEN_BY_A_RUN) and not (ROOT / path).exists():
                missing.append(f"{doc}: {path}")
    assert missing == []
