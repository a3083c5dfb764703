"""The bare client's copy of the bot's answer shape must not drift from the bot's."""

from __future__ import annotations

from bench.echo import like_bot
from bot import formatter
from handlers.general import _ago


def test_the_bare_clients_like_bot_answer_is_the_bots_ping_answer() -> None:
    ours = formatter.content(
        "pong (Flattening {version}, up {uptime})",
        {"version": "0.1.0", "uptime": _ago(312)},
        "$command",
        notify=False,
        thread=None,
    )
    assert like_bot("$command") == ours
