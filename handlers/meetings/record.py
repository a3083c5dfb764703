"""A meeting's record, gathered for its minutes (`minutes.py` in the room, the `minutes`
export in a file): its agenda with planned and used time, notes, decisions, tasks added or
claimed while it ran, and the speaking pattern, group first. No context needed, so the
command line's export reads the same record."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage import agenda, collectives, meetings, minutes, notes
from storage.agenda import AgendaItem
from storage.models import Decision, Meeting, Note, StackEntry


@dataclass(frozen=True)
class Pattern:
    """Who spoke, as a group: never a ranking of people."""

    members: int
    spoke: int
    fifth: int  # how many members the most active fifth is
    top_share: int | None  # % of speaking time the most active fifth held; None: none timed
    silent: list[str]  # members who did not take the floor


@dataclass
class Record:
    meeting: Meeting
    number: int  # the Nth ended meeting of the collective (`!minutes N`)
    items: list[AgendaItem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    tasks: list[tuple[str, str, str | None]] = field(default_factory=list)
    turns: dict[str, int] = field(default_factory=dict)  # user -> turns from the stack
    seconds: dict[str, float] = field(default_factory=dict)  # user -> time with the floor
    waiting: int = 0  # still on the stack when it closed
    members: list[str] = field(default_factory=list)

    @property
    def minutes(self) -> int:
        end = self.meeting.ended_at or self.meeting.started_at
        return int((end - self.meeting.started_at).total_seconds() // 60)

    def pattern(self) -> Pattern:
        return pattern(self.seconds, self.turns, self.members)


def speaking_time(entries: Sequence[StackEntry], end: datetime) -> dict[str, float]:
    """Seconds each speaker held the floor: a turn lasts from its `!next` to the next one,
    the last until the meeting ended."""
    called = sorted(
        (e for e in entries if e.called_at is not None), key=lambda e: (e.called_at, e.id)
    )
    seconds: dict[str, float] = {}
    for i, turn in enumerate(called):
        following = called[i + 1] if i + 1 < len(called) else None
        assert turn.called_at is not None
        until = following.called_at if following is not None else end
        assert until is not None
        seconds[turn.user_id] = seconds.get(turn.user_id, 0.0) + max(
            0.0, (until - turn.called_at).total_seconds()
        )
    return seconds


def pattern(seconds: dict[str, float], turns: dict[str, int], members: Sequence[str]) -> Pattern:
    """How many spoke, the share of speaking time the most active fifth of the members held
    (at least one member), and who did not speak."""
    fifth = max(1, math.ceil(len(members) / 5))
    total = sum(seconds.values())
    top = sorted(seconds.values(), reverse=True)[:fifth]
    share = round(100 * sum(top) / total) if total > 0 else None
    spoke = [m for m in members if turns.get(m)]
    return Pattern(
        members=len(members),
        spoke=len(spoke),
        fifth=fifth,
        top_share=share,
        silent=[m for m in members if not turns.get(m)],
    )


async def gather(
    session: AsyncSession, collective_id: int, meeting: Meeting, number: int
) -> Record:
    end = meeting.ended_at or meeting.started_at
    entries = await meetings.entries(session, meeting.id)
    turns: dict[str, int] = {}
    for e in entries:
        if e.called_at is not None:
            turns[e.user_id] = turns.get(e.user_id, 0) + 1
    return Record(
        meeting=meeting,
        number=number,
        items=await agenda.items(session, collective_id, meeting.id),
        notes=await notes.by_meeting(session, meeting.id),
        decisions=await minutes.decisions_between(session, collective_id, meeting.started_at, end),
        tasks=await minutes.task_actions_between(session, collective_id, meeting.started_at, end),
        turns=turns,
        seconds=speaking_time(entries, end),
        waiting=len([e for e in entries if e.called_at is None]),
        members=[m.user_id for m in await collectives.members(session, collective_id)],
    )


async def numbered(
    session: AsyncSession, collective_id: int, number: int | None
) -> tuple[int, Meeting] | None:
    """Ended meeting N (1 is the first), or the latest when N is None."""
    found = await minutes.ended(session, collective_id)
    if not found:
        return None
    if number is None:
        return len(found), found[-1]
    if not 1 <= number <= len(found):
        return None
    return number, found[number - 1]
