"""The outbox loses nothing: failed sends stay queued, in order, until delivered."""

from __future__ import annotations

from bot.matrix import SendOutcome
from tests.harness import Harness


async def test_transient_failure_keeps_the_message_and_its_txn_id(bot: Harness) -> None:
    bot.transport.script = [SendOutcome(False, retry=True, error="M_LIMIT_EXCEEDED")]
    replies = await bot.send("!ping")
    assert replies == []
    await bot.sender.drain()
    assert bot.last.body.startswith("pong")
    assert bot.transport.attempts >= 2


async def test_network_error_keeps_order(bot: Harness) -> None:
    bot.transport.script = [ConnectionError("homeserver down")]
    first = bot.message("!ping")
    second = bot.message("!privacy")
    await bot.process([first, second])
    assert [s.reply_to for s in bot.sent if s.reply_to] == []
    await bot.sender.drain()
    assert [s.reply_to for s in bot.sent if s.reply_to] == [first.event_id, second.event_id]


async def test_permanent_failure_is_dropped_not_blocking(bot: Harness) -> None:
    bot.transport.script = [SendOutcome(False, retry=False, error="M_FORBIDDEN")]
    first = bot.message("!ping")
    second = bot.message("!ping")
    await bot.process([first, second])
    assert [s.reply_to for s in bot.sent if s.reply_to] == [second.event_id]


async def test_replayed_cause_reuses_the_transaction_id(bot: Harness) -> None:
    """Same command event, same txn id: the homeserver deduplicates a resend after a crash."""
    from bot.outgoing import txn_id

    assert txn_id("room|$a", 1) == txn_id("room|$a", 1)
    assert txn_id("room|$a", 1) != txn_id("room|$b", 1)
    assert txn_id("room|$a", 1) != txn_id("room|$a", 2)
    [reply] = await bot.send("!ping")
    assert reply.txn_id.startswith("flat.")
