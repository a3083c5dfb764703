"""General commands, through the real dispatcher with a recording transport."""

from __future__ import annotations

from storage import audit
from tests.harness import ALICE, BOB, CAROL, Harness


async def test_ping_reports_version_and_uptime(bot: Harness) -> None:
    bot.clock.advance(hours=3, minutes=5)
    [reply] = await bot.send("!ping")
    assert reply.body == "pong (Flattening test, up 3h 5m)"


async def test_help_lists_commands_by_practice(bot: Harness) -> None:
    [reply] = await bot.send("!help")
    assert "**General**" in reply.body
    for usage in ("`!ping`", "`!help [command]`", "`!audit [count]`", "`!privacy`"):
        assert usage in reply.body
    assert "<strong>General</strong>" in reply.html


async def test_help_for_one_command_has_examples(bot: Harness) -> None:
    [reply] = await bot.send("!help audit")
    assert "`!audit [count]`" in reply.body
    assert "- `!audit 25`" in reply.body
    [reply] = await bot.send("!help !ping")
    assert "`!ping`" in reply.body


async def test_help_for_unknown_command_suggests(bot: Harness) -> None:
    [reply] = await bot.send("!help pnig")
    assert reply.body == "Unknown command `!pnig`. Did you mean `!ping`?"


async def test_privacy_statement(bot: Harness) -> None:
    [reply] = await bot.send("!privacy")
    assert "never stores what you write" in reply.body


async def test_status_without_rituals(bot: Harness) -> None:
    [reply] = await bot.send("!status")
    assert "time zone Europe/Berlin" in reply.body


async def test_audit_lists_latest_changes_without_pinging(bot: Harness) -> None:
    [reply] = await bot.send("!audit")
    assert "empty" in reply.body
    async with bot.db.transaction() as session:
        from sqlalchemy import select

        from storage.models import Collective

        cid = (await session.execute(select(Collective.id))).scalar_one()
        now = bot.clock.now()
        await audit.record(session, cid, BOB, "task.logged", now, params={"task": "flyers"})
        await audit.record(
            session, cid, ALICE, "knowledge.declared", now, params={"area": "@room <b>"}
        )
    [reply] = await bot.send("!audit 1")
    assert reply.body == (
        "**Latest 1 change**\n"
        "- Mon 02 Mar 2026 10:00: Alice declared knowledge of **@\u2060room <b>**"
    )
    assert reply.content["m.mentions"] == {}
    assert "&lt;b&gt;" in reply.html
    # Who an entry concerns is a mention without a ping, worded with today's name.
    async with bot.db.transaction() as session:
        await audit.record(session, cid, ALICE, "member.marked_bot", now, members={"user": BOB})
        await audit.record(session, cid, None, "role.drawn", now, automatic=True,
            members={"holder": CAROL, "tied.0": CAROL, "tied.1": None}, params={"role": "notes"},
        )  # fmt: skip
        await audit.record(session, cid, None, "no.such.key", now, params={"x": 1})
    [reply] = await bot.send("!audit 3")
    lines = reply.body.split("\n")[1:]
    assert lines == [
        "- Mon 02 Mar 2026 10:00: a former member no.such.key",
        "- Mon 02 Mar 2026 10:00: the bot assigned the role **notes** to Carol, drawn among "
        "Carol, a former member",
        "- Mon 02 Mar 2026 10:00: Alice marked Bob as a bot",
    ]
    assert reply.content["m.mentions"] == {}


def test_the_privacy_statement_covers_every_table_that_exists() -> None:
    from handlers.kept import KEPT
    from storage.models import Base

    assert set(KEPT) == set(Base.metadata.tables), "describe each table in handlers/kept.py"
    for table in Base.metadata.tables.values():
        text = KEPT[table.name]
        assert "text" not in {c.name for c in table.columns} or table.name in (
            "decisions", "notes", "reflection_answers",
        ), f"{table.name} stores free text: say so in KEPT and !privacy"  # fmt: skip
        assert "body" not in {c.name for c in table.columns}, "message bodies are never stored"
        assert text


def test_privacy_says_what_the_rituals_keep() -> None:
    from handlers.general import PRIVACY
    from handlers.kept import KEPT

    assert "no name, no time and no order" in PRIVACY
    assert "Who has answered is kept apart" in PRIVACY
    assert "with no name, no time and no order" in KEPT["reflection_answers"]
    assert "deleted when the round closes" in KEPT["reflection_asked"]


def test_privacy_names_everything_the_schema_keeps_about_a_person() -> None:
    """Each kind of personal record the schema holds (storage/personal_data.py) is said in
    `!privacy`, in words a member knows, with how long it is kept where that is bounded."""
    from handlers.general import PRIVACY

    for words in (
        "For 30 days after counting a message it also keeps the message's id",
        "display name, when first seen, absences",
        "power levels",
        "which room is your direct chat",
        "direct messages included, are kept only until the homeserver has them",
        "While a round is open they are sealed",
        "with your name until two weeks after the check-in closes",
        "who put which coloured dot",
        "request is kept for the 10 minutes you have to confirm it",
        "Every command that changes a shared record is in `{prefix}audit`",
        "never by your name",
        "Rituals of a room it has left are closed and pruned",
    ):
        assert words in PRIVACY, words


async def test_choosing_a_group_for_direct_answers_is_not_a_shared_record(bot: Harness) -> None:
    """`!for` changes only the member's own direct chat: it is not in the audit log."""
    from sqlalchemy import func, select

    from storage.models import AuditEntry

    await bot.send("!mydata", ALICE)  # opens the direct chat
    [listed] = await bot.answer("!for", ALICE)
    assert "Test collective" in listed.body
    [chosen] = await bot.answer("!for 1", ALICE)
    assert "Your answers here are for **Test collective**" in chosen.body
    async with bot.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEntry)) == 0


async def test_an_entry_from_before_action_keys_reads_with_todays_names(bot: Harness) -> None:
    from sqlalchemy import select

    from storage.models import Collective

    async with bot.db.transaction() as session:
        cid = (await session.execute(select(Collective.id))).scalar_one()
        parts = ["seconded request #1 from ", {"m": "m0"}, " <b>@room"]
        await audit.record(session, cid, ALICE, "legacy", bot.clock.now(),
            members={"m0": BOB}, params={"parts": parts},
        )  # fmt: skip
    [reply] = await bot.send("!audit 1")
    assert reply.body.endswith("Alice seconded request #1 from Bob <b>@\u2060room")
    assert "&lt;b&gt;" in reply.html and reply.content["m.mentions"] == {}
