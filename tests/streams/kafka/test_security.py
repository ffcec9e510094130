"""How clients connect (streams/kafka/security.py): TLS and SASL/SCRAM from settings, and every client built with them."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from streams import settings
from streams.kafka import security
from streams.settings import ROOT

CLIENTS = {"AIOKafkaConsumer", "AIOKafkaProducer", "AIOKafkaAdminClient", "AIOKafkaClient"}


@pytest.fixture
def configure(monkeypatch):
    def set_(**values: str) -> None:
        for name, value in values.items():
            monkeypatch.setattr(settings, name, value)
    return set_


def ca_file(tmp_path) -> str:
    """A self-signed CA certificate, PEM, as a cluster's operator would hand it out."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "tyndau test CA")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).sign(key, hashes.SHA256()))
    path = tmp_path / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


def test_plaintext_needs_nothing_but_the_bootstrap_servers(configure):
    configure(KAFKA_SECURITY_PROTOCOL="PLAINTEXT", KAFKA_BOOTSTRAP="broker-1:9092,broker-2:9092")
    assert security.connection() == {"bootstrap_servers": "broker-1:9092,broker-2:9092"}
    assert security.connection("other:9092") == {"bootstrap_servers": "other:9092"}
    assert security.faust_credentials() is None


def test_sasl_ssl_gives_the_scram_user_and_a_tls_context_with_the_cluster_s_ca(configure, tmp_path):
    configure(KAFKA_SECURITY_PROTOCOL="sasl_ssl", KAFKA_SASL_MECHANISM="SCRAM-SHA-512", KAFKA_USERNAME="tyndau-api",
              KAFKA_PASSWORD="s3cret", KAFKA_CA_FILE=ca_file(tmp_path), KAFKA_CERT_FILE="", KAFKA_KEY_FILE="")
    options = security.security_options()
    assert {k: v for k, v in options.items() if k != "ssl_context"} == {
        "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": "tyndau-api",
        "sasl_plain_password": "s3cret"}
    assert options["ssl_context"].get_ca_certs()[0]["subject"] == ((("commonName", "tyndau test CA"),),)
    credentials = security.faust_credentials()
    assert (credentials.username, credentials.password, credentials.mechanism.value) == ("tyndau-api", "s3cret", "SCRAM-SHA-512")


def test_aiokafka_clients_accept_the_options(configure, tmp_path):
    configure(KAFKA_SECURITY_PROTOCOL="SASL_SSL", KAFKA_USERNAME="u", KAFKA_PASSWORD="p", KAFKA_CA_FILE=ca_file(tmp_path))

    async def build() -> list:
        return [AIOKafkaProducer(**security.connection("h:9093")), AIOKafkaConsumer("t", **security.connection("h:9093")),
                AIOKafkaAdminClient(**security.connection("h:9093"))]

    producer, consumer, admin = asyncio.run(build())
    assert producer.client._security_protocol == consumer._client._security_protocol == "SASL_SSL"
    assert admin._client._sasl_mechanism == "SCRAM-SHA-512"


@pytest.mark.parametrize("values, message", [
    (dict(KAFKA_SECURITY_PROTOCOL="TLS"), "TYNDAU_KAFKA_SECURITY_PROTOCOL"),
    (dict(KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", KAFKA_USERNAME="", KAFKA_PASSWORD="x"), "TYNDAU_KAFKA_USERNAME"),
    (dict(KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", KAFKA_USERNAME="u", KAFKA_PASSWORD="p", KAFKA_SASL_MECHANISM="MD5"),
     "TYNDAU_KAFKA_SASL_MECHANISM"),
    (dict(KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_CA_FILE="/no/such/ca.pem"), "TYNDAU_KAFKA_CA_FILE"),
])
def test_a_configuration_that_cannot_connect_exits_naming_the_variable(configure, values, message):
    configure(**values)
    with pytest.raises(SystemExit) as refused:
        security.connection()
    assert message in str(refused.value)


def test_every_kafka_client_in_the_code_is_built_with_the_connection_settings():
    """A client built without them would connect in plaintext to a cluster that requires TLS and SASL."""
    bare = []
    for path in sorted((ROOT / "streams").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in CLIENTS:
                spread = [k.value for k in node.keywords if k.arg is None]
                if not any(isinstance(v, ast.Call) and getattr(v.func, "id", None) == "connection" for v in spread):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []
