"""The embedded broker secured like a production cluster: SASL/SCRAM-SHA-512 users and the ACLs of deploy/kafka/acls.md.

The development broker trusts every client on loopback; this one shows on a real broker that the
rights of streams/kafka/acls.py hold: each user authenticates, writes only the topics streams/topics.py
gives it, and everybody else is refused. Its users are written into the metadata log when the storage
is formatted (KRaft has no other way before the broker runs), its ACLs set with Kafka's own AclCommand
as the operator, a super user. Its configuration is deploy/kafka/server-sasl.properties.
"""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..kafka.acls import Grant
from ..kafka.admin import cluster_ready
from .broker import Broker, BrokerError, ensure_jars

MECHANISM = "SCRAM-SHA-512"
PROTOCOL = "SASL_PLAINTEXT"
# The format tool's --add-scram and the JAAS lines of the configuration carry names and passwords
# unquoted, so they are kept to characters neither syntax gives a meaning.
SAFE = re.compile(r"[A-Za-z0-9._-]+")
# The broker's and the controller's own principals (super users, never tyndau's).
BROKER_USER = "broker"
CONTROLLER_USER = "controller"
# AclCommand is a short-lived client: a small heap and the quick compiler start it in about a second.
TOOL_JVM = ("-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


def _secret() -> str:
    return secrets.token_hex(16)


@dataclass
class SecureBroker(Broker):
    """A single-node KRaft broker with a SASL_PLAINTEXT listener, SCRAM-SHA-512 users and StandardAuthorizer."""

    users: dict[str, str] = field(default_factory=dict)   # the SCRAM users besides the operator: name → password
    operator: str = "operator"                             # the super user who creates topics and sets ACLs
    operator_password: str = field(default_factory=_secret)
    broker_password: str = field(default_factory=_secret)
    controller_password: str = field(default_factory=_secret)

    config_template: ClassVar[str] = "server-sasl.properties"

    def __post_init__(self) -> None:
        reserved = {BROKER_USER, CONTROLLER_USER, self.operator}
        if reserved & set(self.users):
            raise BrokerError(f"{', '.join(sorted(reserved & set(self.users)))} is the broker's own; choose other user names")
        credentials = self._credentials()
        unsafe = [word for word in [*credentials, *credentials.values(), self.controller_password] if not SAFE.fullmatch(word)]
        if unsafe:
            raise BrokerError(f"user names and passwords must be letters, digits, '.', '_' and '-', not {unsafe[0]!r}")

    def _credentials(self) -> dict[str, str]:
        """Every SCRAM user of the cluster, the broker's own included."""
        return {BROKER_USER: self.broker_password, self.operator: self.operator_password, **self.users}

    def _placeholders(self) -> dict[str, object]:
        super_users = (CONTROLLER_USER, BROKER_USER, self.operator)
        return {**super()._placeholders(), "broker_user": BROKER_USER, "broker_password": self.broker_password,
                "controller_user": CONTROLLER_USER, "controller_password": self.controller_password,
                "super_users": ";".join(f"User:{user}" for user in super_users)}

    def _format_options(self) -> list[str]:
        options = []
        for name, password in self._credentials().items():
            options += ["--add-scram", f"{MECHANISM}=[name={name},password={password}]"]
        return options

    def client_options(self, user: str, password: str | None = None) -> dict[str, Any]:
        """aiokafka's keyword arguments to connect as `user` (with its own password unless one is given)."""
        if password is None:
            password = self._credentials()[user]
        return {"bootstrap_servers": self.bootstrap, "security_protocol": PROTOCOL, "sasl_mechanism": MECHANISM,
                "sasl_plain_username": user, "sasl_plain_password": password}

    def client_environment(self, user: str) -> dict[str, str]:
        """The TYNDAU_KAFKA* variables with which tyndau's own clients connect as `user`."""
        return {"TYNDAU_KAFKA": self.bootstrap, "TYNDAU_KAFKA_SECURITY_PROTOCOL": PROTOCOL,
                "TYNDAU_KAFKA_SASL_MECHANISM": MECHANISM, "TYNDAU_KAFKA_USERNAME": user,
                "TYNDAU_KAFKA_PASSWORD": self._credentials()[user]}

    def _ready(self) -> bool:
        """The broker answers the operator: it listens, and the SCRAM users of the metadata log are loaded."""
        options = self.client_options(self.operator)
        return cluster_ready(options.pop("bootstrap_servers"), options)

    def apply_acls(self, grants: Iterable[Grant], timeout: float = 60.0) -> None:
        """Add `grants` with Kafka's AclCommand, authenticated as the operator; one call per grant, side by side."""
        lib = ensure_jars()
        config = self.data_dir / "operator.properties"
        config.write_text(f"security.protocol={PROTOCOL}\nsasl.mechanism={MECHANISM}\n"
                          "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                          f'username="{self.operator}" password="{self.operator_password}";\n')
        calls = [(grant, subprocess.Popen(
            self._java(lib, "org.apache.kafka.tools.AclCommand", "--bootstrap-server", self.bootstrap,
                       "--command-config", str(config), *grant.arguments(), jvm=TOOL_JVM),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)) for grant in grants]
        failed = []
        for grant, proc in calls:
            try:
                output, _ = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                output, _ = proc.communicate()
            if proc.returncode != 0:
                failed.append(f"{' '.join(grant.arguments())}:\n{output[-2000:]}")
        if failed:
            raise BrokerError("AclCommand could not add\n" + "\n".join(failed))
