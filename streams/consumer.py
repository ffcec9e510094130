"""Kept so that `from streams.consumer import subscribe` (README) keeps working; the helper is streams/clients/consumer.py."""

from __future__ import annotations

from .clients.consumer import Decoder, Record, subscribe

__all__ = ["Decoder", "Record", "subscribe"]
