"""Every word a member reads comes from the catalogues: they are up to date with the code,
complete in German and Spanish, keep every placeholder and command word, and a collective
that speaks German or Spanish gets no English sentence back from any command."""

from __future__ import annotations

import re
import string
from functools import cache

import pytest

from bot.catalogues import TRANSLATED, extract, po_path, problems, read
from bot.database import Database
from handlers import i18n
from tests.harness import ALICE, BOB, CAROL, FakeClock, Harness, make_config


def test_the_catalogues_are_up_to_date_complete_and_keep_placeholders() -> None:
    found = problems()
    assert not found, (
        "\n".join(found[:40])
        + (f"\n… and {len(found) - 40} more" if len(found) > 40 else "")
        + "\n(run `python -m bot.catalogues update`, then translate what is new)"
    )


def test_plurals_follow_the_number_in_every_language() -> None:
    for language in i18n.LANGUAGES:
        with i18n.speaking(language):
            one = i18n.ngettext("{n} member", "{n} members", 1)
            many = i18n.ngettext("{n} member", "{n} members", 5)
        assert one != many, language
    with i18n.speaking("en"):
        assert i18n.ngettext("{n} member", "{n} members", 1) == "{n} member"


def test_a_moment_reads_in_the_language() -> None:
    from datetime import datetime

    when = datetime(2026, 3, 2, 10, 0)
    with i18n.speaking("en"):
        assert i18n.moment(when) == "Mon 02 Mar 2026 10:00"
    with i18n.speaking("de"):
        assert i18n.moment(when) == "Mo. 02 März 2026 10:00"


@cache
def _english_fragments() -> frozenset[str]:
    """Pieces of the English messages long enough to be a sentence of their own, with
    placeholders and command words taken out: none may appear in another language."""
    out: set[str] = set()
    translated_alike: set[str] = set()
    for language in TRANSLATED:
        for message in read(po_path(language), language):
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strs = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and any(i in strs for i in ids):
                translated_alike.update(ids)  # a word that is the same in both
    for message in extract():
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            if not text or text in translated_alike:
                continue
            literal = "".join(lit for lit, _, _, _ in string.Formatter().parse(text))
            for piece in re.split(r"`[^`]*`|\*\*|\n|\{[^}]*\}", literal):
                piece = piece.strip(" .,:;-()")
                if len(piece) >= 18 and " " in piece and piece.count(" ") >= 3:
                    out.add(piece)
    return frozenset(out)


# Commands whose examples need something to exist first, and the set-up that makes it.
SETUP = (
    "!task add flyers",
    "!knows database",
    "!learning database",
    "!role define treasury 1m keeps the budget",
    "!propose we meet on Thursdays",
    "!decision the hall is ours",
    "!note the hall is booked",
    "!spend 12,50 stamps",
    "!campaign start rent strike",
    "!experiment a speaking timekeeper",
    "!stack",
)


@pytest.mark.parametrize("language", TRANSLATED)
async def test_every_command_answers_in_the_collective_language(
    db: Database, clock: FakeClock, language: str
) -> None:
    """Every command's documented examples, typed in a German or Spanish collective, get
    replies with no English sentence in them, formatted and escaped as in English."""
    bot = Harness(db, make_config(f'\n[i18n]\nlanguage = "{language}"\n'), clock)
    await bot.start()
    fragments = _english_fragments()
    for line in SETUP:
        await bot.send(line, BOB)
    commands = [c for c in bot.registry.commands.values() if c.examples]
    assert len(commands) > 40
    checked = 0
    for command in commands:
        for example in command.examples:
            if example.startswith("!forgetme"):
                continue  # would erase the author used by the rest of the run
            sent = await bot.send(example, ALICE)
            for message in sent:
                body = message.body
                english = [f for f in fragments if f in body]
                assert not english, (example, english[:3], body)
                assert "m.mentions" in message.content
                assert "<script" not in message.html
                checked += 1
    assert checked > 60
    # The introduction and escaping of member text, too.
    [intro] = bot.sent[:1]
    assert not [f for f in fragments if f in intro.body]
    [reply] = await bot.send("!task done <b>@room</b> x", CAROL)
    assert "&lt;b&gt;" in reply.html and "@room" not in reply.body.replace("@\u2060room", "")
