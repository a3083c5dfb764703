"""The small world a handler sees: who asked, where, what time it is, a session, and a way
to answer. `bot/` provides it; handlers never touch Matrix objects."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from handlers import i18n, names
from handlers.settings import CollectiveSettings
from storage import audit, collectives
from storage.models import Collective
from storage.sealing import Sealer

if TYPE_CHECKING:
    from handlers.registry import Registry


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, aware, in UTC."""
        ...


_ROOM_PING = re.compile(r"@(room)\b", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def defuse(text: str) -> str:
    """Break `@room` so no push rule sees it, while it still reads the same: for every
    piece of user text the bot passes on, in messages and in files."""
    return _ROOM_PING.sub(lambda m: "@" + _WORD_JOINER + m.group(1), text)


@dataclass(frozen=True)
class Mention:
    """A deliberate mention: rendered as a pill and listed in `m.mentions`."""

    user_id: str
    name: str | None = None
    ping: bool = True  # False: show the name only, without notifying anyone

    @property
    def label(self) -> str:
        return self.name or self.user_id


@dataclass(frozen=True)
class Rows:
    """A list in a message: one trusted row template filled from each item, escaped like any
    value. An item that is not a mapping fills `{item}`. Past `limit` rows, a last line says
    how many more there are."""

    template: str
    items: Sequence[object]
    sep: str = "\n"
    limit: int | None = None

    def fields(self, item: object) -> Mapping[str, object]:
        return item if isinstance(item, Mapping) else {"item": item}


# Whoever asked to be forgotten, in the records that stay; marked here, translated where
# it is shown (`_(FORMER)`).
FORMER = i18n.N_("a former member")

# One way to show a day and one to show a moment, in the collective's zone.
DATE_FORMAT = "%Y-%m-%d"
TIME_FORMAT = "%a %d %b %Y %H:%M"

# The content key under which a message carries its marker (`Context.post_marked`): the
# bot's own copy, back in the timeline, is handed to `on_posted` listeners with its event id.
MARKER = "org.flattening.marker"


@dataclass(frozen=True)
class Message:
    """A message template (trusted, Markdown-ish) and the untrusted values put into it."""

    room_id: str
    template: str
    values: Mapping[str, object]
    reply_to: str | None = None
    image: Image | None = None  # when set, an m.image; the template is its description
    file: File | None = None  # when set, an m.file; the template is its description
    # An m.text meant to reach the people it mentions (default push rules never notify
    # for an m.notice); otherwise an m.notice, as replies are.
    notify: bool = False
    thread: str | None = None  # the root of the thread the command was typed in
    # A direct message to this user: `room_id` is empty, and the bot opens (or reuses) its
    # direct chat with them when it sends.
    direct_to: str | None = None
    # Kept in the content (under `MARKER`, encrypted with it in encrypted rooms), so the
    # practice that posted it learns the event id when the bot sees its own message.
    marker: str | None = None
    # When set, a native poll event (its start, or its end) instead of a message; the
    # template is the end's text for clients that show no polls.
    poll: Poll | None = None


@dataclass(frozen=True)
class Poll:
    """A native Matrix poll (MSC3381, as Element sends and shows it): its start, with the
    question and the options (whose ids are their numbers, from 1); or, with `ends`, the
    end of the poll whose start event that is."""

    question: str = ""
    options: tuple[str, ...] = ()
    ends: str | None = None


@dataclass(frozen=True)
class Image:
    """Image bytes; or, with `renderer`, a JSON spec the sender renders just before upload,
    so the text it belongs with is not held back while a chart is drawn."""

    data: bytes
    filename: str
    mimetype: str = "image/png"
    width: int | None = None
    height: int | None = None
    renderer: str | None = None  # a key of handlers.renderers.RENDERERS


@dataclass(frozen=True)
class File:
    """A file attached to the room (an export), sent as `m.file`: stored with the message
    and uploaded when it is sent, encrypted in encrypted rooms."""

    data: bytes
    filename: str
    mimetype: str = "application/octet-stream"


class Outgoing(Protocol):
    async def post(self, message: Message) -> None: ...


@dataclass(frozen=True)
class Runtime:
    """Facts about the running bot that `!ping`, `!help` and `!status` report."""

    version: str
    started_at: datetime
    registry: Registry
    user_id: str
    next_runs: Mapping[str, datetime] = field(default_factory=dict)
    # The next due time of a scheduled job in this collective at or after a time, if any.
    next_fire: Callable[[str, datetime], datetime | None] = lambda job, after: None
    # What went wrong here since the bot started: rituals that failed, messages not delivered.
    problems: Sequence[str] = ()
    # Seals reflection answers while their round is open, with the key kept outside the
    # database (in `store_path`); None where nothing may be sealed (then none is taken).
    sealer: Sealer | None = None


@dataclass
class Context:
    session: AsyncSession
    clock: Clock
    settings: CollectiveSettings
    collective: Collective
    outgoing: Outgoing
    runtime: Runtime
    author: str = ""  # the member who typed the command; empty for scheduled work
    event_id: str | None = None
    mentions: tuple[str, ...] = ()  # user ids the command's event deliberately mentioned
    thread: str | None = None  # the thread root, when the command was typed in a thread
    late_by: float = 0.0  # seconds a scheduled run started after its due time
    due_at: datetime | None = None  # the due time of a scheduled run
    # An answer given in a direct chat: the collective is the one it belongs to, and
    # replies go back to this direct chat (never to the collective's room).
    answer_room: str | None = None
    # In a direct chat: a context of one of the person's collectives that answers back in
    # this direct chat (an answer given in private, `handlers/decisions/private.py`).
    elsewhere: Callable[[Collective], Context] | None = None

    def __post_init__(self) -> None:
        # Plain copies: a rolled-back savepoint may expire the ORM object, and an
        # apology must still know where to go.
        self.room_id: str = self.answer_room or self.collective.room_id
        self.collective_id: int = self.collective.id
        self.is_direct: bool = self.collective.is_direct or self.answer_room is not None
        self._names: dict[str, Mention] | None = None
        # A context is made when a collective's event or job is dispatched: from here on
        # every marked string answers in the collective's language.
        i18n.use(self.settings.language)
        self.memo: dict[str, Any] = {}  # what one command looked up once, for its own use

    @property
    def prefix(self) -> str:
        return self.settings.command_prefix

    def now(self) -> datetime:
        return self.clock.now()

    def local(self, when: datetime) -> datetime:
        """A stored UTC time shown in the collective's zone."""
        return when.astimezone(self.settings.timezone)

    def date(self, when: datetime) -> str:
        """A day as members see it and type it: 2026-11-01."""
        return self.local(when).strftime(DATE_FORMAT)

    def time(self, when: datetime) -> str:
        """A moment as members see it: Mon 02 Nov 2026 10:00, in the collective's zone and
        language (Mo. 02 Nov. 2026 10:00)."""
        return i18n.moment(self.local(when))

    async def audit(
        self,
        action: str,
        /,
        *,
        automatic: bool = False,
        members: Mapping[str, str | None] | None = None,
        **params: audit.Param,
    ) -> None:
        """Record a state change by the member who asked (or by the bot on its own, when
        `automatic` or when no member asked): an action key of `handlers.audit_actions`,
        the members it concerns by role and user id, and plain parameters. Never names."""
        await audit.record(
            self.session,
            self.collective_id,
            self.author or None,
            action,
            self.now(),
            automatic=automatic or not self.author,
            members=members,
            params=params,
        )

    async def reply(self, template: str, /, **values: object) -> None:
        """Answer the command that caused this context, as a reply to it (in its thread)."""
        await self.outgoing.post(
            Message(self.room_id, template, values, self.event_id, thread=self.thread)
        )

    async def call(self, template: str, /, **values: object) -> None:
        """A reply whose point is to reach the members it mentions (a swap request, the
        next speaker): an m.text, so their notifications go off."""
        await self.outgoing.post(
            Message(self.room_id, template, values, self.event_id, notify=True, thread=self.thread)
        )

    async def say(self, template: str, /, **values: object) -> None:
        """Post to the room without replying to anything (scheduled posts)."""
        await self.outgoing.post(Message(self.room_id, template, values, None))

    async def announce(self, template: str, /, **values: object) -> None:
        """A scheduled post that must reach the members it mentions (a rotation, a
        reminder): an m.text with `m.mentions`."""
        await self.outgoing.post(Message(self.room_id, template, values, None, notify=True))

    async def post_marked(self, marker: str, template: str, /, **values: object) -> None:
        """Post to the room (replying to nothing) a message carrying `marker`. When the bot
        sees its own message come back in the room's timeline (in the same transaction as
        everything else in that sync, so it survives restarts, and decrypted like any other
        in an encrypted room), the practice's `on_posted` listeners get its event id."""
        await self.outgoing.post(Message(self.room_id, template, values, None, marker=marker))

    async def post_poll(self, marker: str, question: str, options: Sequence[str]) -> None:
        """Post a native poll to the room (members answer with their client's buttons).
        Like `post_marked`, the `on_posted` listeners get its event id when it comes back."""
        poll = Poll(defuse(question), tuple(defuse(o) for o in options))
        await self.outgoing.post(Message(self.room_id, "", {}, marker=marker, poll=poll))

    async def end_poll(self, start_event_id: str, template: str, /, **values: object) -> None:
        """End a native poll (clients stop taking answers and show the result); the text is
        what clients that show no polls see."""
        await self.outgoing.post(
            Message(self.room_id, template, values, poll=Poll(ends=start_event_id))
        )

    async def post_image(self, image: Image, description: str, /, **values: object) -> None:
        """Upload an image (a chart) to the room, as a reply when answering a command."""
        await self.outgoing.post(
            Message(self.room_id, description, values, self.event_id, image, thread=self.thread)
        )

    async def post_file(self, file: File, description: str, /, **values: object) -> None:
        """Upload a file (an export) to the room, as a reply when answering a command."""
        await self.outgoing.post(
            Message(self.room_id, description, values, self.event_id, file=file, thread=self.thread)
        )

    async def dm(self, user_id: str, template: str, /, **values: object) -> None:
        """A direct message to one person, which must reach them (an m.text). It is queued
        with whatever caused it; the bot opens (or reuses) an encrypted direct chat with
        them when it sends, after the commit."""
        await self.outgoing.post(
            Message("", template, values, None, notify=True, direct_to=user_id)
        )

    async def dm_file(
        self, user_id: str, file: File, description: str, /, **values: object
    ) -> None:
        """A file (`!mydata`) in the person's direct chat."""
        await self.outgoing.post(
            Message("", description, values, None, file=file, direct_to=user_id)
        )

    async def mention(self, user_id: str | None, *, ping: bool = True) -> Mention:
        """A member by display name; `ping=False` names them without a notification.
        None (someone who asked to be forgotten) is "a former member"."""
        if user_id is None:
            return Mention("", i18n._(FORMER), ping=False)
        known = (await self.quiet_names()).get(user_id)
        return Mention(user_id, known.name if known else None, ping)

    async def everyone(self) -> dict[str, Mention]:
        """Every joined user, other bots included, by display name, without a ping."""
        return {
            m.user_id: Mention(m.user_id, m.display_name, ping=False)
            for m in await collectives.members(self.session, self.collective_id, bots=True)
        }

    async def quiet_names(self) -> dict[str, Mention]:
        """Every current member by display name, for lists that should notify nobody.
        Read once per command: membership does not change while one runs."""
        if self._names is None:
            # Names that fold alike (`handlers.names`), other bots' included, are told
            # apart by their user ids; a name with nothing visible shows the user id.
            joined = await collectives.members(self.session, self.collective_id, bots=True)
            labels = names.shown((m.user_id, m.display_name) for m in joined)
            self._names = {
                m.user_id: Mention(m.user_id, labels[m.user_id], ping=False)
                for m in joined
                if not m.is_bot
            }
        return dict(self._names)
