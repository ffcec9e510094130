"""The processes of `tyndau up --ledgers N` on one machine: started, each with its own log, restarted when one dies.

A process that exits (a crash, a SIGKILL, a fenced ledger stopping itself) is started again after a pause
that doubles with each quick death (1 s up to 30 s), so a process that cannot start does not spin.
"""

from __future__ import annotations


import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO


@dataclass
class Process:
    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen | None = None
    log: IO[bytes] | None = None
    started_at: float = 0.0
    restarts: int = 0
    backoff: float = 1.0
    next_start: float = field(default=0.0)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.started_at = time.monotonic()


class Supervisor:
    def __init__(self, out: IO[str] = sys.stdout) -> None:
        self.processes: list[Process] = []
        self.out = out

    def add(self, name: str, argv: list[str], env: dict[str, str], log_path: Path) -> Process:
        process = Process(name, argv, env, log_path)
        self.processes.append(process)
        return process

    def start(self) -> None:
        for process in self.processes:
            process.start()
            print(f"started {process.name} (pid {process.proc.pid}), log {process.log_path}", file=self.out, flush=True)

    def poll(self, now: float | None = None) -> None:
        """Restart every process that has exited, once its pause is over."""
        now = time.monotonic() if now is None else now
        for process in self.processes:
            if process.proc is None or process.proc.poll() is None:
                if process.proc is None and now >= process.next_start:
                    process.start()
                    process.restarts += 1
                    print(f"restarted {process.name} (pid {process.proc.pid}, restart {process.restarts})",
                          file=self.out, flush=True)
                continue
            code = process.proc.returncode
            pause = 1.0 if now - process.started_at > 60 else process.backoff   # a long life starts the pauses over
            process.backoff = min(pause * 2, 30.0)
            process.next_start = now + pause
            print(f"{process.name} exited with {code}; restarting in {pause:.0f}s (log {process.log_path})",
                  file=self.out, flush=True)
            process.proc = None
            if process.log is not None:
                process.log.close()

    def run(self, interval: float = 0.5) -> None:
        while True:
            self.poll()
            time.sleep(interval)

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to every process first, then wait for each; one still running after `timeout` is killed."""
        for process in self.processes:
            if process.proc is not None and process.proc.poll() is None:
                process.proc.terminate()
        deadline = time.monotonic() + timeout
        for process in self.processes:
            if process.proc is not None:
                try:
                    process.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.proc.kill()
                    process.proc.wait()
            if process.log is not None:
                process.log.close()


def worker_argv(roles: str, loglevel: str) -> list[str]:
    return [sys.executable, "-m", "streams.cli", "worker", "--roles", roles, "--loglevel", loglevel]


def layout(supervisor: Supervisor, ledgers: int, data_dir: Path, env: dict[str, str], loglevel: str) -> None:
    """N ledger processes (`ledger,feed,deadlines`, each with its own state folder) and one `projector,api`."""
    for i in range(1, ledgers + 1):
        supervisor.add(f"ledger-{i}", worker_argv("ledger,feed,deadlines", loglevel),
                       dict(env, TYNDAU_LEDGER_STATE_DIR=str(data_dir / f"ledger-{i}"),
                            TYNDAU_WORKER_NAME=f"ledger-{i}"),
                       data_dir / "logs" / f"ledger-{i}.log")
    supervisor.add("projector-api", worker_argv("projector,api", loglevel), dict(env, TYNDAU_WORKER_NAME="projector-api"),
                   data_dir / "logs" / "projector-api.log")


