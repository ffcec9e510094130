"""The `tyndau` parser: every command of every group is registered, and each one's --help says what it does."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from streams.cli import GROUPS, build_parser
from streams.settings import ROOT

COMMANDS = ("up", "worker", "broker", "topics", "publish", "simulate", "ranking", "report", "tail", "history", "verify", "dossier",
            "erase", "prove", "checkpoint", "rebuild", "asyncapi", "token")
# Commands whose actions are subcommands of their own: `tyndau token issue`.
ACTIONS = {"token": ("issue", "revoke", "init", "rotate", "retire")}


def tyndau(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "streams.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)


def subcommands(parser: argparse.ArgumentParser) -> argparse._SubParsersAction:
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return sub


def squeezed(text: str) -> str:
    """argparse re-wraps descriptions and help strings: compare them with whitespace collapsed."""
    return " ".join(text.split())


def test_build_parser_registers_every_command_of_every_group():
    sub = subcommands(build_parser())
    assert tuple(sub.choices) == COMMANDS
    assert len(GROUPS) == 6
    handlers = {}
    for name, parser in sub.choices.items():
        assert parser.prog == f"tyndau {name}"
        if name in ACTIONS:
            actions = subcommands(parser).choices
            assert tuple(actions) == ACTIONS[name]
            handlers.update({name: actions[a].get_default("func") for a in actions})
        else:
            handlers[name] = parser.get_default("func")
        assert callable(handlers[name]), name
    # Each group's commands go to functions of that group's own module.
    owners = {name: handler.__module__.rsplit(".", 1)[-1] for name, handler in handlers.items()}
    assert owners == {"up": "system", "worker": "system", "broker": "system", "topics": "system", "publish": "send",
                      "simulate": "send", "ranking": "watch", "report": "watch", "tail": "watch", "history": "audit", "verify": "audit",
                      "dossier": "audit", "erase": "audit", "prove": "audit", "checkpoint": "audit", "rebuild": "admin", "asyncapi": "admin", "token": "token"}


def test_a_command_is_required():
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([])
    assert exited.value.code == 2


def test_top_level_help_shows_the_description_and_every_command_with_its_help():
    done = tyndau("--help")
    assert done.returncode == 0, done.stderr
    out = squeezed(done.stdout)
    assert out.startswith("usage: tyndau")
    assert squeezed(build_parser().description) in out
    for name, action in ((a.dest, a) for a in subcommands(build_parser())._choices_actions):
        assert f"{name} {squeezed(action.help)}" in out, name


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_help_exits_0_and_prints_its_description(command):
    parser = subcommands(build_parser()).choices[command]
    done = tyndau(command, "--help")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"usage: tyndau {command}")
    assert parser.description, f"`{command}` has no description"
    assert squeezed(parser.description) in squeezed(done.stdout)


def test_an_unknown_command_exits_2_with_the_usage():
    done = tyndau("frobnicate")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("usage: tyndau")
    assert "invalid choice: 'frobnicate'" in done.stderr
    for name in COMMANDS:
        assert f"'{name}'" in done.stderr


def test_every_command_counts_working_days_with_the_deployments_calendar_file(tmp_path):
    """TYNDAU_CALENDAR_FILE (a year's transfer decree) is installed before any command runs; a file that breaks a
    rule stops the command with the key to fix, before it connects to anything."""
    import os

    broken = tmp_path / "decree.json"
    broken.write_text('{"decree": "No. 1", "years": {"2026": {"working_days": ["2025-01-01"]}}}')
    env = dict(os.environ, TYNDAU_CALENDAR_FILE=str(broken))
    done = subprocess.run([sys.executable, "-m", "streams.cli", "ranking", "--api", "http://127.0.0.1:9"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "years.2026.working_days[0]" in done.stderr and "Traceback" not in done.stderr
    saturday = tmp_path / "saturday.json"
    saturday.write_text('{"decree": "No. 2", "years": {"2026": {"working_days": ["2026-01-03"]}}}')
    probe = ("from streams.cli.common import use_calendar_file; from streams.domain.calendar import is_working_day; "
             "from datetime import date; use_calendar_file(); print(is_working_day(date(2026, 1, 3)))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=dict(os.environ, TYNDAU_CALENDAR_FILE=str(saturday)),
                          capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr
