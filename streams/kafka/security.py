"""How every Kafka client of tyndau connects: the bootstrap servers and, from settings, TLS and SASL/SCRAM.

The embedded development broker is plaintext on loopback; a production cluster is reached with
TYNDAU_KAFKA_SECURITY_PROTOCOL=SASL_SSL, a SCRAM user (TYNDAU_KAFKA_USERNAME, TYNDAU_KAFKA_PASSWORD)
and the cluster's CA (TYNDAU_KAFKA_CA_FILE). aiokafka's producers, consumers and admin clients take
`connection()`; the Faust app takes `faust_credentials()`.
"""

from __future__ import annotations

import ssl
from functools import lru_cache
from typing import Any

from aiokafka.helpers import create_ssl_context

from .. import settings

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


def _protocol() -> str:
    protocol = settings.KAFKA_SECURITY_PROTOCOL.upper()
    if protocol not in PROTOCOLS:
        raise SystemExit(f"TYNDAU_KAFKA_SECURITY_PROTOCOL={settings.KAFKA_SECURITY_PROTOCOL!r} is none of {', '.join(PROTOCOLS)}")
    return protocol


def _ssl_context() -> ssl.SSLContext:
    return _ssl_context_of(settings.KAFKA_CA_FILE, settings.KAFKA_CERT_FILE, settings.KAFKA_KEY_FILE)


@lru_cache(maxsize=4)
def _ssl_context_of(ca_file: str, cert_file: str, key_file: str) -> ssl.SSLContext:
    """One context per set of files: every client of the process shares it instead of reading the files again."""
    try:
        return create_ssl_context(cafile=ca_file or None, certfile=cert_file or None, keyfile=key_file or None)
    except (OSError, ssl.SSLError) as error:
        raise SystemExit(f"cannot load the Kafka TLS files (TYNDAU_KAFKA_CA_FILE, _CERT_FILE, _KEY_FILE): {error}") from None


def security_options() -> dict[str, Any]:
    """aiokafka's keyword arguments for the configured protocol (none for PLAINTEXT)."""
    protocol = _protocol()
    options: dict[str, Any] = {}
    if protocol == "PLAINTEXT":
        return options
    options["security_protocol"] = protocol
    if protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = _ssl_context()
    if protocol.startswith("SASL"):
        mechanism = settings.KAFKA_SASL_MECHANISM.upper()
        if mechanism not in MECHANISMS:
            raise SystemExit(f"TYNDAU_KAFKA_SASL_MECHANISM={settings.KAFKA_SASL_MECHANISM!r} is none of {', '.join(MECHANISMS)}")
        if not settings.KAFKA_USERNAME or not settings.KAFKA_PASSWORD:
            raise SystemExit(f"TYNDAU_KAFKA_SECURITY_PROTOCOL={protocol} needs TYNDAU_KAFKA_USERNAME and TYNDAU_KAFKA_PASSWORD")
        options.update(sasl_mechanism=mechanism, sasl_plain_username=settings.KAFKA_USERNAME,
                       sasl_plain_password=settings.KAFKA_PASSWORD)
    return options


def connection(bootstrap: str | None = None, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """`bootstrap_servers` and the security options, for any aiokafka client; `options` instead of the
    settings' for a client that connects as someone else (the development broker's own super user)."""
    return {"bootstrap_servers": bootstrap or settings.KAFKA_BOOTSTRAP, **(security_options() if options is None else options)}


def faust_credentials() -> Any:
    """The Faust app's `broker_credentials` (None for PLAINTEXT)."""
    import faust

    options = security_options()
    if not options:
        return None
    if "sasl_mechanism" in options:
        return faust.SASLCredentials(username=options["sasl_plain_username"], password=options["sasl_plain_password"],
                                     ssl_context=options.get("ssl_context"), mechanism=options["sasl_mechanism"])
    return faust.SSLCredentials(options["ssl_context"])
