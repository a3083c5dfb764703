"""Any sequence of decision commands, typed by any member in the room or in a direct chat,
gets clear answers and never breaks the rules: nothing adopted over a block or below the
quorum, no early close without everyone's answer or a second member. On both databases."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.database import Database
from handlers.decisions.rules import Electorate, needed
from storage.models import Decision
from tests.harness import ALICE, BOB, CAROL, FakeClock, Harness, make_config

MEMBERS = st.sampled_from([ALICE, BOB, CAROL])
NUMBER = st.sampled_from(["1", "2", "3", "#1", "0", "99", "x", "-1", "1.5", ""])
TEXT = st.sampled_from(["", "fine", "@room", "<b>no</b>", "\u200b", "review", "x" * 300])
REVIEW = st.sampled_from(["", " review 3m", " review 1w", " review 5x", " review", " review 0m"])
LINE = st.one_of(
    st.builds(lambda t, r: f"!propose we paint {t}{r}", TEXT, REVIEW),
    st.builds(lambda w, n, t: f"!{w} {n} {t}", st.sampled_from(["agree", "abstain"]), NUMBER, TEXT),
    st.builds(lambda w, n, t: f"!{w} {n} {t}", st.sampled_from(["object", "block"]), NUMBER, TEXT),
    st.builds(lambda n, t: f"!decide {n} {t}", NUMBER, TEXT),
    st.builds(lambda n: f"!second {n}", NUMBER),
    st.builds(lambda n: f"!proposal {n}", NUMBER),
)
STEPS = st.lists(st.tuples(MEMBERS, LINE, st.booleans()), min_size=1, max_size=8)
HOURS = st.sampled_from([0, 1, 30, 200])
_BOTS: dict[tuple[int, bool], Harness] = {}


async def _bot(db: Database, clock: FakeClock, hidden: bool) -> Harness:
    """One bot per database for all examples (the database outlives them)."""
    key = (id(db), hidden)
    if key not in _BOTS or _BOTS[key].db is not db:
        extra = '[decisions]\nanswers = "hidden"\n' if hidden else ""
        _BOTS[key] = Harness(db, make_config(extra), clock)
        await _BOTS[key].start()
    return _BOTS[key]


async def _check(bot: Harness, steps: list[tuple[str, str, bool]], hours: int) -> None:
    for member, line, in_private in steps:
        if in_private and any(who == member for who, _r in bot.transport.opened):
            replies = await bot.answer(line, member)
        else:
            replies = await bot.send(line, member)
        assert replies, line
        for reply in replies:
            assert "Sorry, something went wrong" not in reply.body, line
            assert "@room" not in reply.body.replace("@\u2060room", ""), line
    bot.clock.advance(hours=hours)
    await bot.rituals.run_due("decision-close", "!collective:test.org")
    async with bot.db.transaction() as session:
        closed = (await session.execute(select(Decision))).scalars().all()
    for d in closed:
        if d.status != "adopted" or d.kind != "proposal":
            continue
        assert not d.tally_block
        assert d.members_counted is not None and d.quorum is not None
        answered = (d.tally_agree or 0) + (d.tally_abstain or 0) + (d.tally_object or 0)
        assert answered >= needed(Electorate(d.members_counted, d.quorum))
        if d.closed_early and d.seconded_by is None:
            assert answered == d.members_counted  # everyone had answered


SETTINGS = settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(steps=STEPS, hours=HOURS)
async def test_any_decision_commands_keep_the_rules(
    db: Database, clock: FakeClock, steps: list[tuple[str, str, bool]], hours: int
) -> None:
    await _check(await _bot(db, clock, hidden=False), steps, hours)


@SETTINGS
@given(steps=STEPS, hours=HOURS)
async def test_any_hidden_answers_keep_the_rules_and_the_secret(
    db: Database, clock: FakeClock, steps: list[tuple[str, str, bool]], hours: int
) -> None:
    bot = await _bot(db, clock, hidden=True)
    before = len(bot.sent)
    await _check(bot, steps, hours)
    for sent in bot.sent[before:]:
        if sent.room_id == "!collective:test.org" and "takes its answers in private" in sent.body:
            assert "fine" not in sent.body and "agree" not in sent.body
