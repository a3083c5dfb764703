"""Collectives (joined rooms) and their members, mirrored from room state.

Several bot accounts (each its own process) may share one database: a room is served by
the account that joined it first, until that account leaves it."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import bulk
from storage.models import Base, Collective, Member

_ROSTER = "collectives.roster"  # session.info: collective id -> {user id: Member}, as read
ROOMS_CHANGED = "collectives.rooms_changed"  # session.info: a room was left or joined again

# The two reads every batch makes for each room, built once: executing a statement object
# again reuses its cache key and compiled form, a third of each read's time.
_ROOM_LOCKED = (
    select(Collective)
    .where(Collective.room_id == bindparam("room_id"))
    .with_for_update()
    .execution_options(populate_existing=True)
)
_MEMBERS_OF = select(Member).where(Member.collective_id == bindparam("collective_id"))


async def _roster(session: AsyncSession, collective_id: int) -> dict[str, Member]:
    """Every member row of the room, read once per transaction (a batch reads it for the
    member list, the bot check and `saw`: one statement instead of one each)."""
    rosters: dict[int, dict[str, Member]] = session.info.setdefault(_ROSTER, {})
    known = rosters.get(collective_id)
    if known is None or not all(bulk.fresh(m) for m in known.values()):
        result = await session.execute(_MEMBERS_OF, {"collective_id": collective_id})
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


def serves(collective: Collective, account: str) -> bool:
    """Whether the account serves the room (a room from before accounts were kept is
    served by nobody until an account in it claims it, in `ensure`)."""
    return collective.account == account


async def joined(session: AsyncSession, account: str | None = None) -> list[Collective]:
    """The rooms the bot is in: those one account serves, or every account's (None)."""
    query = select(Collective).where(Collective.joined.is_(True)).order_by(Collective.id)
    if account is not None:
        query = query.where(Collective.account == account)
    return list((await session.execute(query)).scalars())


async def remember_invite(
    session: AsyncSession, room_id: str, is_direct: bool, now: datetime, account: str
) -> None:
    """Note an accepted invitation, so whether it is a direct chat survives a restart. A
    room known as a collective (`known_collective`) stays one, whatever a later invitation
    says: re-inviting the bot with `is_direct` does not make its members strangers."""
    found = await by_room(session, room_id)
    if found is None:
        session.add(
            Collective(
                room_id=room_id, is_direct=is_direct, joined=False, joined_at=now, account=account
            )
        )
        await session.flush()
    elif not found.joined and found.is_direct != is_direct:
        if not (is_direct and await known_collective(session, found)):
            found.is_direct = is_direct


# Bookkeeping every room the bot served gets, which says nothing about how it was used.
_NOT_RECORDS = frozenset({"members", "job_anchors", "occurrences"})


async def known_collective(session: AsyncSession, collective: Collective) -> bool:
    """Whether the database knows the room as a collective: not a direct chat, and more
    than two people were seen in it (the bot and two members or more) or something was
    recorded for it (a task, a decision, talk counted, an audit entry...). Stored facts, so
    a replayed batch decides alike."""
    if collective.is_direct:
        return False
    people = await session.scalar(
        select(func.count(Member.id)).where(Member.collective_id == collective.id)
    )
    if people and people >= 2:
        return True
    tables = [
        t
        for t in Base.metadata.sorted_tables
        if "collective_id" in t.c and t.name not in _NOT_RECORDS
    ]
    found = await session.scalar(
        select(or_(*(exists().where(t.c.collective_id == collective.id) for t in tables)))
    )
    return bool(found)


@dataclass(frozen=True)
class Served:
    collective: Collective
    new: bool  # the account did not serve the room before this batch
    taken_over: bool  # ... though it sat in it: another account served it until it left


async def _locked(session: AsyncSession, room_id: str) -> Collective | None:
    """The room's row, locked until the transaction ends (on PostgreSQL), so processes of
    two accounts deciding who serves a room take turns and each sees the other's answer."""
    result = await session.execute(_ROOM_LOCKED, {"room_id": room_id})
    return result.scalar_one_or_none()


async def ensure(
    session: AsyncSession,
    room_id: str,
    now: datetime,
    account: str,
    in_room: Collection[str] = (),
    *,
    joining: bool = True,
) -> Served | None:
    """The collective for a room the account is in, created or re-activated (and taken
    over) when no account serves it. None when another account serves the room: it is
    that account's to act in.

    `in_room`: who is joined now, as far as known; an account serving the room but no
    longer in it has left (whether or not its process saw it). `joining`: the account's
    own join is in this batch (so it was not in the room before, whoever served it)."""
    found = await _locked(session, room_id)
    if found is None:
        # Both processes may find no row: one inserts, the other waits for it and then
        # reads it (and so sees the room served).
        await session.execute(
            bulk.insert(session, Collective)
            .values(room_id=room_id, is_direct=False, joined=False, joined_at=now, account=None)
            .on_conflict_do_nothing(index_elements=["room_id"])
        )
        found = await _locked(session, room_id)
        assert found is not None
    elsewhere = found.account is not None and found.account != account
    if found.joined and elsewhere:
        if not in_room or found.account in in_room:
            return None
        found.joined = False  # it left or was removed: the room is free
    if not found.joined:
        taken_over = elsewhere and not joining
        found.joined = True
        if not taken_over:  # a hand-over keeps the rituals' reckoning as it was
            found.joined_at = now
        found.left_at = None
        found.account = account
        session.info[ROOMS_CHANGED] = True
        return Served(found, new=True, taken_over=taken_over)
    if found.account != account:
        found.account = account  # a room from before accounts were kept: claimed
    return Served(found, new=False, taken_over=False)


async def mark_left(session: AsyncSession, room_id: str, now: datetime, account: str) -> None:
    """The account left the room (another account serving it now is unaffected)."""
    found = await _locked(session, room_id)
    if found is not None and found.joined and found.account in (None, account):
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


async def member(session: AsyncSession, collective_id: int, user_id: str) -> Member | None:
    """The room's row for a user, joined or gone (None: never seen there)."""
    found = _kept(session, collective_id, user_id)
    if found is not None:
        return found
    return await session.scalar(
        select(Member).where(Member.collective_id == collective_id, Member.user_id == user_id)
    )


async def is_member(session: AsyncSession, collective_id: int, user_id: str) -> bool:
    result = await session.execute(
        select(Member.id).where(
            Member.collective_id == collective_id,
            Member.user_id == user_id,
            Member.joined.is_(True),
        )
    )
    return result.first() is not None


async def left_rooms(session: AsyncSession, account: str) -> list[str]:
    """Rooms the account must not post in: those it left, and those another account
    serves."""
    result = await session.execute(
        select(Collective.room_id).where(
            or_(
                Collective.joined.is_(False) & Collective.left_at.is_not(None),
                Collective.joined.is_(True)
                & Collective.account.is_not(None)
                & (Collective.account != account),
            )
        )
    )
    return list(result.scalars())


async def mark_direct(session: AsyncSession, room_id: str, now: datetime, account: str) -> None:
    """A room the bot opened as a direct chat: never a collective, whatever comes first,
    this or the sync that shows the bot in it."""
    found = await by_room(session, room_id)
    if found is None:
        session.add(
            Collective(
                room_id=room_id, is_direct=True, joined=False, joined_at=now, account=account
            )
        )
        await session.flush()
    elif not found.is_direct and found.introduced_at is None:
        found.is_direct = True


async def memberships(
    session: AsyncSession, user_id: str, account: str | None = None
) -> list[Collective]:
    """The collectives (joined rooms, not direct chats) where the user is a member now,
    other bots excluded; only those the account serves when one is given."""
    query = (
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
    if account is not None:
        query = query.where(Collective.account == account)
    return [c for c, m in (await session.execute(query)).all() if not m.is_bot]


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
