"""Names are found and told apart after one folding (`handlers.names`): a name that looks
like another's (invisible characters, case, compatibility forms, lookalike letters) is
shown with its user id in replies, closed proposals and exports, and a shown name cannot
reorder the text around it. On both databases, with hypothesis where names vary."""

from __future__ import annotations

import unicodedata
from itertools import combinations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers import names
from tests.handlers.test_exports import export, section
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness

EVIL = "@mallory:evil.org"
# What renders as nothing, or as white space, in a name.
INVISIBLE = [
    "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e", "\u034f", "\ufe0f",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\u200e", "\u200f", "\u061c", "\U000e0041", "\u3164",
]  # fmt: skip
LOOKALIKE = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і", "y": "у"}


def test_fold_drops_what_does_not_show_and_folds_case_width_and_lookalikes() -> None:
    assert names.fold("Alice\u200b") == names.fold("alice") == "alice"
    assert names.fold(" A\u2060li\u202ece\u3000\u2800B\t") == "alice b"
    assert names.fold("ＡＬＩＣＥ") == names.fold("Аlice") == "alice"  # fullwidth; Cyrillic А
    assert names.fold("\u200b\u2066") == ""
    assert names.fold("Ærøskøbing") == "ærøskøbing"  # other letters are themselves


def test_alike_names_are_shown_with_their_user_ids() -> None:
    shown = names.shown(
        [
            (ALICE, "Alice"),
            (EVIL, "Alice\u200b"),
            (BOB, "Bob"),
            (CAROL, "\u200b"),
            ("@dan:x.org", BOB),  # a name that is someone's user id
            ("@eve:x.org", f"Alice ({ALICE})"),  # a name that is how Alice is shown
        ]
    )
    assert shown == {
        ALICE: f"Alice ({ALICE})",
        EVIL: f"Alice\u200b ({EVIL})",
        BOB: "Bob",
        CAROL: None,  # nothing visible: the user id is shown
        "@dan:x.org": f"{BOB} (@dan:x.org)",
        "@eve:x.org": f"Alice ({ALICE}) (@eve:x.org)",
    }


@st.composite
def lookalike(draw: st.DrawFn, name: str) -> str:
    """The name as someone might disguise it: invisible characters in it, other case,
    fullwidth or lookalike letters."""
    out = []
    for ch in name:
        ch = draw(st.sampled_from([ch, ch.upper(), ch.lower()]))
        if ch.isascii() and ch.isalpha() and draw(st.booleans()):
            ch = draw(st.sampled_from([chr(ord(ch) + 0xFEE0), LOOKALIKE.get(ch.lower(), ch)]))
        out.append(ch + "".join(draw(st.lists(st.sampled_from(INVISIBLE), max_size=2))))
    return "".join(draw(st.lists(st.sampled_from(INVISIBLE), max_size=2))) + "".join(out)


BASE = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz "), min_size=1, max_size=12).filter(
    lambda n: n.strip() != ""
)
ANY_NAME = st.text(st.characters(exclude_categories=("Cs",)), max_size=12) | st.sampled_from(
    ["Alice", "alice\u200b", ALICE, f"Alice ({ALICE})", "Аlice", "\u202eecilA"]
)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_a_disguised_name_folds_like_the_name(data: st.DataObject) -> None:
    name = data.draw(BASE)
    assert names.fold(data.draw(lookalike(name))) == names.fold(name)


@settings(max_examples=300, deadline=None)
@given(people=st.lists(ANY_NAME, max_size=6))
def test_no_two_people_are_shown_alike_without_their_user_ids(people: list[str]) -> None:
    users = [f"@u{i}:x.org" for i in range(len(people))]
    shown = names.shown(zip(users, people, strict=True))
    label = {u: shown[u] or u for u in users}
    for (u, a), (v, b) in combinations(zip(users, people, strict=True), 2):
        if names.fold(a) and names.fold(a) == names.fold(b):
            assert label[u].endswith(f" ({u})") and label[v].endswith(f" ({v})")
        if names.fold(label[u]) == names.fold(label[v]):  # alike as shown: both with ids
            assert u in label[u] and v in label[v]


async def test_a_lookalike_is_told_apart_in_replies_and_refused_as_ambiguous(
    bot: Harness,
) -> None:
    bot.members[ROOM] = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol", EVIL: "Alice\u200b"}
    await bot.process([])
    order = await bot.ask("!round")
    assert f"Alice ({ALICE})" in order and f"Alice\u200b ({EVIL})" in order
    reply = await bot.ask("!task log Alice", BOB)
    assert "could be any of" in reply and ALICE in reply and EVIL in reply
    assert "for Bob" in await bot.ask("!task log B\u200bOB")  # found as typed, disguised
    # Another bot's lookalike name is told apart too, where bots are named.
    reply = await bot.ask(f"!bot {EVIL}", BOB)
    assert reply.startswith(f"Bob marked Alice\u200b ({EVIL}) as a bot")
    assert f"Alice ({ALICE})" in await bot.ask("!round")  # a bot's name still counts


async def test_a_closed_proposal_tells_lookalikes_apart(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol", EVIL: "ALICE\u2060"}
    await bot.process([])
    await bot.ask("!propose we buy a printer", BOB)
    await bot.ask("!agree 1", ALICE)
    await bot.ask("!object 1 too loud", EVIL)
    await bot.ask("!agree 1", BOB)
    await bot.ask("!agree 1", CAROL)  # everyone has answered: it may close early
    closed = await bot.ask("!decide 1", BOB)
    assert f"- Alice ({ALICE}) agrees" in closed
    assert f"- ALICE\u2060 ({EVIL}) objects: too loud" in closed


async def test_an_export_tells_lookalikes_apart(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "Alice", BOB: "Bob", CAROL: "Carol", EVIL: "Alice\u200b"}
    await bot.process([])
    await bot.ask("!task done flyers", ALICE)
    await bot.ask("!task done posters", EVIL)
    _, doc = await export(bot)
    who = section(doc, "## Who is who")
    assert f"- Alice ({ALICE}): {ALICE}" in who
    assert f"- Alice\u200b ({EVIL}): {EVIL}" in who
    assert "by Alice\n" not in doc and "by Alice\u200b\n" not in doc


async def test_a_shown_name_cannot_reorder_the_reply_around_it(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "Alice", BOB: "Bob\u2069\u202e", CAROL: "Carol"}
    await bot.process([])
    order = (await bot.ask("!round")).split("\n")
    [line] = [line for line in order if "Bob" in line]
    inner = line[line.index("\u2068") + 1 : line.rindex("\u2069")]
    assert inner == "Bob"  # isolated, its own controls dropped
    assert not any(
        unicodedata.bidirectional(ch) in ("RLO", "PDI", "FSI", "LRI", "RLI", "PDF")
        for ch in line.replace("\u2068" + inner + "\u2069", "")
    )


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
async def test_any_disguise_of_a_members_name_is_told_apart_and_found_ambiguous(
    bot: Harness, data: st.DataObject
) -> None:
    base = data.draw(BASE.filter(lambda n: names.fold(n) not in ("bob", "carol", "mallory")))
    disguised = data.draw(lookalike(base))
    bot.members[ROOM] = {ALICE: base, BOB: "Bob", CAROL: "Carol", EVIL: disguised}
    await bot.process([])
    order = await bot.ask("!round", BOB)
    assert f" ({ALICE})" in order and f" ({EVIL})" in order
    reply = await bot.ask(f"!task log {base}", BOB)
    assert "could be any of" in reply and ALICE in reply and EVIL in reply
