"""Command declarations: one declaration gives the parser, the usage line and the help text.

A practice module makes a `Practice`, and decorates its handlers with
`@practice.command("task done", Name("name"), Tag("kind", KINDS), ...)`. The
dispatcher in `bot/` finds the command; `parse()` converts the rest of the line into
keyword arguments with the argument kinds of `handlers/arguments.py`, or raises
`UsageError` with a sentence for the member.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers.arguments import Param
from handlers.context import Context
from handlers.errors import Mismatch, UsageError
from handlers.heard import (
    MessageListener,
    PollListener,
    PostedListener,
    ReactionListener,
    RedactionListener,
)
from handlers.heard import PollAnswer as PollAnswer
from handlers.heard import Posted as Posted
from handlers.heard import Reaction as Reaction
from handlers.heard import Said as Said
from handlers.i18n import N_, _
from handlers.settings import CollectiveSettings

Handler = Callable[..., Awaitable[None]]
JobHandler = Callable[[Context], Awaitable[None]]
JoinHook = Callable[[Context], Awaitable[None]]
# A member's arrival in a room the bot was already in: (context, their user id).
MemberJoinHook = Callable[[Context, str], Awaitable[None]]
# Carries out an overwrite once a second member confirmed it; returns what was done.
Overwrite = Callable[[Context, dict[str, Any]], Awaitable[str]]

# Longer than any argument can be (notes and proposals are at most 1,000 characters).
MAX_LINE = 4000
# C0 controls but tab and newline, and DEL: never part of what a member means.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


class _Words:
    """The words of a line with their places, so a multi-word argument keeps its spacing."""

    def __init__(self, text: str) -> None:
        self.source = text
        self.spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]

    def __len__(self) -> int:
        return len(self.spans)

    def text(self, start: int, end: int) -> str:
        return self.source[self.spans[start][0] : self.spans[end - 1][1]] if end > start else ""


def _best(errors: list[tuple[int, UsageError]]) -> UsageError:
    """What to tell the member when no reading fits: the first specific complaint, else the
    mismatch of the reading that got furthest."""
    for _depth, error in errors:
        if not isinstance(error, Mismatch):
            return error
    return max(errors, key=lambda e: e[0])[1]


@dataclass(frozen=True)
class Command:
    name: str
    params: tuple[Param, ...]
    summary: str
    practice: str
    handler: Handler
    examples: tuple[str, ...] = ()
    direct_ok: bool = False  # may be used in a direct chat with the bot
    # Changes nothing (no row written, no audit entry): its answer may be sent before the
    # batch that carries the command commits.
    read_only: bool = False
    # Heard from a user the room takes for a bot too (whose other commands are ignored):
    # the handler decides what such a user may do with it (`!notbot` about themselves).
    from_bots: bool = False
    # More than the summary, for `!help <command>` (a template with `{p}`, marked `N_`).
    details: str | None = None

    def usage(self, prefix: str) -> str:
        parts = [f"{prefix}{self.name}", *(p.usage() for p in self.params)]
        return " ".join(parts)

    async def parse(self, ctx: Context, rest: str) -> dict[str, Any]:
        """Convert the text after the command words into keyword arguments."""
        if _CONTROL.search(rest):
            raise UsageError(_("The command holds a control character; type it without one."))
        if len(rest) > MAX_LINE:
            raise UsageError(
                _("The command is too long ({n} characters; at most {most}).").format(
                    n=len(rest), most=MAX_LINE
                )
            )
        words = _Words(rest)
        params = list(self.params)
        greedy = [i for i, p in enumerate(params) if p.greedy]
        first, last = (greedy[0], greedy[-1]) if greedy else (len(params), len(params) - 1)
        values: dict[str, Any] = {}
        lo, hi = 0, len(words)
        for p in params[:first]:  # one-word arguments from the left
            text = words.text(lo, lo + p.width) if lo + p.width <= hi else None
            lo += p.width if await self._fixed(ctx, p, text, values) else 0
        for p in reversed(params[last + 1 :] if greedy else []):  # and from the right
            text = words.text(hi - p.width, hi) if hi - p.width >= lo else None
            hi -= p.width if await self._fixed(ctx, p, text, values) else 0
        if not greedy:
            if lo < hi:
                raise UsageError(
                    _("Unexpected extra text: `{text}`.").format(text=words.text(lo, hi)[:40])
                )
            return values
        middle = params[first : last + 1]
        values.update(await self._between(ctx, middle, 0, words, lo, hi))
        return values

    @staticmethod
    async def _fixed(ctx: Context, p: Param, text: str | None, values: dict[str, Any]) -> bool:
        """Read a one-word argument; whether it took the word."""
        if text is not None:
            try:
                values[p.name] = await p.convert(ctx, text)
                return True
            except Mismatch:
                if not p.optional:
                    raise
        if not p.optional:
            raise UsageError(_("Missing {name}.").format(name=p.name))
        values[p.name] = None
        return False

    async def _between(
        self, ctx: Context, params: list[Param], depth: int, words: _Words, at: int, end: int
    ) -> dict[str, Any]:
        """The arguments between the edges: every split, shortest first for all but the last
        multi-word argument, so what follows gets its words when they fit it."""
        if not params:
            if at < end:
                raise Mismatch(
                    _("Unexpected extra text: `{text}`.").format(text=words.text(at, end)[:40])
                )
            return {}
        p, rest = params[0], params[1:]
        if not p.greedy:
            widths = [p.width, 0] if p.optional else [p.width]
        elif not any(q.greedy for q in rest):
            fixed = sum(q.width for q in rest)
            widths = list(range(max(0, end - at - fixed), end - at + 1))
        else:
            widths = list(range(0, min(end - at, p.most_words or end - at) + 1))
        errors: list[tuple[int, UsageError]] = []
        for width in widths:
            if at + width > end:
                continue
            try:
                if width == 0:
                    if not p.optional:
                        raise Mismatch(_("Missing {name}.").format(name=p.name))
                    value = None
                else:
                    value = await p.convert(ctx, words.text(at, at + width))
                later = await self._between(ctx, rest, depth + 1, words, at + width, end)
                return {p.name: value, **later}
            except UsageError as error:
                if error.final:
                    raise
                if error.depth < 0:
                    error.depth = depth
                errors.append((error.depth, error))
        if not errors:
            missing = Mismatch(_("Missing {name}.").format(name=p.name))
            missing.depth = depth
            raise missing
        raise _best(errors)


@dataclass(frozen=True)
class Job:
    """A scheduled ritual: a cron expression (from the settings) in the collective's zone."""

    name: str
    schedule: Callable[[CollectiveSettings], str]
    handler: JobHandler


AnswerTaker = Callable[[Context, str], Awaitable[None]]


@dataclass(frozen=True)
class DirectAnswers:
    """Questions a practice puts to members by direct message, and how it takes answers.

    The context `waiting` and `take` get is the collective's, with `ctx.author` the member
    who wrote and replies going back to their direct chat. `waiting` says whether this
    collective waits for an answer from them now; `accepts` whether a text has the shape
    of one (`shape` says it in words); `take` keeps it. Which collective a direct answer
    belongs to is the bot's to find out (`bot/direct.py`): a practice only ever sees one.
    """

    practice: str
    # Both marked with `N_()` where declared, and translated (`_()`) where shown.
    what: str  # e.g. "the reflection round"
    shape: str  # e.g. "any text", "one word: green, yellow or red"
    waiting: Callable[[Context], Awaitable[bool]]
    accepts: Callable[[str], bool]
    take: AnswerTaker


@dataclass
class Practice:
    """One practice's commands and scheduled jobs, declared next to their handlers."""

    # Marked with `N_()` where declared (as are the commands' summaries), and translated
    # (`_()`) where shown: `!help` shows the title and the summaries.
    title: str
    blurb: str = ""
    commands: list[Command] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    message_listeners: list[MessageListener] = field(default_factory=list)
    redaction_listeners: list[RedactionListener] = field(default_factory=list)
    join_hooks: list[JoinHook] = field(default_factory=list)
    member_join_hooks: list[MemberJoinHook] = field(default_factory=list)
    direct_answers: list[DirectAnswers] = field(default_factory=list)
    overwrites: dict[str, Overwrite] = field(default_factory=dict)
    reaction_listeners: list[ReactionListener] = field(default_factory=list)
    posted_listeners: list[PostedListener] = field(default_factory=list)
    poll_listeners: list[PollListener] = field(default_factory=list)

    def on_posted(self, func: PostedListener) -> PostedListener:
        """Called when the bot sees one of its own marked messages in the room's timeline
        (at least once; a listener must not mind a second call for the same event)."""
        self.posted_listeners.append(func)
        return func

    def on_poll_answer(self, func: PollListener) -> PollListener:
        """Called for each member's response to a native poll in the room, in order."""
        self.poll_listeners.append(func)
        return func

    def on_reaction(self, func: ReactionListener) -> ReactionListener:
        """Called once per reaction a member puts on an event in the room."""
        self.reaction_listeners.append(func)
        return func

    def overwrite(self, action: str) -> Callable[[Overwrite], Overwrite]:
        """Declare an operation that erases or overrides a shared record: it is only
        requested by one member (`handlers.seconds.ask_second`) and carried out by this
        function when another member answers `!second N`."""

        def register(func: Overwrite) -> Overwrite:
            self.overwrites[action] = func
            return func

        return register

    def on_join(self, func: JoinHook) -> JoinHook:
        """Run once when the bot first finds itself in a collective's room."""
        self.join_hooks.append(func)
        return func

    def on_member_join(self, func: MemberJoinHook) -> MemberJoinHook:
        """Run when someone joins a collective's room the bot is already in (members
        there when the bot arrives are not newcomers; direct chats never count)."""
        self.member_join_hooks.append(func)
        return func

    def answers(
        self,
        what: str,
        *,
        waiting: Callable[[Context], Awaitable[bool]],
        accepts: Callable[[str], bool] = lambda text: True,
        shape: str = N_("any text"),
    ) -> Callable[[AnswerTaker], AnswerTaker]:
        """Declare how this practice takes answers members write in a direct chat."""

        def register(func: AnswerTaker) -> AnswerTaker:
            self.direct_answers.append(
                DirectAnswers(self.title, what, shape, waiting, accepts, func)
            )
            return func

        return register

    def on_message(self, func: MessageListener) -> MessageListener:
        self.message_listeners.append(func)
        return func

    def on_redaction(self, func: RedactionListener) -> RedactionListener:
        self.redaction_listeners.append(func)
        return func

    def command(
        self,
        name: str,
        *params: Param,
        summary: str,
        examples: Sequence[str] = (),
        direct_ok: bool = False,
        read_only: bool = False,
        from_bots: bool = False,
        details: str | None = None,
    ) -> Callable[[Handler], Handler]:
        """`read_only`: the handler writes nothing at all (no row, no audit entry), so its
        answer may go out before the batch commits (`bot/sender.py`). `from_bots`: also
        run for a user taken for a bot, whose other commands are ignored."""

        def register(func: Handler) -> Handler:
            self.commands.append(
                Command(
                    name=name,
                    params=tuple(params),
                    summary=summary,
                    practice=self.title,
                    handler=func,
                    examples=tuple(examples),
                    direct_ok=direct_ok,
                    read_only=read_only,
                    from_bots=from_bots,
                    details=details,
                )
            )
            return func

        return register

    def job(
        self, name: str, schedule: str | Callable[[CollectiveSettings], str]
    ) -> Callable[[JobHandler], JobHandler]:
        """`schedule`: a `[schedule]` key, or a function deriving the cron from the settings."""

        def by_key(settings: CollectiveSettings, key: str = str(schedule)) -> str:
            return settings.schedule[key]

        cron = by_key if isinstance(schedule, str) else schedule

        def register(func: JobHandler) -> JobHandler:
            self.jobs.append(Job(name=name, schedule=cron, handler=func))
            return func

        return register


@dataclass
class Match:
    command: Command | None
    rest: str
    group: list[Command] = field(default_factory=list)  # when only a group word matched


class Registry:
    def __init__(self, practices: Iterable[Practice]) -> None:
        self.practices = list(practices)
        self.commands: dict[str, Command] = {}
        for practice in self.practices:
            for cmd in practice.commands:
                if cmd.name in self.commands:
                    raise ValueError(f"command {cmd.name!r} declared twice")
                self.commands[cmd.name] = cmd
        self.jobs = [job for p in self.practices for job in p.jobs]
        self.message_listeners = [f for p in self.practices for f in p.message_listeners]
        self.redaction_listeners = [f for p in self.practices for f in p.redaction_listeners]
        self.join_hooks = [f for p in self.practices for f in p.join_hooks]
        self.reaction_listeners = [f for p in self.practices for f in p.reaction_listeners]
        self.posted_listeners = [f for p in self.practices for f in p.posted_listeners]
        self.poll_listeners = [f for p in self.practices for f in p.poll_listeners]
        self.member_join_hooks = [f for p in self.practices for f in p.member_join_hooks]
        # Where one text could answer two questions in one collective (`red` while both a
        # check-in and a reflection round are open), the narrower question takes it.
        self.direct_answers = sorted(
            (a for p in self.practices for a in p.direct_answers),
            key=lambda a: a.shape == "any text",
        )
        self.overwrites: dict[str, Overwrite] = {}
        for practice in self.practices:
            for action, func in practice.overwrites.items():
                if action in self.overwrites:
                    raise ValueError(f"overwrite {action!r} declared twice")
                self.overwrites[action] = func

    def words(self) -> set[str]:
        return {name.split()[0] for name in self.commands}

    def group(self, word: str) -> list[Command]:
        return [c for n, c in self.commands.items() if n.split()[0] == word]

    def find(self, line: str) -> Match:
        """Longest declared name that the line starts with (two words, then one)."""
        parts = line.split(None, 2)
        if not parts:
            return Match(None, "")
        first = parts[0].casefold()
        if len(parts) >= 2:
            two = f"{first} {parts[1].casefold()}"
            if two in self.commands:
                return Match(self.commands[two], parts[2] if len(parts) > 2 else "")
        rest = line.split(None, 1)[1] if len(parts) > 1 else ""
        if first in self.commands:
            return Match(self.commands[first], rest)
        return Match(None, rest, self.group(first))

    def suggest(self, word: str) -> str | None:
        close = difflib.get_close_matches(word.casefold(), sorted(self.words()), n=1, cutoff=0.5)
        return close[0] if close else None

    def suggest_sub(self, word: str, sub: str) -> str | None:
        """The nearest subcommand of a group: `task dne` -> `task done`."""
        subs = sorted(c.name.split(None, 1)[1] for c in self.group(word) if " " in c.name)
        close = difflib.get_close_matches(sub.casefold(), subs, n=1, cutoff=0.5)
        return f"{word} {close[0]}" if close else None

    def unknown(self, word: str, prefix: str) -> tuple[str, dict[str, object]]:
        """The answer to a command word nobody declared, with the nearest known one."""
        hint = self.suggest(word)
        values: dict[str, object] = {"p": prefix, "w": word[:40], "h": hint or ""}
        if hint:
            return _("Unknown command `{p}{w}`. Did you mean `{p}{h}`?"), values
        return _("Unknown command `{p}{w}`. Type `{p}help` to see the commands."), values
