"""Collectives (joined rooms) and their members, mirrored from room state."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import bulk
from storage.models import Collective, Member

_ROSTER = "collectives.roster"  # session.info: collective id -> {user id: Member}, as read
ROOMS_CHANGED = "collectives.rooms_changed"  # session.info: a room was left or joined again


async def _roster(session: AsyncSession, collective_id: int) -> dict[str, Member]:
    """Every member row of the room, read once per transaction (a batch reads it for the
    member list, the bot check and `saw`: one statement instead of one each)."""
    rosters: dict[int, dict[str, Member]] = session.info.setdefault(_ROSTER, {})
    known = rosters.get(collective_id)
    if known is None or not all(bulk.fresh(m) for m in known.values()):
        result = await session.execute(select(Member).where(Member.collective_id == collective_id))
        known = rosters[collective_id] = {m.user_id: m for m in result.scalars()}
    return known


def _kept(session: AsyncSession, collective_id: int, user_id: str) -> Member | None:
    """The member's row if this transaction has read it and it is still good to use."""
    known = session.info.get(_ROSTER, {}).get(collective_id)
    member = known.get(user_id) if known else None
    return member if member is not None and bulk.fresh(member) else None


async def by_room(session: AsyncSession, room_id: str) -> Collective | None:
    result = await session.execute(select(Collective).where(Collective.room_id == room_id))
    return result.scalar_one_or_none()


async def joined(session: AsyncSession) -> list[Collective]:
    result = await session.execute(
        select(Collective).where(Collective.joined.is_(True)).order_by(Collective.id)
    )
    return list(result.scalars())


async def remember_invite(
    session: AsyncSession, room_id: str, is_direct: bool, now: datetime
) -> None:
    """Note an accepted invitation, so whether it is a direct chat survives a restart."""
    found = await by_room(session, room_id)
    if found is None:
        session.add(Collective(room_id=room_id, is_direct=is_direct, joined=False, joined_at=now))
        await session.flush()
    elif not found.joined:
        found.is_direct = is_direct


async def ensure(session: AsyncSession, room_id: str, now: datetime) -> tuple[Collective, bool]:
    """The collective for a room, created or re-activated when the bot is (again) in it;
    True when the bot was not in it before."""
    found = await by_room(session, room_id)
    if found is None:
        found = Collective(room_id=room_id, is_direct=False, joined=True, joined_at=now)
        session.add(found)
        await session.flush()
        return found, True
    if not found.joined:
        found.joined = True
        found.joined_at = now
        found.left_at = None
        session.info[ROOMS_CHANGED] = True
        return found, True
    return found, False


async def mark_left(session: AsyncSession, room_id: str, now: datetime) -> None:
    found = await by_room(session, room_id)
    if found is not None and found.joined:
        found.joined = False
        found.left_at = now
        session.info[ROOMS_CHANGED] = True


async def sync_members(
    session: AsyncSession,
    collective: Collective,
    joined_now: Mapping[str, str | None],
    now: datetime,
    listed: Collection[str] = (),
) -> None:
    """Make the stored member list match the room's joined members and display names;
    users `listed` as bots in the config are marked so, unless a member said otherwise."""
    known = await _roster(session, collective.id)
    for user_id, raw_name in joined_now.items():
        name = raw_name[:255] if raw_name else raw_name  # names from other servers may be long
        member = known.get(user_id)
        if member is None:
            known[user_id] = Member(
                collective_id=collective.id,
                user_id=user_id,
                display_name=name,
                joined=True,
                first_seen_at=now,
                changed_at=now,
                marked="listed" if user_id in listed else None,
                sent_text=False,
                sent_notice=False,
            )
            session.add(known[user_id])
        elif not member.joined or member.display_name != name:
            member.joined = True
            member.display_name = name
            member.changed_at = now
    for user_id, member in known.items():
        if member.marked is None and user_id in listed:
            member.marked = "listed"
        elif member.marked == "listed" and user_id not in listed:
            member.marked = None
        if member.joined and user_id not in joined_now:
            member.joined = False
            member.changed_at = now


async def members(session: AsyncSession, collective_id: int, *, bots: bool = False) -> list[Member]:
    """The joined members; other bots only when asked for (`bots=True`)."""
    result = await session.execute(
        select(Member)
        .where(Member.collective_id == collective_id, Member.joined.is_(True))
        .order_by(Member.user_id)
    )
    return [m for m in result.scalars() if bots or not m.is_bot]


async def saw(session: AsyncSession, collective_id: int, user_id: str, *, notice: bool) -> None:
    """Note that a member sent a text (or a notice), once: notices only means a bot."""
    member = _kept(session, collective_id, user_id)
    if member is not None:  # read in this transaction: written only if it changes
        if notice and not member.sent_notice:
            member.sent_notice = True
        elif not notice and not member.sent_text:
            member.sent_text = True
        return
    column = Member.sent_notice if notice else Member.sent_text
    await session.execute(
        update(Member)
        .where(Member.collective_id == collective_id, Member.user_id == user_id, column.is_(False))
        .values({column: True})
    )


async def mark(session: AsyncSession, collective_id: int, user_id: str, as_: str | None) -> bool:
    """Mark a joined member as a "bot" or a "human" (None: decide by what they send)."""
    result = await session.execute(
        update(Member)
        .where(Member.collective_id == collective_id, Member.user_id == user_id)
        .values(marked=as_)
    )
    return bool(getattr(result, "rowcount", 0))


async def everyone(session: AsyncSession, collective_id: int) -> list[Member]:
    """Every member ever seen in the room, joined or gone (for names in the records)."""
    result = await session.execute(
        select(Member).where(Member.collective_id == collective_id).order_by(Member.user_id)
    )
    return list(result.scalars())


async def is_bot(session: AsyncSession, collective_id: int, user_id: str) -> bool:
    """Whether this room's user is another bot (marked, listed, or only ever sent notices)."""
    found = _kept(session, collective_id, user_id)
    if found is not None:
        return found.is_bot
    found = await session.scalar(
        select(Member).where(Member.collective_id == collective_id, Member.user_id == user_id)
    )
    return found is not None and found.is_bot


async def is_member(session: AsyncSession, collective_id: int, user_id: str) -> bool:
    result = await session.execute(
        select(Member.id).where(
            Member.collective_id == collective_id,
            Member.user_id == user_id,
            Member.joined.is_(True),
        )
    )
    return result.first() is not None


async def left_rooms(session: AsyncSession) -> list[str]:
    result = await session.execute(
        select(Collective.room_id).where(
            Collective.joined.is_(False), Collective.left_at.is_not(None)
        )
    )
    return list(result.scalars())


async def mark_direct(session: AsyncSession, room_id: str, now: datetime) -> None:
    """A room the bot opened as a direct chat: never a collective, whatever comes first,
    this or the sync that shows the bot in it."""
    found = await by_room(session, room_id)
    if found is None:
        session.add(Collective(room_id=room_id, is_direct=True, joined=False, joined_at=now))
        await session.flush()
    elif not found.is_direct and found.introduced_at is None:
        found.is_direct = True


async def memberships(session: AsyncSession, user_id: str) -> list[Collective]:
    """The collectives (joined rooms, not direct chats) where the user is a member now,
    other bots excluded."""
    result = await session.execute(
        select(Collective, Member)
        .join(Member, Member.collective_id == Collective.id)
        .where(
            Member.user_id == user_id,
            Member.joined.is_(True),
            Collective.joined.is_(True),
            Collective.is_direct.is_(False),
        )
        .order_by(Collective.id)
    )
    return [c for c, m in result.all() if not m.is_bot]


async def ever_member(session: AsyncSession, user_id: str) -> bool:
    """Whether the user was ever seen in one of the collectives' rooms."""
    result = await session.execute(
        select(Member.id)
        .join(Collective, Collective.id == Member.collective_id)
        .where(Member.user_id == user_id, Collective.is_direct.is_(False))
        .limit(1)
    )
    return result.first() is not None


async def known_users(session: AsyncSession, collective_id: int) -> set[str]:
    """Everyone ever seen in the room, joined or not."""
    return set(await _roster(session, collective_id))
