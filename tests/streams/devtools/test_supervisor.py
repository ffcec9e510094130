"""streams/devtools/supervisor.py with real child processes: each with its own log, restarted when it exits (a pause
that doubles with each quick death, up to 30 s, and starts over after a long life), all stopped by SIGTERM and the
stubborn killed; and the layout of `tyndau up --ledgers N`."""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from streams.agents.roles import parse_roles
from streams.cli import build_parser
from streams.devtools.supervisor import Process, Supervisor, layout, worker_argv


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


SLEEPER = python("import time; print('up', flush=True); time.sleep(60)")
QUICK_DEATH = python("import sys; print('dying', flush=True); sys.exit(3)")
# Ignores SIGTERM: only SIGKILL stops it.
STUBBORN = python("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); "
                  "time.sleep(60)")
# Takes a second to stop after SIGTERM, as a worker finishing its batch does (a second SIGTERM changes nothing).
SLOW_TO_STOP = python("import signal, sys, time\n"
                      "def stop(*_):\n    signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(1.0); sys.exit(0)\n"
                      "signal.signal(signal.SIGTERM, stop); print('up', flush=True); time.sleep(60)")
# Counts the SIGTERMs it is sent in the 2.5 s after the first, then exits.
COUNTING = python("import signal, sys, time\n"
                  "n = 0\n"
                  "def count(*_):\n    global n; n += 1; print('SIGTERM', n, flush=True)\n"
                  "signal.signal(signal.SIGTERM, count); print('up', flush=True)\n"
                  "while n == 0: time.sleep(0.01)\n"
                  "time.sleep(2.5); sys.exit(0)")


@pytest.fixture
def supervisor():
    """A supervisor whose children never outlive the test."""
    out = io.StringIO()
    supervised = Supervisor(out=out)
    yield supervised
    for process in supervised.processes:
        if process.proc is not None and process.proc.poll() is None:
            process.proc.kill()
            process.proc.wait()
        if process.log is not None:
            process.log.close()


def add(supervisor: Supervisor, tmp_path: Path, name: str, argv: list[str], **env: str) -> Process:
    return supervisor.add(name, argv, dict(os.environ, **env), tmp_path / "logs" / f"{name}.log")


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.02)


def printed(process: Process, text: str, times: int = 1):
    return lambda: process.log_path.exists() and process.log_path.read_text().count(text) >= times


def exited(process: Process) -> None:
    process.proc.wait(timeout=10)


def test_each_process_starts_with_its_own_log_and_its_own_environment(supervisor, tmp_path):
    speak = "import os, sys; print('out', os.environ['WHO'], flush=True); print('err', os.environ['WHO'], file=sys.stderr)"
    first = add(supervisor, tmp_path, "first", python(speak), WHO="one")
    second = add(supervisor, tmp_path, "second", python(speak), WHO="two")
    supervisor.start()
    for process in (first, second):
        exited(process)
    assert first.log_path != second.log_path
    assert sorted(first.log_path.read_text().split("\n")) == ["", "err one", "out one"]   # stdout and stderr, its own
    assert sorted(second.log_path.read_text().split("\n")) == ["", "err two", "out two"]
    out = supervisor.out.getvalue()
    assert f"started first (pid {first.proc.pid}), log {first.log_path}" in out
    assert f"started second (pid {second.proc.pid}), log {second.log_path}" in out


def test_a_process_that_exits_is_restarted_after_its_pause_and_its_log_goes_on(supervisor, tmp_path):
    dying = add(supervisor, tmp_path, "dying", QUICK_DEATH)
    supervisor.start()
    exited(dying)
    first_pid, died_at = dying.proc.pid, dying.started_at + 0.5
    supervisor.poll(now=died_at)
    assert dying.proc is None and dying.log.closed
    assert f"dying exited with 3; restarting in 1s (log {dying.log_path})" in supervisor.out.getvalue()
    supervisor.poll(now=dying.next_start - 0.01)    # the pause is not over
    assert dying.proc is None and dying.restarts == 0
    supervisor.poll(now=dying.next_start)
    assert dying.proc is not None and dying.proc.pid != first_pid and dying.restarts == 1
    assert f"restarted dying (pid {dying.proc.pid}, restart 1)" in supervisor.out.getvalue()
    exited(dying)
    assert dying.log_path.read_text() == "dying\ndying\n"   # appended to, not overwritten


def pauses(supervisor: Supervisor, process: Process, lives: list[float]) -> list[float]:
    """The pause after each death of `process`, which lives each of `lives` seconds (on the clock given to poll)."""
    out = []
    for life in lives:
        exited(process)
        supervisor.poll(now=process.started_at + life)
        assert process.proc is None
        out.append(process.next_start - (process.started_at + life))
        supervisor.poll(now=process.next_start)      # restarted at once when the pause is over
        assert process.proc is not None
    return out


def test_the_pause_doubles_with_each_quick_death_up_to_30_seconds(supervisor, tmp_path):
    dying = add(supervisor, tmp_path, "dying", QUICK_DEATH)
    supervisor.start()
    seen = pauses(supervisor, dying, [0.2] * 8)
    assert all(later == min(2 * earlier, 30.0) for earlier, later in zip(seen, seen[1:])), seen
    assert seen[-3:] == [30.0, 30.0, 30.0]
    assert dying.restarts == 8


def test_the_pause_starts_over_after_a_process_lived_more_than_a_minute(supervisor, tmp_path):
    dying = add(supervisor, tmp_path, "dying", QUICK_DEATH)
    supervisor.start()
    seen = pauses(supervisor, dying, [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 61.0, 0.2, 0.2, 60.0])
    assert seen[5] == 30.0
    assert seen[6:9] == [1.0, 2.0, 4.0]   # after a long life: 1 s, then doubling again
    assert seen[9] == 8.0                 # a life of exactly 60 s is not more than a minute


def test_the_first_pause_after_a_quick_death_is_one_second(supervisor, tmp_path):
    dying = add(supervisor, tmp_path, "dying", QUICK_DEATH)
    supervisor.start()
    assert pauses(supervisor, dying, [0.2, 0.2, 0.2]) == [1.0, 2.0, 4.0]


def test_a_killed_process_is_noticed_and_restarted(supervisor, tmp_path):
    victim = add(supervisor, tmp_path, "victim", SLEEPER)
    other = add(supervisor, tmp_path, "other", SLEEPER)
    supervisor.start()
    wait_for(printed(victim, "up"))
    first_pid, other_pid = victim.proc.pid, other.proc.pid
    os.kill(first_pid, signal.SIGKILL)
    exited(victim)
    supervisor.poll()
    assert f"victim exited with -{signal.SIGKILL.value}" in supervisor.out.getvalue()
    assert victim.proc is None
    supervisor.poll(now=victim.next_start)
    assert victim.proc is not None and victim.proc.pid != first_pid and victim.proc.poll() is None
    assert other.proc.pid == other_pid and other.restarts == 0   # the others are left alone
    wait_for(printed(victim, "up", times=2))


def test_a_process_still_running_is_left_alone(supervisor, tmp_path):
    runner = add(supervisor, tmp_path, "runner", SLEEPER)
    supervisor.start()
    pid = runner.proc.pid
    for now in (runner.started_at + 1, runner.started_at + 100, runner.started_at + 10_000):
        supervisor.poll(now=now)
    assert runner.proc.pid == pid and runner.restarts == 0 and runner.proc.poll() is None


def test_stop_terminates_every_process_and_kills_one_that_ignores_sigterm(supervisor, tmp_path):
    polite = add(supervisor, tmp_path, "polite", SLEEPER)
    stubborn = add(supervisor, tmp_path, "stubborn", STUBBORN)
    waiting = add(supervisor, tmp_path, "waiting", QUICK_DEATH)   # exited, its restart not due yet
    supervisor.start()
    wait_for(printed(polite, "up"))
    wait_for(printed(stubborn, "up"))
    exited(waiting)
    supervisor.poll()
    assert waiting.proc is None
    supervisor.stop(timeout=0.5)   # 0.5 s, not 30 s, before it kills a process that ignores SIGTERM
    assert polite.proc.returncode == -signal.SIGTERM
    assert stubborn.proc.returncode == -signal.SIGKILL
    assert polite.log.closed and stubborn.log.closed and waiting.proc is None


def test_stop_signals_every_process_before_waiting_for_any(supervisor, tmp_path):
    slow = [add(supervisor, tmp_path, f"slow-{i}", SLOW_TO_STOP) for i in range(3)]
    supervisor.start()
    for process in slow:
        wait_for(printed(process, "up"))
    began = time.monotonic()
    supervisor.stop()
    took = time.monotonic() - began
    assert [p.proc.returncode for p in slow] == [0, 0, 0]
    assert took < 2.5, f"{took:.1f}s: the processes were stopped one after another"


def test_stop_sends_each_process_one_sigterm(supervisor, tmp_path):
    """A second SIGTERM reaching a worker late in its shutdown (its handlers gone) kills it there and then."""
    slow = add(supervisor, tmp_path, "slow", SLOW_TO_STOP)        # stop() waits for it a second ...
    counting = add(supervisor, tmp_path, "counting", COUNTING)    # ... while this one counts
    supervisor.start()
    wait_for(printed(slow, "up"))
    wait_for(printed(counting, "up"))
    supervisor.stop()
    assert counting.proc.returncode == 0
    assert counting.log_path.read_text().count("SIGTERM") == 1, counting.log_path.read_text()


def test_stop_before_start_and_twice_does_nothing_wrong(supervisor, tmp_path):
    add(supervisor, tmp_path, "never", SLEEPER)
    supervisor.stop(timeout=0.5)
    supervisor.start()
    supervisor.stop(timeout=0.5)
    supervisor.stop(timeout=0.5)
    assert supervisor.processes[0].proc.returncode == -signal.SIGTERM


# --- the layout of `tyndau up --ledgers N` ----------------------------------------------------------------------

def test_layout_gives_n_ledger_processes_and_one_projector_api(tmp_path):
    supervised = Supervisor(out=io.StringIO())
    env = {"TYNDAU_KAFKA": "127.0.0.1:1", "TYNDAU_DATA_DIR": str(tmp_path)}
    layout(supervised, 3, tmp_path, env, "info")
    names = [p.name for p in supervised.processes]
    assert names == ["ledger-1", "ledger-2", "ledger-3", "projector-api"]
    ledgers, (projector,) = supervised.processes[:3], supervised.processes[3:]
    for process in ledgers:
        assert process.argv == [sys.executable, "-m", "streams.cli", "worker", "--roles", "ledger,feed,deadlines",
                                "--loglevel", "info"]
        assert process.env["TYNDAU_KAFKA"] == "127.0.0.1:1" and process.env["TYNDAU_DATA_DIR"] == str(tmp_path)
    state_dirs = [Path(p.env["TYNDAU_LEDGER_STATE_DIR"]) for p in ledgers]
    assert len(set(state_dirs)) == 3 and all(d.parent == tmp_path for d in state_dirs)
    assert projector.argv == worker_argv("projector,api", "info")
    assert "TYNDAU_LEDGER_STATE_DIR" not in projector.env
    logs = [p.log_path for p in supervised.processes]
    assert len(set(logs)) == 4 and all(log.parent == tmp_path / "logs" for log in logs)
    assert env == {"TYNDAU_KAFKA": "127.0.0.1:1", "TYNDAU_DATA_DIR": str(tmp_path)}   # the caller's is not changed
    assert all(p.proc is None for p in supervised.processes)                         # nothing started yet


@pytest.mark.parametrize("ledgers", [0, 1, 5])
def test_layout_has_one_projector_api_whatever_the_number_of_ledgers(tmp_path, ledgers):
    supervised = Supervisor(out=io.StringIO())
    layout(supervised, ledgers, tmp_path, {}, "warning")
    assert [p.name for p in supervised.processes] == [f"ledger-{i}" for i in range(1, ledgers + 1)] + ["projector-api"]


def test_the_layouts_command_lines_are_what_the_cli_accepts(tmp_path):
    supervised = Supervisor(out=io.StringIO())
    layout(supervised, 1, tmp_path, {}, "debug")
    for process in supervised.processes:
        assert process.argv[:3] == [sys.executable, "-m", "streams.cli"]
        args = build_parser().parse_args(process.argv[3:])
        assert args.loglevel == "debug"
        assert set(parse_roles(args.roles, "chdb:///tmp/x")) == set(args.roles.split(","))   # known roles, all kept
