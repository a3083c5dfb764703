"""A sync batch is one transaction; history and our own messages are never acted on."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.events import Batch, Invite, RoomEvent
from storage import sync_state
from storage.models import Collective, Member, ProcessedEvent
from tests.harness import ALICE, BOB, BOT, CAROL, ROOM, Harness


async def test_joins_on_allowed_invite_and_introduces_itself_once(bot: Harness) -> None:
    assert bot.membership.joined == [ROOM]
    intros = [s for s in bot.sent if "Flattening" in s.body and "help" in s.body]
    assert len(intros) == 1
    assert intros[0].reply_to is None
    await bot.process([bot.message("hello everyone")])
    await bot.process([])
    assert len([s for s in bot.sent if s.body.startswith("Hello! I'm")]) == 1


async def test_refuses_invites_from_strangers_and_accepts_allowed_servers(bot: Harness) -> None:
    await bot.process(
        invites=[
            Invite("!spam:evil.org", "@mallory:evil.org"),
            Invite("!ok:friends.org", "@dan:friends.org"),
            Invite("!nobody:x.org", None),
        ]
    )
    assert bot.membership.refused == ["!spam:evil.org", "!nobody:x.org"]
    assert bot.membership.joined == [ROOM, "!ok:friends.org"]


async def test_direct_invite_makes_a_direct_room_without_introduction(bot: Harness) -> None:
    dm = "!dm:test.org"
    bot.members[dm] = {ALICE: "Alice"}
    await bot.process(invites=[Invite(dm, ALICE, is_direct=True)])
    before = len(bot.sent)
    await bot.process([bot.own_join()], room_id=dm)
    assert len(bot.sent) == before
    replies = await bot.send("!ping", room_id=dm)
    assert replies[0].body.startswith("pong")


async def test_answers_commands_as_replies(bot: Harness) -> None:
    msg = bot.message("!ping")
    await bot.process([msg])
    assert bot.last.reply_to == msg.event_id
    assert bot.last.content["msgtype"] == "m.notice"


async def test_ignores_own_messages_notices_edits_and_plain_chat(bot: Harness) -> None:
    before = len(bot.sent)
    await bot.process(
        [
            bot.message("!ping", sender=BOT),
            bot.message("just chatting"),
            bot.message("!ping", msgtype="m.notice"),
            bot.message("!ping", **{"m.relates_to": {"rel_type": "m.replace", "event_id": "$x"}}),
        ]
    )
    assert len(bot.sent) == before


async def test_reply_fallback_is_stripped_before_the_command(bot: Harness) -> None:
    event = bot.message(
        "> <@bob:test.org> earlier words\n\n!ping",
        **{"m.relates_to": {"m.in_reply_to": {"event_id": "$earlier"}}},
    )
    before = len(bot.sent)
    await bot.process([event])
    assert bot.sent[before].body.startswith("pong")
    # Without a reply relation, a leading quote is the member's own text.
    assert await bot.send("> a quote\n!ping") == []


async def test_initial_sync_history_is_not_acted_on(db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import make_config

    fresh = Harness(db, make_config(), clock)
    await fresh.process([fresh.message("!ping"), fresh.message("!help")], initial=True)
    # Only the introduction: the old commands are history.
    assert [s.body.startswith("Hello! I'm") for s in fresh.sent] == [True]


async def test_events_before_the_bots_own_join_are_history(db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import make_config

    fresh = Harness(db, make_config(), clock)
    old = fresh.message("!ping")
    join = fresh.own_join()
    new = fresh.message("!ping")
    await fresh.process([old, join, new])
    replies = [s for s in fresh.sent if s.reply_to]
    assert [s.reply_to for s in replies] == [new.event_id]


async def test_members_mirror_room_state(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "Alice A.", BOB: "Bob"}
    await bot.process([])
    async with bot.db.transaction() as session:
        rows = (await session.execute(select(Member).order_by(Member.user_id))).scalars().all()
        state = {m.user_id: (m.display_name, m.joined) for m in rows}
    assert state[ALICE] == ("Alice A.", True)
    assert state["@carol:test.org"][1] is False
    assert BOT not in state


async def test_batch_token_and_effects_commit_together(bot: Harness) -> None:
    """A crash inside the batch commits nothing, so the replay acts exactly once."""
    msg = bot.message("!ping")
    batch = Batch(next_batch="s-crash", joined=[bot.room([msg])])

    async def boom(*args: object) -> None:
        raise RuntimeError("power cut")

    original = sync_state.set_token
    sync_state.set_token = boom  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError):
            await bot.processor.process(batch)
    finally:
        sync_state.set_token = original  # type: ignore[assignment]
    async with bot.db.transaction() as session:
        assert await sync_state.get_token(session, BOT) != "s-crash"
        seen = await session.scalar(select(func.count()).select_from(ProcessedEvent))
    assert seen == 0
    await bot.sender.drain()
    assert not [s for s in bot.sent if s.reply_to == msg.event_id]

    await bot.processor.process(batch)  # the replay after restart
    await bot.processor.process(batch)  # and a duplicate delivery of it
    await bot.sender.drain()
    assert len([s for s in bot.sent if s.reply_to == msg.event_id]) == 1
    async with bot.db.transaction() as session:
        assert await sync_state.get_token(session, BOT) == "s-crash"


async def test_left_rooms_are_marked(bot: Harness) -> None:
    await bot.processor.process(Batch(next_batch="s9", left=[ROOM]))
    async with bot.db.transaction() as session:
        collective = (await session.execute(select(Collective))).scalar_one()
    assert collective.joined is False


async def test_collective_commands_are_refused_in_a_direct_chat(bot: Harness) -> None:
    dm = "!dm2:test.org"
    bot.members[dm] = {ALICE: "Alice"}
    await bot.process(invites=[Invite(dm, ALICE, is_direct=True)])
    await bot.process([bot.own_join()], room_id=dm)
    [reply] = await bot.send("!task done flyers", room_id=dm)
    assert reply.body == "`!task done` works in the collective's room, not here."


async def test_a_room_that_keeps_failing_is_isolated_not_fatal(bot: Harness) -> None:
    """The last resort: other rooms' commands still run, and the token moves on."""
    other = "!other:test.org"
    bot.members[other] = {ALICE: "Alice"}
    await bot.process(invites=[Invite(other, ALICE)])
    await bot.process([bot.own_join()], room_id=other)
    good = bot.message("!ping")
    poisoned = bot.room([bot.message("!ping")], room_id=other)
    batch = Batch(next_batch="s-poison", joined=[poisoned, bot.room([good])])

    original = bot.processor._room

    async def fail_other(session, room, *, initial):  # type: ignore[no-untyped-def]
        if room.room_id == other:
            raise ValueError("poisoned")
        return await original(session, room, initial=initial)

    bot.processor._room = fail_other  # type: ignore[method-assign]
    with pytest.raises(ValueError):
        await bot.processor.process(batch)
    await bot.processor.process(batch, isolate=True)
    await bot.sender.drain()
    assert [s.reply_to for s in bot.sent if s.reply_to] == [good.event_id]
    async with bot.db.transaction() as session:
        assert await sync_state.get_token(session, BOT) == "s-poison"


async def test_long_display_names_do_not_break_storage(bot: Harness) -> None:
    bot.members[ROOM][BOB] = "B" * 400
    [reply] = await bot.send("!ping")
    assert reply.body.startswith("pong")


async def test_direct_flag_survives_a_restart_between_invite_and_join(db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import make_config

    first = Harness(db, make_config(), clock)
    await first.start()  # Alice is a member of a collective, so the bot talks with her
    dm = "!dm3:test.org"
    first.members[dm] = {ALICE: "Alice"}
    await first.process(invites=[Invite(dm, ALICE, is_direct=True)])
    restarted = Harness(db, make_config(), clock)  # a new process: nothing in memory
    restarted.members[dm] = {ALICE: "Alice"}
    before = len(restarted.sent)
    await restarted.process([restarted.own_join()], room_id=dm)
    assert restarted.sent[before:] == []  # no introduction in a direct chat
    [reply] = await restarted.send("!task done flyers", room_id=dm)
    assert "works in the collective's room" in reply.body


async def test_a_direct_chat_stays_direct_when_its_invite_batch_does_not_commit(
    bot: Harness,
) -> None:
    dm = "!dm2:test.org"
    bot.members[dm] = {ALICE: "Alice"}
    invite_batch = Batch(next_batch="s-dm", invites=[Invite(dm, ALICE, is_direct=True)])

    async def boom(*args: object) -> None:
        raise RuntimeError("power cut")

    original = sync_state.set_token
    sync_state.set_token = boom  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError):
            await bot.processor.process(invite_batch)
    finally:
        sync_state.set_token = original  # type: ignore[assignment]
    # The replay brings the room back as joined, its invite gone; someone talks in it.
    before = len(bot.sent)
    await bot.process([bot.own_join(), bot.message("my private worries", ALICE)], room_id=dm)
    # No introduction in a direct chat; nothing waits for an answer, and it says so there.
    [reply] = bot.sent[before:]
    assert reply.room_id == dm and "I kept nothing of what you wrote" in reply.body
    replies = await bot.send("!task done flyers", room_id=dm)
    assert "works in the collective's room, not here" in replies[0].body


async def test_a_command_from_someone_who_had_left_is_not_run(bot: Harness) -> None:
    leave = RoomEvent(bot.event_id(), BOB, "m.room.member", {"membership": "leave"}, state_key=BOB)
    before = len(bot.sent)
    await bot.process([leave, bot.message("!role claim notes", BOB)])
    assert len(bot.sent) == before
    stranger = "@stranger:evil.org"
    await bot.process([bot.message("!task done flyers", stranger)])
    assert len(bot.sent) == before
    # Someone who spoke and then left in the same batch was a member when they spoke.
    words = bot.message("!ping", CAROL)
    gone = RoomEvent(
        bot.event_id(), CAROL, "m.room.member", {"membership": "leave"}, state_key=CAROL
    )
    bot.members[ROOM].pop(CAROL)
    await bot.process([words, gone])
    assert [s.reply_to for s in bot.sent[before:]] == [words.event_id]


async def test_what_was_said_while_the_bot_was_kicked_out_is_not_acted_on(bot: Harness) -> None:
    kicked = RoomEvent(
        bot.event_id(), ALICE, "m.room.member", {"membership": "leave"}, state_key=BOT
    )
    meanwhile = bot.message("!task done secret plan")
    back = bot.own_join()
    after = bot.message("!ping")
    before = len(bot.sent)
    await bot.process([kicked, meanwhile, back, after])
    assert [s.reply_to for s in bot.sent[before:]] == [after.event_id]


async def test_reactions_reach_listeners_once(db, clock) -> None:  # type: ignore[no-untyped-def]
    from handlers.context import Context
    from handlers.registry import Practice, Reaction
    from tests.harness import make_config

    seen: list[Reaction] = []
    dots = Practice("Dots")

    @dots.on_reaction
    async def collect(ctx: Context, reaction: Reaction) -> None:
        seen.append(reaction)

    h = Harness(db, make_config(), clock, extra_practices=[dots])
    await h.start()
    annotation = {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$p", "key": "🔴"}}
    red = RoomEvent(h.event_id(), BOB, "m.reaction", annotation)
    odd = RoomEvent(h.event_id(), BOB, "m.reaction", {"m.relates_to": {"event_id": "$p"}})
    await h.process([red, odd])
    await h.process([red])  # delivered again
    assert [(r.sender, r.target, r.key) for r in seen] == [(BOB, "$p", "🔴")]


async def test_other_bots_neither_command_nor_count(db, clock) -> None:  # type: ignore[no-untyped-def]
    from tests.harness import make_config

    helper = "@helper:test.org"
    h = Harness(db, make_config(f'bots = ["{helper}"]\n'), clock)
    h.members[ROOM] = {ALICE: "Alice", BOB: "Bob", helper: "Helper"}
    await h.start()
    await h.ask("!note the hall is ours")
    await h.ask("!note delete 1")
    assert await h.send("!second 1", helper) == []  # a bot cannot be the second member
    assert await h.send("!propose we buy a van", helper) == []
    assert "seconded request #1" in await h.ask("!second 1", BOB)


async def test_a_line_too_long_to_be_a_command_is_refused_quickly(bot: Harness) -> None:
    reply = await bot.ask("!role swap notes " + "x " * 5000)
    assert "The command is too long (10005 characters; at most 4000)." in reply


async def test_the_bots_own_marked_messages_reach_posted_listeners(db, clock) -> None:  # type: ignore[no-untyped-def]
    """A practice learns the event id of its own marked post when the bot sees it come back
    in the timeline; unmarked messages, and markers from anyone but the bot, are nothing."""
    from handlers.context import MARKER, Context
    from handlers.registry import Posted, Practice
    from tests.harness import make_config

    seen: list[Posted] = []
    wall = Practice("Wall")

    @wall.command("post", summary="Post a marked message.")
    async def post(ctx: Context) -> None:
        await ctx.post_marked("wall:1", "A pattern for the wall")

    @wall.on_posted
    async def collect(ctx: Context, posted: Posted) -> None:
        seen.append(posted)

    h = Harness(db, make_config(), clock, extra_practices=[wall])
    await h.start()
    [marked] = await h.send("!post")
    assert marked.content[MARKER] == "wall:1" and marked.reply_to is None
    assert marked.body == "A pattern for the wall"
    [(event_id, _)] = await h.echo()
    forged = RoomEvent(h.event_id(), BOB, "m.room.message", {"body": "x", MARKER: "wall:1"})
    plain = RoomEvent(h.event_id(), BOT, "m.room.message", {"msgtype": "m.notice", "body": "y"})
    await h.process([forged, plain])
    assert [(p.event_id, p.marker) for p in seen] == [(event_id, "wall:1")]


async def test_a_member_marked_as_a_bot_is_heard_only_saying_they_are_a_person(
    bot: Harness,
) -> None:
    from datetime import date

    from storage import airtime, collectives

    async with bot.db.transaction() as session:
        room = await collectives.by_room(session, ROOM)
        assert room is not None
        await collectives.mark(session, room.id, BOB, "bot")
    assert await bot.send("!round", BOB) == []
    assert await bot.send("!notbot Alice", BOB) == []  # about someone else: ignored
    [reply] = await bot.send("!notbot", BOB)
    assert reply.body == f"Bob marked Bob ({BOB}) as a person and a member, not a bot."
    async with bot.db.transaction() as session:
        assert room is not None
        found = await collectives.member(session, room.id, BOB)
        assert found is not None and found.marked == "human"
        day = date(2026, 3, 2)
        assert BOB not in await airtime.totals(session, room.id, day, day)  # no talk counted
    assert len(await bot.send("!round", BOB)) == 1
