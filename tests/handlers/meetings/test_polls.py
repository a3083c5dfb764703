"""Native polls: `!poll` posts an `m.poll.start` as Element sends it; members' responses (the
latest per member, from members only, to our polls only) are kept as who and which option
while open; `!poll close N` or `[meetings] poll_days` ends it with `m.poll.end` and a tally,
exactly once across a restart; other practices open polls and hear their results."""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import poll_events
from bot.events import RoomEvent
from handlers.context import MARKER, Context
from handlers.errors import UsageError
from handlers.meetings.polls import CLOSERS, open_poll, parse, when_closed
from storage import personal
from storage.models import AuditEntry, Poll, PollOption, PollResponse
from storage.polls import Tally
from tests.harness import ALICE, BOB, CAROL, ROOM, FakeClock, Harness, Sent, make_config

ZED = "@zed:elsewhere.org"  # not in the room


def response(
    bot: Harness,
    target: str,
    answers: Any,
    sender: str = ALICE,
    *,
    stable: bool = False,
) -> RoomEvent:
    """A member's poll response, as Element sends it (or in the stable shape)."""
    relates = {"rel_type": "m.reference", "event_id": target}
    if stable:
        content = {"m.relates_to": relates, "m.selections": answers}
        return RoomEvent(bot.event_id(), sender, "m.poll.response", content)
    content = {"m.relates_to": relates, poll_events.RESPONSE: {"answers": answers}}
    return RoomEvent(bot.event_id(), sender, poll_events.RESPONSE, content)


async def ask_poll(bot: Harness, line: str, author: str = ALICE) -> tuple[str, Sent, Sent]:
    """Ask a poll; its start event comes back in the timeline: (its event id, the start
    event as sent, the bot's reply)."""
    sent = await bot.send(line, author)
    starts = [s for s in sent if s.event_type == poll_events.START]
    replies = [s for s in sent if s.event_type == "m.room.message"]
    assert len(starts) == 1 and len(replies) == 1, [(s.event_type, s.body) for s in sent]
    echoed = await bot.echo()
    [(event_id, _start)] = [(e, s) for e, s in echoed if s.event_type == poll_events.START]
    return event_id, starts[0], replies[0]


async def count(bot: Harness, model: type) -> int:
    async with bot.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def test_parsing_folds_white_space_and_says_what_is_wrong() -> None:
    assert parse(" When?  ;  Tue\n evening ; Wed;") == ("When?", ["Tue evening", "Wed"])
    for bad, why in [
        ("; a; b", "needs a question"),
        ("Q; a", "at least two options"),
        ("Q", "at least two options"),
        ("Q; a; A", "the same"),
        ("Q;" + ";".join(str(i) for i in range(21)), "at most 20 options"),
        ("Q" * 301 + "; a; b", "question is too long"),
        ("Q; a; " + "b" * 201, "option is too long"),
    ]:
        try:
            parse(bad)
        except UsageError as exc:
            assert why in str(exc), (bad, str(exc))
        else:
            raise AssertionError(bad)


def test_the_wire_format_is_elements() -> None:
    content = poll_events.start("Lunch?", ["Pizza", "Soup"])
    assert content[poll_events.START] == {
        "kind": "org.matrix.msc3381.poll.disclosed",
        "max_selections": 1,
        "question": {"org.matrix.msc1767.text": "Lunch?"},
        "answers": [
            {"id": "1", "org.matrix.msc1767.text": "Pizza"},
            {"id": "2", "org.matrix.msc1767.text": "Soup"},
        ],
    }
    assert content["org.matrix.msc1767.text"] == "Lunch?\n1. Pizza\n2. Soup"
    end = poll_events.end("$start", "closed")
    assert end["m.relates_to"] == {"rel_type": "m.reference", "event_id": "$start"}
    assert end[poll_events.END] == {} and end["org.matrix.msc1767.text"] == "closed"
    relates = {"m.relates_to": {"rel_type": "m.reference", "event_id": "$p"}}
    read = poll_events.response
    assert read(poll_events.RESPONSE, {**relates, poll_events.RESPONSE: {"answers": ["2"]}}) == (
        "$p",
        ("2",),
    )
    assert read("m.poll.response", {**relates, "m.selections": ["1"]}) == ("$p", ("1",))
    assert read(poll_events.RESPONSE, {**relates, poll_events.RESPONSE: {"answers": [3]}}) == (
        "$p",
        ("",),
    )
    assert read(poll_events.RESPONSE, {**relates, poll_events.RESPONSE: {"answers": "1"}}) == (
        "$p",
        (),
    )
    assert read(poll_events.RESPONSE, {poll_events.RESPONSE: {"answers": ["1"]}}) is None
    assert read("m.room.message", relates) is None


async def test_a_poll_is_asked_answered_and_closed_with_its_tally(bot: Harness) -> None:
    start_id, start, reply = await ask_poll(bot, "!poll Which evening?; Tuesday; Wednesday", BOB)
    assert start.content[poll_events.START]["question"] == {
        "org.matrix.msc1767.text": "Which evening?"
    }
    assert start.content[MARKER] == "poll:1"
    assert reply.body.startswith("Poll **#1** is open until Thu 05 Mar 2026 10:00")
    async with bot.db.transaction() as session:
        assert (await session.scalar(select(Poll.event_id))) == start_id
    await bot.process(
        [
            response(bot, start_id, ["1"], ALICE),
            response(bot, start_id, ["2"], BOB),
            response(bot, start_id, ["1"], BOB),  # Bob changes his mind: the latest counts
            response(bot, start_id, ["1"], ZED),  # not a member
            response(bot, "$unknown", ["1"], CAROL),  # no poll of ours
        ]
    )
    assert await count(bot, PollResponse) == 2
    assert await bot.ask("!polls") == (
        "Open polls:\n- **#1** Which evening? (2 of 3 members answered; closes Thu 05 Mar 2026 10:00)"
    )
    await bot.process([response(bot, start_id, ["9"], CAROL)])  # spoiled: no answer
    await bot.process([response(bot, start_id, [], ALICE, stable=False)])  # Alice takes hers back
    await bot.process([response(bot, start_id, ["2"], ALICE, stable=True)])
    sent = await bot.send("!poll close 1", BOB)
    [end] = [s for s in sent if s.event_type == poll_events.END]
    assert end.content["m.relates_to"] == {"rel_type": "m.reference", "event_id": start_id}
    assert "Tuesday: 1; Wednesday: 1" in end.content["org.matrix.msc1767.text"]
    [tally] = [s for s in sent if s.event_type == "m.room.message"]
    assert tally.body.split("\n") == [
        "**Poll #1** is closed (closed with `!poll close`): Which evening?",
        "- Tuesday: 1 vote",
        "- Wednesday: 1 vote",
        "2 of 3 members answered.",
    ]
    assert await count(bot, PollResponse) == 0  # only the counts stay
    async with bot.db.transaction() as session:
        votes = (await session.scalars(select(PollOption.votes).order_by(PollOption.number))).all()
        assert votes == [1, 1]
        actions = (await session.scalars(select(AuditEntry.action))).all()
        assert "poll.opened" in actions and "poll.closed" in actions
    # Closed: answers are ignored, and it closes only once.
    await bot.process([response(bot, start_id, ["1"], CAROL)])
    assert await count(bot, PollResponse) == 0
    assert "closed already" in await bot.ask("!poll close 1", BOB)
    assert "No poll is open" in await bot.ask("!polls")


async def test_closing_early_takes_the_author_everyone_or_a_second_member(bot: Harness) -> None:
    start_id, _s, _r = await ask_poll(bot, "!poll Paint the door?; green; red", ALICE)
    reply = await bot.ask("!poll close 1", BOB)
    assert reply.startswith("Request **#1** from Bob: close poll #1 before its time. Closing")
    assert await count(bot, PollResponse) == 0
    sent = await bot.send("!second 1", CAROL)
    assert any(s.event_type == poll_events.END for s in sent)
    assert any("closed early, with a second member" in s.body for s in sent)
    # Once every member has answered, nobody is left to wait for: anyone may close it.
    start_id, _s, _r = await ask_poll(bot, "!poll Lunch?; soup; salad", ALICE)
    await bot.process([response(bot, start_id, ["1"], u) for u in (ALICE, BOB, CAROL)])
    sent = await bot.send("!poll close #2", BOB)
    assert any("3 of 3 members answered" in s.body for s in sent)
    # Twenty long options fit in one command.
    options = "; ".join(f"{i} " + "o" * 190 for i in range(20))
    sent = await bot.send(f"!poll Which one?; {options}", BOB)
    [start] = [s for s in sent if s.event_type == poll_events.START]
    assert len(start.content[poll_events.START]["answers"]) == 20
    # A question that begins with "close" is still a poll.
    sent = await bot.send("!poll close the office in August?; yes; no", BOB)
    assert any(s.event_type == poll_events.START for s in sent)
    assert "There is no poll #9" in await bot.ask("!poll close 9")
    assert "is not a number" in await bot.ask("!poll close soon")


async def test_a_poll_closes_after_poll_days_exactly_once_across_a_restart(
    bot: Harness, clock: FakeClock
) -> None:
    start_id, _s, _r = await ask_poll(bot, "!poll Retreat?; yes; no", ALICE)
    await bot.process([response(bot, start_id, ["1"], BOB)])
    clock.advance(days=2)
    before = len(bot.sent)
    await bot.rituals.run_due("poll-close", ROOM)
    assert len(bot.sent) == before  # not its time yet
    clock.set(datetime(2026, 3, 5, 14, 5, tzinfo=UTC))  # the bot was down at its end
    again = Harness(bot.db, bot.config, clock)
    assert await again.rituals.run_due("poll-close", ROOM)
    assert [s.event_type for s in again.sent] == [poll_events.END, "m.room.message"]
    assert again.sent[1].body.startswith(
        "**Poll #1** is closed (late: the bot was offline at its end): Retreat?"
    )
    assert not await again.rituals.run_due("poll-close", ROOM)
    assert not await bot.rituals.run_due("poll-close", ROOM)
    clock.advance(hours=1)
    assert await again.rituals.run_due("poll-close", ROOM)  # the next tick: nothing to close
    assert len(again.sent) == 2


async def test_the_poll_days_key_and_a_replayed_command_post_one_poll(
    db: Any, clock: FakeClock
) -> None:
    bot = Harness(db, make_config("\n[meetings]\npoll_days = 1\n"), clock)
    await bot.start()
    clock.advance(minutes=30)
    event = bot.message("!poll Now?; yes; no")
    await bot.process([event])
    await bot.process([event])  # the same batch again, after a crash
    starts = [s for s in bot.sent if s.event_type == poll_events.START]
    assert len(starts) == 1
    assert "until Tue 03 Mar 2026 11:00" in bot.last.body  # 10:30 Berlin + 1 day, to the hour


async def test_practices_open_polls_and_hear_their_result(bot: Harness) -> None:
    heard: list[tuple[str | None, Tally]] = []

    @when_closed("test-review")
    async def reviewed(ctx: Context, poll: Poll, tally: Tally) -> None:
        heard.append((poll.ref, tally))
        await ctx.say("reviewed #{n}", n=poll.ref)

    try:
        async with bot.db.transaction() as session:
            ctx = bot.processor._context(
                session, await _collective(bot, session), None, None, "job|test"
            )
            poll = await open_poll(
                ctx, "Keep the experiment?", ["keep", "change", "drop"], on_close="test-review",
                ref="4",
            )  # fmt: skip
            assert poll.created_by is None
        await bot.sender.drain()
        assert bot.last.event_type == poll_events.START
        [(start_id, _s)] = await bot.echo()
        await bot.process([response(bot, start_id, ["3"], BOB)])
        assert "second member" in await bot.ask("!poll close 1", ALICE)  # nobody's own poll
        sent = await bot.send("!second 1", CAROL)
        assert heard == [("4", Tally(((1, "keep", 0), (2, "change", 0), (3, "drop", 1)), 1, 3))]
        assert [s.body for s in sent][-2:] == [
            "reviewed #4",
            "Carol seconded request #1 from Alice: poll #1 is closed.",
        ]
    finally:
        CLOSERS.pop("test-review", None)


async def _collective(bot: Harness, session: Any) -> Any:
    from storage import collectives

    found = await collectives.by_room(session, ROOM)
    assert found is not None
    return found


TRICKY = st.lists(
    st.sampled_from(
        [";", " ", "a", "B", "@room", "@Room", "\n", "\u202e", "\x00", "`", "**", "<b>", "é",
         "1", "#", "close", "9" * 12, "x" * 120, ";;"]
    ),
    max_size=14,
).map("".join)  # fmt: skip


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rest=TRICKY, word=st.sampled_from(["", "close ", "close #"]))
async def test_any_poll_line_gets_one_clear_answer(bot: Harness, rest: str, word: str) -> None:
    sent = await bot.send(f"!poll {word}{rest}", BOB)
    replies = [s for s in sent if s.event_type == "m.room.message"]
    assert len(replies) == 1 or any("Request #" in s.body for s in replies), [s.body for s in sent]
    for s in sent:
        assert "Sorry, something went wrong" not in s.body
        text = str(s.content.get("org.matrix.msc1767.text", "")) + s.body
        assert not re.search(r"@room\b", text, re.IGNORECASE)
    starts = [s for s in sent if s.event_type == poll_events.START]
    for start in starts:
        answers = start.content[poll_events.START]["answers"]
        assert 2 <= len(answers) <= 20


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    answers=st.lists(
        st.one_of(
            st.just(None),
            st.lists(st.sampled_from(["1", "2", "3", "0", "", "x" * 200, "١"]), max_size=3),
            st.integers(),
            st.text(max_size=5),
        ),
        min_size=1,
        max_size=6,
    ),
    who=st.lists(st.sampled_from([ALICE, BOB, CAROL, ZED]), min_size=6, max_size=6),
    stable=st.booleans(),
)
async def test_any_responses_leave_one_answer_per_member_at_most(
    bot: Harness, answers: list[Any], who: list[str], stable: bool
) -> None:
    start_id, _s, _r = await ask_poll(bot, "!poll Fuzz?; one; two")
    events = [
        response(bot, start_id, a, u, stable=stable)
        for a, u in zip(answers, who[: len(answers)], strict=True)
    ]
    await bot.process(events)
    async with bot.db.transaction() as session:
        rows = (await session.execute(select(PollResponse.user_id, PollResponse.option))).all()
    assert len({u for u, _o in rows}) == len(rows)
    assert all(u != ZED and o in (1, 2) for u, o in rows)
    last: dict[str, Any] = {}
    for a, u in zip(answers, who[: len(answers)], strict=True):
        if u != ZED:
            last[u] = a
    expected = {u for u, a in last.items() if isinstance(a, list) and a and a[0] in ("1", "2")}
    assert {u for u, _o in rows} == expected
    sent = await bot.send(f"!poll close {await _newest(bot)}", ALICE)
    assert any(s.event_type == poll_events.END for s in sent)
    assert await count(bot, PollResponse) == 0


async def _newest(bot: Harness) -> int:
    async with bot.db.transaction() as session:
        return int(await session.scalar(select(func.max(Poll.number))) or 0)


async def test_forgetting_a_member_takes_their_open_answers(bot: Harness) -> None:
    start_id, _s, _r = await ask_poll(bot, "!poll Forget?; a; b", BOB)
    await bot.process([response(bot, start_id, ["1"], BOB), response(bot, start_id, ["2"], CAROL)])
    async with bot.db.transaction() as session:
        await personal.forget(session, BOB, bot.clock.now(), random.Random(0))
    async with bot.db.transaction() as session:
        assert (await session.scalars(select(PollResponse.user_id))).all() == [CAROL]
        assert (await session.scalar(select(Poll.created_by))) is None
        assert (await session.scalar(select(Poll.question))) == "Forget?"
