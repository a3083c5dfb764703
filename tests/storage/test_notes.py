"""Meeting notes: numbering, reading by time and by meeting, soft deletion, forgetting."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, text

from bot.database import Database
from storage import meetings, notes
from storage.models import Meeting, Note
from tests.storage.helpers import ALICE, BOB, T0, collective

HOUR = timedelta(hours=1)


async def test_notes_are_numbered_and_read_oldest_first(db: Database) -> None:
    async with db.transaction() as session:
        a = await collective(session, "!a:x")
        b = await collective(session, "!b:x")
        for i in range(4):
            await notes.add(session, a, f"note {i}", ALICE, T0 + i * HOUR)
        other = await notes.add(session, b, "elsewhere", BOB, T0)
        assert other.number == 1

        def texts(found: list[Note]) -> list[str]:
            return [n.text for n in found]

        assert texts(await notes.since(session, a)) == ["note 0", "note 1", "note 2", "note 3"]
        assert texts(await notes.since(session, a, T0 + HOUR)) == ["note 1", "note 2", "note 3"]
        assert texts(await notes.since(session, a, T0, until=T0 + 2 * HOUR)) == [
            "note 0",
            "note 1",
        ]
        assert texts(await notes.since(session, a, limit=2)) == ["note 2", "note 3"]

        second = await notes.by_number(session, a, 2)
        assert second is not None and second.text == "note 1" and second.author == ALICE
        assert await notes.by_id(session, a, second.id) is second
        assert await notes.by_id(session, b, second.id) is None  # ids do not cross rooms
        assert await notes.by_number(session, b, 2) is None


async def test_deleting_keeps_a_tombstone_and_numbers(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        first = await notes.add(session, c, "keep", ALICE, T0)
        gone = await notes.add(session, c, "remove", ALICE, T0 + HOUR)
        assert await notes.delete(session, gone, T0 + 2 * HOUR, by=BOB)
        assert not await notes.delete(session, gone, T0 + 3 * HOUR, by=ALICE)
        assert gone.deleted_at == T0 + 2 * HOUR and gone.deleted_by == BOB
        assert await notes.since(session, c) == [first]
        assert len(await notes.since(session, c, include_deleted=True)) == 2
        again = await notes.by_number(session, c, 2)
        assert again is not None and again.deleted_at is not None
        assert (await notes.add(session, c, "next", BOB, T0)).number == 3


async def test_notes_by_meeting_survive_the_meeting(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        meeting = await meetings.start(session, c, ALICE, T0)
        await notes.add(session, c, "before", ALICE, T0 - HOUR)
        during = await notes.add(session, c, "agenda agreed", BOB, T0, meeting_id=meeting.id)
        later = await notes.add(
            session, c, "action: flyers", ALICE, T0 + HOUR, meeting_id=meeting.id
        )
        await notes.delete(session, later, T0 + 2 * HOUR, by=BOB)
        assert await notes.by_meeting(session, meeting.id) == [during]
        assert await notes.by_meeting(session, meeting.id, include_deleted=True) == [during, later]
    async with db.transaction() as session:
        await session.execute(delete(Meeting).where(Meeting.id == meeting.id))
    async with db.transaction() as session:
        kept = await notes.by_number(session, c, 2)
        assert kept is not None and kept.meeting_id is None and kept.text == "agenda agreed"


async def test_forget_keeps_the_text(db: Database) -> None:
    async with db.transaction() as session:
        a = await collective(session, "!a:x")
        b = await collective(session, "!b:x")
        mine = await notes.add(session, a, "my note", BOB, T0)
        theirs = await notes.add(session, a, "hers", ALICE, T0)
        elsewhere = await notes.add(session, b, "other room", BOB, T0)
        assert await notes.forget(session, BOB, collective_id=a) == 1
        assert (mine.author, mine.text) == (None, "my note")
        assert theirs.author == ALICE and elsewhere.author == BOB
        assert await notes.forget(session, BOB) == 1
        assert elsewhere.author is None


async def test_an_erased_note_keeps_nothing_of_its_text_in_the_database(db: Database) -> None:
    """The tombstone is its number, when it was taken, who erased it and when: the row
    read back from the database holds no trace of what the note said."""
    async with db.transaction() as session:
        c = await collective(session)
        gone = await notes.add(session, c, "Dana's phone number is 0123", ALICE, T0)
        kept = await notes.add(session, c, "keep this", ALICE, T0 + HOUR)
        assert await notes.delete(session, gone, T0 + 2 * HOUR, by=BOB)
    async with db.transaction() as session:
        rows = {
            n.number: (n.text, n.author, n.at, n.deleted_at, n.deleted_by)
            for n in (await session.execute(select(Note))).scalars()
        }
        dumped = await session.execute(text("SELECT * FROM notes"))
        assert not any("0123" in str(value) for row in dumped.all() for value in row)
    assert rows == {
        1: ("", ALICE, T0, T0 + 2 * HOUR, BOB),
        2: ("keep this", ALICE, T0 + HOUR, None, None),
    }
    assert kept.number == 2


async def test_forget_nulls_whoever_erased_a_note(db: Database) -> None:
    async with db.transaction() as session:
        c = await collective(session)
        gone = await notes.add(session, c, "oops", ALICE, T0)
        await notes.delete(session, gone, T0 + HOUR, by=BOB)
        assert await notes.forget(session, BOB) == 1
        assert (gone.author, gone.deleted_by, gone.deleted_at) == (ALICE, None, T0 + HOUR)
