"""What practices hear besides commands: members' messages (counted, never read), their
reactions and poll answers, and the bot's own marked posts coming back with event ids.
Declared with `Practice.on_message`, `on_reaction`, `on_poll_answer`, `on_posted`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from handlers.context import Context


@dataclass(frozen=True)
class Said:
    """A member's text message, as passive listeners see it: counts, never the body."""

    event_id: str
    sender: str
    words: int
    at: datetime
    command: bool  # a line addressed to the bot, not to the group


@dataclass(frozen=True)
class Reaction:
    """A member's `m.reaction` annotation on an event (an emoji put on a message)."""

    event_id: str
    sender: str
    target: str  # the event reacted to
    key: str  # the emoji, as sent
    at: datetime


@dataclass(frozen=True)
class Posted:
    """The bot's own message carrying a marker (`Context.post_marked`), seen back in the
    room's timeline: now its event id is known."""

    event_id: str
    marker: str
    at: datetime


@dataclass(frozen=True)
class PollAnswer:
    """A member's response to a native poll (`m.poll.response`): the poll's start event
    and the ids of the answers chosen; empty when they took their answer back, or sent
    one that is no answer (a spoiled ballot, which counts as none)."""

    sender: str
    poll: str  # the start event's id
    answers: tuple[str, ...]
    at: datetime


MessageListener = Callable[[Context, Said], Awaitable[None]]
ReactionListener = Callable[[Context, Reaction], Awaitable[None]]
RedactionListener = Callable[[Context, str], Awaitable[None]]
PostedListener = Callable[[Context, Posted], Awaitable[None]]
PollListener = Callable[[Context, PollAnswer], Awaitable[None]]

__all__ = [
    "MessageListener",
    "PollAnswer",
    "PollListener",
    "Posted",
    "PostedListener",
    "Reaction",
    "ReactionListener",
    "RedactionListener",
    "Said",
]
