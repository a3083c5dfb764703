"""Reflection without blame: anonymous rounds, answered by direct message.

On the `[schedule] reflection` cron (or `!reflect`) every member gets the prompts in a
direct message. Whatever they write back there while the round is open is kept with no
link to them (`storage/reflection.py` says how). Nobody sees a count while it is open;
one reminder goes to the whole room before it closes. At the close (after
`reflection_open_days`) the answers are posted together, in random order, if at least
`reflection_min_answers` members answered; otherwise they are deleted unread and the
room is told why. A round closes exactly once: its `closed_at` is set in the same
transaction as the post, by the hourly job (exactly-once by its occurrence key) or by
`!reflect close` once a second member agreed.

A member may send up to `MAX_PARTS` messages in a round; each is kept as its own
answer, since nothing could tell the bot which earlier answer was theirs to add to.

While the round is open the answers are sealed (`storage/sealing.py`) with a key kept
outside the database, in `store_path`, which `bot/` hands over as `ctx.runtime.sealer`;
they are opened only to be posted. If that key is gone at the close, the round closes
saying its answers could not be opened, and they are deleted unread.
"""

from __future__ import annotations

import html
import json
import logging
import random
import re
from datetime import datetime, timedelta
from typing import Any

from handlers.context import Context, Rows
from handlers.i18n import N_, _, ngettext
from handlers.registry import Practice
from handlers.seconds import ask_second
from storage import reflection
from storage.models import ReflectionRound
from storage.reflection import MAX_PARTS
from storage.sealing import CAPACITY, Sealer, Unopenable

log = logging.getLogger(__name__)

practice = Practice(
    N_("Reflection"), N_("Anonymous reflection rounds, answered in a direct message with the bot.")
)

MAX_ANSWER = 2000  # characters in one answer; longer ones are sent as two
# Every answer is sealed padded to one size: the longest one must fit.
assert MAX_ANSWER * 4 <= CAPACITY  # bytes of UTF-8, at most 4 a character
# Bytes of answers per published message, counted as sent (JSON escapes in the plain and
# the HTML body), so that with encryption's growth no message is ever cut: one answer of
# MAX_ANSWER characters weighs at most 24,000.
PACK = 40_000
REMIND_BEFORE = timedelta(days=1)
LATE = timedelta(hours=1)
CLOSE = "close reflection"


def _group(ctx: Context) -> str:
    return ctx.collective.name or ctx.collective.room_id


def remind_at(opened: datetime, closes: datetime) -> datetime:
    """A day before the close, or half-way through a shorter round."""
    return closes - min(REMIND_BEFORE, (closes - opened) / 2)


async def open_round(ctx: Context) -> ReflectionRound | None:
    """Open a round now and send everyone the prompts; None when one is open already."""
    if await reflection.open_round(ctx.session, ctx.collective_id) is not None:
        return None
    now = ctx.now()
    closes = now + timedelta(days=ctx.settings.reflection_open_days)
    members = await ctx.quiet_names()
    prompts = list(ctx.settings.reflection_prompts)
    found = await reflection.start(
        ctx.session, ctx.collective_id, prompts, now, closes, remind_at(now, closes), members
    )
    for user_id in members:
        await ctx.dm(
            user_id,
            _(
                "**Reflection round** in {group}, open until {closes}.\n{prompts}\n"
                "Answer here, in your own words. What you write is kept with **no link to "
                "you**: no name, no time, no order. When the round closes, all answers are "
                "posted in {group} together, in random order, if at least {min} members "
                "answered; otherwise they are deleted unread. You may send up to {parts} "
                "messages, each kept as its own answer; none can be changed or taken back, "
                "because nothing tells which is yours."
            ),
            group=_group(ctx),
            closes=ctx.time(closes),
            prompts=Rows("- {item}", [_(p) for p in prompts]),
            min=ctx.settings.reflection_min_answers,
            parts=MAX_PARTS,
        )
    return found


def _opened_text(n: int) -> str:
    return ngettext(
        "**Reflection round**{late}: I have sent the one member the prompts in a direct "
        "message. Answer there until {closes}. Answers are kept with no link to who wrote "
        "them and posted here together, in random order, if at least {min} members answer. "
        "Nobody, me included, shows how many have answered before then.",
        "**Reflection round**{late}: I have sent each of the {n} members the prompts in a "
        "direct message. Answer there until {closes}. Answers are kept with no link to who "
        "wrote them and posted here together, in random order, if at least {min} members "
        "answer. Nobody, me included, shows how many have answered before then.",
        n,
    )


@practice.job("reflection", "reflection")
async def scheduled_round(ctx: Context) -> None:
    found = await open_round(ctx)
    if found is None:
        return  # the open round goes on; one round at a time
    await ctx.audit("reflection.opened", automatic=True, until=found.closes_at)
    late = ""
    if ctx.late_by and ctx.due_at is not None:
        late = _(" (late: it was due {due}, while the bot was offline)").format(
            due=ctx.time(ctx.due_at)
        )
    asked = await reflection.asked_count(ctx.session, found.id)
    await ctx.announce(
        _opened_text(asked),
        late=late,
        n=asked,
        closes=ctx.time(found.closes_at),
        min=ctx.settings.reflection_min_answers,
    )


@practice.command(
    "reflect",
    summary=N_("Start a reflection round now: everyone gets the prompts by direct message."),
    examples=("!reflect",),
)
async def reflect(ctx: Context) -> None:
    current = await reflection.open_round(ctx.session, ctx.collective_id)
    if current is not None:
        await ctx.reply(
            _(
                "A reflection round is open until {closes}: answer in your direct chat with "
                "me. `{p}reflect close` asks to close and publish it early."
            ),
            closes=ctx.time(current.closes_at),
            p=ctx.prefix,
        )
        return
    found = await open_round(ctx)
    assert found is not None
    await ctx.audit("reflection.opened", until=found.closes_at)
    asked = await reflection.asked_count(ctx.session, found.id)
    await ctx.call(
        _("{who} opened a reflection round.") + "\n" + _opened_text(asked),
        who=await ctx.mention(ctx.author, ping=False),
        late="",
        n=asked,
        closes=ctx.time(found.closes_at),
        min=ctx.settings.reflection_min_answers,
    )


@practice.command(
    "reflect close",
    summary=N_("Ask to close the open reflection round now (a second member confirms)."),
    examples=("!reflect close",),
)
async def reflect_close(ctx: Context) -> None:
    current = await reflection.open_round(ctx.session, ctx.collective_id)
    if current is None:
        await ctx.reply(_("No reflection round is open. `{p}reflect` starts one."), p=ctx.prefix)
        return
    await ask_second(
        ctx,
        CLOSE,
        {"round": current.id},
        _(
            "close the reflection round now and post its answers, if at least {min} members "
            "answered (otherwise they are deleted)"
        ).format(min=ctx.settings.reflection_min_answers),
    )


@practice.overwrite(CLOSE)
async def close_early(ctx: Context, payload: dict[str, Any]) -> str:
    current = await reflection.open_round(ctx.session, ctx.collective_id)
    if current is None or current.id != payload.get("round"):
        return _("the reflection round had closed already; nothing changed")
    published = await close_round(ctx, current)
    if published:
        return _("the reflection round was closed early and its answers posted")
    return _("the reflection round was closed early and its answers deleted unread")


async def close_round(ctx: Context, found: ReflectionRound) -> bool:
    """Close once and tell the room: the answers in random order, or why there are none.
    True when the answers were posted."""
    now = ctx.now()
    answered = await reflection.answered(ctx.session, found.id)
    publish = answered >= ctx.settings.reflection_min_answers
    late = ""
    if now - found.closes_at > LATE:
        late = _(" It was due to close {due}, while the bot was offline.").format(
            due=ctx.time(found.closes_at)
        )
    values: dict[str, object] = {
        "opened": ctx.date(found.opened_at),
        "closed": ctx.date(now),
        "n": answered,
        "min": ctx.settings.reflection_min_answers,
        "late": late,
        "p": ctx.prefix,
    }
    texts: list[str] = []
    if publish:
        try:
            texts = await reflection.answers(ctx.session, found.id, _sealer(ctx))
        except Unopenable as exc:
            await _unopenable(ctx, found, now, values, exc)
            return False
        random.SystemRandom().shuffle(texts)  # kept, and posted, in this order
    await reflection.close(ctx.session, found, now, published=texts if publish else None)
    await ctx.audit("reflection.published" if publish else "reflection.discarded")
    if not publish:
        await ctx.announce(
            _(
                "**Reflection round** of {opened} to {closed} closed.{late} Fewer than {min} "
                "members answered ({n}), so the answers were deleted unread, as promised: with "
                "so few, who wrote what could be guessed. `{p}reflect` starts a new round."
            ),
            **values,
        )
        return False
    await ctx.announce(
        ngettext(
            "**Reflection round** of {opened} to {closed} closed.{late} {n} member answered. "
            "Here is everything they wrote, in random order and without names:\nPrompts:\n"
            "{prompts}",
            "**Reflection round** of {opened} to {closed} closed.{late} {n} members answered. "
            "Here is everything they wrote, in random order and without names:\nPrompts:\n"
            "{prompts}",
            answered,
        ),
        prompts=Rows("- {item}", [_(p) for p in reflection.prompts(found)]),
        **values,
    )
    for first, last, chunk in _packs(texts):
        await ctx.say(
            _("Answers {first} to {last} of {total}:\n{answers}"),
            first=first,
            last=last,
            total=len(texts),
            answers=Rows("- {item}", chunk),
        )
    return True


async def _unopenable(
    ctx: Context,
    found: ReflectionRound,
    now: datetime,
    values: dict[str, object],
    exc: Unopenable,
) -> None:
    """The answers are sealed with a key the host no longer has (or replaced): nobody can
    read them, so they go, and the room is told why it gets none."""
    log.warning(
        "reflection round %s closes without its answers, which could not be opened (%s); "
        "they are deleted unread",
        found.id,
        exc,
    )
    await reflection.close(ctx.session, found, now, published=None, outcome="unopenable")
    await ctx.audit("reflection.unopenable")
    await ctx.announce(
        ngettext(
            "**Reflection round** of {opened} to {closed} closed.{late} {n} member answered, "
            "but **the answer could not be opened**: the key that sealed it, which the bot "
            "keeps outside its database, is missing or was replaced on the server that runs "
            "it. So it was deleted unread; nobody can read it. `{p}reflect` starts a new round.",
            "**Reflection round** of {opened} to {closed} closed.{late} {n} members answered, "
            "but **their answers could not be opened**: the key that sealed them, which the "
            "bot keeps outside its database, is missing or was replaced on the server that "
            "runs it. So they were deleted unread; nobody can read them. `{p}reflect` starts "
            "a new round.",
            int(str(values["n"])),
        ),
        **values,
    )


def _sealer(ctx: Context) -> Sealer:
    if ctx.runtime.sealer is None:
        raise RuntimeError("no sealer: reflection answers cannot be kept or opened here")
    return ctx.runtime.sealer


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(text: str) -> str:
    """The answer as the database and the room can hold it: a NUL, or half of a UTF-16
    pair, becomes U+FFFD (the same length, so the limit reads the same)."""
    return _UNSTORABLE.sub("\ufffd", text)


def _weight(text: str) -> int:
    """What an answer adds to a message as sent: its plain and its HTML form, escaped."""
    return len(json.dumps(text)) + len(json.dumps(html.escape(text))) + 16


def _packs(texts: list[str]) -> list[tuple[int, int, list[str]]]:
    """Answers grouped into messages of at most PACK characters (each answer is at most
    MAX_ANSWER), in the order given; with their numbers."""
    packs: list[tuple[int, int, list[str]]] = []
    chunk: list[str] = []
    size = 0
    start = 1
    for i, text in enumerate(texts, start=1):
        weight = _weight(text)
        if chunk and size + weight > PACK:
            packs.append((start, i - 1, chunk))
            chunk, size, start = [], 0, i
        chunk.append(text)
        size += weight
    if chunk:
        packs.append((start, len(texts), chunk))
    return packs


@practice.job("reflection-tick", lambda settings: "0 * * * *")
async def tick(ctx: Context) -> None:
    """Hourly: the one reminder before a round closes, and the close."""
    now = ctx.now()
    for found in await reflection.due_reminders(ctx.session, ctx.collective_id, now):
        found.reminded_at = now
        await ctx.announce(
            _(
                "Reminder: the **reflection round** closes {closes}. If you want to answer and "
                "have not yet, write to me in our direct chat. (Everyone gets this reminder: I "
                "do not know who wrote what, and I do not say who has answered.)"
            ),
            closes=ctx.time(found.closes_at),
        )
    for found in await reflection.due_to_close(ctx.session, ctx.collective_id, now):
        await close_round(ctx, found)


async def _waiting(ctx: Context) -> bool:
    found = await reflection.open_round(ctx.session, ctx.collective_id)
    if found is None or found.closes_at <= ctx.now():
        return False
    asked = await reflection.asked(ctx.session, found.id, ctx.author)
    return asked is not None and asked.parts < MAX_PARTS


@practice.answers(N_("the reflection round"), waiting=_waiting)
async def take_answer(ctx: Context, text: str) -> None:
    text = storable(text)
    if len(text) > MAX_ANSWER or _weight(text) > PACK:  # emoji weigh more than letters
        await ctx.reply(
            _(
                "That is {n} characters; an answer holds at most {max} (fewer with emoji). I "
                "kept nothing of it: send it in two messages."
            ),
            n=len(text),
            max=MAX_ANSWER,
        )
        return
    found = await reflection.open_round(ctx.session, ctx.collective_id)
    assert found is not None
    asked = await reflection.asked(ctx.session, found.id, ctx.author)
    assert asked is not None
    await reflection.add_answer(ctx.session, asked, text, _sealer(ctx), random.SystemRandom())
    left = MAX_PARTS - asked.parts
    more = (
        ngettext("You may send {left} more.", "You may send {left} more.", left)
        if left
        else _("That was your last one for this round.")
    )
    await ctx.reply(
        _(
            "Kept for the reflection round of {group}, with no link to you. It closes "
            "{closes}; the answers are posted together, in random order, if at least {min} "
            "members answered. {more}"
        ),
        more=Rows(more, [{"left": left}], sep=""),
        group=_group(ctx),
        closes=ctx.time(found.closes_at),
        min=ctx.settings.reflection_min_answers,
        left=left,
    )
