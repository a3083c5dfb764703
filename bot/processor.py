"""A sync batch, processed as one transaction with its `next_batch` token.

Invites are answered first (joining is idempotent, so a replay is harmless), then
every joined room's new events are routed, room state is mirrored, and the token
is written; all of it commits together or not at all.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot import direct as direct_chats
from bot import poll_events
from bot.config import Config
from bot.database import Database
from bot.dispatch import dispatch
from bot.events import Batch, JoinedRoom, RoomEvent, mentioned, strip_reply_fallback, thread_of
from bot.outgoing import QueuedOutgoing
from handlers.context import MARKER, Clock, Context, Runtime
from handlers.i18n import _
from handlers.registry import PollAnswer, Posted, Reaction, Registry, Said
from storage import collectives, direct, events, room_power, sync_state
from storage.engine import refuses_writes
from storage.models import Collective
from storage.outbox import Queued

log = logging.getLogger(__name__)


class Membership(Protocol):
    """What the processor needs from the homeserver connection."""

    async def join(self, room_id: str) -> bool: ...

    async def refuse(self, room_id: str) -> None: ...


@dataclass
class Hooks:
    """Called after a commit, e.g. to schedule a newly joined collective's rituals."""

    on_new_collective: Callable[[str], Awaitable[None]] | None = None


def _when(event: RoomEvent) -> datetime:
    return datetime.fromtimestamp(event.timestamp_ms / 1000, tz=UTC)


class Processor:
    def __init__(
        self,
        *,
        db: Database,
        config: Config,
        registry: Registry,
        clock: Clock,
        runtime: Callable[[str], Runtime],
        membership: Membership,
        hooks: Hooks | None = None,
        early: Callable[[Queued], None] | None = None,
    ) -> None:
        """`early`: sends a read-only command's answer before its batch commits (the
        sender's `send_early`); None, after the commit like everything else."""
        self.db = db
        self.early = early
        self.config = config
        self.registry = registry
        self.clock = clock
        self.runtime = runtime
        self.membership = membership
        self.hooks = hooks or Hooks()
        self.account = config.matrix.user_id
        self.wrote_private = False
        self._elsewhere: set[str] = set()  # rooms another account serves (logged once)

    async def process(self, batch: Batch, *, initial: bool = False, isolate: bool = False) -> None:
        """Process a batch. `initial`: the first sync ever, whose timeline is history.

        `isolate`: the last resort for a batch that keeps failing. Each room gets
        its own savepoint and a room that still fails is skipped (and logged), so
        one poisoned room cannot stop the bot for every collective.
        """
        accepted = []
        for invite in batch.invites:
            if invite.inviter and self.config.may_invite(invite.inviter):
                # Whether it is a direct chat is kept before joining, in its own commit: a
                # replay of this batch brings the room back as joined, without its invite.
                async with self.db.transaction() as session:
                    await collectives.remember_invite(
                        session, invite.room_id, invite.is_direct, self.clock.now(), self.account
                    )
                if await self.membership.join(invite.room_id):
                    accepted.append(invite)
                    log.info("joined %s on invitation by %s", invite.room_id, invite.inviter)
            else:
                log.warning(
                    "refused invitation to %s by %s: not in [bot] allowed_inviters",
                    invite.room_id,
                    invite.inviter,
                )
                await self.membership.refuse(invite.room_id)

        new_rooms: list[str] = []
        async with self.db.transaction() as session:
            now = self.clock.now()
            for room in batch.joined:
                if not isolate:
                    if await self._room(session, room, initial=initial):
                        new_rooms.append(room.room_id)
                    continue
                try:
                    async with session.begin_nested():
                        if await self._room(session, room, initial=initial):
                            new_rooms.append(room.room_id)
                except Exception as exc:
                    if refuses_writes(exc):
                        raise  # the host's fault, not the room's: the whole batch waits
                    log.exception(
                        "skipping events of %s in batch %s", room.room_id, batch.next_batch
                    )
            for room_id in batch.left:
                await collectives.mark_left(session, room_id, now, self.account)
                await direct.closed(session, room_id)  # a direct chat the bot is out of
            await sync_state.set_token(session, self.account, batch.next_batch, now)
        if self.wrote_private:
            self.wrote_private = False
            try:
                await self.db.scrub()
            except Exception:
                log.exception("could not clear the database's write-ahead log")
        if self.hooks.on_new_collective:
            for room_id in new_rooms:
                await self.hooks.on_new_collective(room_id)

    async def _room(self, session: AsyncSession, room: JoinedRoom, *, initial: bool) -> bool:
        now = self.clock.now()
        served = await collectives.ensure(
            session,
            room.room_id,
            now,
            self.account,
            room.members.keys(),
            joining=self._own_membership(room.events),
        )
        if served is None:
            if room.room_id not in self._elsewhere:
                self._elsewhere.add(room.room_id)
                log.warning(
                    "%s is served by another bot account of this host; %s stays silent there",
                    room.room_id,
                    self.account,
                )
            return False
        self._elsewhere.discard(room.room_id)
        collective, is_new = served.collective, served.new
        invitee = room.direct_with or self._direct_invitee(room.events)
        opened = room.opened_by_bot or invitee is not None  # the bot never opens collectives
        if opened and not collective.is_direct and collective.introduced_at is None:
            collective.is_direct = True  # a direct chat the bot opened itself
        # (Assigned only when it changes: an unchanged object costs the batch no flush.)
        name = room.name[:255] if room.name is not None else None
        if name is not None and not collective.is_direct and collective.name != name:
            collective.name = name  # (a direct chat is named after the person)
        if room.power_levels is not None:
            # With the creators and version of the create event, when this batch has it;
            # else as known before (the create event never changes).
            kept = room_power.read(collective.power_levels)
            snapshot = room_power.snapshot(
                room.power_levels,
                room.creators if room.creators is not None else (kept.creators if kept else ()),
                room.room_version or (kept.version if kept else None),
            )
            if collective.power_levels != snapshot:
                collective.power_levels = snapshot
        listed = self.config.for_room(room.room_id).bots
        # Who the room had before this batch: a join by anyone else is an arrival.
        seen = (
            set() if collective.is_direct else await collectives.known_users(session, collective.id)
        )
        if not collective.is_direct:  # who is in a direct chat is no member list to keep
            await collectives.sync_members(session, collective, room.members, now, listed)
        partner = None
        private = len(room.members) <= 1
        if collective.is_direct and not private:
            await direct.closed(session, room.room_id)  # a third person came in: not private
        elif collective.is_direct:
            partner = invitee or (next(iter(room.members)) if room.members else None)
            # Whom the bot invited, or a member who opened the chat: never a stranger.
            if partner and (invitee or await collectives.ever_member(session, partner)):
                await direct.record(session, partner, room.room_id, now, self.account)
            partner = partner or await direct.user_for_room(session, room.room_id)

        # Present from the start of the timeline: a room it was in already, or one another
        # account served while this one sat in it silently.
        present = not is_new or served.taken_over
        timeline = [] if initial else self._while_present(room.events, present)
        await self._prefetch(session, timeline)
        later = {e.state_key for e in timeline if e.type == "m.room.member" and e.state_key}
        membership: dict[str, str] = {}  # as of the event, from the timeline so far
        for event in timeline:
            if event.type == "m.room.member" and event.state_key:
                user, now_is = event.state_key, str(event.content.get("membership"))
                membership[user] = now_is
                if collective.is_direct:
                    if user == partner and now_is in ("leave", "ban"):
                        await direct.closed(session, room.room_id)
                elif now_is == "join" and user != self.account and user not in seen:
                    seen.add(user)  # a display name change later is no second arrival
                    if user in room.members:
                        await self._arrived(session, collective, user, event.event_id)
                continue
            if event.sender == self.account:
                if event.type in poll_events.MARKED and not collective.is_direct:
                    await self._posted(session, collective, event)
                continue
            known = membership.get(event.sender)
            if known != "join" and (
                known is not None or not self._member_at_end(room, event.sender, later)
            ):
                continue  # not a member when it was sent: neither talk nor a command
            if event.type == "m.room.message":
                await self._message(session, collective, event, private=private)
            elif event.type == "m.room.redaction":
                await self._redaction(session, collective, event)
            elif event.type == "m.reaction":
                await self._reaction(session, collective, event)
            elif event.type in poll_events.RESPONSES and self.registry.poll_listeners:
                await self._poll_answer(session, collective, event)

        if collective.introduced_at is None and not collective.is_direct:
            collective.introduced_at = now
            ctx = self._context(session, collective, None, None, "intro")
            for hook in self.registry.join_hooks:
                await hook(ctx)
        return is_new

    async def _prefetch(self, session: AsyncSession, timeline: list[RoomEvent]) -> None:
        """Look up at once which of the timeline's events were already processed, so a
        backlog costs a statement per batch rather than one per event."""
        ids = [
            e.event_id
            for e in timeline
            if e.type in ("m.room.message", "m.reaction") and e.sender != self.account
        ]
        if len(ids) > 1:  # for one event, `first_time` is one statement anyway
            await events.prefetch(session, ids)

    def _direct_invitee(self, timeline: list[RoomEvent]) -> str | None:
        """Whom the bot itself invited to this room as a direct chat (`is_direct` on its
        invitation, a fact in the room's history that survives a replay or a crash)."""
        for ev in timeline:
            if (
                ev.type == "m.room.member"
                and ev.sender == self.account
                and ev.state_key
                and ev.state_key != self.account
                and ev.content.get("membership") == "invite"
                and ev.content.get("is_direct") is True
            ):
                return ev.state_key
        return None

    async def _arrived(
        self, session: AsyncSession, collective: Collective, user_id: str, event_id: str
    ) -> None:
        """Someone joined a collective's room while the bot was there."""
        if not self.registry.member_join_hooks:
            return
        ctx = self._context(session, collective, None, None, f"join|{event_id}")
        for hook in self.registry.member_join_hooks:
            await hook(ctx, user_id)

    @staticmethod
    def _member_at_end(room: JoinedRoom, sender: str, later: set[str]) -> bool:
        """Joined at the end of the batch, or changed membership later in it (so they were
        in the room before). A room whose members are not known yet trusts the homeserver."""
        return not room.members or sender in room.members or sender in later

    def _own_membership(self, timeline: list[RoomEvent]) -> bool:
        return any(e.type == "m.room.member" and e.state_key == self.account for e in timeline)

    def _while_present(self, timeline: list[RoomEvent], present: bool) -> list[RoomEvent]:
        """Only what happened while the bot was in the room: history before it joined, and
        what was said while it was kicked out (and invited back in one sync), is not ours
        to act on."""
        kept = []
        for ev in timeline:
            if ev.type == "m.room.member" and ev.state_key == self.account:
                present = ev.content.get("membership") == "join"
                continue
            if present:
                kept.append(ev)
        return kept

    async def _message(
        self, session: AsyncSession, collective: Collective, event: RoomEvent, *, private: bool
    ) -> None:
        content = event.content
        msgtype = content.get("msgtype")
        if msgtype == "m.notice":  # a member who only ever sends notices is another bot
            await collectives.saw(session, collective.id, event.sender, notice=True)
        if msgtype not in ("m.text", "m.emote"):
            return  # notices (other bots) and media are not talk, and never commands
        relates = content.get("m.relates_to") or {}
        if isinstance(relates, dict) and relates.get("rel_type") == "m.replace":
            return  # an edit is neither a new message nor a new command
        body = content.get("body")
        if not isinstance(body, str):
            return
        if not await events.first_time(session, event.event_id, self.clock.now()):
            return  # already counted and acted on
        await collectives.saw(session, collective.id, event.sender, notice=False)
        settings = self.config.for_room(collective.room_id)
        replying = isinstance(relates, dict) and isinstance(relates.get("m.in_reply_to"), dict)
        text = (strip_reply_fallback(body) if replying else body).strip()
        is_command = msgtype == "m.text" and text.startswith(settings.command_prefix)
        line = text[len(settings.command_prefix) :] if is_command else ""
        from_bot = not collective.is_direct and await collectives.is_bot(
            session, collective.id, event.sender
        )
        if from_bot and not self._heard_from_bots(line):
            return  # another bot: neither a member's talk nor a member's command
        ctx = self._context(
            session, collective, event.sender, event.event_id, event.event_id, mentioned(content)
        )
        ctx.thread = thread_of(content)
        if collective.is_direct:
            await self._direct(ctx, text, is_command=is_command, private=private)
            return
        if from_bot:  # one taken for a bot may still say it is a person: not talk, though
            await dispatch(ctx, self.registry, line)
            return
        said = Said(event.event_id, event.sender, len(text.split()), _when(event), is_command)
        for listener in self.registry.message_listeners:
            await listener(ctx, said)
        if is_command:
            await dispatch(ctx, self.registry, line)

    def _heard_from_bots(self, line: str) -> bool:
        """Whether a command line is one a user taken for a bot may still use (`!notbot`,
        so a member marked as a bot can always undo it)."""
        command = self.registry.find(line).command if line else None
        return command is not None and command.from_bots

    async def _reaction(
        self, session: AsyncSession, collective: Collective, event: RoomEvent
    ) -> None:
        relates = event.content.get("m.relates_to")
        if not isinstance(relates, dict) or relates.get("rel_type") != "m.annotation":
            return
        target, key = relates.get("event_id"), relates.get("key")
        if not isinstance(target, str) or not isinstance(key, str) or len(key) > 64:
            return
        if not target.startswith("$") or len(target) > 255:
            return
        if not self.registry.reaction_listeners:
            return
        if not await events.first_time(session, event.event_id, self.clock.now()):
            return  # a replayed batch: already seen
        ctx = self._context(session, collective, event.sender, event.event_id, event.event_id)
        reaction = Reaction(event.event_id, event.sender, target, key, _when(event))
        for listener in self.registry.reaction_listeners:
            await listener(ctx, reaction)

    async def _poll_answer(
        self, session: AsyncSession, collective: Collective, event: RoomEvent
    ) -> None:
        """A member's poll response (nio's UnknownEvent, decrypted in an encrypted room).
        A replay acts on it again, harmlessly: the latest answer counts."""
        found = poll_events.response(event.type, event.content)
        if found is not None:
            ctx = self._context(session, collective, event.sender, None, event.event_id)
            answer = PollAnswer(event.sender, found[0], found[1], _when(event))
            for listener in self.registry.poll_listeners:
                await listener(ctx, answer)

    async def _posted(
        self, session: AsyncSession, collective: Collective, event: RoomEvent
    ) -> None:
        """The bot's own message back in the timeline: a marked one tells the practice that
        posted it its event id (only the bot's own events are believed to carry markers)."""
        marker = event.content.get(MARKER)
        if not isinstance(marker, str) or not marker or len(marker) > 200:
            return
        if not self.registry.posted_listeners:
            return
        ctx = self._context(session, collective, None, None, f"posted|{event.event_id}")
        posted = Posted(event.event_id, marker, _when(event))
        for listener in self.registry.posted_listeners:
            await listener(ctx, posted)

    async def _direct(self, dm: Context, text: str, *, is_command: bool, private: bool) -> None:
        """A message in a direct chat: never talk to count, and never logged. Someone the
        bot has never seen in a collective gets one polite line; in a chat of more than
        two, nothing is taken as an answer."""

        def context_for(collective: Collective) -> Context:
            return Context(
                session=dm.session,
                clock=self.clock,
                settings=self.config.for_room(collective.room_id),
                collective=collective,
                outgoing=dm.outgoing,  # one numbering of what this event causes
                runtime=self.runtime(collective.room_id),
                author=dm.author,
                event_id=dm.event_id,
                answer_room=dm.room_id,
            )

        if not await collectives.ever_member(dm.session, dm.author):
            await dm.reply(_(direct_chats.STRANGER))
        elif not private:
            await dm.reply(_(direct_chats.NOT_PRIVATE))
        elif is_command:
            dm.elsewhere = context_for  # a command may act for one of their collectives
            await dispatch(dm, self.registry, text[len(dm.prefix) :])
        elif text:
            self.wrote_private = True  # an answer may be kept: scrub the write-ahead log
            await direct_chats.route(dm, self.registry, text, context_for)

    async def _redaction(
        self, session: AsyncSession, collective: Collective, event: RoomEvent
    ) -> None:
        redacts = event.content.get("redacts") or event.redacts
        if not isinstance(redacts, str) or not redacts.startswith("$") or len(redacts) > 255:
            return
        ctx = self._context(session, collective, event.sender, event.event_id, event.event_id)
        for listener in self.registry.redaction_listeners:
            await listener(ctx, redacts)

    def _context(
        self,
        session: AsyncSession,
        collective: Collective,
        sender: str | None,
        event_id: str | None,
        cause: str,
        mentions: tuple[str, ...] = (),
    ) -> Context:
        return Context(
            session=session,
            clock=self.clock,
            settings=self.config.for_room(collective.room_id),
            collective=collective,
            outgoing=QueuedOutgoing(
                session, self.clock, f"{collective.room_id}|{cause}", self.account, self.early
            ),
            runtime=self.runtime(collective.room_id),
            author=sender or "",
            event_id=event_id,
            mentions=mentions,
        )
