"""`!export`: a Markdown file in plain language, uploaded as `m.file`, read back from the
recording transport; and member text that can neither break the file's layout nor ping."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from handlers import exports
from handlers.exports import markdown as escaping
from storage import collectives, decisions
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness, Sent

T = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the clock fixture's start: 10:00 in Berlin
FORBIDDEN = {
    "html_block",
    "html_inline",
    "code_block",
    "fence",
    "table_open",
    "blockquote_open",
    "hr",
    "link_open",
    "image",
    "em_open",
    "s_open",
    "ordered_list_open",
}
OUR_CODE = {
    "!propose",
    "!decision",
    "!note",
    "!meeting start",
    "!meeting end",
    "!note delete",
    "!second",
    "!spend",
    "!income",
    "!budget delete",
    "!task done",
}


def markdown() -> MarkdownIt:
    """CommonMark with raw HTML on, plus GitHub's tables and strikethrough."""
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


async def collective_id(bot: Harness) -> int:
    async with bot.db.transaction() as session:
        found = await collectives.by_room(session, ROOM)
        assert found is not None
        return found.id


async def some_decisions(bot: Harness) -> None:
    """#1 adopted with every kind of answer and a later dissent, #2 still open, #3 recorded."""
    cid = await collective_id(bot)
    week = T + timedelta(days=7)
    async with bot.db.transaction() as s:
        p1 = await decisions.propose(
            s, cid, "Buy a second-hand printer", ALICE, T, closes_at=week, rule="consent"
        )
        await decisions.set_answer(s, p1, ALICE, "agree", None, T)
        await decisions.set_answer(s, p1, BOB, "abstain", "I won't use it", T)
        await decisions.set_answer(s, p1, CAROL, "object", "too loud\nand too big", T)
        await decisions.close(
            s, p1, "adopted", T + timedelta(days=2), by=BOB, outcome="Buy the quiet one"
        )
        await decisions.add_dissent(s, p1.id, CAROL, "It is still too loud", T + timedelta(days=3))
        p2 = await decisions.propose(
            s, cid, "Move meetings to Tuesdays", BOB, T, closes_at=week, rule="consent"
        )
        await decisions.set_answer(s, p2, ALICE, "agree", None, T)
        await decisions.set_answer(s, p2, CAROL, "block", "I work Tuesdays", T)
        await decisions.record(
            s, cid, "We join the tenants' union", CAROL, T, outcome="Alice goes to their meeting"
        )


async def export(bot: Harness, line: str = "!export", author: str = ALICE) -> tuple[Sent, str]:
    """The notice and the file's Markdown, as the room receives them."""
    replies = await bot.send(line, author)
    assert [r.content["msgtype"] for r in replies] == ["m.notice", "m.file"], replies
    notice, file = replies
    data = bot.transport.upload_of(file)
    assert file.content["info"] == {"mimetype": "text/markdown", "size": len(data)}
    assert file.content["body"] == file.content["filename"]
    assert file.reply_to == notice.reply_to is not None
    return notice, data.decode("utf-8")


def section(doc: str, heading: str) -> str:
    """From a heading line to the next heading of the same or a higher level."""
    level = len(heading.split(" ", 1)[0])
    start = doc.index(heading + "\n")
    after = start + len(heading) + 1
    found = re.search(f"^#{{1,{level}}} ", doc[after:], flags=re.MULTILINE)
    return doc[start : after + found.start()] if found else doc[start:]


async def test_export_all_is_a_markdown_file_in_plain_language(bot: Harness) -> None:
    await some_decisions(bot)
    await bot.ask("!spend 12,5 pizza for the assembly")
    await bot.ask("!income 100 donations", BOB)
    await bot.ask("!meeting start")
    await bot.ask("!note rent goes up\nin May", BOB)
    await bot.ask("!meeting end")
    bot.clock.advance(days=1)
    await bot.ask("!note remember the keys", CAROL)
    await bot.ask("!task done flyers")
    await bot.ask("!task done minutes", BOB)
    notice, doc = await export(bot, author=CAROL)
    assert notice.body == (
        "Export of everything for Carol: 3 decisions, 2 notes, 2 budget entries, 2 tasks done. "
        "The file follows: **flattening-all-2026-03-03.md**."
    )
    assert bot.sent[-1].body == "flattening-all-2026-03-03.md"
    assert bot.transport.filenames[-1] == "flattening-all-2026-03-03.md"
    assert bot.transport.uploads[-1][2] == "text/markdown"
    assert doc.startswith(
        "# Test collective: records\n\n"
        "Exported by Flattening on Tue 03 Mar 2026 10:00 (Europe/Berlin): everything it keeps "
        "(decisions, notes, budget, tasks done). It is meant for anyone, including people who "
        "were not there. Times are in the collective's time zone, Europe/Berlin."
    )
    assert [line for line in doc.splitlines() if line.startswith("#")] == [
        "# Test collective: records",
        "## Decisions",
        "### Proposal #1: adopted",
        "### Proposal #2: open",
        "### Decision #3: adopted",
        "## Notes",
        "### 2026-03-02 (Monday)",
        "### 2026-03-03 (Tuesday)",
        "## Budget",
        "### Month by month",
        "### Entries, oldest first",
        "## Tasks done",
        "### Visible work (work others see): 1",
        "### Invisible work (what keeps things going and is rarely seen): 1",
        "## Who is who",
    ]
    assert section(doc, "### Proposal #1: adopted") == (
        "### Proposal #1: adopted\n\n"
        "- **Text**: Buy a second-hand printer\n"
        "- **Proposed by**: Alice, on Mon 02 Mar 2026 10:00\n"
        "- **Rule**: consent\n"
        "- **Status**: adopted on Wed 04 Mar 2026 10:00 (before its closing time), closed by Bob\n"
        "- **Outcome**: Buy the quiet one\n"
        "- **Tally**: 1 agreed, 1 stood aside, 1 objected, 0 blocked\n"
        "- **Who answered what**:\n"
        "  - Alice agreed\n"
        "  - Bob stood aside: I won't use it\n"
        "  - Carol objected: too loud\\\n"
        "    and too big\n"
        "- **Dissent recorded**:\n"
        "  - Carol, on Thu 05 Mar 2026 10:00: It is still too loud\n\n"
    )
    assert section(doc, "### Decision #3: adopted") == (
        "### Decision #3: adopted\n\n"
        "- **Text**: We join the tenants' union\n"
        "- **Recorded by**: Carol, on Mon 02 Mar 2026 10:00\n"
        "- **Status**: adopted elsewhere (such as in a meeting) and recorded here\n"
        "- **Outcome**: Alice goes to their meeting\n"
        "- **Tally**: none; it was decided elsewhere, not answered here\n\n"
    )
    notes = section(doc, "## Notes")
    assert "- #1, 10:00, Bob, in a meeting: rent goes up\\\n  in May\n" in notes
    assert "- #2, 10:00, Carol: remember the keys\n" in notes
    assert section(doc, "## Budget").split("\n\n", 2)[2] == (
        "**Balance**: 87.50 EUR\n\n"
        "### Month by month\n\n"
        "- 2026-03: income 100.00 EUR, spending 12.50 EUR, net +87.50 EUR\n\n"
        "### Entries, oldest first\n\n"
        "- #1, 2026-03-02, spending of 12.50 EUR, recorded by Alice: pizza for the assembly\n"
        "- #2, 2026-03-02, income of 100.00 EUR, recorded by Bob: donations\n\n"
    )
    tasks = section(doc, "## Tasks done")
    assert "2 tasks logged with `!task done`: 1 visible, 1 invisible, 0 care." in tasks
    assert "- 2026-03-03: flyers, by Alice\n" in tasks
    assert "- 2026-03-03: minutes, by Bob\n" in tasks
    assert doc.endswith(
        "## Who is who\n\n"
        "The people named above, with their Matrix ids:\n\n"
        "- Alice: @alice:test.org\n"
        "- Bob: @bob:test.org\n"
        "- Carol: @carol:test.org\n"
    )


async def test_an_open_proposal_shows_counts_only(bot: Harness) -> None:
    await some_decisions(bot)
    _, doc = await export(bot, "!export decisions")
    assert section(doc, "### Proposal #2: open") == (
        "### Proposal #2: open\n\n"
        "- **Text**: Move meetings to Tuesdays\n"
        "- **Proposed by**: Bob, on Mon 02 Mar 2026 10:00\n"
        "- **Rule**: consent\n"
        "- **Status**: open: members are still answering until Mon 09 Mar 2026 10:00\n"
        "- **Answers so far**: 1 agreed, 0 stood aside, 0 objected, 1 blocked. Who answered "
        "what, and why, is shown once the proposal closes.\n\n"
    )
    assert "I work Tuesdays" not in doc
    cid = await collective_id(bot)
    async with bot.db.transaction() as s:
        p2 = await decisions.by_number(s, cid, 2)
        assert p2 is not None
        await decisions.add_dissent(s, p2.id, ALICE, "Tuesdays are bad for parents", T)
    _, doc = await export(bot, "!export decisions")
    assert "- **Dissent recorded**: 1, shown once it closes\n" in doc
    assert "parents" not in doc
    async with bot.db.transaction() as s:
        p2 = await decisions.by_number(s, cid, 2)
        assert p2 is not None
        await decisions.close(s, p2, "rejected", T + timedelta(days=7))
    _, doc = await export(bot, "!export decisions")
    closed = section(doc, "### Proposal #2: rejected")
    assert "- **Status**: not adopted (rejected) on Mon 09 Mar 2026 10:00\n" in closed
    assert "  - Carol blocked: I work Tuesdays\n" in closed
    assert "  - Alice, on Mon 02 Mar 2026 10:00: Tuesdays are bad for parents\n" in closed


@pytest.mark.parametrize(
    ("what", "heading", "counted"),
    [
        ("decisions", "## Decisions", "0 decisions"),
        ("notes", "## Notes", "1 note"),
        ("budget", "## Budget", "1 budget entry"),
        ("tasks", "## Tasks done", "0 tasks done"),
    ],
)
async def test_one_part_at_a_time(bot: Harness, what: str, heading: str, counted: str) -> None:
    await bot.ask("!note hello")
    await bot.ask("!spend 1 bread")
    notice, doc = await export(bot, f"!export {what.upper()}")
    assert notice.body == (
        f"Export of {what} for Alice: {counted}. The file follows: "
        f"**flattening-{what}-2026-03-02.md**."
    )
    headings = [line for line in doc.splitlines() if line.startswith("## ")]
    assert headings[0] == heading
    assert headings[1:] in ([], ["## Who is who"])


async def test_an_empty_export_says_there_is_nothing_yet(bot: Harness) -> None:
    _, doc = await export(bot)
    assert "No proposals or decisions have been recorded yet." in doc
    assert "No notes have been taken yet." in doc
    assert "No spending or income has been recorded yet." in doc
    assert "No work has been logged yet." in doc
    assert "## Who is who" not in doc


async def test_removed_records_keep_their_number_without_their_content(bot: Harness) -> None:
    await bot.ask("!note Dana's number is 0123")
    await bot.ask("!spend 40 typo")
    await bot.ask("!note delete 1")
    await bot.ask("!second 1", BOB)
    await bot.ask("!budget delete 1")
    await bot.ask("!second 2", BOB)
    _, doc = await export(bot)
    assert "0123" not in doc and "typo" not in doc
    assert "0 notes (and 1 removed), by day" in doc
    assert "- #1, 10:00: removed on Mon 02 Mar 2026 10:00, when two members agreed\n" in doc
    assert "- #1, 2026-03-02: removed on Mon 02 Mar 2026 10:00, when two members agreed\n" in doc
    assert "**Balance**: 0.00 EUR" in doc


async def test_an_unknown_part_is_refused_with_the_choices(bot: Harness) -> None:
    assert await bot.ask("!export everything") == (
        "`everything` is not one of: decisions, notes, budget, tasks, minutes, all. "
        "Usage: `!export [decisions|notes|budget|tasks|minutes|all]`"
    )
    assert "Unexpected extra text" in await bot.ask("!export notes budget")


async def test_in_an_encrypted_room_the_file_is_uploaded_encrypted(bot: Harness) -> None:
    bot.transport.encrypted_rooms.add(ROOM)
    await bot.ask("!spend 3 stamps")
    [_, file] = await bot.send("!export budget")
    assert "url" not in file.content and file.content["file"]["url"].startswith("mxc://")
    assert "stamps" in bot.transport.upload_of(file).decode()


def inline_text(children: list[Token]) -> str:
    """An inline token's text as a reader sees it, without our bold labels; fails on anything
    else but plain text (member text turned bold would lose its asterisks here)."""
    out = []
    for child in children:
        if child.type in ("strong_open", "strong_close"):
            continue
        if child.type in ("text", "code_inline"):  # code: only ours, as `blocks` checks
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        else:
            raise AssertionError(f"member text became {child.type}: {child}")
    return "".join(out)


def blocks(doc: str) -> list[Token]:
    tokens = markdown().parse(doc)
    for token in tokens:
        assert token.type not in FORBIDDEN, token
        for child in token.children or []:
            assert child.type not in FORBIDDEN, child
            if child.type == "code_inline":
                assert child.content in OUR_CODE, child
    return tokens


HOSTILE = (
    "# Heading\n"
    "===\n"
    "- a list\n"
    "1. numbered\n"
    "> quote\n"
    "    indented code\n"
    "```\n"
    "<!-- hide the rest\n"
    "<script>alert(1)</script>\n"
    "[x]: https://evil.example\n"
    "| a | b |\n"
    "|---|---|\n"
    "***\n"
    "**bold** _it_ ~~gone~~ `code` [link](https://evil.example) ![img](x.png) $x$ &amp;\n"
    "@room and @ROOM, trailing backslash \\\n"
    "\u202eevil bidi\u202c and a tab\there"
)


async def test_member_text_cannot_break_the_file_or_ping(bot: Harness) -> None:
    bot.members[ROOM] = {ALICE: "# Alice <b>", BOB: "@room", CAROL: "Carol"}
    await bot.process([])
    cid = await collective_id(bot)
    async with bot.db.transaction() as s:
        p = await decisions.propose(s, cid, HOSTILE, ALICE, T, closes_at=T, rule="consent")
        await decisions.set_answer(s, p, BOB, "object", HOSTILE, T)
        await decisions.close(s, p, "adopted", T, by=CAROL, outcome=HOSTILE)
        await decisions.add_dissent(s, p.id, CAROL, HOSTILE, T)
    await bot.ask("!note " + HOSTILE, BOB)
    await bot.ask("!spend 1 " + HOSTILE.replace("\n", " ")[:300])
    await bot.ask("!task done <b>**x**</b> | `y` #care")
    _, doc = await export(bot)
    assert "@room" not in doc.casefold()
    assert "\u202e" not in doc
    tokens = blocks(doc)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings == [
        "Test collective: records",
        "Decisions",
        "Proposal #1: adopted",
        "Notes",
        "2026-03-02 (Monday)",
        "Budget",
        "Month by month",
        "Entries, oldest first",
        "Tasks done",
        "Care work (looking after people): 1",
        "Who is who",
    ]
    lines = [
        line.strip() for line in HOSTILE.replace("\u202e", "").replace("\u202c", "").split("\n")
    ]
    expected = exports.defuse("\n".join(lines))
    items = [inline_text(t.children or []) for t in tokens if t.type == "inline"]
    assert f"#1, 10:00, {exports.defuse('@room')}: {expected}" in items  # the note, verbatim
    assert f"Text: {expected}" in items
    assert f"Outcome: {expected}" in items
    assert f"{exports.defuse('@room')} objected: {expected}" in items
    assert "2026-03-02: <b>**x**</b> | `y`, by # Alice <b>" in items
    assert "# Alice <b>: @alice:test.org" in items


TRICKY = st.sampled_from([*"#=-*_+>`~<[]()|:$%!&\\;.1234567890 \t\n\r\u2028\u202eaZ@", "room"])


@settings(max_examples=300, deadline=None)
@given(text=st.lists(TRICKY | st.characters(exclude_categories=("Cs",)), max_size=40).map("".join))
def test_quoted_text_stays_text_inside_its_item(text: str) -> None:
    doc = f"- lead: {escaping.quoted(text, '  ')}\n- next: {escaping.inline(text)}\n"
    tokens = blocks(doc)
    types = [t.type for t in tokens]
    assert types == [
        "bullet_list_open",
        *["list_item_open", "paragraph_open", "inline", "paragraph_close", "list_item_close"] * 2,
        "bullet_list_close",
    ], (doc, types)
    clean = escaping._STRAY.sub("", text)
    lines = [line.strip() for line in escaping._BREAKS.split(clean)]
    kept = "\n".join(line for line in lines if line) or "(nothing written)"
    first, second = (inline_text(t.children or []) for t in tokens if t.type == "inline")
    assert first == f"lead: {kept}"
    assert second == f"next: {escaping._BREAKS.sub(' ', clean).strip()}".rstrip()


def test_money_has_two_decimals_and_the_currency() -> None:
    from decimal import Decimal

    assert escaping.money(Decimal("12.3"), "EUR") == "12.30 EUR"
    assert escaping.money(Decimal("-0.5"), "CHF", sign=True) == "-0.50 CHF"
    assert escaping.money(Decimal("0"), "EUR", sign=True) == "+0.00 EUR"
    assert escaping.money(Decimal("999999999999.99"), "EUR") == "999999999999.99 EUR"


def test_build_refuses_an_unknown_part() -> None:
    import asyncio

    with pytest.raises(ValueError, match="unknown export"):
        asyncio.run(exports.build(None, None, None, "everything", T))  # type: ignore[arg-type]
