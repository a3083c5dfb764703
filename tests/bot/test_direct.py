"""Direct chats as a capability of the bot: opened (or reused) after the commit and never
twice, marked direct, and answers routed to the one collective they belong to."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.direct import NOT_PRIVATE, STRANGER
from bot.events import Batch, Invite, RoomEvent, clean_text
from storage import collectives, direct
from storage.models import Collective, DirectChat, Member, ReflectionAnswer, ReflectionRound
from tests.harness import ALICE, BOB, BOT, CAROL, ROOM, Harness

ROOM2 = "!second:test.org"
STRANGER_ID = "@stranger:friends.org"  # friends.org may invite the bot


async def second_collective(bot: Harness) -> None:
    bot.members[ROOM2] = {ALICE: "Alice", BOB: "Bob"}
    bot.room_names[ROOM2] = "Second group"
    await bot.process(invites=[Invite(ROOM2, ALICE)])
    await bot.process([bot.own_join()], room_id=ROOM2)


def bot_invite(user: str, bot: Harness) -> RoomEvent:
    return RoomEvent(
        bot.event_id(), BOT, "m.room.member", {"membership": "invite", "is_direct": True},
        state_key=user,
    )  # fmt: skip


async def test_a_stranger_gets_one_polite_line_and_nothing_else(bot: Harness) -> None:
    dm = "!strangers:test.org"
    bot.members[dm] = {STRANGER_ID: "Stranger"}
    await bot.process(invites=[Invite(dm, STRANGER_ID, is_direct=True)])
    before = len(bot.sent)
    await bot.process(
        [bot.own_join(), bot.message("hello, can you help?", STRANGER_ID)], room_id=dm
    )
    [line] = bot.sent[before:]
    assert line.room_id == dm and line.body == STRANGER
    for text in ("!mydata", "!help", "!reflect", "green"):
        [line] = await bot.send(text, STRANGER_ID, room_id=dm)
        assert line.body == STRANGER
    async with bot.db.transaction() as session:
        for model, column in ((Member, Member.user_id), (DirectChat, DirectChat.user_id)):
            count = select(func.count()).select_from(model).where(column == STRANGER_ID)
            assert await session.scalar(count) == 0
        assert (await collectives.by_room(session, dm)).is_direct  # type: ignore[union-attr]


async def test_a_member_of_two_collectives_is_asked_which_one(bot: Harness) -> None:
    await second_collective(bot)
    await bot.send("!reflect", BOB)
    # Only one collective waits: no question.
    [kept] = await bot.answer("about the first group", ALICE)
    assert kept.body.startswith("Kept for the reflection round of Test collective")
    await bot.send("!reflect", BOB, room_id=ROOM2)
    assert [u for u, _ in bot.transport.opened].count(ALICE) == 1  # one direct chat, reused
    assert len(bot.dms(ALICE)) == 3  # two prompts and the receipt
    [which] = await bot.answer("which group is this for?", ALICE)
    assert which.body.startswith(
        "More than one of your groups is waiting for an answer like this: Test collective, "
        "Second group. I kept nothing of it."
    )
    assert "`!for <group>` (for example `!for Test collective`)" in which.body
    [listed] = await bot.send("!for", ALICE, room_id=bot.dm_room(ALICE))
    assert listed.body == (
        "Your groups:\n1. Test collective\n2. Second group\nNo group is chosen. "
        "`!for <number or name>` chooses one."
    )
    [bad] = await bot.send("!for Third", ALICE, room_id=bot.dm_room(ALICE))
    assert bad.body.startswith("`Third` does not name one of your groups:")
    [chosen] = await bot.send("!for second", ALICE, room_id=bot.dm_room(ALICE))
    assert chosen.body == "Your answers here are for **Second group** from now on."
    [kept] = await bot.answer("about the second group", ALICE)
    assert kept.body.startswith("Kept for the reflection round of Second group")
    async with bot.db.transaction() as session:
        rows = await session.execute(
            select(Collective.room_id, ReflectionRound.id, ReflectionAnswer.sealed)
            .join(ReflectionRound, ReflectionRound.id == ReflectionAnswer.round_id)
            .join(Collective, Collective.id == ReflectionRound.collective_id)
        )
        opened = [
            (room, bot.sealer.open(blob, f"reflection round {round_id}".encode()))
            for room, round_id, blob in rows.all()
        ]
        assert sorted(opened) == [
            (ROOM, "about the first group"),
            (ROOM2, "about the second group"),
        ]
    assert "works in your direct chat" in await bot.ask("!for 1", ALICE)


async def test_a_chat_is_opened_once_when_the_bot_crashes_right_after_opening_it(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = collectives.mark_direct
    calls = []

    async def crash_once(*args: object) -> None:
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("power cut")
        await original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(collectives, "mark_direct", crash_once)
    await bot.send("!reflect", BOB)
    [room] = [r for u, r in bot.transport.opened if u == ALICE]
    assert bot.dms(ALICE) == []  # the room exists, its id was not recorded
    # The next sync shows the new room: the bot's own direct invitation says whose it is.
    await bot.process([bot.own_join(), bot_invite(ALICE, bot)], room_id=room)
    await bot.sender.drain()
    assert [u for u, _ in bot.transport.opened].count(ALICE) == 1
    [prompt] = bot.dms(ALICE)
    assert prompt.room_id == room and prompt.body.startswith("**Reflection round**")
    async with bot.db.transaction() as session:
        assert await direct.room_for(session, ALICE, BOT) == room
        found = await collectives.by_room(session, room)
        assert found is not None and found.is_direct and found.introduced_at is None


async def test_an_existing_direct_chat_is_reused(bot: Harness) -> None:
    bot.transport.direct[ALICE] = "!old:test.org"  # listed in the bot's m.direct
    await bot.send("!reflect", BOB)
    assert ALICE not in [u for u, _ in bot.transport.opened]
    [prompt] = [s for s in bot.sent if s.room_id == "!old:test.org"]
    assert prompt.body.startswith("**Reflection round**")


async def test_a_chat_the_member_opened_is_where_prompts_go(bot: Harness) -> None:
    dm = "!alices:test.org"
    await bot.process(invites=[Invite(dm, ALICE, is_direct=True)])
    bot.members[dm] = {ALICE: "Alice"}
    await bot.process([bot.own_join()], room_id=dm)
    await bot.send("!checkin", BOB)
    assert ALICE not in [u for u, _ in bot.transport.opened]
    assert [s.room_id for s in bot.sent if "capacity do you have" in s.body].count(dm) == 1


async def test_a_chat_the_member_left_is_replaced(bot: Harness) -> None:
    await bot.send("!checkin", BOB)
    first = bot.dm_room(ALICE)
    await bot.answer("green", ALICE)
    leave = RoomEvent(
        bot.event_id(), ALICE, "m.room.member", {"membership": "leave"}, state_key=ALICE
    )
    bot.members[first] = {}
    await bot.process([leave], room_id=first)
    bot.clock.advance(days=3)
    await bot.rituals.run_due("checkin-tick", ROOM)
    await bot.send("!reflect", BOB)
    assert bot.dm_room(ALICE) != first
    assert bot.dms(ALICE)[-1].room_id == bot.dm_room(ALICE)


async def test_a_third_person_makes_a_chat_not_private(bot: Harness) -> None:
    await bot.send("!reflect", BOB)
    room = bot.dm_room(ALICE)
    await bot.answer("first, while it is private", ALICE)
    bot.members[room] = {ALICE: "Alice", CAROL: "Carol"}
    before = len(bot.sent)
    await bot.process([bot.message("now Carol reads along", ALICE)], room_id=room)
    [refused] = bot.sent[before:]
    assert refused.body == NOT_PRIVATE
    async with bot.db.transaction() as session:
        assert await direct.room_for(session, ALICE, BOT) is None  # the next one opens a new chat
        assert await session.scalar(select(func.count()).select_from(ReflectionAnswer)) == 1


async def test_a_chat_that_cannot_be_opened_now_is_opened_later(bot: Harness) -> None:
    bot.transport.create_fails = 1
    await bot.send("!checkin", BOB)
    await bot.sender.drain()
    for who in (ALICE, BOB, CAROL):
        assert len([s for s in bot.dms(who) if "capacity" in s.body]) == 1
    assert len(bot.transport.opened) == 3


TEXTS = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=80
) | st.sampled_from(["red", " Green. ", "🔴", "!for", "!for 9", "!mydata", "x" * 2500, "!reflect"])


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
async def test_anything_written_in_a_direct_chat_gets_one_answer(
    bot: Harness, data: st.DataObject
) -> None:
    """While a reflection round and a check-in are open in two groups, whatever a member
    writes in their direct chat gets exactly one answer there, never an apology, and is
    never posted to a room."""
    if not bot.transport.opened:
        await second_collective(bot)
        await bot.send("!reflect", BOB)
        await bot.send("!checkin", BOB, room_id=ROOM2)
        await bot.answer("hello", ALICE)
    line = data.draw(TEXTS)
    if not clean_text(line).strip():
        return  # nothing is left of it once control characters are dropped: nothing to answer
    sent = await bot.answer(line, ALICE)
    assert len(sent) == 1, [s.body for s in sent]
    assert sent[0].room_id == bot.dm_room(ALICE)
    assert "Sorry, something went wrong" not in sent[0].body


async def test_a_failed_invitation_is_retried_in_the_same_room(bot: Harness) -> None:
    bot.transport.invite_fails = 2
    await bot.send("!reflect", BOB)
    for _ in range(3):
        await bot.sender.drain()
    opened = [u for u, _ in bot.transport.opened]
    assert sorted(opened) == sorted(set(opened))  # never a second room for anyone
    assert sorted(u for _, u in bot.transport.invited) == sorted(opened)
    assert bot.dms(ALICE) and bot.dms(BOB) and bot.dms(CAROL)


async def rejoin(bot: Harness, room_id: str, *, is_direct: bool) -> None:
    """The bot leaves (or is kicked from) the room and is invited back by Alice."""
    await bot.processor.process(Batch(next_batch=bot.token(), left=[room_id]))
    await bot.process(invites=[Invite(room_id, ALICE, is_direct=is_direct)])
    await bot.process([bot.own_join()], room_id=room_id)


async def test_a_collective_invited_back_as_direct_stays_a_collective(bot: Harness) -> None:
    await bot.ask("!task done flyers", BOB)
    await rejoin(bot, ROOM, is_direct=True)
    async with bot.db.transaction() as session:
        found = await collectives.by_room(session, ROOM)
        assert found is not None and found.joined and not found.is_direct
    reply = await bot.ask("!round", BOB)
    assert reply != STRANGER and "Go-round order" in reply
    # A replay of the invitation decides alike, from what is stored.
    await bot.process(invites=[Invite(ROOM, ALICE, is_direct=True)])
    async with bot.db.transaction() as session:
        assert not (await collectives.by_room(session, ROOM)).is_direct  # type: ignore[union-attr]


async def test_a_room_of_three_with_no_records_yet_stays_a_collective(bot: Harness) -> None:
    room = "!fresh:test.org"
    bot.members[room] = {ALICE: "Alice", BOB: "Bob"}
    await bot.process(invites=[Invite(room, ALICE)])
    await bot.process([bot.own_join()], room_id=room)
    await rejoin(bot, room, is_direct=True)
    async with bot.db.transaction() as session:
        found = await collectives.by_room(session, room)
        assert found is not None and not found.is_direct
        assert await collectives.known_collective(session, found)


async def test_a_chat_with_one_person_and_nothing_recorded_may_become_direct(
    bot: Harness,
) -> None:
    pair = "!pair:test.org"  # a direct chat whose invitation forgot `is_direct`
    bot.members[pair] = {ALICE: "Alice"}
    await bot.process(invites=[Invite(pair, ALICE)])
    await bot.process([bot.own_join()], room_id=pair)
    async with bot.db.transaction() as session:
        found = await collectives.by_room(session, pair)
        assert found is not None and not found.is_direct
        assert not await collectives.known_collective(session, found)
    await rejoin(bot, pair, is_direct=True)
    async with bot.db.transaction() as session:
        found = await collectives.by_room(session, pair)
        assert found is not None and found.joined and found.is_direct
