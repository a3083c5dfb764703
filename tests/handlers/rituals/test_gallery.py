"""The silent gallery walk: patterns of the group, one message each; dots by reaction; a tally
of counts, never who. Only members' coloured dots on a pattern of the open walk count, once
per member, colour and pattern; a removed dot is taken back; the walk ends and tallies once,
across a restart too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.events import RoomEvent
from handlers.context import MARKER
from handlers.rituals.gallery.patterns import _fewest_for_half
from handlers.rituals.gallery.walk import colour_of, ends_at
from storage.models import AuditEntry, GalleryMark, GalleryPattern, GalleryWalk
from tests.harness import ALICE, BOB, BOT, CAROL, ROOM, FakeClock, Harness, make_config

DAN = "@dan:test.org"


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


def said(bot: Harness, body: str, sender: str) -> RoomEvent:
    """A member's message, sent now."""
    e = bot.message(body, sender)
    return RoomEvent(e.event_id, e.sender, e.type, e.content, timestamp_ms=ms(bot.clock.now()))


async def walk(bot: Harness, line: str = "!gallery", author: str = ALICE) -> list[str]:
    """Start a walk; the bot's patterns come back in its timeline: their event ids."""
    sent = await bot.send(line, author)
    assert sent[0].reply_to is not None, [s.body for s in sent]
    echoed = await bot.echo()
    assert [s.content[MARKER] for _, s in echoed] == [f"gallery:1:{n}" for n in range(1, 8)]
    return [event_id for event_id, _ in echoed]


async def count(bot: Harness, model: type) -> int:
    async with bot.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


def tally_lines(body: str) -> list[str]:
    return [line for line in body.split("\n") if line.startswith("- Pattern")]


def test_keys_ticks_and_the_fewest_who_did_most() -> None:
    assert (
        colour_of("🔴") == "red" and colour_of("🔵\ufe0f") == "blue" and colour_of("🟢") == "green"
    )
    assert colour_of("👍") is None and colour_of("red") is None and colour_of("🟡") is None
    start = datetime(2026, 3, 2, 9, 2, 30, tzinfo=UTC)
    assert ends_at(start, 10) == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert ends_at(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), 20) == datetime(
        2026, 3, 2, 9, 20, tzinfo=UTC
    )
    assert _fewest_for_half([5, 1, 1, 1]) == 1
    assert _fewest_for_half([3, 3]) == 2
    assert _fewest_for_half([2, 2, 2, 2]) == 3


async def test_a_walk_posts_patterns_of_the_group_and_tallies_dots_without_names(
    bot: Harness,
) -> None:
    await bot.process(
        [
            said(bot, "one two three four five six seven eight nine ten", ALICE),
            said(bot, "yes indeed", BOB),
        ]
    )
    await bot.ask("!task done minutes of the assembly", ALICE)
    await bot.ask("!task done cleaning the kitchen", ALICE)
    await bot.ask("!task done booking the hall", BOB)
    await bot.ask("!task done welcoming dana #care", CAROL)
    await bot.ask("!knows database, press contacts", ALICE)
    await bot.ask("!knows press contacts", BOB)
    await bot.ask("!learning bank", CAROL)
    await bot.ask("!decision the assembly chose the library", BOB)
    await bot.ask("!role claim notes", ALICE)
    await bot.ask("!role claim facilitation", CAROL)
    await bot.ask("!role release facilitation", CAROL)
    await bot.ask("!role claim facilitation", BOB)
    sent = await bot.send("!gallery", ALICE)
    intro, patterns = sent[0], sent[1:]
    assert intro.body.startswith(
        "Alice started a gallery walk.\n"
        "**Circle of shadows: a silent gallery walk** until Mon 02 Mar 2026 10:20, through "
        "the patterns of the last 30 days (2026-02-01 to 2026-03-02)."
    )
    assert "never who put them" in intro.body and "mirrors, not scores" in intro.body
    assert [p.body.split("\n")[0] for p in patterns] == [
        "**Pattern 1 of 7: Who is heard**",
        "**Pattern 2 of 7: Invisible work**",
        "**Pattern 3 of 7: Single points of knowledge**",
        "**Pattern 4 of 7: Who holds the roles**",
        "**Pattern 5 of 7: Whose proposals carry**",
        "**Pattern 6 of 7: Who holds the room's keys**",
        "**Pattern 7 of 7: Shared sovereignty**",
    ]
    statements = [p.body.split("\n")[1] for p in patterns]
    assert statements[0] == (
        "The most active fifth (1 of 3 members) wrote 83% of the words; 1 of 3 wrote nothing "
        "here. Gini 0.56 (0: everyone equal; 1: a single voice)."
    )
    assert statements[1] == (
        "3 invisible tasks were logged, by 2 of 3 members; 1 of them did more than half of "
        "it. Care work: 1 task by 1 member."
    )
    assert statements[2] == (
        "Of 3 declared areas, 1 area has a single holder (database) and 1 area has only learners."
    )
    assert statements[3] == (
        "How many different members held each role in the last six months (3 members now): "
        "facilitation 2; notes 1."
    )
    assert statements[4] == (
        "0 proposals were adopted, from 0 different members; 0 were made, by 0 of 3 members. "
        "Taken under time pressure: 0 closed early, 1 recorded without a proposal."
    )
    assert statements[5] == "The bot has not seen the room's power levels yet."
    assert statements[6] == (
        "Meetings called: 0, by 0 of 3 members. Agenda items put forward: 0, by 0 different "
        "members. Access: nobody has recorded who holds the keys "
        "and accounts. Of 1 adopted decision, 0 has a task tied to it. 0 of 0 proposals "
        "were closed early, by 0 different members. Claims dropped: 0; left unfinished 30 "
        "days: 0."
    )
    for p in patterns:  # aggregates only: nobody is named, nobody pinged, no replies
        assert not {"Alice", "Bob", "Carol", ALICE, BOB, CAROL} & set(
            p.body.replace(".", " ").split()
        )
        assert p.content["msgtype"] == "m.notice" and p.content["m.mentions"] == {}
        assert p.reply_to is None
        assert p.body.endswith(
            "🔴 dominance · 🔵 invisibility · 🟢 balance. A mirror, not a score."
        )

    echoed = await bot.echo()
    first, second, third = (event_id for event_id, _ in echoed[:3])
    await bot.process(
        [
            bot.reaction(first, "🔴", BOB),
            bot.reaction(first, "🔴", CAROL),
            bot.reaction(first, "🟢", ALICE),
            bot.reaction(first, "🔵", ALICE),
            bot.reaction(second, "🔵\ufe0f", CAROL),
            bot.reaction(third, "🟢", BOB),
        ]
    )
    assert await count(bot, GalleryMark) == 6
    [tally] = await bot.send("!gallery end", CAROL)
    assert tally.body.startswith(
        "**Gallery walk tally** (2026-02-01 to 2026-03-02), closed early by Carol with "
        "`!gallery end`: "
        "3 members put dots."
    )
    assert tally_lines(tally.body) == [
        "- Pattern 1, Who is heard: 🔴 2 · 🔵 1 · 🟢 1",
        "- Pattern 2, Invisible work: 🔴 0 · 🔵 1 · 🟢 0",
        "- Pattern 3, Single points of knowledge: 🔴 0 · 🔵 0 · 🟢 1",
        "- Pattern 4, Who holds the roles: 🔴 0 · 🔵 0 · 🟢 0",
        "- Pattern 5, Whose proposals carry: 🔴 0 · 🔵 0 · 🟢 0",
        "- Pattern 6, Who holds the room's keys: 🔴 0 · 🔵 0 · 🟢 0",
        "- Pattern 7, Shared sovereignty: 🔴 0 · 🔵 0 · 🟢 0",
    ]
    assert "mirrors, not scores" in tally.body
    # Who closed the walk is named, as in any reply; who put which dot never is.
    dots = tally.body.replace("closed early by Carol", "")
    assert not {"Alice", "Bob", "Carol"} & set(dots.replace(",", " ").split())
    # Only the counts stay: who put which dot is gone with the walk.
    assert await count(bot, GalleryMark) == 0
    async with bot.db.transaction() as session:
        kept = (
            await session.execute(select(GalleryPattern).order_by(GalleryPattern.number))
        ).scalars()
        assert [(p.red, p.blue, p.green) for p in kept][:3] == [(2, 1, 1), (0, 1, 0), (0, 0, 1)]
        ended = (await session.execute(select(GalleryWalk))).scalar_one()
        assert ended.reactors == 3 and ended.ended_by == CAROL
        actions = (await session.execute(select(AuditEntry.action, AuditEntry.actor))).all()
    assert ("gallery.started", ALICE) in actions and ("gallery.ended_early", CAROL) in actions
    # A reaction after the end changes nothing.
    await bot.process([bot.reaction(first, "🔴", ALICE)])
    assert await count(bot, GalleryMark) == 0
    assert "No gallery walk is open" in await bot.ask("!gallery end", BOB)


async def test_only_members_coloured_dots_on_the_walks_patterns_count_once(bot: Harness) -> None:
    bot.members[ROOM][DAN] = "Dan"
    await bot.process([])
    await bot.ask(f"!bot {DAN}", ALICE)  # another bot in the room: not a member
    [first, second, *_] = await walk(bot)
    outsider = bot.reaction(first, "🔴", "@mallory:evil.org")
    chat = said(bot, "what a nice wall", BOB)
    late = bot.reaction(first, "🔴", CAROL, at_ms=ms(bot.clock.now() + timedelta(minutes=21)))
    twice = bot.reaction(first, "🟢", BOB)
    await bot.process(
        [
            chat,
            bot.reaction(chat.event_id, "🔴", ALICE),  # a member's message, not a pattern
            bot.reaction("$nothing", "🔴", ALICE),  # e.g. the walk's introduction
            outsider,  # not in the room: the processor already drops it
            bot.reaction(first, "🔴", DAN),  # a bot
            bot.reaction(first, "👍", ALICE),  # another key
            bot.reaction(first, "red", ALICE),
            bot.reaction(first, "🟡", ALICE),
            late,  # sent after the walk's end (the tally is not out yet)
            twice,
            bot.reaction(first, "🟢\ufe0f", BOB),  # the same colour again, other spelling
            bot.reaction(first, "🔵", BOB),  # another colour: counts
            bot.reaction(second, "🔴", ALICE),
        ]
    )
    await bot.process([twice])  # the same reaction delivered again
    # Dots removed before the end: by whoever put them, or by a moderator only.
    await bot.process([bot.redaction(twice.event_id, CAROL)])  # Carol may not: stays
    assert await count(bot, GalleryMark) == 4
    [tally] = await bot.send("!gallery end", CAROL)
    assert tally_lines(tally.body)[:2] == [
        "- Pattern 1, Who is heard: 🔴 0 · 🔵 1 · 🟢 1",
        "- Pattern 2, Invisible work: 🔴 1 · 🔵 0 · 🟢 0",
    ]
    assert "2 members put dots" in tally.body


async def test_a_removed_dot_is_taken_back_and_one_removed_after_the_end_is_not(
    bot: Harness,
) -> None:
    [first, *_] = await walk(bot)
    red = bot.reaction(first, "🔴", BOB)
    blue = bot.reaction(first, "🔵", BOB)
    green = bot.reaction(first, "🟢", CAROL)
    await bot.process([red, blue, green])
    await bot.process([bot.redaction(red.event_id, BOB)])
    # A moderator (power to redact others) takes Carol's dot away too.
    async with bot.db.transaction() as session:
        from storage.models import Collective

        room = (await session.execute(select(Collective))).scalar_one()
        room.power_levels = '{"users": {"@alice:test.org": 100}, "redact": 50}'
    await bot.process([bot.redaction(green.event_id, ALICE)])
    [tally] = await bot.send("!gallery end", ALICE)
    assert tally_lines(tally.body)[0] == "- Pattern 1, Who is heard: 🔴 0 · 🔵 1 · 🟢 0"
    assert "1 member put dots" in tally.body
    await bot.process([bot.redaction(blue.event_id, BOB)])  # after the end: the count stays
    async with bot.db.transaction() as session:
        kept = (
            await session.execute(select(GalleryPattern).where(GalleryPattern.number == 1))
        ).scalar_one()
    assert (kept.red, kept.blue, kept.green) == (0, 1, 0)


async def test_a_walk_across_a_restart_ends_and_tallies_exactly_once(
    bot: Harness, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 3, 2, 9, 2, 30, tzinfo=UTC))
    [first, *_] = await walk(bot, "!gallery 10", BOB)
    assert bot.sent[-8].body.startswith(
        "Bob started a gallery walk.\n"
        "**Circle of shadows: a silent gallery walk** until Mon 02 Mar 2026 10:15,"
    )
    await bot.process([bot.reaction(first, "🔵", CAROL), bot.reaction(first, "🔵", ALICE)])
    clock.set(datetime(2026, 3, 2, 9, 10, tzinfo=UTC))
    before = len(bot.sent)
    await bot.rituals.run_due("gallery-close", ROOM)  # not its time yet
    assert len(bot.sent) == before
    # The bot stops; it is started again after the walk's end.
    clock.set(datetime(2026, 3, 2, 9, 31, tzinfo=UTC))
    again = Harness(bot.db, bot.config, clock)
    assert await again.rituals.run_due("gallery-close", ROOM)
    [tally] = again.sent
    assert tally.body.startswith(
        "**Gallery walk tally** (2026-02-01 to 2026-03-02), late: the bot was offline when it "
        "ended: 2 members put dots."
    )
    assert tally_lines(tally.body)[0] == "- Pattern 1, Who is heard: 🔴 0 · 🔵 2 · 🟢 0"
    assert tally.reply_to is None
    assert not await again.rituals.run_due("gallery-close", ROOM)
    assert not await bot.rituals.run_due("gallery-close", ROOM)  # the old process, too late
    clock.advance(minutes=5)
    assert await again.rituals.run_due("gallery-close", ROOM)  # the next tick: nothing to end
    assert len(again.sent) == 1 and len([s for s in bot.sent if "tally" in s.body]) == 0
    assert "No gallery walk is open" in await again.ask("!gallery end", ALICE)


async def test_one_walk_at_a_time_and_bounded_minutes(bot: Harness) -> None:
    assert await bot.ask("!gallery 3") == (
        "minutes must be at least 5. Usage: `!gallery [minutes]`"
    )
    assert (await bot.ask("!gallery 241")).startswith("A gallery walk lasts 5 to 240 minutes")
    assert (
        await bot.ask("!gallery end") == "No gallery walk is open. `!gallery [minutes]` starts one."
    )
    [first, *_] = await walk(bot, "!gallery 240")
    assert await bot.ask("!gallery", BOB) == (
        "A gallery walk is open until Mon 02 Mar 2026 14:00: one at a time. "
        "`!gallery end` closes it now."
    )
    await bot.process([bot.reaction(first, "🔴", BOB)])
    await bot.send("!mydata", BOB)
    [doc] = bot.dms(BOB)
    assert "- A red dot you put in the gallery walk open until Mon 02 Mar 2026 14:00" in doc.body


async def test_the_monthly_walk_follows_the_power_map_when_configured(db, clock) -> None:  # type: ignore[no-untyped-def]
    off = Harness(db, make_config(), clock)
    await off.start()
    clock.set(datetime(2026, 4, 1, 17, 0, tzinfo=UTC))  # 19:00 in Berlin
    assert not await off.rituals.run_due("gallery", ROOM)  # off by default
    on = Harness(db, make_config('[schedule]\ngallery = "0 19 1 * *"\n'), clock)
    clock.set(datetime(2026, 3, 31, 9, 0, tzinfo=UTC))
    await on.rituals.run_due("gallery", ROOM)  # first scheduled here: nothing owed yet
    clock.set(datetime(2026, 4, 1, 17, 0, tzinfo=UTC))
    assert await on.rituals.run_due("gallery", ROOM)
    intro, *patterns = on.sent
    assert intro.content["msgtype"] == "m.text" and intro.reply_to is None
    assert intro.body.startswith(
        "**Circle of shadows: a silent gallery walk** until Wed 01 Apr 2026 19:20, through "
        "the patterns of March 2026 (2026-03-01 to 2026-03-31)."
    )
    assert len(patterns) == 7 and all(MARKER in p.content for p in patterns)
    await on.echo()
    clock.set(datetime(2026, 4, 1, 17, 20, tzinfo=UTC))
    assert await on.rituals.run_due("gallery-close", ROOM)
    assert on.last.body.startswith("**Gallery walk tally** (2026-03-01 to 2026-03-31), at its end")
    async with db.transaction() as session:
        actors = (
            await session.execute(
                select(AuditEntry.actor, AuditEntry.automatic).where(
                    AuditEntry.action.like("gallery.%")
                )
            )
        ).all()
        assert set(actors) == {(None, True)}


async def test_a_pattern_message_never_seen_back_is_said_in_the_tally(bot: Harness) -> None:
    await bot.send("!gallery")
    # Only the first two patterns come back (the rest, say, were lost in a gap).
    events = []
    for s in bot.sent:
        if MARKER in s.content and s.content[MARKER] in ("gallery:1:1", "gallery:1:2"):
            events.append(RoomEvent(bot.event_id(), BOT, s.event_type, dict(s.content)))
    await bot.process(events)
    bot.echoed = len(bot.sent)
    [tally] = await bot.send("!gallery end")
    lines = tally_lines(tally.body)
    assert "never came back" not in lines[1]
    assert lines[2].endswith(
        "(its message never came back to me, so no dots on it could be counted)"
    )
