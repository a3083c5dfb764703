"""The decision practice through a real homeserver, in a plain and an encrypted room: a
proposal objected to and blocked cannot be decided; once agreed it is, and the export a
member downloads tells someone who was not there what happened and why. And the reminder
before a proposal closes: it mentions (and notifies) exactly the members who have not
answered, once, across restarts."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.synapse import Homeserver, RegisteredUser
from tests.e2e.conftest import BotProcess
from tests.e2e.member import Member

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_propose_block_refuse_agree_decide_export(
    homeserver: Homeserver,
    member: Member,
    bot_process: BotProcess,
    tmp_path: Path,
    encrypted: bool,
) -> None:
    other_user = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(other_user.user_id)
    bea = Member(homeserver.base_url, other_user.user_id, other_user.password, tmp_path / "bea")
    await bea.login()
    try:
        room = await member.create_room(bot_process.account.user_id, encrypted=encrypted)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, bot_process.account.user_id)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_for(room, "Hello! I'm")

        # Bea joined after the bot: a newcomer in her entry sprint, whose block would count as
        # an objection. So she proposes, and the member who was there blocks.
        opened = await bea.ask(room, "!propose meet on Thursdays <at 7pm>")
        assert opened.body.startswith("Proposal **#1** from "), opened.body
        assert "<at 7pm>" in opened.body and "&lt;at 7pm&gt;" in opened.formatted_body

        objected = await member.ask(room, "!object 1 Thursdays clash with the food bank")
        assert "Counts so far:" in objected.body and "food bank" not in objected.body
        blocked = await member.ask(room, "!block 1 it would shut out the night-shift members")
        assert "changed from object" in blocked.body
        refused = await bea.ask(room, "!decide 1")
        assert refused.body.startswith("Proposal #1 cannot be decided: it is blocked"), refused.body
        assert "it would shut out the night-shift members" in refused.body

        agreed = await member.ask(room, "!agree 1")
        assert "changed from block" in agreed.body
        await bea.ask(room, "!agree 1")  # everyone has answered: it may close early
        decided = await member.ask(room, "!decide 1 Thursdays at 7pm from December")
        assert "adopted" in decided.body, decided.body
        assert "Thursdays at 7pm from December" in decided.body

        await member.ask(room, "!export decisions")
        file = await member.wait_for_file(room)
        doc = (await member.download(file)).decode("utf-8")
        assert "meet on Thursdays" in doc and "Thursdays at 7pm from December" in doc
        assert "adopted" in doc.lower()
    finally:
        await bea.close()


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.mark.slow
async def test_the_reminder_mentions_who_has_not_answered_once_across_restarts(
    homeserver: Homeserver, member: Member, member_account: RegisteredUser, tmp_path: Path
) -> None:
    account = homeserver.register(f"flattening-rem-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "reminder-bot"
    directory.mkdir()
    db = directory / "f.db"
    bot = BotProcess(
        directory, homeserver, account, member_account.user_id, f"sqlite+aiosqlite:///{db}"
    )
    other = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(other.user_id)
    bea = Member(homeserver.base_url, other.user_id, other.password, tmp_path / "bea")
    await bea.login()
    bot.start()
    try:
        room = await member.create_room(account.user_id, encrypted=False)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, account.user_id)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_for(room, "Hello! I'm")
        opened = await member.ask(room, "!propose we open the garden on Sundays")
        assert opened.body.startswith("Proposal **#1** from "), opened.body
        await bea.ask(room, "!agree 1")
        bot.stop()
        # A day later, as far as the bot can tell: the proposal closes within the day, and the
        # reminder job last looked before that (the run it missed is due at the restart).
        now = datetime.now(UTC)
        with sqlite3.connect(db) as conn:
            conn.execute(
                "UPDATE decisions SET opened_at = ?, closes_at = ?",
                (_stamp(now - timedelta(days=6)), _stamp(now + timedelta(hours=3))),
            )
            conn.execute("UPDATE collectives SET joined_at = ?", (_stamp(now - timedelta(days=7)),))
            conn.execute(
                "UPDATE job_anchors SET since = ? WHERE job = 'decision-reminder'",
                (_stamp(now - timedelta(hours=3)),),
            )
            conn.execute("DELETE FROM occurrences WHERE job = 'decision-reminder'")
        bot.start()
        reminder = await member.wait_for(room, "you have not answered yet", timeout=90)
        me = member.client.user_id
        assert reminder.source["content"]["msgtype"] == "m.text"
        assert reminder.source["content"]["m.mentions"] == {"user_ids": [me]}
        assert bea.client.user_id not in reminder.body
        assert "we open the garden on Sundays" in reminder.body
        pushed = {n["event"]["event_id"] for n in await member.notifications()}
        assert reminder.event_id in pushed  # it reaches whoever it mentions
        bot.stop()
        bot.start()  # restarted: the reminder is not posted again
        await member.ask(room, "!ping")
        await member.settle(3)
        again = [n for n in member.notices_in(room) if "you have not answered yet" in n.body]
        assert len(again) == 1, again
    finally:
        await bea.close()
        bot.stop()


@pytest.mark.slow
async def test_hidden_answers_are_given_in_a_direct_chat(
    homeserver: Homeserver, member: Member, member_account: RegisteredUser, tmp_path: Path
) -> None:
    account = homeserver.register(f"flattening-hid-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(account.user_id)
    directory = tmp_path / "hidden-bot"
    directory.mkdir()
    bot = BotProcess(
        directory,
        homeserver,
        account,
        member_account.user_id,
        f"sqlite+aiosqlite:///{directory}/f.db",
        extra='[decisions]\nanswers = "hidden"\n',
    )
    other = homeserver.register(f"bea-{uuid.uuid4().hex[:6]}")
    homeserver.lift_ratelimit(other.user_id)
    bea = Member(homeserver.base_url, other.user_id, other.password, tmp_path / "bea")
    await bea.login()
    bot.start()
    try:
        room = await member.create_room(account.user_id, encrypted=True)
        await member.client.room_invite(room, bea.client.user_id)
        await bea.sync()
        await bea.join(room)
        await member.wait_joined(room, account.user_id)
        await member.wait_joined(room, bea.client.user_id)
        await member.wait_for(room, "Hello! I'm")
        opened = await member.ask(room, "!propose we open the garden on Sundays")
        assert "Answers are given in private" in opened.body, opened.body
        refused = await bea.ask(room, "!block 1 the neighbours sleep late")
        assert refused.body.startswith("Proposal #1 takes its answers in private"), refused.body
        assert "block" not in refused.body and "neighbours" not in refused.body
        dm, is_direct = await bea.wait_invite(account.user_id, timeout=60)
        assert is_direct
        await bea.join(dm)
        await bea.wait_for(dm, "Proposal #1 (", timeout=60)
        ack = await bea.ask(dm, "!agree 1")
        assert "agrees to proposal #1" in ack.body, ack.body
        shown = await member.ask(room, "!proposal 1")
        assert "Counts so far: 1 agree, 0 abstain, 0 object, 0 block." in shown.body
        assert bea.client.user_id not in shown.body and "bea" not in shown.body.casefold()
    finally:
        await bea.close()
        bot.stop()
