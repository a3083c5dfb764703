"""Every outcome of a command is an answer: usage, suggestions, and an apology on a crash."""

from __future__ import annotations

from handlers.arguments import Text
from handlers.context import Context
from handlers.registry import Practice
from tests.harness import BOB, ROOM, FakeClock, Harness, make_config


async def test_unknown_command_suggests_the_nearest(bot: Harness) -> None:
    [reply] = await bot.send("!pnig")
    assert reply.body == "Unknown command `!pnig`. Did you mean `!ping`?"


async def test_unknown_command_without_a_near_one_points_to_help(bot: Harness) -> None:
    [reply] = await bot.send("!xyzzyplugh")
    assert "Type `!help`" in reply.body


async def test_command_words_are_case_insensitive(bot: Harness) -> None:
    [reply] = await bot.send("!PING")
    assert reply.body.startswith("pong")


async def test_malformed_command_gets_its_usage_line(bot: Harness) -> None:
    [reply] = await bot.send("!audit lots")
    assert reply.body == "`lots` is not a number. Usage: `!audit [count]`"


async def test_extra_words_get_the_usage_line(bot: Harness) -> None:
    [reply] = await bot.send("!ping now please")
    assert "Usage: `!ping`" in reply.body


async def test_bare_prefix_points_to_help(bot: Harness) -> None:
    [reply] = await bot.send("!")
    assert "help" in reply.body


async def test_handler_crash_is_answered_and_rolled_back(db, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    broken = Practice("Broken")

    @broken.command("explode", Text("what"), summary="Always fails.")
    async def explode(ctx: Context, what: str) -> None:
        await ctx.reply("half-done {w}", w=what)
        raise RuntimeError("bug")

    harness = Harness(db, make_config(), clock, extra_practices=[broken])
    await harness.start()
    [reply] = await harness.send("!explode things")
    assert reply.body.startswith("Sorry, something went wrong while handling `!explode`")
    # The loop goes on: the next command is answered.
    [pong] = await harness.send("!ping")
    assert pong.body.startswith("pong")


async def test_group_word_without_subcommand_lists_them(db, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    group = Practice("Group")

    @group.command("thing add", Text("name"), summary="Add.")
    async def add(ctx: Context, name: str) -> None:
        await ctx.reply("added {n}", n=name)

    @group.command("thing drop", Text("name"), summary="Drop.")
    async def drop(ctx: Context, name: str) -> None:
        await ctx.reply("dropped {n}", n=name)

    harness = Harness(db, make_config(), clock, extra_practices=[group])
    await harness.start()
    [reply] = await harness.send("!thing")
    assert "`!thing` needs a subcommand" in reply.body
    assert "`!thing add <name>`" in reply.body
    [reply] = await harness.send("!thing frob x")
    assert "Unknown `!thing` subcommand `frob`" in reply.body
    [reply] = await harness.send("!Thing ADD  Flyers ")
    assert reply.body == "added Flyers"
    assert harness.last.room_id == ROOM


async def test_custom_prefix_per_collective(db, clock: FakeClock) -> None:  # type: ignore[no-untyped-def]
    config = make_config(f'\n[collectives."{ROOM}".bot]\ncommand_prefix = "?"\n')
    harness = Harness(db, config, clock)
    await harness.start()
    assert await harness.send("!ping") == []
    [reply] = await harness.send("?ping")
    assert reply.body.startswith("pong")


async def test_a_command_in_a_thread_is_answered_in_that_thread(bot: Harness) -> None:
    root = "$root:test.org"
    event = bot.message("!ping", **{"m.relates_to": {"rel_type": "m.thread", "event_id": root}})
    before = len(bot.sent)
    await bot.process([event])
    [reply] = bot.sent[before:]
    assert reply.content["m.relates_to"] == {
        "rel_type": "m.thread",
        "event_id": root,
        "is_falling_back": False,
        "m.in_reply_to": {"event_id": event.event_id},
    }
    [plain] = await bot.send("!ping")
    assert plain.content["m.relates_to"] == {"m.in_reply_to": {"event_id": plain.reply_to}}


async def test_replies_inform_and_calls_reach(bot: Harness) -> None:
    [reply] = await bot.send("!role claim notes")
    assert reply.content["msgtype"] == "m.notice"
    [call] = await bot.send("!role swap notes Bob")
    assert call.content["msgtype"] == "m.text"
    assert call.content["m.mentions"] == {"user_ids": [BOB]}
