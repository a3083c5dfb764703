"""The access register: who holds access to what, single points of access in `!spof`,
and never a secret kept, logged or repeated."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import String, Text, func, select

from handlers.access import secret_kind
from storage import access
from storage.models import AccessHolding, Base
from tests.harness import ALICE, BOB, CAROL, ROOM, Harness

ORDINARY = [
    "bank account",
    "Instagram",
    "the space's keys",
    "domain registrar",
    "signal group 2024",
    "O'Reilly's safari account",
    "AT&T phone contract",
    "Bundesfinanzministerium portal",
    "Mastodon (social.coop)",
    "wifi router",
    "the pin board",
    "door code",
    "api keys",
]

SECRETS = [
    ("password: hunter2", "a password or PIN"),
    ("pw=correct horse", "a password or PIN"),
    ("Password is swordfish", "a password or PIN"),
    ("door pin 4711", "a password or PIN"),
    ("alarm code: 0815", "a password or PIN"),
    ("token = abc", "a password or PIN"),
    ("wifi Xk9mQ2vLp8Rt", "a token or a generated password"),
    ("gh 7f3a9c2e1b4d8f6a", "a token or a generated password"),
    ("router Tr0ub4dor&3", "a token or a generated password"),
    ("bank DE89 3704 0044 0532 0130 00", "an IBAN"),
    ("bank GB29NWBK60161331926819", "an IBAN"),
    ("card 4111 1111 1111 1111", "a card number"),
    ("card 5500-0000-0000-0004", "a card number"),
    ("card 378282246310005", "a card number"),
    ("-----BEGIN OPENSSH PRIVATE KEY-----", "a key"),
    ("server ssh-ed25519 AAAAC3NzaC1lZDI1NTE5", "a key"),
    ("deploy ssh-rsa AAAAB3NzaC1yc2E", "a key"),
    ("https://admin:s3cr3t@example.org/panel", "a web address with a password in it"),
    ("pass\u200bword: x", "a password or PIN"),
    ("card ４１１１ １１１１ １１１１ １１１１", "a card number"),
]


@pytest.mark.parametrize("name", ORDINARY)
def test_ordinary_names_are_not_secrets(name: str) -> None:
    assert secret_kind(name) is None


@pytest.mark.parametrize(("line", "kind"), SECRETS)
def test_secrets_are_recognised(line: str, kind: str) -> None:
    assert secret_kind(line) == kind


def test_numbers_that_are_not_cards_pass() -> None:
    assert secret_kind("card 4111 1111 1111 1112") is None  # fails the Luhn check
    assert secret_kind("member 12345") is None
    assert secret_kind(f"holder {BOB}") is None  # a user id is a holder, not a token


async def test_add_for_yourself_and_others_and_the_register(bot: Harness) -> None:
    assert "register is empty" in await bot.ask("!access")
    reply = await bot.ask("!access add Bank   ACCOUNT")
    assert reply.startswith("Noted: **bank account** has 1 holder: Alice.")
    assert "⚠ **Single point of access**" in reply
    assert "`!access add bank account @someone`" in reply
    reply = await bot.ask("!access add domain registrar @bob, @Carol", BOB)
    assert reply.startswith("Noted: **domain registrar** has 2 holders: Bob, Carol.")
    assert "Single point" not in reply
    reply = await bot.ask(f"!access add domain registrar {BOB} @alice")
    assert "3 holders: Alice, Bob, Carol. (Already listed: Bob.)" in reply
    register = await bot.ask("!access")
    assert register.startswith("**Access register** (2 resources, 1 with a single holder)")
    assert "- **bank account**: Alice ⚠ single point of access\n" in register
    assert "- **domain registrar**: Alice, Bob, Carol\n" in register
    assert "**bank account**: Alice. ⚠ **Single point of access**." in await bot.ask(
        "!access Bank account"
    )
    assert "Nobody is listed for **instagram**" in await bot.ask("!access instagram")


async def test_a_pill_names_a_holder_without_an_at(bot: Harness) -> None:
    pill = bot.message(
        "!access add instagram Carol",
        ALICE,
        format="org.matrix.custom.html",
        formatted_body=f'!access add instagram <a href="https://matrix.to/#/{CAROL}">Carol</a>',
        **{"m.mentions": {"user_ids": [CAROL]}},
    )
    before = len(bot.sent)
    await bot.process([pill])
    [reply] = bot.sent[before:]
    assert reply.body.startswith("Noted: **instagram** has 1 holder: Carol.")
    # Without a pill, a name is part of the resource's name.
    assert "**instagram carol** has 1 holder: Alice" in await bot.ask("!access add instagram Carol")


async def test_drop(bot: Harness) -> None:
    await bot.ask("!access add keys @alice @bob @carol")
    assert "Removed Bob. **keys** is held by Alice, Carol." in await bot.ask(
        "!access drop keys @bob"
    )
    assert "only Alice holds **keys** now" in await bot.ask("!access drop keys", CAROL)
    assert "Nobody named was listed for **keys**" in await bot.ask("!access drop keys @carol")
    assert "**keys** has no holder listed now" in await bot.ask("!access drop keys")
    assert "register is empty" in await bot.ask("!access")


async def test_spof_lists_single_points_of_access_beside_knowledge(bot: Harness) -> None:
    await bot.ask("!knows database")
    await bot.ask("!access add bank account")
    await bot.ask("!access add instagram @bob @carol")
    reply = await bot.ask("!spof")
    assert reply.startswith("**Areas with fewer than two holders** (1 of 1)")
    assert "**Resources with a single holder** (1): single points of access" in reply
    assert "- **bank account**: only Alice holds access\n" in reply
    assert "`!access add bank account @someone` shares it" not in reply  # wording below
    assert "Share one: `!access add bank account @someone`." in reply
    assert "instagram" not in reply
    await bot.ask("!access add bank account @bob")
    assert "single points of access" not in await bot.ask("!spof")


async def test_holders_who_left_still_hold_access(bot: Harness) -> None:
    await bot.ask("!access add keys @bob @carol")
    bot.members[ROOM].pop(BOB)
    await bot.process([])
    assert f"- **keys**: Carol, {BOB} (left the room)" in await bot.ask("!access")
    async with bot.db.transaction() as session:
        collective = await session.scalar(select(AccessHolding.collective_id))
        assert collective is not None
        assert await access.single_holders(session, collective) == []
        assert await access.holders_count(session, collective) == {BOB: 1, CAROL: 1}


async def test_storage_helpers_for_the_power_map(bot: Harness) -> None:
    await bot.ask("!access add keys")
    await bot.ask("!access add bank @alice @bob")
    async with bot.db.transaction() as session:
        collective = await session.scalar(select(AccessHolding.collective_id))
        assert collective is not None
        assert await access.single_holders(session, collective) == [("keys", ALICE)]
        assert await access.holders_count(session, collective) == {ALICE: 2, BOB: 1}


async def test_audit_names_members_and_the_resource(bot: Harness) -> None:
    await bot.ask("!access add keys @bob @carol")
    await bot.ask("!access drop keys @bob")
    log = await bot.ask("!audit 5")
    assert "Alice recorded that Bob, Carol hold access to **keys**" in log
    assert "Alice recorded that Bob no longer holds access to **keys**" in log


async def test_mydata_and_forgetme(bot: Harness) -> None:
    await bot.ask("!access add keys @carol", BOB)
    await bot.ask("!access add bank @bob @carol")
    await bot.send("!mydata", BOB)
    [doc] = bot.dms(BOB)[-1:]
    assert "Access to bank: you hold it" in doc.body
    assert "Access to keys: you recorded it for another member" in doc.body
    await bot.ask("!forgetme", BOB)
    assert (await bot.ask("!forgetme confirm", BOB)).startswith("Done:")
    async with bot.db.transaction() as session:
        rows = (await session.execute(select(AccessHolding))).scalars().all()
        assert {(r.resource, r.user_id, r.added_by) for r in rows} == {
            ("keys", CAROL, None),
            ("bank", CAROL, ALICE),
        }


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("!access add", "Missing resource. Usage: `!access add <resource> [@holder ...]`"),
        ("!access add @bob", "Missing resource: name it before the holders."),
        ("!access add \u200b\u202e @bob", "Missing resource: name it in visible words."),
        ("!access \u200b", "Missing resource: name it in visible words."),
        ("!access add keys @zed", "No current member matches `@zed`."),
        ("!access add keys @bob @zed", "No current member matches `@zed`."),
        ("!access add " + "k" * 81, "resource is too long (81 characters; at most 80)"),
        ("!access drop", "Missing resource. Usage: `!access drop <resource> [@holder ...]`"),
        ("!acces", "Did you mean `!access`?"),
    ],
)
async def test_bad_input(bot: Harness, line: str, expected: str) -> None:
    assert expected in await bot.ask(line)


async def test_a_member_whose_name_looks_random_is_a_holder_not_a_secret(bot: Harness) -> None:
    await bot.join("@member-4f9a2c1e:test.org", "member-4f9a2c1e")
    reply = await bot.ask("!access add keys @member-4f9a2c1e @Xk9mQ2vLp8Rt")
    assert reply.startswith("That looks like a token")
    assert "Xk9mQ2vLp8Rt" not in reply
    reply = await bot.ask("!access add keys @member-4f9a2c1e @member-4f9a2c1e:test.org")
    assert reply.startswith("Noted: **keys** has 1 holder: member-4f9a2c1e.")


async def test_at_most_ten_holders(bot: Harness) -> None:
    for i in range(11):
        await bot.join(f"@m{i}:test.org", f"M{i}")
    line = "!access add keys " + " ".join(f"@m{i}" for i in range(11))
    assert "At most 10 holders at once." in await bot.ask(line)


async def test_resource_text_is_escaped(bot: Harness) -> None:
    [reply] = await bot.send("!access add <script>@room</script>")
    assert "<script>" not in reply.html
    assert "@room" not in reply.body


async def _text_anywhere(bot: Harness, needle: str) -> list[str]:
    """Every text column of every table that holds `needle`."""
    found = []
    async with bot.db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            texts = [c for c in table.columns if isinstance(c.type, String | Text)]
            for column in texts:
                n = await session.scalar(
                    select(func.count()).select_from(table).where(column.contains(needle))
                )
                if n:
                    found.append(f"{table.name}.{column.name}")
    return found


@pytest.mark.parametrize(("line", "kind"), SECRETS)
async def test_a_secret_is_refused_and_nothing_of_it_kept(
    bot: Harness, line: str, kind: str, caplog: Any
) -> None:
    caplog.set_level("DEBUG")
    for command in (f"!access add {line}", f"!access drop {line} @bob", f"!access {line}"):
        reply = await bot.ask(command)
        assert reply.startswith(f"That looks like {kind}, so nothing of it was kept"), reply
        assert line not in reply
        for word in line.split():
            if len(word) > 4:
                assert word not in reply, word
    secret = max(line.split(), key=len)
    assert await _text_anywhere(bot, secret) == []
    assert secret not in caplog.text
    assert "register is empty" in await bot.ask("!access")


async def test_a_secret_after_holders_is_refused_too(bot: Harness) -> None:
    reply = await bot.ask("!access add bank @bob pw=Xk9mQ2vLp8Rt")
    assert "That looks like" in reply
    assert "Xk9mQ2vLp8Rt" not in reply
    assert await _text_anywhere(bot, "Xk9mQ2vLp8Rt") == []


TRICKY = st.lists(
    st.sampled_from(
        [
            "bank",
            "account",
            " ",
            ",",
            "@bob",
            "@Carol",
            BOB,
            "@room",
            "@zed",
            "\u200b",
            "\u202e",
            "\x00",
            "*",
            "`",
            "_",
            "[x](http://e.org)",
            "é",
            "pw=",
            "4111 1111 1111 1111",
            "Xk9mQ2vLp8Rt",
            "k" * 90,
        ]
    ),
    min_size=0,
    max_size=10,
).map("".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rest=TRICKY, word=st.sampled_from(["add", "drop", ""]))
async def test_any_access_line_gets_one_clear_answer(bot: Harness, rest: str, word: str) -> None:
    line = f"!access {word} {rest}".replace("  ", " ")
    reply = await bot.ask(line, BOB)
    assert "Sorry, something went wrong" not in reply
    assert not re.search(r"@room\b", reply, re.IGNORECASE)  # no ping for the whole room
    for secret in ("Xk9mQ2vLp8Rt", "4111 1111 1111 1111"):
        assert secret not in reply
        assert await _text_anywhere(bot, secret) == []
    async with bot.db.transaction() as session:
        for row in (await session.execute(select(AccessHolding))).scalars():
            assert secret_kind(row.resource) is None
            assert 0 < len(row.resource) <= 80
            assert "\u200b" not in row.resource and "\u202e" not in row.resource
