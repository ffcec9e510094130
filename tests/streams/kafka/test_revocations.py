"""Revocations (streams/kafka/revocations.py): appended by jti, followed by every worker, junk keys ignored."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from streams.kafka.revocations import Revocations, jti_problem, revoke


@pytest.mark.parametrize("jti, ok", [("0123abcdef", True), ("", False), ("a-b", False), ("x" * 65, False), (None, False),
                                     ("ключ", False)])
def test_a_jti_is_ascii_letters_and_digits(jti, ok):
    assert (jti_problem(jti) is None) is ok


def test_keys_that_are_no_jti_are_ignored():
    revocations = Revocations()
    for key in (None, b"\xff\xfe", b"", b"a b", b"ok123"):
        revocations.add(key)
    assert revocations.revoked == {"ok123"} and "ok123" in revocations


@pytest.mark.integration
def test_a_follower_loads_earlier_revocations_then_sees_new_ones_within_a_second(kafka):
    earlier, later = secrets.token_hex(16), secrets.token_hex(16)

    async def scenario():
        await revoke(earlier, "cli:test", kafka)
        revocations = Revocations(kafka)
        following = asyncio.create_task(revocations.follow())
        try:
            await asyncio.wait_for(revocations.loaded.wait(), 30)
            assert earlier in revocations and later not in revocations
            await revoke(later, "cli:test", kafka)
            loop = asyncio.get_running_loop()
            started = loop.time()
            while later not in revocations:
                assert loop.time() - started < 5, "a new revocation was not seen within 5 s"
                await asyncio.sleep(0.05)
            return loop.time() - started
        finally:
            following.cancel()
    assert asyncio.run(scenario()) < 5


def test_revoke_refuses_a_malformed_jti():
    with pytest.raises(ValueError, match="jti"):
        asyncio.run(revoke("not a jti", "cli:test", "127.0.0.1:9"))


def test_the_list_is_trusted_only_once_read_whole_and_while_the_topic_answers():
    import time

    from streams.kafka.revocations import STALE_SECONDS

    async def scenario():
        revocations = Revocations()
        assert not revocations.current()                          # nothing read yet
        revocations.heard_at = time.monotonic()
        assert not revocations.current()                          # heard from, but not read to its end
        revocations.loaded.set()
        assert revocations.current()
        revocations.heard_at = time.monotonic() - STALE_SECONDS - 1
        assert not revocations.current() and revocations.age() > STALE_SECONDS   # silent too long: fail closed
    asyncio.run(scenario())
