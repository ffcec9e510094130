"""The embedded Apache Kafka broker: jars fetched from Maven Central, KRaft storage, start and stop.

Used by `tyndau up`, `tyndau broker …` and the test suite. Production runs its own cluster and
points TYNDAU_KAFKA (or KAFKA_BOOTSTRAP_SERVERS) at it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from .. import settings

DEPLOY_DIR = settings.ROOT / "deploy" / "kafka"


class BrokerError(RuntimeError):
    pass


def _pinned_version() -> str:
    text = (DEPLOY_DIR / "pom.xml").read_text()
    return text.split("<kafka.version>", 1)[1].split("</kafka.version>", 1)[0].strip()


def _pom_digest() -> str:
    return hashlib.sha256((DEPLOY_DIR / "pom.xml").read_bytes()).hexdigest()


def ensure_jars(cache: Path | None = None, quiet: bool = False) -> Path:
    """The folder of the pinned broker's jars, fetched with Maven on first use only.

    Its `.complete` marker names the digest of the pom.xml they were fetched for, so a cache
    filled before a dependency was added (or changed) is fetched again, once."""
    cache = cache or settings.KAFKA_CACHE
    version = _pinned_version()
    lib = cache / f"kafka-{version}" / "lib"
    marker = f"{version} {_pom_digest()}\n"
    if (lib / ".complete").exists() and (lib / ".complete").read_text() == marker:
        return lib
    for tool in ("mvn", "java"):
        if shutil.which(tool) is None:
            raise BrokerError(f"`{tool}` is not on PATH; install a JDK 17+ and Maven (Debian: apt-get install openjdk-17-jdk-headless maven)")
    partial = lib.with_name("lib.partial")
    shutil.rmtree(partial, ignore_errors=True)
    if not quiet:
        print(f"fetching Apache Kafka {version} jars from Maven Central into {lib} (once) …", file=sys.stderr)
    result = subprocess.run(
        ["mvn", "-q", "-B", "-f", str(DEPLOY_DIR / "pom.xml"), "dependency:copy-dependencies",
         f"-DoutputDirectory={partial}", "-DincludeScope=runtime"],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise BrokerError(f"Maven could not fetch Kafka {version}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    (partial / ".complete").write_text(marker)
    shutil.rmtree(lib, ignore_errors=True)
    partial.rename(lib)
    return lib


def terminate(proc: subprocess.Popen | None, timeout: float = 30.0) -> None:
    """Stop a child process cleanly (SIGTERM), killing it only if it has not exited within `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Broker:
    """One single-node KRaft broker with its data in `data_dir`."""

    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int | None = None
    heap: str = "512m"
    # The template in deploy/kafka whose placeholders _placeholders() fills.
    config_template: ClassVar[str] = "server.properties"

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "broker.log"

    def _java(self, lib: Path, main: str, *args: str, jvm: tuple[str, ...] | None = None) -> list[str]:
        """The command that runs `main` from the pinned jars; `jvm` replaces the broker's heap and collector."""
        jvm = (f"-Xmx{self.heap}", f"-Xms{self.heap}", "-XX:+UseG1GC") if jvm is None else jvm
        return ["java", *jvm, f"-Dlog4j2.configurationFile={DEPLOY_DIR / 'log4j2.properties'}",
                "-cp", f"{lib}/*", main, *args]

    def _placeholders(self) -> dict[str, object]:
        return {"host": self.host, "port": self.port, "controller_port": self.controller_port,
                "log_dirs": self.data_dir / "kraft-logs"}

    def _format_options(self) -> list[str]:
        """Further arguments of `StorageTool format` (none: the plaintext broker has no users)."""
        return []

    def _write_config(self) -> Path:
        if self.controller_port is None:
            self.controller_port = free_port(self.host)
        config = (DEPLOY_DIR / self.config_template).read_text().format(**self._placeholders())
        path = self.data_dir / "server.properties"
        path.write_text(config)
        return path

    def start(self, timeout: float = 90.0) -> "Broker":
        """Format the storage on first use, start the broker, and wait until it serves requests."""
        lib = ensure_jars()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        if self.running():
            raise BrokerError(f"a broker already runs from {self.data_dir} (pid {self.pid_file.read_text().strip()}); stop it with `tyndau broker stop`")
        if port_open(self.host, self.port):
            raise BrokerError(f"port {self.host}:{self.port} is taken by another program; choose another with --port")
        config = self._write_config()
        if not (self.data_dir / "kraft-logs" / "meta.properties").exists():
            fmt = subprocess.run(self._java(lib, "kafka.tools.StorageTool", "format", "-t", str(uuid.uuid4()), "-c", str(config),
                                            *self._format_options()),
                                 capture_output=True, text=True)
            if fmt.returncode != 0:
                raise BrokerError(f"formatting KRaft storage in {self.data_dir} failed:\n{fmt.stdout}{fmt.stderr}")
        log = open(self.log_file, "ab")
        proc = subprocess.Popen(self._java(lib, "kafka.Kafka", str(config)), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        self.pid_file.write_text(str(proc.pid))
        self._proc = proc
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise BrokerError(f"the broker exited with code {proc.returncode}; see {self.log_file}:\n{self.log_file.read_text()[-3000:]}")
            if port_open(self.host, self.port) and self._ready():
                return self
            time.sleep(0.3)
        self.stop()
        raise BrokerError(f"the broker did not accept connections within {timeout:.0f}s; see {self.log_file}")

    def _ready(self) -> bool:
        from ..kafka.admin import cluster_ready
        return cluster_ready(self.bootstrap)

    def running(self) -> bool:
        pid = self._pid()
        if pid is None:
            return False
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        try:   # a dead broker whose parent died too stays a zombie where nothing reaps orphans
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return True

    def _pid(self) -> int | None:
        try:
            return int(self.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the broker cleanly (SIGTERM: controlled shutdown), killing it only if it hangs."""
        pid = self._pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pid_file.unlink(missing_ok=True)
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.running():
            proc = getattr(self, "_proc", None)
            if proc is not None and proc.poll() is not None:
                break
            time.sleep(0.2)
        if self.running() and (getattr(self, "_proc", None) is None or self._proc.poll() is None):
            os.kill(pid, signal.SIGKILL)
        self.pid_file.unlink(missing_ok=True)
