"""Reading every role's open term at once agrees with reading them one by one."""

from __future__ import annotations

from datetime import timedelta

from bot.database import Database
from storage import roles
from tests.storage.helpers import ALICE, BOB, CAROL, T0, collective

WEEK = timedelta(weeks=1)


async def test_current_terms_picks_what_current_term_picks_for_each_role(db: Database) -> None:
    async with db.transaction() as session:
        here = await collective(session, "!a:x")
        there = await collective(session, "!b:x")
        notes = await roles.add_role(session, here, "notes", "1w", "", ALICE, T0)
        agenda = await roles.add_role(session, here, "agenda", "1w", "", ALICE, T0)
        vacant = await roles.add_role(session, here, "treasury", "1m", "", ALICE, T0)
        elsewhere = await roles.add_role(session, there, "notes", "1w", "", BOB, T0)

        ended = await roles.start_term(session, notes.id, ALICE, T0, T0 + WEEK, "rotation")
        ended.ended_at = T0 + WEEK
        await roles.start_term(session, notes.id, BOB, T0 + WEEK, T0 + 2 * WEEK, "rotation")
        # Two open terms (a hand-over interrupted half way): the later start is current.
        await roles.start_term(session, agenda.id, ALICE, T0, T0 + WEEK, "rotation")
        await roles.start_term(session, agenda.id, CAROL, T0 + WEEK, T0 + 2 * WEEK, "swap")
        await roles.start_term(session, elsewhere.id, CAROL, T0, T0 + WEEK, "rotation")
        # Two open terms starting at the same moment: the later row is current.
        tied = await roles.add_role(session, here, "facilitation", "1w", "", ALICE, T0)
        await roles.start_term(session, tied.id, BOB, T0 + WEEK, T0 + 2 * WEEK, "rotation")
        await roles.start_term(session, tied.id, ALICE, T0 + WEEK, T0 + 2 * WEEK, "swap")
        await session.flush()

        ids = [notes.id, agenda.id, vacant.id, tied.id]
        found = await roles.current_terms(session, ids)
        for role_id in ids:
            one = await roles.current_term(session, role_id)
            assert found.get(role_id) is one
        assert found[notes.id].user_id == BOB
        assert found[agenda.id].user_id == CAROL
        assert found[tied.id].user_id == ALICE
        assert vacant.id not in found
        assert elsewhere.id not in found  # only the roles asked for
        assert await roles.current_terms(session, []) == {}
